"""What a running task can ask of the engine: "should I stop?" and "which instance am I?".

The worker wrapper (``engine.worker``) installs a context in the thread that runs a task; the
built-in tasks call ``checkpoint()`` between small chunks of work. That is how a run on a thread
backend stops within a second: Python cannot kill a thread, but it can ask it to return.
In worker processes the token is never set because cancel ends the process instead.
"""

from __future__ import annotations

import threading

from engine import clock

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    class CancelToken(Protocol):
        """What a task's cancel flag offers (a threading.Event, or the engine's own)."""

        def is_set(self) -> bool: ...


class TaskCancelled(Exception):
    """Raised by ``checkpoint()`` when the run was cancelled."""


class TaskTimedOut(Exception):
    """Raised by ``checkpoint()`` when the task ran past its deadline."""


class TaskContext:
    """What ``checkpoint()`` and ``current()`` know of the task this thread runs."""

    __slots__ = ("task_id", "index", "cancel", "deadline")

    def __init__(self, task_id: int, index: int, cancel: CancelToken | None = None,
                 deadline: float | None = None) -> None:
        self.task_id = task_id
        self.index = index  # position among the instances of the same task name (0-based)
        self.cancel = cancel
        self.deadline = deadline  # on engine.clock


_local = threading.local()


def current() -> TaskContext | None:
    return getattr(_local, "ctx", None)


def install(ctx: TaskContext | None) -> None:
    _local.ctx = ctx


def checkpoint() -> None:
    """Raise if the run was cancelled or this task's time is up; otherwise return at once."""
    ctx = current()
    if ctx is None:
        return
    if ctx.cancel is not None and ctx.cancel.is_set():
        raise TaskCancelled("run cancelled")
    if ctx.deadline is not None and clock.now() > ctx.deadline:
        raise TaskTimedOut("task ran past its timeout")
