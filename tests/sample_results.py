"""Small, deterministic finished runs for session tests: no process is started to make them."""

from __future__ import annotations

import json

from engine.figures.result import RunResult
from engine.files.export import document
from engine.records import CpuSample, MachineInfo, TaskRecord, TaskStatus, WorkerId

MACHINE = MachineInfo(logical_cores=2, physical_cores=2, usable_cores=2, python="3.11.7",
                      implementation="CPython", platform="Linux", free_threaded_build=False,
                      gil_enabled=True)


def result(backend: str = "thread-pool", pids: tuple[int, ...] = (4100,),
           tids: tuple[int, ...] = (4101, 4102), tasks: int = 4, wall_s: float = 0.45,
           in_processes: bool = False) -> RunResult:
    """Tasks of 0.1 s on two workers; CPU samples every 0.1 s that name the workers the way
    the monitor does (child pids for a process backend, engine thread ids otherwise)."""
    n = max(len(pids), len(tids))  # workers, each running its tasks one after another
    workers = [WorkerId(pids[i % len(pids)], tids[i % len(tids)],
                        f"pid {pids[i % len(pids)]} · thread {tids[i % len(tids)]}")
               for i in range(n)]
    records = tuple(TaskRecord(i, "sleep", 0.0, 0.01 + 0.1 * (i // n), 0.11 + 0.1 * (i // n),
                               workers[i % n], 0.002, TaskStatus.OK, result="0.1")
                    for i in range(tasks))
    samples = tuple(CpuSample(0.1 * k, (12.0, 4.0),
                              {p: 1.0 for p in pids} if in_processes else {},
                              {} if in_processes else {t: 1.0 for t in tids})
                    for k in range(1, 5))
    workload = {"tasks": [{"name": "sleep", "params": {"seconds": 0.1}, "count": tasks}],
                "timeout_s": None}
    return RunResult(backend, workload, f"{tasks} × sleep(seconds=0.1)", n, n, None, 0.0,
                     wall_s, records, samples, 0.1, MACHINE)


def comparison() -> list[RunResult]:
    """A sequential run and a thread-pool run of the same four tasks."""
    return [result("sequential", tids=(4101,), wall_s=0.9), result("thread-pool")]


def compare_document() -> dict:
    """A comparison as its session file holds it (a fresh copy every call)."""
    return json.loads(json.dumps(document(comparison(), MACHINE, "compare")))
