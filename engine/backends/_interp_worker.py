"""What runs inside each subinterpreter of the ``interpreters`` backend.

Kept apart from ``interpreters`` (the engine side) so that a new subinterpreter imports only
the worker and the event sink: every module here is imported again, once per subinterpreter,
and a C extension that does not support subinterpreters (psutil, numpy) cannot be imported at
all. Functions here are handed to the executor by pickle, so they live at module top level.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from engine.backends._socket_events import EventSink
from engine.records import TaskRecord, TaskStarted
from engine.worker import run_task
from engine.workload import TaskInstance


@dataclass(frozen=True)
class RunFlag:
    """A cancel token every interpreter can read: the run goes on while ``path`` exists.

    Subinterpreters share no Python objects, so the engine's ``threading.Event`` cannot be
    handed in; a file can be looked at from any of them, for one ``stat`` (about 1 µs) per
    checkpoint. Absence means "stop", so a task still running after its run ended (the
    engine removed the file's folder) stops at its next checkpoint instead of running on.
    """

    path: str

    def is_set(self) -> bool:
        return not os.path.exists(self.path)


def _report_to(sink: EventSink) -> Callable[[TaskStarted | TaskRecord], None]:
    def report(item: TaskStarted | TaskRecord) -> None:
        try:
            sink.put(item)
        except Exception:  # noqa: BLE001, S110 — the record also comes back as the call's
            pass           # result: a lost live event only makes "started" arrive late
    return report


def run_in_interpreter(inst: TaskInstance, sink: EventSink, flag: RunFlag) -> TaskRecord:
    """Run one task here and send its events down this interpreter's own connection.

    Both "started" and the record go down the one connection, so this worker's events reach
    the engine in order; the record is also returned, for when the connection failed.
    """
    report = _report_to(sink)
    record = run_task(inst, report, flag)
    report(record)
    return record
