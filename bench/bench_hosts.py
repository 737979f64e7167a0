"""What sampling a cluster's hosts costs: Dask runs by address with and without it, side by side.

    python bench/bench_hosts.py [--workers 2] [--rounds 5]

Starts a scheduler and WORKERS one-thread workers as separate processes on 127.0.0.1 (as a user
would), then alternates the same runs with the host sampler on and off (``engine.hosts``; off
= the backend's ``_watch_hosts`` replaced by a stub), so machine noise hits both alike (which
goes first alternates):

    * 1 ms sleep tasks (scheduling-bound: any load on the scheduler shows here),
    * primes tasks of ~0.1 s each (CPU-bound: sampling competes with the work).

It also times one sampling round (``Client.run`` on every worker's nanny) on its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _NoSampler:
    def stop(self) -> None:
        pass


def main() -> None:
    import engine.backends.dask_cluster as dask_backend
    from bench.dask_procs import dask_processes
    from engine.cli.report import machine_line
    from engine.hosts import HOST_INTERVAL_S
    from engine.run.machine import machine_info
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    w = args.workers
    workloads = {"400 × sleep 1 ms": build_workload(["sleep"], 400, {"seconds": "0.001"}),
                 f"{4 * w} × primes ~0.1 s": build_workload(["primes"], 4 * w,
                                                           {"n": "100000"})}
    real = dask_backend._watch_hosts
    setup_s: list[float] = []

    def on(*args):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        sampler = real(*args)
        setup_s.append(time.perf_counter() - t)
        return sampler

    def off(*args):  # type: ignore[no-untyped-def]
        return _NoSampler()

    with dask_processes(workers=w) as address:
        from distributed import Client

        with Client(address) as client:
            # The first call ships the function: not a round's cost.
            client.run(dask_backend._read_via_nanny, nanny=True)
            rounds = []
            for _ in range(50):
                t = time.perf_counter()
                client.run(dask_backend._read_via_nanny, nanny=True)
                rounds.append(time.perf_counter() - t)
        walls: dict[tuple[str, bool], list[float]] = {}
        samples: dict[str, list[int]] = {}
        for i in range(args.rounds):
            for label, wl in workloads.items():
                # Alternate which goes first, so a warm-up effect favours neither.
                for sampling in ((True, False) if i % 2 == 0 else (False, True)):
                    dask_backend._watch_hosts = on if sampling else off
                    r = execute(RunConfig(wl, "dask", workers=w, scheduler=address))
                    assert r.ok, r.problems
                    walls.setdefault((label, sampling), []).append(r.wall_s)
                    if sampling:
                        samples.setdefault(label, []).append(len(r.host_samples))
        dask_backend._watch_hosts = real

    rounds_ms = sorted(x * 1000 for x in rounds)
    print(f"# Host CPU sampling cost — {machine_line(machine_info())}, dask by address, "
          f"{w} workers, {args.rounds} rounds\n")
    print(f"One sampling round (Client.run on {w} workers' nannies): median "
          f"{statistics.median(rounds_ms):.1f} ms, p95 {rounds_ms[int(0.95 * len(rounds_ms))]:.1f}"
          f" ms; one round every {HOST_INTERVAL_S * 1000:.0f} ms. Before the first task, one "
          f"round and sizing the cluster: median {statistics.median(setup_s) * 1000:.1f} ms.\n")
    print("| workload | wall, sampling on s | wall, off s | on ÷ off | host samples per run |")
    print("|---|---:|---:|---:|---:|")
    for label in workloads:
        on = statistics.median(walls[(label, True)])
        no = statistics.median(walls[(label, False)])
        print(f"| {label} | {on:.3f} | {no:.3f} | {on / no:.3f} | "
              f"{statistics.median(samples[label]):.0f} |")


if __name__ == "__main__":
    main()
