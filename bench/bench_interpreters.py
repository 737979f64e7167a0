"""Subinterpreters against threads and processes, measured side by side in one run.

    .venv313/bin/python bench/bench_interpreters.py [--rounds N] [--n N]

4 × primes(150000) (pure Python, holds the GIL throughout) on 2 workers, each way:

1. bare executors: InterpreterPoolExecutor (3.14's, or the interpreters-pep-734 backport on
   3.13), ThreadPoolExecutor and ProcessPoolExecutor (spawn), timed from pool start to pool
   gone, so each pays its own start-up (a subinterpreter's is an import of the engine; a
   process's is an interpreter start plus the same import);
2. the same work through CoreScope's engine: the `interpreters`, `thread-pool` and
   `process-pool` backends, wall time as the run reports it.

Rounds alternate (A B C A B C …) and the median is taken (the best round beside it), so drift
on this shared machine hits every side alike: compare the ratios, not the absolute times.
Needs Python 3.13 with the backport (``make test-313`` builds such a venv), or 3.14.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

COUNT, WORKERS = 4, 2
# Per engine backend: seconds from the run's start to its first task's (the workers' start-up).
FIRST_START: dict[str, list[float]] = {"interpreters": [], "thread-pool": [], "process-pool": []}


def bare(kind: str, n: int) -> float:
    from engine.backends.interpreters import implementation, path_setup
    from engine.tasks.builtin import primes

    t = time.perf_counter()
    pool: Executor
    if kind == "interpreters":
        executor, _ = implementation()
        # The engine's own first step: subinterpreters start without this script's sys.path.
        pool = executor(WORKERS, initializer=exec, initargs=(path_setup(), {}))
    elif kind == "thread-pool":
        pool = ThreadPoolExecutor(WORKERS)
    else:
        pool = ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))
    with pool:
        futures = [pool.submit(primes, n) for _ in range(COUNT)]
        wait(futures)
        assert all(f.result() == futures[0].result() for f in futures)
    return time.perf_counter() - t


def engine(backend: str, n: int) -> float:
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    result = execute(RunConfig(build_workload(["primes"], COUNT, {"n": str(n)}), backend,
                               workers=WORKERS))
    assert result.ok, result.problems
    FIRST_START[backend].append(min(r.started or 0.0 for r in result.records) - result.t0)
    return result.wall_s


def sequential(n: int) -> float:
    from engine.tasks.builtin import primes

    t = time.perf_counter()
    for _ in range(COUNT):
        primes(n)
    return time.perf_counter() - t


def table(title: str, measure: Callable[[str, int], float], n: int, rounds: int,
          seq_s: float) -> None:
    kinds = ("interpreters", "thread-pool", "process-pool")
    walls: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(rounds):
        for k in kinds:
            walls[k].append(measure(k, n))
    med = {k: statistics.median(v) for k, v in walls.items()}
    print(f"\n## {title}")
    # The best round too: on a shared machine it is the one least disturbed by other work.
    print("| way | wall s (median) | best s | interpreters faster by | speedup vs sequential |")
    print("|---|---:|---:|---:|---:|")
    for k in kinds:
        print(f"| {k} | {med[k]:.3f} | {min(walls[k]):.3f} | "
              f"{med[k] / med['interpreters']:.2f}× | {seq_s / med[k]:.2f}× |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=150_000)
    args = parser.parse_args()
    from engine.backends.interpreters import implementation

    executor, what = implementation()
    if executor is None:
        print(f"bench_interpreters: cannot run here: {what}", file=sys.stderr)
        return 1
    print(f"Python {sys.version.split()[0]} · {os.cpu_count()} logical cores · {what}")
    print(f"workload: {COUNT} × primes(n={args.n}) on {WORKERS} workers, {args.rounds} rounds")
    seq_s = min(sequential(args.n) for _ in range(3))
    print(f"sequential (one thread, no pool; best of 3): {seq_s:.3f} s")
    table("1. bare executors (pool start to pool gone)", bare, args.n, args.rounds, seq_s)
    table("2. through the engine (the run's wall time)", engine, args.n, args.rounds, seq_s)
    print("\nfirst task started after (median): " + ", ".join(
        f"{k} {statistics.median(v) * 1000:.0f} ms" for k, v in FIRST_START.items()))
    # Other work on the machine comes straight out of a parallel run's cores: say how much.
    print(f"\nload average at the end (1, 5, 15 min): {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
