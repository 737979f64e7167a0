"""What the measured GIL lane costs a run: the same workload with and without it, side by side.

    python bench/bench_gil.py [--quick] [--repeats N]

The lane (engine/run/gil.py) runs `py-spy dump` from a probe process 10 times a second (about
15 ms of CPU each); py-spy reads the engine's memory without stopping it, so what a run can
lose is that CPU. Each workload runs alternately with the lane off, at 10 Hz (the default) and
at 20 Hz, in rotating order so a drifting machine favours none, and the median wall times are
compared. Goal: on/off ≤ 1.05 at the default rate.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.run import gil  # noqa: E402 — after the path is set
from engine.run.runner import RunConfig, execute  # noqa: E402
from engine.workload import build_workload  # noqa: E402

# (label, backend, task, count, workers, settings): each run takes one to two seconds here.
WORKLOADS = (
    ("4 × primes on threads", "threads", "primes", 4, 4, {"n": "250000"}),
    ("8 × primes on thread-pool (2)", "thread-pool", "primes", 8, 2, {"n": "150000"}),
    ("4 × hash on threads", "threads", "hash", 4, 4, {"mb": "256"}),
    ("sequential, 4 × primes", "sequential", "primes", 4, 1, {"n": "150000"}),
)
SIDES = (("off", None), ("10 Hz", 0.1), ("20 Hz", 0.05))


def one_run(backend: str, task: str, count: int, workers: int, sets: dict[str, str],
            interval: float | None) -> tuple[float, int, float]:
    """Wall time, GIL samples, and the CPU seconds of the run's child processes (the CPU
    monitor's always; the probe's and its py-spy dumps' when the lane is on)."""
    os.environ["CORESCOPE_GIL_LANE"] = "0" if interval is None else "1"
    gil.INTERVAL_S = interval or gil.INTERVAL_S
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = execute(RunConfig(build_workload([task], count, sets), backend, workers=workers))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.ok, result.problems
    children = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return result.wall_s, len(result.gil_samples), children


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 rounds per workload")
    ap.add_argument("--repeats", type=int, default=7, help="rounds per workload (default 7)")
    args = ap.parse_args()
    if gil.find_py_spy() is None:
        sys.exit("py-spy is not installed (pip install py-spy): nothing to compare")
    repeats = 3 if args.quick else args.repeats
    default = gil.INTERVAL_S
    print(f"{'workload':32} {'off s':>7} {'10 Hz s':>8} {'ratio':>6} {'20 Hz s':>8} "
          f"{'ratio':>6} {'Hz':>5} {'probe CPU':>9}")
    worst = 0.0
    for label, backend, task, count, workers, sets in WORKLOADS:
        walls: dict[str, list[float]] = {name: [] for name, _ in SIDES}
        rate: list[float] = []
        cpu: dict[str, list[float]] = {name: [] for name, _ in SIDES}
        one_run(backend, task, count, workers, sets, 0.1)  # warm-up: imports, page cache
        for i in range(repeats):
            for name, interval in SIDES[i % 3:] + SIDES[:i % 3]:
                wall, n, children = one_run(backend, task, count, workers, sets, interval)
                walls[name].append(wall)
                cpu[name].append(children / wall)
                if name == "10 Hz":
                    rate.append(n / wall)
        med = {name: statistics.median(w) for name, w in walls.items()}
        r10, r20 = med["10 Hz"] / med["off"], med["20 Hz"] / med["off"]
        worst = max(worst, r10)
        # What the probe itself costs, in cores, whatever the machine's load: the children's
        # CPU with the lane on, less the CPU monitor's (the lane off).
        probe = statistics.median(cpu["10 Hz"]) - statistics.median(cpu["off"])
        print(f"{label:32} {med['off']:7.3f} {med['10 Hz']:8.3f} {r10:6.3f} "
              f"{med['20 Hz']:8.3f} {r20:6.3f} {statistics.median(rate):5.1f} "
              f"{probe:8.2f}c")
    os.environ.pop("CORESCOPE_GIL_LANE", None)
    gil.INTERVAL_S = default
    print(f"worst ratio at 10 Hz {worst:.3f} (goal ≤ 1.05): {'ok' if worst <= 1.05 else 'OVER'}"
          f" — {os.cpu_count()} logical cores, load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
