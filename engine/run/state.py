"""The bookkeeping of one run in flight: the ``RunContext`` backends talk to.

Backends report from many threads at once (worker threads, pool callbacks, event pumps), and
events for one task can arrive out of order (a process's result may overtake its own "started"
event, which travels a different pipe). ``RunState`` serialises all of it under one lock and
guarantees each task exactly one final record and, in the event stream, a "started" before its
"finished".
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from engine import clock as _clock
from engine.records import (
    CpuSample,
    GilSample,
    HostCpuSample,
    TaskError,
    TaskFinished,
    TaskRecord,
    TaskStarted,
    TaskStatus,
)
from engine.workload import TaskInstance

Event = TaskStarted | TaskFinished | CpuSample | HostCpuSample | GilSample


class EventBuffer:
    """Thread-safe append; ``drain`` swaps the whole list out under the lock (O(1))."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Event] = []

    def put(self, event: Event) -> None:
        with self._lock:
            self._items.append(event)

    def drain(self) -> list[Event]:
        with self._lock:
            items, self._items = self._items, []
        return items


class RunState:
    """What a backend sees as ``ctx`` (see ``engine.backends.base.RunContext``)."""

    def __init__(self, tasks: list[TaskInstance], workers: int, start_method: str | None,
                 events: EventBuffer, clock: _clock.Clock = _clock.now,
                 scheduler: str | None = None, warm: bool = False) -> None:
        self.cancel = threading.Event()
        self.warm = warm
        #: Set by ``ready`` in a warm run: (when the clock started, workers that ran an empty
        #: task, when the last of them began it).
        self.warmed: tuple[float, int, float | None] | None = None
        self.scheduler = scheduler
        self.all_done = threading.Event()  # every task has its final record
        self.workers = workers
        self.start_method = start_method
        #: True once a task was given up on while its thread may still run (a timed-out or
        #: abandoned task on a thread backend): the backend must then not wait for its threads.
        self.abandoned = False
        self._events = events
        self._clock = clock
        self._lock = threading.Lock()
        self._tasks = {t.id: t for t in tasks}
        self._pending: dict[int, None] = dict.fromkeys(self._tasks)  # ordered set
        self._submitted: dict[int, float] = {}
        self._started: dict[int, TaskStarted] = {}
        self._running: dict[int, int] = {}
        self.records: dict[int, TaskRecord] = {}
        self.notes: list[str] = []
        self.host_samples: list[HostCpuSample] = []
        self.cluster: tuple[int, int] | None = None  # (worker threads, cores) of a cluster
        self.problems: list[str] = []
        if not tasks:
            self.all_done.set()

    # -- reports from backends -----------------------------------------------------------------
    def submit(self, inst: TaskInstance) -> TaskInstance:
        return inst.stamped(self.stamp(inst.id))

    def stamp(self, task_id: int) -> float:
        now = self._submitted[task_id] = self._clock()
        return now

    def started(self, event: TaskStarted) -> None:
        with self._lock:
            # A late event from a worker pipe must not reopen a task that already ended.
            if event.id not in self._pending or event.id in self._started:
                return
            self._started[event.id] = event
            self._running[event.id] = event.worker.pid
        self._events.put(event)

    def finished(self, record: TaskRecord) -> bool:
        """Record a task's end; False if it already had one (the first report wins)."""
        with self._lock:
            if record.id not in self._pending:
                return False
            del self._pending[record.id]
            self._running.pop(record.id, None)
            synth = None
            if record.id not in self._started and record.started is not None and record.worker:
                # The result overtook its own "started" event (they travel different pipes).
                synth = TaskStarted(record.id, record.name, record.started, record.worker)
                self._started[record.id] = synth
            self.records[record.id] = record
            if not self._pending:
                self.all_done.set()
        if synth is not None:
            self._events.put(synth)
        self._events.put(TaskFinished(record))
        return True

    def lost(self, ids: Iterable[int], reason: str) -> None:
        if self._close(ids, TaskStatus.LOST, "WorkerLost", reason):
            self._problem(reason)

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def ready(self, workers: int, last_up: float | None) -> None:
        if self.warm and self.warmed is None:
            self.warmed = (self._clock(), workers, last_up)

    def use_cluster(self, workers: int, cores: int) -> None:
        self.cluster = (max(1, workers), max(1, cores))

    def host_cpu(self, sample: HostCpuSample) -> None:
        with self._lock:
            self.host_samples.append(sample)
        self._events.put(sample)

    # -- questions from backends ---------------------------------------------------------------
    def pending_ids(self) -> list[int]:
        with self._lock:
            return list(self._pending)

    def remaining(self) -> int:
        return len(self._pending)

    def running(self) -> dict[int, int]:
        with self._lock:
            return dict(self._running)

    # -- the runner's side ---------------------------------------------------------------------
    def _problem(self, text: str) -> None:
        with self._lock:
            if text not in self.problems:
                self.problems.append(text)

    def _close(self, ids: Iterable[int], status: TaskStatus, err_type: str,
               reason: str) -> list[int]:
        now = self._clock()
        closed = []
        for task_id in list(ids):
            inst = self._tasks[task_id]
            ev = self._started.get(task_id)
            if self.finished(TaskRecord(
                    task_id, inst.name, self._submitted.get(task_id, now),
                    ev.started if ev else None, now if ev else None, ev.worker if ev else None,
                    0.0, status, error=TaskError(err_type, reason))):
                closed.append(task_id)
        return closed

    def drop_queued(self) -> None:
        """Cancel every task that has not started (a worker picking one up now will see the
        cancel flag at once)."""
        with self._lock:
            queued = [i for i in self._pending if i not in self._started]
        self._close(queued, TaskStatus.CANCELLED, "Cancelled", "the run was cancelled")

    def running_since(self) -> dict[int, tuple[float, int]]:
        """Task id -> (start time, worker pid) of every running task."""
        with self._lock:
            return {i: (self._started[i].started, pid) for i, pid in self._running.items()}

    def give_up(self, ids: Iterable[int], status: TaskStatus, err_type: str,
                reason: str, in_process: bool) -> list[int]:
        """End tasks that are still running; their threads, if in-process, run on unseen."""
        closed = self._close(ids, status, err_type, reason)
        if closed and in_process:
            self.abandoned = True
        return closed

    def close_remaining(self, cancelled: bool) -> None:
        if cancelled:
            self._close(self.pending_ids(), TaskStatus.CANCELLED, "Cancelled",
                        "the run was cancelled")
        elif self._pending:
            reason = "the backend ended without reporting this task"
            self._close(self.pending_ids(), TaskStatus.LOST, "WorkerLost", reason)
            self._problem(reason)
