"""How a task's two events travel from a worker process to the engine: as plain tuples.

Pickling a frozen dataclass writes its class path and a dict of field names, and unpickling
rebuilds it through ``copyreg``: about 15 µs for a ``TaskRecord`` each way, against 5 µs for the
same values as a tuple and a direct constructor call. At two events per task that was one of
the engine's largest costs on 1 ms tasks (docs/benchmarks.md), paid on a 2-core machine out of
the workers' own CPU. The tuples hold only built-in types (str, int, float, None), so reading one
imports no class and runs no ``__setstate__``.

Every path that carries events between processes (``engine.backends._socket_events``, Dask's
event topic) goes through ``encode``/``decode``; the records themselves stay
``engine.values.frozen`` records.
"""

from __future__ import annotations

import pickle

from engine.records import (
    TaskError,
    TaskRecord,
    TaskStarted,
    TaskStatus,
    WorkerId,
    shared_worker,
)

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["decode", "encode", "pack", "unpack"]

_STARTED, _RECORD = 0, 1
_STATUS = {s.value: s for s in TaskStatus}


def _worker(who: WorkerId | None) -> tuple[int, int, str, str] | None:
    return None if who is None else (who.pid, who.tid, who.label, who.host)


def pack(item: TaskStarted | TaskRecord) -> tuple[Any, ...]:
    """One event as a tuple of built-ins: what ``encode`` pickles, and what a pool that
    pickles its results anyway (``process-pool``) carries as it is."""
    if type(item) is TaskStarted:
        return (_STARTED, item.id, item.name, item.started, _worker(item.worker))
    assert type(item) is TaskRecord, f"not an event: {type(item).__name__}"
    err = item.error
    return (_RECORD, item.id, item.name, item.submitted, item.started, item.finished,
            _worker(item.worker), item.cpu_s, item.status.value, item.result,
            None if err is None else (err.type, err.message, err.traceback), item.mode)


def unpack(msg: tuple[Any, ...]) -> TaskStarted | TaskRecord:
    """The event ``pack`` made; raises (ValueError, KeyError, TypeError, IndexError) on a
    tuple that is not one."""
    if msg[0] == _STARTED:
        _, task_id, name, started, who = msg
        return TaskStarted(task_id, name, started, shared_worker(*who))
    _, task_id, name, submitted, started, finished, who, cpu_s, status, result, err, mode = msg
    return TaskRecord(task_id, name, submitted, started, finished,
                      None if who is None else shared_worker(*who), cpu_s, _STATUS[status], result,
                      None if err is None else TaskError(*err), mode)


def encode(item: TaskStarted | TaskRecord) -> bytes:
    """One event as bytes (a pickled tuple of built-ins)."""
    return pickle.dumps(pack(item), pickle.HIGHEST_PROTOCOL)


def decode(data: bytes) -> TaskStarted | TaskRecord:
    """The event ``encode`` made; raises (ValueError, KeyError, TypeError, pickle's errors) on
    bytes that are not one, which a reader treats like a connection cut mid-message."""
    # From our own workers, over a socket only this user can reach (or an authenticated one).
    return unpack(pickle.loads(data))  # noqa: S301
