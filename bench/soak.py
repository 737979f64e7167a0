"""Endurance: many back-to-back runs across every backend in one process.

    python bench/soak.py [--runs 200]

Prints RSS, open file descriptors and thread count at the start and the end (and every 50
runs) and exits 1 if RSS grew by 50 MB or more, or if descriptors, threads or child processes
did not come back to where they started.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    import psutil

    from engine.backends.registry import BACKENDS, available_backends
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    me = psutil.Process()
    # Every task kind, so fixtures (temp dirs, the HTTP server) and failures are exercised too.
    workloads = [
        build_workload(["primes"], 4, {"n": "5000"}),
        build_workload(["sleep", "files"], 2, {"seconds": "0.01", "count": "5"}),
        build_workload(["http"], 2, {"requests": "1", "latency_ms": "0"}),
        build_workload(["fail"], 2, {"n": "100"}),
    ]
    crash = build_workload(["crash", "primes"], 1, {"after_s": "0", "n": "100"})
    backends = available_backends()

    def snapshot() -> tuple[float, int, int, int]:
        gc.collect()
        return (me.memory_info().rss / 2**20, me.num_fds(), threading.active_count(),
                len(me.children(recursive=True)))

    # One warm-up round: first imports and lazily created module state are not leaks.
    for backend in backends:
        execute(RunConfig(workloads[0], backend, workers=2))
    start = snapshot()
    print(f"start : RSS {start[0]:.1f} MB, fds {start[1]}, threads {start[2]}, "
          f"children {start[3]}")
    t = time.perf_counter()
    bad_runs = 0
    for i in range(args.runs):
        backend = backends[i % len(backends)]
        wl = workloads[(i // len(backends)) % len(workloads)]
        if BACKENDS[backend].uses_processes and i % 10 == 0:
            wl = crash
        result = execute(RunConfig(wl, backend, workers=2))
        if wl is crash:
            # The crash must be reported as a lost task; what else ran depends on the backend
            # (a process-pool breaks, so a task queued behind the crash may never start).
            ok = result.records[0].status.value == "lost" and bool(result.problems)
        else:
            ok = all(r.status.value in ("ok", "error") for r in result.records)
        if not ok:
            print(f"run {i + 1}: {backend}: unexpected outcome "
                  f"{[r.status.value for r in result.records]} {result.problems}")
            bad_runs += 1
        if (i + 1) % 50 == 0:
            s = snapshot()
            print(f"run {i + 1:4d}: RSS {s[0]:.1f} MB, fds {s[1]}, threads {s[2]}, "
                  f"children {s[3]}")
    end = snapshot()
    print(f"end   : RSS {end[0]:.1f} MB, fds {end[1]}, threads {end[2]}, children {end[3]} "
          f"({args.runs} runs in {time.perf_counter() - t:.0f} s)")
    growth = end[0] - start[0]
    ok = (growth < 50 and end[1] <= start[1] and end[2] <= start[2] and end[3] == 0
          and not bad_runs)
    print(f"RSS growth {growth:+.1f} MB; fds {end[1] - start[1]:+d}; "
          f"threads {end[2] - start[2]:+d} -> {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
