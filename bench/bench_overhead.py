"""Engine overhead against bare executors: 2,000 tasks of about 1 ms each, 2 workers.

    python bench/bench_overhead.py [--rounds 5] [--count 2000] [--only thread-pool,dask]

Each engine run is paired with the bare library doing the same work the same way, timed from
the pool's start to the pool being gone (the engine's wall, t0 to t_end, covers the same span):

    thread-pool   ThreadPoolExecutor(W): submit every task, wait                 target ≤ 1.05×
    process-pool  ProcessPoolExecutor(W, spawn): submit every task, wait         target ≤ 1.05×
    dask          LocalCluster + Client, Client.map + gather, close               target ≤ 1.10×
    joblib        Parallel(n_jobs=W) on loky, then its workers ended              target ≤ 1.10×

The machine is shared and noisy, so the pair runs alternately (A B, B A, A B …) and the table
shows the ratio of the medians, the median of the per-round ratios and the middle half of
those ratios (their quartiles: how far one round strays on this machine), then the CPU both
sides used (this process and its children, whole run, setup included), as a ratio and as the
engine's extra µs per task (it drifts with the machine's load as wall does: stop 26 saw it
swing by a third between runs of one code). For dask the task
phase (first submit to last result, without the cluster's start and close, which dominate) is
shown too: the engine's is its records' first ``submitted`` to last ``finished``.

``--engine-only`` runs the engine side alone, for a profiler: e.g.
``py-spy record --subprocesses -f raw -o out.txt -- python bench/bench_overhead.py --engine-only``.
"""

from __future__ import annotations

import argparse
import functools
import logging
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# As in bench_engine.py: the engine is imported inside functions, so that spawned workers, which
# re-import this script as __main__, start as light as a bare worker.

BACKENDS = ("thread-pool", "process-pool", "dask", "joblib")
TARGETS = {"thread-pool": 1.05, "process-pool": 1.05, "dask": 1.10, "joblib": 1.10}
# dask's settings as engine/backends/dask_cluster.py sets them, so both sides get one cluster.
DASK_CLUSTER = {"threads_per_worker": 1, "processes": True, "host": "127.0.0.1",
                "dashboard_address": None, "silence_logs": logging.CRITICAL}


def calibrate(target_s: float) -> int:
    """The `primes` size whose single run takes about target_s on this machine."""
    from engine.tasks.builtin import primes

    n = 20_000
    while True:
        t = time.perf_counter()
        primes(n)
        took = time.perf_counter() - t
        if took >= target_s / 2:
            return int(n * (target_s / took) ** 0.8)
        n *= 2


class Timing:
    """One run's wall (pool start to pool gone), where measured its task phase, and the CPU
    that this process and its children used for the whole run (set by ``alternate``)."""

    def __init__(self, wall: float, phase: float | None = None) -> None:
        self.wall, self.phase = wall, phase
        self.cpu = 0.0


