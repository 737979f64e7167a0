"""The code that runs around every task, in whichever thread or process the backend chose.

It reads the shared clock and the thread's own CPU clock around the call, reports "started"
the moment it begins, and turns whatever happens (a value, an exception, a cancel, a timeout)
into a ``TaskRecord``. Backends differ only in *where* they call ``run_task``; what is measured
is identical, which is what makes their timelines comparable.

A custom function may be a coroutine function or a generator function: its call only makes a
coroutine or a generator, and the work happens when that is run, so ``run_task`` runs it (see
``_run_to_end``) instead of taking the object for the result. Turning the outcome into text
calls user code (``__str__``, ``__repr__``) only through ``engine.describe``'s guards: a
record is always written, and it holds plain strings only.

This module is imported by every worker process, so it stays light: no psutil, no numpy, and
asyncio only once a coroutine has to be run.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import types
from collections.abc import Callable, Coroutine, Generator

from engine import clock
from engine.describe import RESULT_CHARS, clip, describe_error, summarize
from engine.records import (
    TaskRecord,
    TaskStarted,
    TaskStatus,
    WorkerId,
    default_lane,
    shared_worker,
)
from engine.tasks import context
from engine.tasks.custom import async_generator_refusal
from engine.tasks.exit_guard import CustomCode, custom_code
from engine.tasks.registry import resolve_coroutine, resolve_function
from engine.workload import TaskInstance

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["run_task", "run_task_async", "summarize", "worker_id"]

Report = Callable[[TaskStarted], None]

# How often a coroutine run with asyncio.run in a worker looks at the cancel flag and the
# deadline: built-in tasks stop within one chunk (a few ms); 50 ms keeps the cancel well
# under the 1 s target at no measurable cost.
_COROUTINE_POLL_S = 0.05


# Classes are tested with issubclass(type(exc), ...), not isinstance(): isinstance falls back
# on the object's __class__, which a user's exception may make a property that raises.
def _is_cancel(exc: BaseException) -> bool:
    # asyncio is looked up, not imported: if it was never imported, the exception is not its
    # own, and importing it would add ~40 ms to every spawned worker's start.
    aio = sys.modules.get("asyncio")
    kind = type(exc)
    return issubclass(kind, context.TaskCancelled) or (
        aio is not None and issubclass(kind, aio.CancelledError))


def _is_timeout(exc: BaseException) -> bool:
    aio = sys.modules.get("asyncio")  # asyncio.TimeoutError is the builtin only from 3.11
    kind = type(exc)
    return issubclass(kind, (context.TaskTimedOut, TimeoutError)) or (
        aio is not None and issubclass(kind, aio.TimeoutError))


_thread_owned: list[threading.local] = []


def thread_owned() -> threading.local:
    """A ``threading.local`` that a forked child starts empty: the child is another process,
    and its one thread another thread, whatever the forking thread had kept."""
    local = threading.local()
    _thread_owned.append(local)
    return local


def _forget_thread_owned() -> None:
    for local in _thread_owned:
        local.__dict__.clear()  # the child's one thread: the only values left to forget


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_thread_owned)

_here = thread_owned()  # .who: this thread's WorkerId with the default lane, once known


def worker_id(lane: str = "", host: str = "") -> WorkerId:
    """The calling thread's ``WorkerId``. The usual one (no lane, this machine) is kept per
    thread: a worker asks for it at every task, and a thread-local look-up is cheaper than two
    system calls (pid, thread id) and a dict look-up on a tuple of four."""
    usual = not lane and not host
    if usual and (kept := getattr(_here, "who", None)) is not None:
        return kept  # type: ignore[no-any-return]
    pid, tid = os.getpid(), threading.get_native_id()
    who = shared_worker(pid, tid, lane or default_lane(pid, tid), host)
    if usual:
        _here.who = who
    return who


def _ended(inst: TaskInstance, started: float, who: WorkerId, cpu_s: float,
           result: str = "", exc: BaseException | None = None, mode: str = "") -> TaskRecord:
    """The record of a task that returned (``result``: its summary) or raised ``exc``.

    Never raises: ``describe_error`` guards every call into the exception's own code.
    """
    finished = clock.now()
    if exc is None:
        return TaskRecord(inst.id, inst.name, inst.submitted, started, finished, who, cpu_s,
                          TaskStatus.OK, result, mode=mode)
    if _is_cancel(exc):
        status = TaskStatus.CANCELLED
    elif _is_timeout(exc) and inst.timeout_s is not None:
        status = TaskStatus.TIMEOUT
    else:
        status = TaskStatus.ERROR
    return TaskRecord(inst.id, inst.name, inst.submitted, started, finished, who, cpu_s,
                      status, error=describe_error(exc), mode=mode)


_BUILT_IN = custom_code(None)  # does nothing, so one serves every thread


def _watch(inst: TaskInstance) -> CustomCode:
    # Built-in tasks are CoreScope's own: the crash demo's os._exit is meant to be silent.
    return _BUILT_IN if inst.ref.custom is None else custom_code(f"in task {inst.name}")


def _joined(mode: str, how: str) -> str:
    return f"{mode} · {how}" if mode and how else mode or how


def _drain(gen: Generator[Any, Any, Any]) -> str:
    """Run a generator to its end, one item at a time; return the summary of what it did.

    Why drain rather than refuse: a generator function's body *is* its work (a producer, or a
    loop that yields its progress), and what anyone would expect is what ``for item in f():``
    does. Taking items one at a time gives the cancel and timeout checks between them, like
    the built-in tasks' checkpoints, and keeps only the last item, never the whole stream.
    """
    count, last, returned = 0, None, None
    try:
        while True:
            try:
                last = next(gen)
            except StopIteration as stop:
                returned = stop.value
                break
            count += 1
            context.checkpoint()
    except BaseException:
        try:
            gen.close()  # the user's finally blocks run now, not at garbage collection
        except BaseException:  # noqa: BLE001, S110 — the first failure is the one to report
            pass
        raise
    items = f"yielded {count:,} item{'' if count == 1 else 's'}"
    if returned is not None:
        return clip(f"{items}, returned {summarize(returned)}", RESULT_CHARS)
    return clip(f"{items}, last {summarize(last)}" if count else items, RESULT_CHARS)


def _run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to its end on an event loop of this thread's own (``asyncio.run``),
    stopping it at a cancel or the task's deadline as the built-in tasks stop."""
    import asyncio  # only here: a worker that never runs a coroutine does not pay ~40 ms

    async def supervised() -> Any:
        task = asyncio.ensure_future(coro)
        try:
            while not task.done():
                await asyncio.wait((task,), timeout=_COROUTINE_POLL_S)
                if not task.done():
                    context.checkpoint()  # raises TaskCancelled / TaskTimedOut
        except BaseException:
            task.cancel()
            await asyncio.wait((task,))  # code that ignores the cancel is waited for, as on
            if not task.cancelled():     # a thread; its own failure is not the one reported
                task.exception()
            raise
        return task.result()

    return asyncio.run(supervised())


