"""Running a workload on a backend: the run thread, live events, the result.

(A run's settings and their validation are ``engine.run.config``'s.)

    caller (CLI / GUI bridge / test)          run thread                      workers
    ────────────────────────────────          ──────────                      ───────
    Run(config).start() ───────────────────►  fixtures, CpuMonitor, t0
                                              backend.run(tasks, state) ───►  run_task(...)
    drain_events() ◄── EventBuffer ◄───────── state.started / finished ◄───  (threads, pumps)
                       (one lock, swapped     CpuMonitor thread ──► CpuSample
                        out whole per drain)  GIL reader thread ──► GilSample (py-spy's)
    cancel() ──────────────────────────────►  state.cancel (Event) ───────►  checkpoint() / kill
    result() ◄──────────────────────────────  RunResult (immutable)

Callers never receive one callback per event: they drain the buffer when it suits them (the
GUI at 30–60 Hz on its own thread), so the workers never wait for a consumer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from engine import clock as _clock
from engine.backends._child import process_run_ended, process_run_started, signals_blocked
from engine.backends.start_methods import default_start_method
from engine.figures.result import RunResult
from engine.records import MachineInfo, TaskError, TaskRecord, TaskStatus
from engine.run.config import ConfigError, RunConfig, check_config
from engine.run.fixtures import open_fixtures
from engine.run.gil import GilSampler, wanted
from engine.run.leftovers import (
    adopt_orphans,
    descendants,
    end_task_processes,
    name_semaphores,
    sweep_dead_temp_dirs,
)
from engine.run.machine import machine_info, usable_cores
from engine.run.monitor import CpuMonitor
from engine.run.state import Event, EventBuffer, RunState

# ConfigError, RunConfig and check_config live in engine.run.config; they are named here too,
# where callers that start runs have always found them.
__all__ = ["ConfigError", "Event", "EventBuffer", "Run", "RunConfig", "check_config", "execute"]


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
            self.start_method = default_start_method()
        self._state: RunState | None = None
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._result: RunResult | None = None
        self._thread: threading.Thread | None = None
        self.total = n
        #: Set by engine/run/host.py: this process exits once the run ends, so a thread given
        #: up on ends with it instead of running on in the background.
        self.hosted = False

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

    def abandon(self) -> None:
        """After ``cancel()``: stop waiting for tasks that ignore it (custom code on a thread
        backend cannot be interrupted). They are marked cancelled and the run ends now; their
        threads run on in the background until the code returns."""
        self.cancel()
        state = self._state
        if state is not None:
            in_process = not self.backend_class.uses_processes
            why = ("left running when the run was stopped (a thread cannot be stopped from "
                   "outside); it " + ("ended with the run's host process" if self.hosted
                                      else "runs on in the background")
                   if in_process else
                   "given up on when the run was stopped (its worker process is being ended)")
            state.give_up(state.pending_ids(), TaskStatus.CANCELLED, "Cancelled", why,
                          in_process=in_process)

    @property
    def still_running(self) -> int:
        """Tasks that have started and not ended: after a cancel, what the run waits for."""
        state = self._state
        return 0 if state is None else len(state.running())

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
    def _enforce_timeouts(self, state: RunState, timeout_s: float) -> None:
        """Watchdog: end tasks that ran past the timeout and never checked for it.

        A worker process running one is killed (only while it is still our child: pids get
        reused); a thread cannot be killed, so its task is marked and the thread left to finish
        unseen.
        """
        in_process = not self.backend_class.uses_processes
        how = (("its thread ran on until the run's host process ended" if self.hosted else
                "its thread runs on in the background") + " (threads cannot be killed)"
               if in_process else "its worker process was ended")
        while not state.all_done.wait(0.05):
            now = self._clock()
            for task_id, (started, pid) in state.running_since().items():
                if now - started < timeout_s + TIMEOUT_GRACE_S:
                    continue
                if state.give_up([task_id], TaskStatus.TIMEOUT, "TimeoutError",
                                 f"ran past its {timeout_s:g} s timeout; {how}", in_process):
                    if not in_process and pid != os.getpid() and _is_our_child(pid):
                        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))

    def _main(self) -> None:
        try:
            # Every worker and helper this thread starts is born deaf to a terminal's Ctrl-C
            # and SIGHUP; the caller's thread takes them and cancels the run (_child.py).
            with signals_blocked():
                self._result = self._run_to_result()
        except BaseException as exc:  # noqa: BLE001 — the caller waits for a result: give one
            self._result = self.failed_result(exc)
        finally:
            self._done.set()

    def failed_result(self, exc: BaseException) -> RunResult:
        """A result for a run whose machinery itself failed: every task marked lost."""
        now = self._clock()
        reason = f"the run failed: {type(exc).__name__}: {exc}"
        records = tuple(
            TaskRecord(t.id, t.name, now, None, None, None, 0.0, TaskStatus.LOST,
                       error=TaskError("RunFailed", reason))
            for t in self.config.workload.instances({k: "" for k in self.config.workload.fixtures}))
        cfg = self.config
        return RunResult(
            backend=self.backend.name, workload=cfg.workload.as_dict(),
            workload_label=cfg.workload.label(), requested_workers=self.requested_workers,
            workers=self.workers, start_method=self.start_method, t0=now, t_end=now,
            records=records, samples=(), sample_interval_s=cfg.sample_interval_s,
            machine=machine_info(), problems=(reason,), cancelled=self._cancel.is_set(),
            uses_processes=self.backend_class.uses_processes,
            worker_per_task=self.backend_class.worker_per_task)

    def _run_to_result(self) -> RunResult:
        cfg = self.config
        machine = machine_info()
        problems: list[str] = []
        sweep_dead_temp_dirs()
        name_semaphores()  # a killed app's semaphores can then be told apart and swept
        with _runs_lock:
            if _count_run(+1) == 1:
                adopt_orphans()  # a task's own processes stay ours when their worker exits
        existing = descendants()
        try:
            return self._run_measured(cfg, machine, problems, existing)
        finally:
            with _runs_lock:
                if _count_run(-1) == 0:
                    adopt_orphans(False)

    def _run_measured(self, cfg: RunConfig, machine: MachineInfo, problems: list[str],
                      existing: set[tuple[int, float]]) -> RunResult:
        with contextlib.ExitStack() as stack:
            try:
                tasks = cfg.workload.instances(open_fixtures(stack, cfg.workload.fixtures))
            except OSError as exc:
                tasks = cfg.workload.instances({k: "" for k in cfg.workload.fixtures})
                problems.append(f"could not prepare the run: {exc}")
            warm = cfg.warm and self.backend_class.warms
            state = RunState(tasks, self.workers, self.start_method, self._events, self._clock,
                             scheduler=cfg.scheduler, warm=warm)
            if cfg.warm and not warm:
                why = ("starts a worker for each task" if self.backend_class.worker_per_task
                       else self.backend_class.cold_because)
                state.note(f"warm start does not apply: {self.backend.name} {why}, so this run "
                           "is cold")
            self._state = state
            if self._cancel.is_set():
                state.cancel.set()
            # Sampling from a process of its own keeps 10 Hz while threads fight over the GIL.
            monitor = CpuMonitor(cfg.sample_interval_s, self._events.put, clock=self._clock,
                                 separate_process=True,
                                 watch_children=self.backend_class.uses_processes)
            monitor.start()
            stack.callback(monitor.stop)  # also when the machinery below fails
            # Who holds the GIL, read by py-spy from outside (threads of this process only).
            gil = GilSampler(machine.gil_enabled, on_sample=self._events.put)
            if wanted(self.backend.name):
                gil.start()
            stack.callback(gil.stop)
            watchdog = None
            if cfg.workload.timeout_s is not None:
                watchdog = threading.Thread(target=self._enforce_timeouts,
                                            args=(state, cfg.workload.timeout_s),
                                            name="corescope-timeouts", daemon=True)
                watchdog.start()
            if self.backend_class.uses_processes:
                process_run_started(self.start_method)
            # Cancelled while the run was being set up: nothing is started (prepare() may start
            # a helper and wait for it, ~0.3 s for joblib's), every task ends cancelled.
            prepared = not state.cancel.is_set()
            if prepared:
                try:
                    self.backend.prepare()
                except Exception as exc:  # noqa: BLE001 — reported like any backend failure
                    problems.append(f"backend {self.backend.name} failed: "
                                    f"{type(exc).__name__}: {exc}")
            t0 = started = self._clock()
            try:
                if prepared and not problems:
                    self.backend.run(tasks, state)
            except BaseException as exc:  # noqa: BLE001 — a backend bug must still end the run
                # with a result; the caller is waiting for one.
                problems.append(f"backend {self.backend.name} failed: "
                                f"{type(exc).__name__}: {exc}")
            t_end = self._clock()
            warm_start_s = None
            if state.warmed is not None:  # the clock started once the workers were up
                t0, up, last_up = state.warmed
                if last_up is not None:
                    warm_start_s = max(0.0, last_up - started)
                if up < self.workers:
                    state.note(f"only {up} of {self.workers} workers were up before the clock; "
                               "the others' start counts in wall")
            state.all_done.set()  # releases the watchdog
            if watchdog is not None:
                watchdog.join()
            try:
                if prepared:
                    self.backend.finish()
            except Exception as exc:  # noqa: BLE001 — the run has its result; say what failed
                problems.append(f"backend {self.backend.name} could not clean up: "
                                f"{type(exc).__name__}: {exc}")
            if self.backend_class.uses_processes:
                process_run_ended()
            monitor.stop()  # (stopping twice is harmless)
            gil.stop()  # before the sweep below, which would take its probe for a task's
            if gil.note:  # why it could not measure: py-spy missing, ptrace refused
                state.note(gil.note)
            state.close_remaining(cancelled=state.cancel.is_set())
            # Every worker has ended; any process that appeared since the run began and still
            # runs was started by a task. Skipped while another run shares this process: its
            # workers would look the same.
            if _count_run(0) == 1:
                ended = end_task_processes(existing)
                if ended:
                    state.note(f"ended {len(ended)} process(es) that tasks started and left "
                               f"running: {', '.join(ended[:5])}"
                               + (" …" if len(ended) > 5 else ""))
        workers, cluster_cores = self.workers, None
        if state.cluster is not None:
            workers, cluster_cores = min(state.cluster[0], max(1, len(tasks))), state.cluster[1]
        return RunResult(
            backend=self.backend.name, workload=cfg.workload.as_dict(),
            workload_label=cfg.workload.label(), requested_workers=self.requested_workers,
            workers=workers, start_method=self.start_method, t0=t0, t_end=t_end,
            records=tuple(state.records[t.id] for t in tasks),
            samples=tuple(monitor.samples()), sample_interval_s=cfg.sample_interval_s,
            machine=machine, notes=tuple(state.notes), problems=tuple(state.problems + problems),
            cancelled=state.cancel.is_set(), baseline_wall_s=cfg.baseline_wall_s,
            abandoned=state.abandoned, host_samples=tuple(state.host_samples),
            scheduler=cfg.scheduler, cluster_cores=cluster_cores,
            # What explain and the views need about the backend, recorded with the run so a
            # saved result never has to look its backend up.
            uses_processes=self.backend_class.uses_processes,
            worker_per_task=self.backend_class.worker_per_task,
            gil_samples=gil.samples(t0, t_end), probe_cpu_s=gil.cpu_s,
            warm_start_s=warm_start_s,
            warmed_from=started if state.warmed is not None else None)


_runs_lock = threading.RLock()
_runs_active = 0


def _count_run(delta: int) -> int:
    """Runs in progress in this process, after adding ``delta``."""
    global _runs_active
    with _runs_lock:
        _runs_active += delta
        return _runs_active


# Built-in tasks notice their own deadline at the next checkpoint (milliseconds); the watchdog
# steps in only for code that never checks, so it waits a little longer than the timeout.
TIMEOUT_GRACE_S = 0.5


def _is_our_child(pid: int) -> bool:
    import psutil

    return any(c.pid == pid for c in psutil.Process().children(recursive=True))


def execute(config: RunConfig) -> RunResult:
    """Run to the end in a background thread and return the result (blocking)."""
    return Run(config).start().result()
