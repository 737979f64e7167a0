"""Running a workload on a backend: validation, the run thread, live events, the result.

    caller (CLI / GUI bridge / test)          run thread                      workers
    ────────────────────────────────          ──────────                      ───────
    Run(config).start() ───────────────────►  fixtures, CpuMonitor, t0
                                              backend.run(tasks, state) ───►  run_task(...)
    drain_events() ◄── EventBuffer ◄───────── state.started / finished ◄───  (threads, pumps)
                       (one lock, swapped     CpuMonitor thread ──► CpuSample
                        out whole per drain)
    cancel() ──────────────────────────────►  state.cancel (Event) ───────►  checkpoint() / kill
    result() ◄──────────────────────────────  RunResult (immutable)

Callers never receive one callback per event: they drain the buffer when it suits them (the
GUI at 30–60 Hz on its own thread), so the workers never wait for a consumer.
"""

from __future__ import annotations

import contextlib
import pickle
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace

from engine import clock as _clock
from engine.backends._child import process_run_ended, process_run_started, valid_start_methods
from engine.backends.base import Backend
from engine.backends.registry import get_backend
from engine.fixtures import open_fixtures
from engine.machine import machine_info, usable_cores
from engine.monitor import CpuMonitor
from engine.records import CpuSample, TaskError, TaskFinished, TaskRecord, TaskStarted, TaskStatus
from engine.result import RunResult
from engine.workload import TaskInstance, Workload

Event = TaskStarted | TaskFinished | CpuSample

# Beyond these, a run thrashes the machine rather than demonstrating anything.
MAX_THREADS = 1024
MAX_PROCESSES_PER_CORE = 16


class ConfigError(ValueError):
    """A run that cannot start as configured; the message is one line meant for the user."""


@dataclass(frozen=True)
class RunConfig:
    workload: Workload
    backend: str
    workers: int | None = None  # None: the CPUs this process may use
    start_method: str | None = None  # process backends only; None: the safe default
    sample_interval_s: float = 0.1
    baseline_wall_s: float | None = None


def check_config(config: RunConfig) -> type[Backend]:
    """Refuse a run that cannot work, before anything starts. Returns the backend class."""
    try:
        backend = get_backend(config.backend)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    avail = backend.availability()
    if not avail.ok:
        raise ConfigError(f"backend {backend.name!r} is unavailable: {avail.reason}")
    wl = config.workload
    if wl.process_only and not backend.uses_processes:
        raise ConfigError(
            f"task {wl.process_only[0]!r} kills its worker process; on the in-process backend "
            f"{backend.name!r} it would kill CoreScope itself (use processes, process-pool "
            "or mp-pool)")
    cores = usable_cores()
    limit = MAX_PROCESSES_PER_CORE * cores if backend.uses_processes else MAX_THREADS
    workers = backend.effective_workers(config.workers or cores, wl.n_tasks)
    what = "processes" if backend.uses_processes else "threads"
    if config.workers is not None and not 1 <= config.workers <= limit:
        raise ConfigError(f"workers {config.workers} is out of range 1..{limit} for "
                          f"{backend.name} ({what})")
    if workers > limit:
        raise ConfigError(f"{backend.name} starts one worker per task: {wl.n_tasks} tasks "
                          f"would start {wl.n_tasks} {what} (limit {limit})")
    if config.start_method is not None:
        if not backend.uses_processes:
            raise ConfigError(f"--start-method applies to process backends only, "
                              f"not {backend.name!r}")
        valid = valid_start_methods()
        if config.start_method not in valid:
            raise ConfigError(f"unknown start method {config.start_method!r} "
                              f"(valid here: {', '.join(valid)})")
    if not 0.01 <= config.sample_interval_s <= 10:
        raise ConfigError(f"sample interval {config.sample_interval_s} s is out of range "
                          "0.01..10")
    if backend.uses_processes:
        for item in wl.items:
            if item.spec.builtin:
                continue
            if item.spec.name.split(":")[0] == "__main__":
                raise ConfigError(f"{item.spec.name}: functions in __main__ cannot be found by a "
                                  "worker process; put it in a module or a .py file")
            try:
                pickle.dumps(dict(item.params))
            except Exception as exc:
                raise ConfigError(f"{item.spec.name}: parameters cannot be sent to a worker "
                                  f"process ({type(exc).__name__}: {exc})") from None
    return backend


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


