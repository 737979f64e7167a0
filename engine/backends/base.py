"""The interface every backend implements, documented once (like concurrent.futures._base).

A backend's only job is to get every ``TaskInstance`` run by ``engine.worker.run_task`` somewhere
(a thread, a process, a coroutine) and to tell the ``RunContext`` what happened. Everything else —
timing, CPU sampling, fixtures, lanes, statistics — is the runner's, so backends stay small and
their measurements comparable.

Contract:
    * call ``ctx.submit(inst)`` as each task is handed to a worker (stamps the submit time;
      ``ctx.stamp(inst.id)`` where only the time is sent);
    * report ``ctx.started``/``ctx.finished`` from any thread; both are thread-safe;
    * watch ``ctx.cancel``: when set, drop queued tasks, stop or end workers, and return;
    * tasks whose worker died are reported with ``ctx.lost(ids, reason)``;
    * ``ctx.all_done`` is set when every task has a final record — also when the runner gave up
      on one (a timeout, or the user leaving a stuck task behind): wait on it, not on threads;
    * return only when no thread or process the backend started is still running, except
      threads running tasks the runner gave up on (``ctx.abandoned``): those cannot be stopped;
    * a backend with ``warms = True``, asked for a warm run (``ctx.warm``), starts its workers
      and has each run an empty task (``engine.backends.warm``) before it submits any task,
      then calls ``ctx.ready(...)``: the run's clock (t0) starts there.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from engine.records import HostCpuSample, TaskRecord, TaskStarted
from engine.workload import TaskInstance


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str = ""


class RunContext(Protocol):
    """What a backend may use while it runs a workload."""

    cancel: threading.Event
    all_done: threading.Event  # set once every task has its final record
    workers: int
    start_method: str | None
    scheduler: str | None  # dask: connect to this cluster instead of starting one
    abandoned: bool  # a task was given up on while its thread may still run: don't join it
    warm: bool  # start every worker before the clock (only where the backend ``warms``)

    def submit(self, inst: TaskInstance) -> TaskInstance: ...

    def stamp(self, task_id: int) -> float:
        """``submit`` for a backend that sends a task by number: the submit time only."""
        ...

    def started(self, event: TaskStarted) -> None: ...

    def finished(self, record: TaskRecord) -> bool:
        """Record a task's end; False if it already had one (the first report wins)."""
        ...

    def lost(self, ids: Iterable[int], reason: str) -> None: ...

    def note(self, text: str) -> None: ...

    def ready(self, workers: int, last_up: float | None) -> None:
        """A warm run's workers are up: the clock starts now. ``workers`` of them ran an empty
        task, the last beginning it at clock reading ``last_up`` (None: none did)."""
        ...

    def use_cluster(self, workers: int, cores: int) -> None:
        """The tasks run on a cluster elsewhere, with this many worker threads and cores: the
        run's efficiency is judged against them, not against this machine."""
        ...

    def host_cpu(self, sample: HostCpuSample) -> None:
        """A cluster host's CPU, sampled on the workers there (``engine.hosts``)."""
        ...

    def drop_queued(self) -> None:
        """Mark every task that has not started as cancelled."""
        ...

    def pending_ids(self) -> list[int]:
        """Tasks without a final record yet (queued or running)."""
        ...

    def remaining(self) -> int:
        """``len(pending_ids())`` in O(1)."""
        ...

    def running(self) -> dict[int, int]:
        """Task id -> worker pid of every task that has started and not yet ended."""
        ...


class Backend(ABC):
    """One way of running tasks concurrently."""

    name: ClassVar[str]
    summary: ClassVar[str]
    #: True when workers are separate processes: ``crash`` is allowed, start methods apply.
    uses_processes: ClassVar[bool] = False
    #: False for a process backend that starts its workers its own way (joblib's loky): a
    #: start method other than spawn is then noted on the run, not used.
    takes_start_method: ClassVar[bool] = True
    #: True when the backend starts one worker per task and ignores the workers setting.
    worker_per_task: ClassVar[bool] = False
    #: True when the backend can use an existing cluster (``--scheduler``).
    accepts_scheduler: ClassVar[bool] = False
    #: True when the backend can start its workers before the clock (a warm run): a pool.
    #: Backends that start a worker per task, or none, run cold whatever is asked.
    warms: ClassVar[bool] = False
    #: Why a backend that does not warm runs cold, said in a warm run's note ("<name> …").
    cold_because: ClassVar[str] = "has no pool of workers to start"

    @classmethod
    def availability(cls) -> Availability:
        return Availability(True)

    @classmethod
    def effective_workers(cls, requested: int, n_tasks: int) -> int:
        """How many workers actually run: the figure efficiency is judged against."""
        return max(1, n_tasks if cls.worker_per_task else min(requested, n_tasks))

    @classmethod
    def prepare(cls) -> None:
        """Import heavy libraries before the run's clock starts: a one-time import (half a
        second for Dask) is not a cost of each run, and would skew a comparison's first run."""
        return None

    @classmethod
    def finish(cls) -> None:
        """Called once the run's clock has stopped, after every ``prepare``, whatever became
        of the run: stop what ``prepare`` started for it (a helper process), outside the
        measured time, as ``prepare`` started it outside."""
        return None

    @abstractmethod
    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        """Run every task; return when all have ended or the run was cancelled."""
