"""The signals that stop a headless run: SIGINT (Ctrl-C), SIGTERM, SIGHUP — counted, not raised.

``timeout``, a CI cancel and a service manager send SIGTERM; a terminal sends SIGINT to its
whole foreground process group on Ctrl-C and SIGHUP when it closes. All three mean "stop": the
CLI cancels the run, writes what it measured and exits 128 + the signal's number.

While a command runs, the handler only appends the signal to a list and the CLI's main loop
polls it (every 0.1 s). A handler that raised (Python's default for SIGINT) could land
half-way through starting a worker or renaming a finished output into place; one that took a
lock could deadlock with the code it interrupted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from engine.cli.exit_codes import SIGNAL_BASE

STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, n))
_WORDS = {"SIGINT": "interrupted (Ctrl-C)", "SIGTERM": "terminated (SIGTERM)",
          "SIGHUP": "hung up (SIGHUP: the terminal closed)"}

_PREVIOUS: list[dict[int, Any]] = []  # the handlers each StopSignals replaced, innermost last


def _defaults_in_forked_child() -> None:
    # A worker forked (start method "fork") during a command would inherit the counting
    # handler and count SIGTERM instead of dying of it — and pools end their workers with
    # SIGTERM. It gets Python's own defaults, as a spawned worker has.
    if _PREVIOUS:
        _PREVIOUS.clear()
        for sig in STOP_SIGNALS:
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT
                              else signal.SIG_DFL)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_defaults_in_forked_child)


@dataclass
class StopSignals:
    """Counts stop signals while in a ``with`` block; the previous handlers come back after.

    Outside the main thread (a caller running the CLI in a thread) nothing is installed:
    Python delivers signals to the main thread only.
    """

    received: list[int] = field(default_factory=list)
    installed: bool = False
    #: Called by the first signal itself, not at the next poll: a group SIGTERM (``timeout``)
    #: also reaches the workers, and a run cancelled first records the tasks their death
    #: interrupts as cancelled, not lost. Must not take a lock the main thread may hold
    #: (``Run.cancel`` only sets events nobody holds while a run is polled).
    on_first: Callable[[], None] | None = None

    def _count(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if len(self.received) == 1 and self.on_first is not None:
            try:
                self.on_first()
            except Exception:  # noqa: BLE001 — the poll cancels anyway
                pass

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            _PREVIOUS.append({sig: signal.signal(sig, self._count) for sig in STOP_SIGNALS})
            self.installed = True
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.installed and _PREVIOUS:
            for sig, handler in _PREVIOUS.pop().items():
                signal.signal(sig, signal.SIG_DFL if handler is None else handler)
            self.installed = False

    @property
    def count(self) -> int:
        return len(self.received)

    def exit_code(self) -> int | None:
        """128 + the first signal's number, or None when none came."""
        return SIGNAL_BASE + self.received[0] if self.received else None


def signal_line(signum: int, cancelled: bool) -> str:
    """The one line on stderr for a run a signal stopped."""
    try:
        what = _WORDS.get(signal.Signals(signum).name, f"signal {signum}")
    except ValueError:
        what = f"signal {signum}"
    return f"corescope: {what}" + ("; the run was cancelled" if cancelled else "") + "\n"
