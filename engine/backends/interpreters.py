"""``interpreters``: ``concurrent.futures.InterpreterPoolExecutor`` (Python 3.14+).

Each worker is a subinterpreter with its own GIL inside this one process: pure-Python CPU work
scales like processes, without a process start. Subinterpreters share no Python objects, so a
worker cannot reach the engine's event buffer: "started" is reported when each result comes
back (the record still carries the true start time, so the timeline is exact after the fact).
"""

from __future__ import annotations

import concurrent.futures
import sys
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from engine.backends.base import Availability, Backend, RunContext
from engine.describe import type_name
from engine.records import TaskRecord, TaskStarted
from engine.worker import run_task
from engine.workload import TaskInstance


def _executor_class() -> Any:
    # Looked up by name: the class exists only on 3.14+, and the type checker targets 3.10.
    return getattr(concurrent.futures, "InterpreterPoolExecutor", None)


class InterpreterPoolBackend(Backend):
    name = "interpreters"
    summary = "concurrent.futures.InterpreterPoolExecutor (one GIL per subinterpreter)"

    @classmethod
    def availability(cls) -> Availability:
        if sys.version_info < (3, 14):
            return Availability(False, "needs Python 3.14+ (InterpreterPoolExecutor); "
                                       f"this is {sys.version.split()[0]}")
        if _executor_class() is None:  # a build without subinterpreter support
            return Availability(False, "this Python build has no InterpreterPoolExecutor")
        return Availability(True)

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        ctx.note("subinterpreters cannot stream live events: 'started' arrives with each result")
        pool: Any = _executor_class()(ctx.workers)
        try:
            ids: dict[Future[TaskRecord], int] = {
                pool.submit(run_task, ctx.submit(inst)): inst.id for inst in tasks
            }
            futures = set(ids)
            while futures and not ctx.cancel.is_set():
                done, futures = wait(futures, timeout=0.05, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        record = fut.result()
                    except BaseException as exc:  # noqa: BLE001 — run_task never raises for
                        # what a task does; if recording itself failed, the task still ends
                        ctx.lost([ids[fut]], f"CoreScope could not record this task "
                                             f"({type_name(exc)})")
                        continue
                    assert record.worker is not None and record.started is not None
                    ctx.started(TaskStarted(record.id, record.name, record.started,
                                            record.worker))
                    ctx.finished(record)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
