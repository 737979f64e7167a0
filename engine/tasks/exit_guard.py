"""Saying so when custom code calls ``os._exit``.

``os._exit`` ends the process at once: no exception, no ``finally``, no output. Custom code
that calls it — at import, or in a task on an in-process backend — would end CoreScope with
nothing on the screen and an exit code that looks like CoreScope's own. It cannot be caught,
but it can be seen coming: while custom code runs, ``os._exit`` is replaced by a wrapper that
writes one line to stderr and then exits exactly as asked.

"Running custom code" is per thread. CoreScope's own ``os._exit`` calls (the CLI leaving
abandoned threads behind, a worker's parent watch) come from threads that run no custom code
at that moment, so they pass straight through even while a task runs elsewhere. Threads the
user's code starts itself are not covered. The wrapper is installed while any thread runs
custom code (a count under a lock) and the previous function put back after the last one.
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

_lock = threading.Lock()
_users = 0
_saved = os._exit  # what the wrapper calls; what it replaced
_local = threading.local()  # .what: the custom code this thread runs now, or None


def _ends() -> str:
    mp = sys.modules.get("multiprocessing")  # looked up: a worker process imported it
    try:
        in_worker = mp is not None and mp.parent_process() is not None
    except Exception:  # noqa: BLE001 — a wording choice only
        in_worker = False
    if in_worker:
        return f"its worker process (pid {os.getpid()}) ends with it"
    return "CoreScope ends with it"


def _say(line: str) -> None:
    for stream in (sys.stdout, sys.stderr):  # what CoreScope printed so far comes first
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: BLE001, S110 — the exit must happen regardless
            pass
    try:
        if sys.stderr is None:  # a windowed app without a console
            raise OSError
        sys.stderr.write(line)
        sys.stderr.flush()
    except Exception:  # noqa: BLE001
        try:
            os.write(2, line.encode(errors="replace"))
        except OSError:
            pass


def _announcing_exit(status: int) -> NoReturn:
    what = getattr(_local, "what", None)
    if what is not None and issubclass(type(status), int):  # else os._exit refuses it itself
        shown = int.__repr__(status)  # not repr(): an int subclass's __repr__ is user code
        _say(f"corescope: custom code called os._exit({shown}) {what}; {_ends()}\n")
    _saved(status)


class CustomCode:
    """Context manager: this thread runs custom code described by ``what`` (a phrase that
    follows "called os._exit(3)", e.g. "in task f.py:f"); ``None`` makes it a no-op, so
    built-in tasks (the ``crash`` demo calls ``os._exit`` on purpose) stay silent.

    One object may be entered and left many times, not nested in itself: the asyncio backend
    enters it around each step of a coroutine, since other coroutines run on the same thread
    between steps.
    """

    __slots__ = ("what", "_outer")

    def __init__(self, what: str | None) -> None:
        self.what = what
        self._outer: str | None = None

    def __enter__(self) -> None:
        if self.what is None:
            return
        global _users, _saved
        with _lock:
            if _users == 0 and os._exit is not _announcing_exit:
                _saved = os._exit
                os._exit = _announcing_exit
            _users += 1
        self._outer = getattr(_local, "what", None)
        _local.what = self.what

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.what is None:
            return
        global _users
        _local.what = self._outer
        with _lock:
            _users -= 1
            # Custom code that replaced os._exit itself keeps its replacement.
            if _users == 0 and os._exit is _announcing_exit:
                os._exit = _saved


def custom_code(what: str | None) -> CustomCode:
    return CustomCode(what)