def _run_to_end(value: Any, name: str) -> tuple[str, str]:
    """What a call returned, run to its end: (summary of the result, how it was run)."""
    kind = type(value)
    if kind is types.CoroutineType:
        return summarize(_run_coroutine(value)), "asyncio.run"
    if kind is types.GeneratorType:
        return _drain(value), "generator"
    if kind is types.AsyncGeneratorType:
        raise TypeError(async_generator_refusal(name))
    return summarize(value), ""


def _context(inst: TaskInstance, cancel: context.CancelToken | None,
             started: float) -> context.TaskContext:
    deadline = started + inst.timeout_s if inst.timeout_s is not None else None
    return context.TaskContext(inst.id, inst.index, cancel, deadline)


def run_task(inst: TaskInstance, report: Report | None = None,
             cancel: context.CancelToken | None = None, lane: str = "",
             mode: str = "", host: str = "") -> TaskRecord:
    """Run one task instance in the calling thread and record what happened.

    Never raises for anything the task does (KeyboardInterrupt and SystemExit from user code
    included: they would otherwise take a worker thread or the app down silently), nor for
    anything its result or exception does when shown. ``host``: the machine's name, for a
    worker on a cluster.
    """
    who = worker_id(lane, host)
    started = clock.now()
    if report is not None:
        report(TaskStarted(inst.id, inst.name, started, who))
    context.install(_context(inst, cancel, started))
    cpu0 = time.thread_time()
    try:
        with _watch(inst):  # also while the outcome is shown: __str__ and __repr__ are user code
            try:
                if cancel is not None and cancel.is_set():
                    raise context.TaskCancelled("run cancelled before the task started")
                result, how = _run_to_end(resolve_function(inst.ref)(**inst.params), inst.name)
            except BaseException as exc:  # noqa: BLE001 — recorded, see docstring
                return _ended(inst, started, who, time.thread_time() - cpu0, exc=exc, mode=mode)
    finally:
        context.install(None)
    return _ended(inst, started, who, time.thread_time() - cpu0, result, mode=_joined(mode, how))


