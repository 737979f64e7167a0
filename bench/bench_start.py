"""Worker start cost: CoreScope's process backends against the bare pool, side by side.

    python bench/bench_start.py [--reps N] [--workers W] [--methods spawn,forkserver]
                                [--backends process-pool,processes,mp-pool]

For each start method and backend, alternately (A B A B …, so drift hits both alike):

* CoreScope: a run of ``sleep(seconds=0)`` tasks; its figure is what the run report says
  ("Starting a worker process cost …"): ``engine.figures.explain.worker_start_s``, the mean
  over workers of run start → that worker's first task, read from the run's own records.
* bare: the same kind of pool, same start method and workers, created at the moment the clock
  starts, running an empty function that stamps ``time.perf_counter()`` (one clock for every
  process on the machine); the same mean over workers of creation → first call.

Both sides start with multiprocessing's helpers (the resource tracker, the fork server)
already running and idle, as a long-lived program has them (the fork server, one per process,
holds CoreScope's preloads then: its bare workers inherit them and import nothing of them). The
first round is a warm-up, not counted.
Goal: CoreScope ≤ 1.25× the bare floor.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Nothing of the engine at the top: spawned workers re-import this script as __mp_main__, and
# the bare pool's workers must not pay for imports only CoreScope's need.

TASKS_PER_WORKER = 1


def _stamp(_: object = None) -> tuple[int, float]:
    """The empty function: which worker, and when it was called."""
    return os.getpid(), time.perf_counter()


def _stamp_to(conn: Any) -> None:
    conn.send(_stamp())
    conn.close()


def _mean_first(stamps: list[tuple[int, float]], t0: float) -> float:
    first: dict[int, float] = {}
    for pid, t in stamps:
        first[pid] = min(first.get(pid, t), t)
    return statistics.mean(t - t0 for t in first.values())


def _helpers_up(method: str) -> None:
    """What a long-lived program has: multiprocessing's helpers running and idle. The same
    call CoreScope makes before a run's clock starts (``process_run_started``), so the two
    sides start alike; it imports the engine in this process only."""
    from engine.backends._child import helpers_settle

    helpers_settle(method)


def bare(backend: str, method: str, workers: int, tasks: int) -> float:
    ctx: Any = multiprocessing.get_context(method)
    _helpers_up(method)
    if backend == "process-pool":
        from concurrent.futures import ProcessPoolExecutor

        t0 = time.perf_counter()
        pool = ProcessPoolExecutor(workers, mp_context=ctx)
        stamps = [f.result() for f in [pool.submit(_stamp) for _ in range(tasks)]]
        pool.shutdown()
    elif backend == "mp-pool":
        t0 = time.perf_counter()
        mp_pool = ctx.Pool(workers)
        stamps = list(mp_pool.imap_unordered(_stamp, range(tasks)))
        mp_pool.terminate()
        mp_pool.join()
    else:  # processes: one Process per task, all started at once
        t0 = time.perf_counter()
        pipes, procs = [], []
        for _ in range(tasks):
            r, w = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_stamp_to, args=(w,), daemon=True)
            proc.start()
            w.close()
            pipes.append(r)
            procs.append(proc)
        stamps = [r.recv() for r in pipes]
        for proc in procs:
            proc.join()
    return _mean_first(stamps, t0)


def corescope(backend: str, method: str, workers: int, tasks: int) -> float:
    from engine.figures.explain import worker_start_s
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    wl = build_workload(["sleep"], tasks, {"seconds": "0"})
    result = execute(RunConfig(wl, backend, workers=workers, start_method=method))
    assert result.ok, result.problems
    return worker_start_s(result)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--methods", default="spawn,forkserver")
    ap.add_argument("--backends", default="process-pool,processes,mp-pool")
    args = ap.parse_args()
    methods = [m for m in args.methods.split(",") if m]
    backends = [b for b in args.backends.split(",") if b]
    if "fork" in methods:
        sys.exit("fork is never used by CoreScope (unsafe under Qt); nothing to compare")
    tasks = args.workers * TASKS_PER_WORKER
    print(f"# worker start: run start → a worker's first task (mean over workers), "
          f"{args.workers} workers, {tasks} × sleep(0), median of {args.reps}")
    print(f"{os.cpu_count()} cores · CPython {sys.version.split()[0]}\n")
    if sys.flags.dont_write_bytecode:
        # No .pyc is written, so every worker compiles the engine from source (~20 ms more
        # each, here): not what an installed CoreScope pays. PYTHONPYCACHEPREFIX keeps the
        # cache out of the tree.
        print("note: PYTHONDONTWRITEBYTECODE is set: workers compile the engine from source; "
              "unset it for installed figures (PYTHONPYCACHEPREFIX=DIR keeps .pyc out of the "
              "tree)\n")
    print("| start method | backend | bare ms | CoreScope ms | CoreScope / bare |")
    print("|---|---|---:|---:|---:|")
    for method in methods:
        for backend in backends:
            ours: list[float] = []
            floor: list[float] = []
            for rep in range(args.reps + 1):
                # Which goes first alternates too: the one after a run finds its caches warm.
                if rep % 2:
                    b = bare(backend, method, args.workers, tasks)
                    o = corescope(backend, method, args.workers, tasks)
                else:
                    o = corescope(backend, method, args.workers, tasks)
                    b = bare(backend, method, args.workers, tasks)
                if rep:  # round 0 warms the disk cache and the helpers
                    ours.append(o)
                    floor.append(b)
            b_ms, o_ms = statistics.median(floor) * 1000, statistics.median(ours) * 1000
            print(f"| {method} | {backend} | {b_ms:.0f} | {o_ms:.0f} | {o_ms / b_ms:.2f}× |",
                  flush=True)


if __name__ == "__main__":
    main()
