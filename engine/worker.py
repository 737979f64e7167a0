"""The code that runs around every task, in whichever thread or process the backend chose.

It reads the shared clock and the thread's own CPU clock around the call, reports "started"
the moment it begins, and turns whatever happens (a value, an exception, a cancel, a timeout)
into a ``TaskRecord``. Backends differ only in *where* they call ``run_task``; what is measured
is identical, which is what makes their timelines comparable.

This module is imported by every worker process, so it stays light: no psutil, no numpy.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

from engine import clock
from engine.records import TaskError, TaskRecord, TaskStarted, TaskStatus, WorkerId
from engine.tasks import context
from engine.tasks.registry import resolve_coroutine, resolve_function
from engine.workload import TaskInstance

Report = Callable[[TaskStarted], None]

_RESULT_CHARS = 80


def _is_cancel(exc: BaseException) -> bool:
    # asyncio is looked up, not imported: if it was never imported, the exception is not its
    # own, and importing it would add ~40 ms to every spawned worker's start.
    aio = sys.modules.get("asyncio")
    return isinstance(exc, context.TaskCancelled) or (
        aio is not None and isinstance(exc, aio.CancelledError))


def _is_timeout(exc: BaseException) -> bool:
    aio = sys.modules.get("asyncio")  # asyncio.TimeoutError is the builtin only from 3.11
    return isinstance(exc, (context.TaskTimedOut, TimeoutError)) or (
        aio is not None and isinstance(exc, aio.TimeoutError))


def worker_id(lane: str = "", host: str = "") -> WorkerId:
    pid, tid = os.getpid(), threading.get_native_id()
    return WorkerId(pid, tid, lane or f"pid {pid} · thread {tid}", host)


def summarize(value: Any) -> str:
    """A short text for the record: results stay in the worker, only a summary travels back."""
    try:
        text = repr(value)
    except Exception as exc:  # a user's __repr__ may raise; the record must still be written
        text = f"<unprintable {type(value).__name__}: {exc}>"
    return text if len(text) <= _RESULT_CHARS else text[: _RESULT_CHARS - 1] + "…"


def _ended(inst: TaskInstance, started: float, who: WorkerId, cpu_s: float,
           value: Any = None, exc: BaseException | None = None, mode: str = "") -> TaskRecord:
    finished = clock.now()
    if exc is None:
        return TaskRecord(inst.id, inst.name, inst.submitted, started, finished, who, cpu_s,
                          TaskStatus.OK, summarize(value), mode=mode)
    if _is_cancel(exc):
        status = TaskStatus.CANCELLED
    elif _is_timeout(exc) and inst.timeout_s is not None:
        status = TaskStatus.TIMEOUT
    else:
        status = TaskStatus.ERROR
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    err = TaskError(type(exc).__name__, str(exc), tb)
    return TaskRecord(inst.id, inst.name, inst.submitted, started, finished, who, cpu_s,
                      status, error=err, mode=mode)


def _context(inst: TaskInstance, cancel: context.CancelToken | None,
             started: float) -> context.TaskContext:
    deadline = started + inst.timeout_s if inst.timeout_s is not None else None
    return context.TaskContext(inst.id, inst.index, cancel, deadline)


def run_task(inst: TaskInstance, report: Report | None = None,
             cancel: context.CancelToken | None = None, lane: str = "",
             mode: str = "", host: str = "") -> TaskRecord:
    """Run one task instance in the calling thread and record what happened.

    Never raises for anything the task does (KeyboardInterrupt and SystemExit from user code
    included: they would otherwise take a worker thread or the app down silently). ``host``:
    the machine's name, for a worker on a cluster.
    """
    who = worker_id(lane, host)
    started = clock.now()
    if report is not None:
        report(TaskStarted(inst.id, inst.name, started, who))
    context.install(_context(inst, cancel, started))
    cpu0 = time.thread_time()
    try:
        if cancel is not None and cancel.is_set():
            raise context.TaskCancelled("run cancelled before the task started")
        value = resolve_function(inst.ref)(**inst.params)
    except BaseException as exc:  # noqa: BLE001 — recorded, see docstring
        return _ended(inst, started, who, time.thread_time() - cpu0, exc=exc, mode=mode)
    finally:
        context.install(None)
    return _ended(inst, started, who, time.thread_time() - cpu0, value, mode=mode)


class _CpuTimed:
    """Awaitable that drives a coroutine and sums the loop thread's CPU time of its own steps.

    Timing ``thread_time()`` around the whole ``await`` would also count every other coroutine
    that ran on the loop meanwhile; summing per step charges each task only for itself.
    """

    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.coro = coro
        self.cpu_s = 0.0

    def __await__(self) -> Any:
        send: Any = None
        throw: BaseException | None = None
        while True:
            t0 = time.thread_time()
            try:
                step = self.coro.throw(throw) if throw is not None else self.coro.send(send)
            except StopIteration as stop:
                self.cpu_s += time.thread_time() - t0
                return stop.value
            self.cpu_s += time.thread_time() - t0
            try:
                send, throw = (yield step), None
            except GeneratorExit:
                self.coro.close()
                raise
            except BaseException as exc:  # cancellation and the like go into the coroutine
                send, throw = None, exc


async def run_task_async(inst: TaskInstance, report: Report | None = None,
                         lane: str = "") -> TaskRecord:
    """Run an instance's native coroutine form on the current event loop."""
    make = resolve_coroutine(inst.ref)
    assert make is not None, f"{inst.name} has no coroutine form"
    who = worker_id(lane)
    started = clock.now()
    if report is not None:
        report(TaskStarted(inst.id, inst.name, started, who))
    timed = _CpuTimed(make(**inst.params))
    try:
        if inst.timeout_s is None:
            value = await timed
        else:
            import asyncio

            value = await asyncio.wait_for(timed, inst.timeout_s)
    except BaseException as exc:  # noqa: BLE001 — recorded
        return _ended(inst, started, who, timed.cpu_s, exc=exc, mode="coroutine")
    return _ended(inst, started, who, timed.cpu_s, value, mode="coroutine")
