"""Per-task overhead of each process/thread engine, side by side in one run.

    python bench/bench_backends.py [--workers 2]

For `sleep` tasks of 1, 10 and 100 ms (no CPU, so the machine's noise barely matters) on
thread-pool, process-pool, joblib and dask, each size is run with N and 2N tasks. The
difference cancels everything paid once per run (starting and closing workers, a cluster):

    per-task overhead = ((wall(2N) − wall(N)) − N × duration / workers) × workers / N
    fixed cost        = wall(N) − N × (duration + overhead) / workers

The crossover is the task length from which an engine's overhead is under 10 % of the work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    from engine.backends.registry import available_backends
    from engine.cli.report import machine_line
    from engine.run.machine import machine_info
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    w = args.workers
    engines = [b for b in ("thread-pool", "process-pool", "joblib", "dask")
               if b in available_backends()]
    sizes = {0.001: 400, 0.010: 200, 0.100: 40}  # task length -> tasks (~0.2–2 s of work)
    print(f"# Per-task overhead — {machine_line(machine_info())}, {w} workers\n")
    print("| backend | fixed cost per run s | overhead per task, 1 ms tasks | 10 ms | "
          "100 ms | crossover (overhead < 10 %) |")
    print("|---|---:|---:|---:|---:|---:|")

    def wall(backend: str, seconds: float, n: int) -> float:
        wl = build_workload(["sleep"], n, {"seconds": str(seconds)})
        r = execute(RunConfig(wl, backend, workers=w))
        assert r.ok, (backend, r.problems)
        return r.wall_s

    for backend in engines:
        fixed, per_task = [], {}
        for seconds, n in sizes.items():
            estimates = []
            for _ in range(args.rounds):
                one, two = wall(backend, seconds, n), wall(backend, seconds, 2 * n)
                each = max(0.0, (two - one) - n * seconds / w) * w / n
                estimates.append(each)
                fixed.append(one - n * (seconds + each) / w)
            per_task[seconds] = statistics.median(estimates)
        # 10 % of the work at ten times the (largest measured) overhead
        crossover = 10 * max(per_task.values())
        cells = " | ".join(f"{per_task[s] * 1000:.2f} ms" for s in sizes)
        print(f"| {backend} | {statistics.median(fixed):.2f} | {cells} | "
              f"{crossover * 1000:.0f} ms |", flush=True)
    print("\nOverhead per task is per worker slot: the time a worker spends around each task.")


if __name__ == "__main__":
    main()