class _RunState:
    """The ``RunContext`` a backend sees; keeps records and orders events per task."""

    def __init__(self, tasks: list[TaskInstance], workers: int, start_method: str | None,
                 events: EventBuffer, clock: _clock.Clock) -> None:
        self.cancel = threading.Event()
        self.workers = workers
        self.start_method = start_method
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
        self.problems: list[str] = []

    # -- RunContext ------------------------------------------------------------------------
    def submit(self, inst: TaskInstance) -> TaskInstance:
        stamped = replace(inst, submitted=self._clock())
        self._submitted[inst.id] = stamped.submitted
        return stamped

    def started(self, event: TaskStarted) -> None:
        with self._lock:
            # A late event from a worker pipe must not reopen a task that already ended.
            if event.id not in self._pending or event.id in self._started:
                return
            self._started[event.id] = event
            self._running[event.id] = event.worker.pid
        self._events.put(event)

    def finished(self, record: TaskRecord) -> None:
        with self._lock:
            if record.id not in self._pending:
                return
            del self._pending[record.id]
            self._running.pop(record.id, None)
            synth = None
            if record.id not in self._started and record.started is not None and record.worker:
                # The result overtook its own "started" event (they travel different pipes).
                synth = TaskStarted(record.id, record.name, record.started, record.worker)
                self._started[record.id] = synth
            self.records[record.id] = record
        if synth is not None:
            self._events.put(synth)
        self._events.put(TaskFinished(record))

    def lost(self, ids: Iterable[int], reason: str) -> None:
        self._close(ids, TaskStatus.LOST, "WorkerLost", reason)
        with self._lock:
            if reason not in self.problems:
                self.problems.append(reason)

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def pending_ids(self) -> list[int]:
        with self._lock:
            return list(self._pending)

    def remaining(self) -> int:
        return len(self._pending)

    def running(self) -> dict[int, int]:
        with self._lock:
            return dict(self._running)

    # -- runner side -------------------------------------------------------------------------
    def _close(self, ids: Iterable[int], status: TaskStatus, err_type: str, reason: str) -> None:
        now = self._clock()
        for task_id in list(ids):
            inst = self._tasks[task_id]
            ev = self._started.get(task_id)
            self.finished(TaskRecord(
                task_id, inst.name, self._submitted.get(task_id, now),
                ev.started if ev else None, now if ev else None, ev.worker if ev else None,
                0.0, status, error=TaskError(err_type, reason)))

    def close_remaining(self, cancelled: bool) -> None:
        if cancelled:
            self._close(self.pending_ids(), TaskStatus.CANCELLED, "Cancelled",
                        "the run was cancelled")
        elif self._pending:
            reason = "the backend ended without reporting this task"
            self._close(self.pending_ids(), TaskStatus.LOST, "WorkerLost", reason)
            self.problems.append(reason)


class Run:
    """One run of a workload on a backend, in a thread of its own.

    Example:
        run = Run(RunConfig(build_workload(["primes"]), "process-pool")).start()
        while not run.wait(0.1):
            show(run.drain_events())
        result = run.result()
    """

    def __init__(self, config: RunConfig, clock: _clock.Clock = _clock.now) -> None:
        self.config = config
        self.backend_class = check_config(config)
        self.backend = self.backend_class()
        self._clock = clock
        self._events = EventBuffer()
        cores = usable_cores()
        n = config.workload.n_tasks
        self.workers = self.backend.effective_workers(config.workers or cores, n)
        self.requested_workers = config.workers or cores
        self.start_method = config.start_method
        if self.backend_class.uses_processes and self.start_method is None:
            from engine.backends._child import default_start_method

            self.start_method = default_start_method()
        self._state: _RunState | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._result: RunResult | None = None
        self._thread: threading.Thread | None = None
        self.total = n

    # -- public API --------------------------------------------------------------------------
    def start(self) -> Run:
        self._thread = threading.Thread(target=self._main, name="corescope-run", daemon=True)
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the run to stop: pending tasks dropped, workers ended. Returns at once."""
        self._cancel.set()
        if self._state is not None:
            self._state.cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def drain_events(self) -> list[Event]:
        return self._events.drain()

    @property
    def done_count(self) -> int:
        state = self._state
        return 0 if state is None else self.total - state.remaining()

    def result(self, timeout: float | None = None) -> RunResult:
        if not self._done.wait(timeout):
            raise TimeoutError("run still in progress")
        assert self._result is not None
        return self._result

    # -- the run thread ------------------------------------------------------------------------
    def _main(self) -> None:
        cfg = self.config
        machine = machine_info()
        problems: list[str] = []
        with contextlib.ExitStack() as stack:
            try:
                tasks = cfg.workload.instances(open_fixtures(stack, cfg.workload.fixtures))
            except OSError as exc:
                tasks = cfg.workload.instances({k: "" for k in cfg.workload.fixtures})
                problems.append(f"could not prepare the run: {exc}")
            state = _RunState(tasks, self.workers, self.start_method, self._events, self._clock)
            self._state = state
            if self._cancel.is_set():
                state.cancel.set()
            monitor = CpuMonitor(cfg.sample_interval_s, self._events.put, clock=self._clock)
            monitor.start()
            if self.backend_class.uses_processes:
                process_run_started()
            t0 = self._clock()
            try:
                if not problems:
                    self.backend.run(tasks, state)
            except BaseException as exc:  # noqa: BLE001 — a backend bug must still end the run
                # with a result; the caller is waiting for one.
                problems.append(f"backend {self.backend.name} failed: "
                                f"{type(exc).__name__}: {exc}")
            t_end = self._clock()
            if self.backend_class.uses_processes:
                process_run_ended()
            monitor.stop()
            state.close_remaining(cancelled=state.cancel.is_set())
        self._result = RunResult(
            backend=self.backend.name, workload=cfg.workload.as_dict(),
            workload_label=cfg.workload.label(), requested_workers=self.requested_workers,
            workers=self.workers, start_method=self.start_method, t0=t0, t_end=t_end,
            records=tuple(state.records[t.id] for t in tasks),
            samples=tuple(monitor.samples()), sample_interval_s=cfg.sample_interval_s,
            machine=machine, notes=tuple(state.notes), problems=tuple(state.problems + problems),
            cancelled=state.cancel.is_set(), baseline_wall_s=cfg.baseline_wall_s)
        self._done.set()


def execute(config: RunConfig) -> RunResult:
    """Run to the end in a background thread and return the result (blocking)."""
    return Run(config).start().result()