def cpu_used() -> float:
    """CPU seconds of this process and of its children that have ended (every worker, the
    sampler, the GIL probe and its py-spy rounds are reaped by the end of a run)."""
    import resource

    return sum(getattr(resource.getrusage(who), field)
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def measured(run: Callable[[], Timing]) -> Timing:
    before = cpu_used()
    timing = run()
    timing.cpu = cpu_used() - before
    return timing


def engine_run(backend: str, n: int, count: int, workers: int) -> Timing:
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    wl = build_workload(["primes"], count, {"n": str(n)})
    result = execute(RunConfig(wl, backend, workers=workers))
    assert result.ok, result.problems
    first = min(r.submitted for r in result.records)
    last = max(r.finished or 0.0 for r in result.records)
    return Timing(result.wall_s, last - first)


def bare_futures(kind: str, n: int, count: int, workers: int) -> Timing:
    from engine.backends._child import helpers_settle
    from engine.tasks.builtin import primes

    if kind == "process-pool":
        # The engine starts multiprocessing's resource tracker and waits for it to be idle
        # before its clock, and stops it after each run; without this the bare pool would
        # start it inside its own timing (~45 ms here), flattering the engine by 3–5 %.
        helpers_settle("spawn")
    t = time.perf_counter()
    if kind == "thread-pool":
        pool: ThreadPoolExecutor | ProcessPoolExecutor = ThreadPoolExecutor(workers)
    else:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    with pool:
        wait([pool.submit(primes, n) for _ in range(count)])
    return Timing(time.perf_counter() - t)


def bare_dask(n: int, count: int, workers: int) -> Timing:
    import dask
    from distributed import Client, LocalCluster

    from engine.tasks.builtin import primes

    settings = {"distributed.scheduler.allowed-failures": 0,
                "distributed.worker.multiprocessing-method": "spawn",
                "distributed.admin.tick.limit": "1h"}
    with dask.config.set(settings):
        t = time.perf_counter()
        # Any: distributed's methods are untyped (mypy --strict would flag every call)
        cluster: Any = LocalCluster(n_workers=workers, **DASK_CLUSTER)  # type: ignore[arg-type]
        client: Any = Client(cluster)
        p = time.perf_counter()
        client.gather(client.map(primes, [n] * count, pure=False))
        phase = time.perf_counter() - p
        client.close()
        cluster.close()
        return Timing(time.perf_counter() - t, phase)


def bare_joblib(n: int, count: int, workers: int) -> Timing:
    from joblib import Parallel, delayed
    from joblib.externals.loky import reusable_executor

    from engine.tasks.builtin import primes

    t = time.perf_counter()
    Parallel(n_jobs=workers, backend="loky")(delayed(primes)(n) for _ in range(count))
    # The engine ends loky's reusable workers after every run, inside its wall; so does this.
    executor = reusable_executor._executor
    if executor is not None:
        # terminate() also removes joblib's memmapping folder, as the engine's clean-up does
        getattr(executor, "terminate", executor.shutdown)(kill_workers=True)
        reusable_executor._executor = None
    return Timing(time.perf_counter() - t)


def bare_run(backend: str, n: int, count: int, workers: int) -> Timing:
    if backend == "dask":
        return bare_dask(n, count, workers)
    if backend == "joblib":
        return bare_joblib(n, count, workers)
    return bare_futures(backend, n, count, workers)


def alternate(a: Callable[[], Timing], b: Callable[[], Timing],
              rounds: int) -> tuple[list[Timing], list[Timing]]:
    """A B, B A, A B …: a drift in the machine's load hits both sides alike."""
    xs: list[Timing] = []
    ys: list[Timing] = []
    for r in range(rounds):
        if r % 2 == 0:
            xs.append(measured(a))
            ys.append(measured(b))
        else:
            ys.append(measured(b))
            xs.append(measured(a))
    return xs, ys


def ratio_line(backend: str, bare: list[Timing], ours: list[Timing], count: int) -> str:
    b = statistics.median(t.wall for t in bare)
    o = statistics.median(t.wall for t in ours)
    ratios = [y.wall / x.wall for x, y in zip(bare, ours)]
    per_round = statistics.median(ratios)
    # The middle half of the per-round ratios: how far one round's ratio strays on this
    # machine, against which a few per cent above or below the target should be read.
    spread = (f"{min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) < 4 else
              "–".join(f"{q:.2f}" for q in statistics.quantiles(ratios, n=4)[::2]))
    mark = "ok" if o / b <= TARGETS[backend] else "over"
    # What the engine adds in CPU, per task: where wall is lost to, not a steadier figure.
    bc = statistics.median(t.cpu for t in bare)
    oc = statistics.median(t.cpu for t in ours)
    line = (f"| {backend} | {b:.3f} | {o:.3f} | {o / b:.3f}× | {per_round:.3f}× | {spread} | "
            f"≤ {TARGETS[backend]:.2f}× {mark} | {oc / bc:.3f}× ({(oc - bc) / count * 1e6:+.0f}) |")
    if bare[0].phase is not None and ours[0].phase is not None:
        bp = statistics.median(t.phase or 0.0 for t in bare)
        op = statistics.median(t.phase or 0.0 for t in ours)
        line += f" {bp:.3f} / {op:.3f} = {op / bp:.3f}× |"
    else:
        line += " |"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="pairs per backend (default 5)")
    parser.add_argument("--count", type=int, default=2000, help="tasks (default 2000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--task-ms", type=float, default=1.0, help="size of one task")
    parser.add_argument("--only", default=",".join(BACKENDS),
                        help=f"comma-separated subset of {', '.join(BACKENDS)}")
    parser.add_argument("--engine-only", action="store_true",
                        help="run the engine side only, once per round (for profiling)")
    args = parser.parse_args()
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(chosen) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    n = calibrate(args.task_ms / 1000)
    print(f"# engine overhead — {args.count} × primes(n={n}) (~{args.task_ms:g} ms each), "
          f"{args.workers} workers, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"{args.rounds} alternating rounds, {time.strftime('%Y-%m-%d %H:%M')}")
    if args.engine_only:
        for backend in chosen:
            walls = [engine_run(backend, n, args.count, args.workers).wall
                     for _ in range(args.rounds)]
            print(f"{backend}: engine wall {', '.join(f'{w:.3f}' for w in walls)} s")
        return
    print("| backend | bare s | engine s | ratio of medians | median of ratios "
          "| ratios, middle half | target | CPU engine ÷ bare (µs a task) "
          "| task phase bare / engine |")
    print("|---|---|---|---|---|---|---|---|---|")
    for backend in chosen:
        bare, ours = alternate(
            functools.partial(bare_run, backend, n, args.count, args.workers),
            functools.partial(engine_run, backend, n, args.count, args.workers),
            args.rounds)
        print(ratio_line(backend, bare, ours, args.count), flush=True)


if __name__ == "__main__":
    main()
