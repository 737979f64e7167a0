"""Scaling beyond two cores: speedup against workers for each backend, in one run.

    python bench/scaling.py [--max-workers 16] [--tasks 32]

Pure-Python `primes` (holds the GIL) and `hash` (hashlib releases it) on thread-pool,
process-pool and mp-pool, workers 1, 2, 4, … up to the machine's cores; speedup against a
sequential run of the same workload measured in the same session. Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    from engine.cli.report import machine_line
    from engine.run.machine import machine_info
    from engine.run.runner import RunConfig, execute
    from engine.tasks.builtin import primes
    from engine.workload import build_workload

    parser = argparse.ArgumentParser()
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--tasks", type=int, default=32)
    args = parser.parse_args()

    # size primes so one task takes ~0.3 s here
    n = 20_000
    while True:
        t = time.perf_counter()
        primes(n)
        took = time.perf_counter() - t
        if took > 0.15:
            n = int(n * (0.3 / took) ** 0.8)
            break
        n *= 2
    workers = [1]
    while workers[-1] * 2 <= args.max_workers:
        workers.append(workers[-1] * 2)
    if workers[-1] != args.max_workers:
        workers.append(args.max_workers)

    print(f"# Scaling — {machine_line(machine_info())}\n")
    for task, settings in (("primes", {"n": str(n)}), ("hash", {"mb": "64"})):
        wl = build_workload([task], args.tasks, settings)
        seq = execute(RunConfig(wl, "sequential")).wall_s
        print(f"## {args.tasks} × {task}({', '.join(f'{k}={v}' for k, v in settings.items())})"
              f" — sequential {seq:.2f} s\n")
        print("| backend | " + " | ".join(f"{w} workers" for w in workers) + " |")
        print("|---|" + "---:|" * len(workers))
        for backend in ("thread-pool", "process-pool", "mp-pool"):
            cells = []
            for w in workers:
                r = execute(RunConfig(wl, backend, workers=w))
                cells.append(f"{seq / r.wall_s:.2f}× ({r.stats.cpu_util or 0:.0f} % CPU)")
            print(f"| {backend} | " + " | ".join(cells) + " |", flush=True)
        print()


if __name__ == "__main__":
    main()
