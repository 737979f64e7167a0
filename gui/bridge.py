"""The one place where engine events become Qt signals.

    run thread / worker pumps / CpuMonitor threads          GUI thread
    ──────────────────────────────────────────────          ──────────
    Run: EventBuffer.put(TaskStarted | TaskFinished |  ──►  QTimer tick (~30 Hz)
                         CpuSample | HostCpuSample |         └► run.drain_events()  (one batch)
                         GilSample)
    idle CpuMonitor: EventBuffer.put(CpuSample)        ──►      └► idle buffer drain
                                                             emit task_events(list)   ordered
                                                                  cpu_samples(list)
                                                                  progress(done, total)
                                                                  frame(now)
                                                             run done? → run_finished(result)

Nothing here runs on another thread except the engine's own producers, which only append to a
locked list. Every signal is emitted from the timer on the GUI thread, once per tick and kind,
so widgets never see a foreign thread and never get one signal per task.

``task_events`` keeps starts and ends in the order they happened. The timeline needs that order:
a worker that finishes task A and starts task B inside one tick must reuse its lane, which it can
only do if A's end is applied before B's start.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from engine import clock as _clock
from engine.records import CpuSample, GilSample, HostCpuSample, TaskFinished, TaskStarted
from engine.run.host import AnyRun, window_run
from engine.run.monitor import CpuMonitor
from engine.run.runner import RunConfig
from engine.run.state import Event, EventBuffer

# 33 ms ≈ 30 Hz: smooth growth of running bars, yet a batch per tick even at 10,000 tasks/s.
TICK_MS = 33
IDLE_SAMPLE_S = 0.1
IDLE_FLUSH_S = 0.2


class RunBridge(QObject):
    """Starts runs, drains their events on a timer and re-emits them as batched signals.

    Also owns the idle CPU monitor that keeps the per-core plot alive between runs: it is stopped
    while a run is active (the run's own monitor takes over) and restarted afterwards.

    Args:
        parent: the owning QObject.
        tick_ms: drain interval.
        clock: the engine clock (injectable for tests).
        idle_interval_s: sample interval of the idle monitor; ``None`` disables it.
    """

    run_started = Signal(object, float)  # (AnyRun, origin: clock reading taken just before start)
    task_events = Signal(list)  # TaskStarted | TaskFinished, in the order they happened
    # CpuSample (run or idle monitor), HostCpuSample (a cluster's), GilSample (py-spy's)
    cpu_samples = Signal(list)
    progress = Signal(int, int)  # done, total
    frame = Signal(float)  # clock reading, once per tick while a run is active
    run_finished = Signal(object)  # RunResult

    def __init__(self, parent: QObject | None = None, tick_ms: int = TICK_MS,
                 clock: _clock.Clock = _clock.now,
                 idle_interval_s: float | None = IDLE_SAMPLE_S) -> None:
        super().__init__(parent)
        self._clock = clock
        self._run: AnyRun | None = None
        self._idle_interval_s = idle_interval_s
        self._idle_monitor: CpuMonitor | None = None
        self._idle_events = EventBuffer()
        self._last_idle_flush = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    # -- runs ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._run is not None

    @property
    def run(self) -> AnyRun | None:
        return self._run

    def start(self, config: RunConfig) -> AnyRun:
        """Start ``config``; raises ``engine.run.runner.ConfigError`` (nothing started) if
        refused."""
        if self._run is not None:
            raise RuntimeError("a run is already active")
        # check_config happens here, before anything is stopped. A thread backend's run goes
        # to a host process, where its tasks cannot take the GIL from the window's drawing.
        run = window_run(config)
        self.stop_idle_monitor()
        origin = self._clock()
        self._run = run.start()
        self.run_started.emit(run, origin)
        return run

    def cancel(self) -> None:
        """Ask the active run to stop; ``run_finished`` follows once its workers are gone."""
        if self._run is not None:
            self._run.cancel()

    def abandon(self) -> None:
        """Stop waiting for tasks that ignore cancel (custom code on a thread backend): the run
        ends now and their threads finish unseen in the background."""
        if self._run is not None:
            self._run.abandon()

    def shutdown(self, timeout_s: float = 3.0) -> bool:
        """Cancel any run, wait for it (bounded), stop the idle monitor and the timer.

        Returns False when a run did not end within ``timeout_s`` and had to be abandoned.
        """
        self._timer.stop()
        ended = True
        if self._run is not None:
            self._run.cancel()
            ended = self._run.wait(timeout_s)
            if not ended:
                self._run.abandon()
                self._run.wait(1.0)
            self._run = None
        self.stop_idle_monitor()
        return ended

    # -- idle monitor ----------------------------------------------------------------------------
    def start_idle_monitor(self) -> None:
        if self._idle_monitor is None and self._idle_interval_s is not None:
            # Per-core load only: between runs there are no workers to watch, and skipping the
            # process and thread scans keeps the idle app's own CPU down.
            self._idle_monitor = CpuMonitor(self._idle_interval_s, self._idle_events.put,
                                            clock=self._clock, watch_children=False,
                                            read_threads=dict).start()

    def stop_idle_monitor(self) -> None:
        if self._idle_monitor is not None:
            self._idle_monitor.stop()
            self._idle_monitor = None
            # stop() takes one last sample over the few milliseconds since the previous one;
            # at the kernel's 10 ms tick that reads as 0 % or 100 %, a false spike right where
            # the next run starts. Drop it; the run's own monitor covers what follows.
            samples = self._idle_events.drain()
            if samples:
                samples.pop()
            if samples:
                self.cpu_samples.emit(samples)

    # -- the tick --------------------------------------------------------------------------------
    def _flush_idle(self) -> None:
        # Between runs the plots take new samples 5 times a second (two at a time): the
        # repaint, not the sampling, is what an idle window spends its CPU on (measured:
        # 3.7 % of a core at 10 repaints/s on the 2-core machine; the target is ≤ 3 %).
        now = self._clock()
        if now - self._last_idle_flush < IDLE_FLUSH_S:
            return
        self._last_idle_flush = now
        samples = self._idle_events.drain()
        if samples:
            self.cpu_samples.emit(samples)

    def _tick(self) -> None:
        self._flush_idle()
        run = self._run
        if run is None:
            return
        # Read "done" before draining: the run sets it only after its last event is buffered.
        done = run.wait(0)
        self._emit_batch(run.drain_events())
        self.progress.emit(run.done_count, run.total)
        self.frame.emit(self._clock())
        if done:
            self._run = None
            self.start_idle_monitor()
            self.run_finished.emit(run.result())

    def _emit_batch(self, events: list[Event]) -> None:
        tasks: list[TaskStarted | TaskFinished] = []
        samples: list[CpuSample | HostCpuSample | GilSample] = []
        for event in events:
            if isinstance(event, (CpuSample, HostCpuSample, GilSample)):
                samples.append(event)
            else:
                tasks.append(event)
        if tasks:
            self.task_events.emit(tasks)
        if samples:
            self.cpu_samples.emit(samples)

