"""Several runs one after another through the one bridge: a comparison or a sweep.

    RunSequence.start(configs) ─► bridge.start(configs[0])
    bridge.run_finished(result) ─► results.append ─► next tick: bridge.start(configs[i + 1])
                                                     … or finished(results, stopped)

Runs never overlap: each would steal cores from the other and both timings would be wrong.
The next run starts from the event loop, not inside ``run_finished``, so every widget has seen
the previous result (and the idle monitor's restart is undone cleanly) before it begins.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from engine.figures.result import RunResult
from engine.run.host import AnyRun
from engine.run.runner import ConfigError, RunConfig
from gui.bridge import RunBridge


class RunSequence(QObject):
    """Runs ``configs`` in order on ``bridge``; Stop cancels the current run and skips the rest.

    Signals:
        step_started(index, total, label, run, origin): a run began.
        step_finished(index, result): a run ended (cancelled ones too).
        finished(results, stopped): all done, or stopped; ``results`` holds the runs that ran.
    """

    step_started = Signal(int, int, str, object, float)
    step_finished = Signal(int, object)
    finished = Signal(list, bool)

    def __init__(self, bridge: RunBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.configs: list[RunConfig] = []
        self.labels: list[str] = []
        self.results: list[RunResult] = []
        self._index = -1
        self._stopped = False
        self.problem: str | None = None  # why the sequence ended early, besides Stop
        bridge.run_started.connect(self._run_started)
        bridge.run_finished.connect(self._run_finished)

    @property
    def active(self) -> bool:
        return self._index >= 0

    @property
    def total(self) -> int:
        return len(self.configs)

    def start(self, configs: Sequence[RunConfig], labels: Sequence[str] | None = None) -> bool:
        """Begin; False when the bridge is busy or there is nothing to run."""
        if self.active or self.bridge.running or not configs:
            return False
        self.configs = list(configs)
        self.labels = list(labels) if labels else [c.backend for c in configs]
        self.results = []
        self._stopped = False
        self.problem = None
        self._index = 0
        self._start_current()
        return True

    def stop(self) -> None:
        """Cancel the current run; nothing after it starts."""
        if self.active:
            self._stopped = True
            self.bridge.cancel()

    def _start_current(self) -> None:
        if self._stopped or self._index >= len(self.configs):
            self._finish()
            return
        try:
            self.bridge.start(self.configs[self._index])
        except (ConfigError, RuntimeError) as exc:
            self.problem = f"{self.labels[self._index]}: {exc}"
            self._finish()

    def _run_started(self, run: AnyRun, origin: float) -> None:
        if self.active:
            self.step_started.emit(self._index, len(self.configs), self.labels[self._index],
                                   run, origin)

    def _run_finished(self, result: RunResult) -> None:
        if not self.active:
            return
        self.results.append(result)
        self.step_finished.emit(self._index, result)
        self._index += 1
        if result.cancelled:
            self._stopped = True
        QTimer.singleShot(0, self._start_current)

    def _finish(self) -> None:
        self._index = -1
        self.finished.emit(list(self.results), self._stopped)
