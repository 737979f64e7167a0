"""Engine benchmarks, measured side by side in one run (this machine is shared and noisy:
compare the ratios, not the absolute times).

    python bench/bench_engine.py [--quick]

1. speedup: 8 pure-Python `primes` tasks, each well over 100 ms, on sequential, threads,
   thread-pool and process-pool (2 workers). Target: process-pool ≥ 1.9× sequential; threads ≈ 1.
2. engine overhead: 2,000 tasks of about 1 ms on thread-pool and process-pool, against the bare
   concurrent.futures executor running the same function with the same workers. Target ≤ 1.10×.
3. live event stream: cost per event in µs, in-process and from a worker process.

Each pair is run alternately (A B A B …) and the median taken, so drift hits both sides alike.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, wait

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The engine is imported inside the functions, not here: spawned workers re-import this
# script as their __main__, and the engine's top-level imports (psutil, http.server …) would add
# ~100 ms to every worker's start — a cost `python main.py`, whose top is light, never pays.


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def engine_wall(task: str, n: int, count: int, backend: str, workers: int) -> float:
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    wl = build_workload([task], count, {"n": str(n)})
    result = execute(RunConfig(wl, backend, workers=workers))
    assert result.ok, result.problems
    return result.wall_s


def bare_pool(kind: str, n: int, count: int, workers: int) -> float:
    """The same work on a bare executor, timed the same way (pool start to pool gone)."""
    from engine.tasks.builtin import primes

    def go() -> None:
        if kind == "thread":
            pool: ThreadPoolExecutor | ProcessPoolExecutor = ThreadPoolExecutor(workers)
        else:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        with pool:
            wait([pool.submit(primes, n) for _ in range(count)])
    return timed(go)


def calibrate(target_s: float) -> int:
    """The `primes` size whose single run takes about target_s on this machine."""
    from engine.tasks.builtin import primes

    n = 20_000
    while True:
        took = timed(functools.partial(primes, n))
        if took >= target_s / 2:
            # trial division grows a little faster than n; one proportional step is close
            return int(n * (target_s / took) ** 0.8)
        n *= 2


def speedup_section(rounds: int) -> None:
    """At two task sizes: spawn's fixed start cost (~0.1 s per worker) weighs on the smaller."""
    from engine.tasks.builtin import primes

    backends = ["sequential", "threads", "thread-pool", "process-pool"]
    for target in (0.35, 1.0):
        n = calibrate(target)
        each = timed(functools.partial(primes, n))
        print(f"\n## 1. speedup — 8 × primes(n={n}) (~{each * 1000:.0f} ms each), 2 workers")
        walls: dict[str, list[float]] = {b: [] for b in backends}
        for _ in range(rounds):
            for b in backends:
                walls[b].append(engine_wall("primes", n, 8, b, 2))
        seq = statistics.median(walls["sequential"])
        print("| backend | wall s (median) | speedup vs sequential |")
        print("|---|---|---|")
        for b in backends:
            w = statistics.median(walls[b])
            print(f"| {b} | {w:.3f} | {seq / w:.2f}× |")


def overhead_section(rounds: int) -> None:
    n = calibrate(0.001)
    count = 2000
    print(f"\n## 2. engine overhead — {count} × primes(n={n}) (~1 ms each), 2 workers")
    print("| executor | bare s (median) | engine s (median) | engine / bare |")
    print("|---|---|---|---|")
    for kind, backend in (("thread", "thread-pool"), ("process", "process-pool")):
        bare, ours = [], []
        for _ in range(rounds):
            bare.append(bare_pool(kind, n, count, 2))
            ours.append(engine_wall("primes", n, count, backend, 2))
        b, o = statistics.median(bare), statistics.median(ours)
        print(f"| {backend} | {b:.3f} | {o:.3f} | {o / b:.3f}× |")


def _child_emit(queue: object, count: int) -> None:
    from engine.records import TaskStarted, WorkerId

    who = WorkerId(os.getpid(), threading.get_native_id(), "bench")
    put = queue.put  # type: ignore[attr-defined]
    for i in range(count):
        put(TaskStarted(i, "primes", 0.0, who))


def events_section() -> None:
    from engine.backends._child import EventPump, process_run_ended, process_run_started
    from engine.records import TaskStarted, WorkerId
    from engine.run.runner import EventBuffer

    count = 50_000
    print(f"\n## 3. live event stream — {count} events")
    who = WorkerId(1, 2, "bench")
    buf = EventBuffer()
    t = time.perf_counter()
    for i in range(count):
        buf.put(TaskStarted(i, "primes", 0.0, who))
    drained = buf.drain()
    in_proc = (time.perf_counter() - t) / count * 1e6
    assert len(drained) == count

    ctx = multiprocessing.get_context("spawn")
    got: list[TaskStarted] = []
    done = threading.Event()

    def on_started(ev: TaskStarted) -> None:
        got.append(ev)
        if len(got) == count:
            done.set()

    process_run_started("spawn")
    pump = EventPump(ctx, on_started)
    child = ctx.Process(target=_child_emit, args=(pump.queue, count))
    child.start()
    first = time.perf_counter()
    child.join()
    done.wait(60)
    cross = (time.perf_counter() - first) / count * 1e6
    pump.close()
    del pump, child  # their semaphores must be freed before the mp helpers are stopped
    process_run_ended()
    print("| path | µs per event |")
    print("|---|---|")
    print(f"| in-process (thread backends: put + batched drain) | {in_proc:.2f} |")
    print(f"| worker process → pipe → pump → buffer (incl. child start) | {cross:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one round each")
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    print(f"# CoreScope engine benchmark — {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}")
    speedup_section(rounds)
    overhead_section(rounds)
    events_section()


if __name__ == "__main__":
    main()