class _CpuTimed:
    """Awaitable that drives a coroutine and sums the loop thread's CPU time of its own steps.

    Timing ``thread_time()`` around the whole ``await`` would also count every other coroutine
    that ran on the loop meanwhile; summing per step charges each task only for itself. Each
    step runs inside ``watch``, which must be per step for the same reason.
    """

    def __init__(self, coro: Coroutine[Any, Any, Any], watch: CustomCode) -> None:
        self.coro = coro
        self.watch = watch
        self.cpu_s = 0.0

    def __await__(self) -> Any:
        send: Any = None
        throw: BaseException | None = None
        while True:
            t0 = time.thread_time()
            try:
                with self.watch:
                    step = self.coro.throw(throw) if throw is not None else self.coro.send(send)
            except StopIteration as stop:
                self.cpu_s += time.thread_time() - t0
                return stop.value
            self.cpu_s += time.thread_time() - t0
            try:
                send, throw = (yield step), None
            except GeneratorExit:
                with self.watch:
                    self.coro.close()
                raise
            except BaseException as exc:  # cancellation and the like go into the coroutine
                send, throw = None, exc


async def run_task_async(inst: TaskInstance, report: Report | None = None,
                         lane: str = "") -> TaskRecord:
    """Run an instance's native coroutine form on the current event loop: a built-in's
    coroutine twin, or a custom ``async def`` itself."""
    make = resolve_coroutine(inst.ref)
    assert make is not None, f"{inst.name} has no coroutine form"
    who = worker_id(lane)
    started = clock.now()
    if report is not None:
        report(TaskStarted(inst.id, inst.name, started, who))
    watch = _watch(inst)
    timed: _CpuTimed | None = None
    how = "coroutine"
    try:
        with watch:
            made = make(**inst.params)
        if type(made) is types.CoroutineType:
            timed = _CpuTimed(made, watch)
            if inst.timeout_s is None:
                value = await timed
            else:
                import asyncio

                value = await asyncio.wait_for(timed, inst.timeout_s)
            with watch:
                result = summarize(value)
        else:  # a function that only looked like a coroutine function
            with watch:
                result, how = _run_to_end(made, inst.name)
    except BaseException as exc:  # noqa: BLE001 — recorded
        with watch:
            return _ended(inst, started, who, timed.cpu_s if timed else 0.0, exc=exc,
                          mode="coroutine")
    return _ended(inst, started, who, timed.cpu_s if timed else 0.0, result, mode=how)
