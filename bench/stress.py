"""Stress: start → cancel at random moments, on every backend, counting hangs and leftovers.

    python bench/stress.py [--cycles 300] [--backends processes,process-pool] [--seed 1]

Each cycle starts a run and cancels it at one of these moments, chosen at random:

    before-start   cancel() right after start(), before any worker exists
    start-up       0–150 ms after start(): workers being created
    mid-task       0–100 ms after the first task started
    shutdown       as the last tasks end (the run is closing its workers)
    crash          a worker process died (the crash task), then cancel   (process backends)
    timeout        a task ran past its timeout, then cancel

and reports, per backend: hangs (the run not ended 5 s after the cancel; it is then abandoned
and the cycle counted), slow cancels (> 1 s), and cycles that left a child process, a thread
or a CoreScope temp dir behind (2 s grace). Exit status 1 if any hang or leftover was seen.
Not a CI test: 300 cycles per backend take tens of minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HANG_S = 5.0
SLOW_S = 1.0
GRACE_S = 2.0
PHASES = ("before-start", "start-up", "mid-task", "shutdown", "crash", "timeout")


@dataclass
class Tally:
    cycles: int = 0
    hangs: int = 0
    slow: int = 0
    leftovers: int = 0
    worst_s: float = 0.0
    by_phase: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _temp_dirs() -> set[str]:
    pid = os.getpid()
    return {p for pattern in (f"corescope-files-{pid}-*", f"corescope-ev-{pid}-*")
            for p in glob.glob(os.path.join(tempfile.gettempdir(), pattern))}


def _leftovers(threads_before: set[int], dirs_before: set[str]) -> list[str]:
    import psutil

    deadline = time.monotonic() + GRACE_S
    while True:
        kids = psutil.Process().children(recursive=True)
        threads = [t.name for t in threading.enumerate()
                   if t.ident not in threads_before and t.is_alive()
                   and t.name.startswith("corescope")]
        dirs = _temp_dirs() - dirs_before
        if not (kids or threads or dirs) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    out = [f"process {p.pid}" for p in kids] + [f"thread {t}" for t in threads]
    out += [f"dir {os.path.basename(d)}" for d in dirs]
    for p in kids:  # clean up so the next cycle starts clean
        try:
            p.kill()
            p.wait(2)
        except psutil.Error:
            pass
    return out


def _workload(phase: str, uses_processes: bool):  # noqa: ANN202 — bench script
    from engine.workload import build_workload

    if phase == "crash" and uses_processes:
        return build_workload(["crash", "sleep"], 2, {"crash.after_s": "0.05",
                                                      "sleep.seconds": "0.4"})
    if phase == "timeout":
        return build_workload(["sleep"], 4, {"seconds": "2"}, timeout_s=0.1)
    if phase == "shutdown":
        return build_workload(["sleep"], 4, {"seconds": "0.1"})
    return build_workload(["sleep"], 6, {"seconds": "0.5"})


def _wait_for(run, predicate, limit_s: float) -> None:  # noqa: ANN001 — bench script
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and not run.wait(0.005):
        run.drain_events()
        if predicate():
            return


def one_cycle(backend: str, phase: str, rng: random.Random, tally: Tally) -> None:
    from engine.backends.registry import get_backend
    from engine.records import TaskStarted, TaskStatus
    from engine.run.runner import Run, RunConfig

    procs = get_backend(backend).uses_processes
    if phase == "crash" and not procs:
        phase = "mid-task"
    run = Run(RunConfig(_workload(phase, procs), backend, workers=2)).start()
    seen_start = [False]

    def started() -> bool:
        for ev in run.drain_events():
            if isinstance(ev, TaskStarted):
                seen_start[0] = True
        return seen_start[0]

    if phase == "start-up":
        time.sleep(rng.uniform(0, 0.15))
    elif phase == "mid-task":
        _wait_for(run, started, 10)
        time.sleep(rng.uniform(0, 0.1))
    elif phase == "shutdown":
        _wait_for(run, lambda: run.done_count >= run.total - 1, 10)
    elif phase in ("crash", "timeout"):
        bad = TaskStatus.LOST if phase == "crash" else TaskStatus.TIMEOUT
        state = run._state  # noqa: SLF001 — the bench peeks at records to time its cancel

        def hit() -> bool:
            return state is not None and any(r.status is bad for r in state.records.values())

        _wait_for(run, hit, 10)
    t = time.monotonic()
    run.cancel()
    ended = run.wait(HANG_S)
    took = time.monotonic() - t
    if not ended:
        tally.hangs += 1
        tally.notes.append(f"{backend} {phase}: no end {HANG_S:g} s after cancel")
        run.abandon()
        run.wait(10)
    elif took > SLOW_S:
        tally.slow += 1
    tally.worst_s = max(tally.worst_s, took)
    tally.cycles += 1
    tally.by_phase[phase] = tally.by_phase.get(phase, 0) + 1


def main() -> int:
    from engine.backends.registry import available_backends

    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--backends", default="")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    names = [b for b in args.backends.split(",") if b] or [
        b for b in available_backends() if b != "interpreters"]
    rng = random.Random(args.seed)
    tallies: dict[str, Tally] = {}
    for backend in names:
        tally = tallies[backend] = Tally()
        t0 = time.monotonic()
        for _ in range(args.cycles):
            threads_before = {t.ident for t in threading.enumerate() if t.ident}
            dirs_before = _temp_dirs()
            one_cycle(backend, rng.choice(PHASES), rng, tally)
            left = _leftovers(threads_before, dirs_before)
            if left:
                tally.leftovers += 1
                tally.notes.append(f"{backend}: left {', '.join(left)}")
        print(f"{backend:13s} {tally.cycles} cycles in {time.monotonic() - t0:.0f} s: "
              f"{tally.hangs} hangs, {tally.slow} slow, {tally.leftovers} with leftovers, "
              f"worst cancel {tally.worst_s:.2f} s", flush=True)
    print("\n| backend | cycles | hangs (> 5 s) | slow (> 1 s) | leftovers | worst cancel |")
    print("|---|---|---|---|---|---|")
    for backend, t in tallies.items():
        print(f"| {backend} | {t.cycles} | {t.hangs} | {t.slow} | {t.leftovers} | "
              f"{t.worst_s:.2f} s |")
    for t in tallies.values():
        for note in t.notes[:10]:
            print("  " + note)
    return 1 if any(t.hangs or t.leftovers for t in tallies.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
