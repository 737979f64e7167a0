"""Compare and Sweep: a page's runs as one ``RunSequence``, and each step handed to that page.

    Compare button ─► start_compare ─┐                     ┌─► page.step_started / step_finished
    Sweep button ──► start_sweep ────┴─► RunSequence.start ┤   page.task_events / frame
                                         (on the bridge)   └─► page.finish ─► finished(results)

The page that asked for a sequence gets every one of its steps; the other page is left as it
is. Both are ``SequencePage``s, so nothing here depends on which one is running.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from engine.figures.result import RunResult
from engine.run.host import AnyRun
from engine.workload import Workload
from gui.bridge import RunBridge
from gui.pages.base import SequencePage
from gui.pages.compare import CompareView
from gui.pages.sequence import RunSequence
from gui.pages.sweep import SweepView
from gui.panels.backend_list import config_for, entry_labels
from gui.panels.workload import WorkloadPanel
from gui.plots import TaskEvent


class SequenceController(QObject):
    """Runs comparisons and sweeps of the workload panel's choices on ``bridge``.

    Args:
        bridge: the window's one bridge (the runs never overlap a single run).
        workload: the panel whose workload, workers, start method and cluster are used.
        compare, sweep: the two pages.
        show_page: brings the page of a session kind ("compare", "sweep") to the front.

    Signals:
        status(text, error): a line for the window's status bar.
        finished(results): a sequence is over and its page shows it.
    """

    status = Signal(str, bool)
    finished = Signal(list)

    def __init__(self, bridge: RunBridge, workload: WorkloadPanel, compare: CompareView,
                 sweep: SweepView, show_page: Callable[[str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._workload = workload
        self.compare = compare
        self.sweep = sweep
        #: The pages by session kind.
        self.pages: dict[str, SequencePage] = {"compare": compare, "sweep": sweep}
        self._show_page = show_page
        self.sequence = RunSequence(bridge, self)
        self._kind: str | None = None  # the page the running sequence is for
        self.sequence.step_started.connect(self._step_started)
        self.sequence.step_finished.connect(self._step_finished)
        self.sequence.finished.connect(self._finished)

    @property
    def active(self) -> bool:
        return self.sequence.active

    def stop(self) -> None:
        self.sequence.stop()

    def _tell(self, text: str, error: bool = False) -> None:
        self.status.emit(text, error)

    # -- starting --------------------------------------------------------------------------------
    def _chosen_workload(self) -> Workload | None:
        workload, problem = self._workload.workload_choice()
        if workload is None:
            self._tell(problem or "choose a valid workload first", error=True)
        return workload

    def start_compare(self) -> bool:
        """Run the panel's workload on every entry checked on the Compare page, in turn."""
        if self._bridge.running or self.active:
            return False
        workload = self._chosen_workload()
        entries = self.compare.backends.checked_entries()
        if workload is None or not entries:
            if workload is not None:
                self._tell("check at least one backend to compare", error=True)
            return False
        p = self._workload
        # An entry of its own start method (process-pool@forkserver) runs under it; the rest
        # under the panel's.
        configs = [config_for(workload, e.backend, p.workers, e.start_method or p.start_method,
                              scheduler=p.cluster_address, warm=p.warm) for e in entries]
        names = entry_labels([(c.backend, c.start_method) for c in configs])
        self.compare.begin(names)
        self._kind = "compare"
        self._show_page("compare")
        return self.sequence.start(configs, names)

    def start_sweep(self) -> bool:
        """Run the Sweep page's plan: every point on every checked backend, in turn."""
        if self._bridge.running or self.active:
            return False
        workload = self._chosen_workload()
        if workload is None:
            return False
        p = self._workload
        planned = self.sweep.plan(workload, p.workers, p.start_method, p.cluster_address,
                                  warm=p.warm)
        if planned is None:
            return False
        self._kind = "sweep"
        self._show_page("sweep")
        labels = [f"{self.sweep.knob}={pt.value} {pt.config.backend}" for pt in planned]
        return self.sequence.start([pt.config for pt in planned], labels)

    # -- the pages, between and during sequences -------------------------------------------------
    def set_workload(self, workload: Workload | None) -> None:
        """Between sequences: the pages follow the panel's choices, their controls unlocked."""
        p = self._workload
        for page in self.pages.values():
            page.set_workload(workload, p.workers, p.start_method, p.cluster_address)
            page.set_running(False)

    def set_font_size(self, point_size: int) -> None:
        for page in self.pages.values():
            page.set_font_size(point_size)

    @property
    def _page(self) -> SequencePage | None:
        return self.pages[self._kind] if self._kind is not None else None

    def task_events(self, events: list[TaskEvent]) -> None:
        """The bridge's task events, for the page of the sequence in progress."""
        page = self._page
        if self.sequence.active and page is not None:
            page.task_events(events)

    def frame(self, now: float) -> None:
        page = self._page
        if self.sequence.active and page is not None:
            page.frame(now)

    def _step_started(self, index: int, total: int, label: str, run: AnyRun,
                      origin: float) -> None:
        page = self._page
        if page is not None:
            page.step_started(index, total, label, run, origin)
        self._tell(f"{index + 1}/{total}: {label}")

    def _step_finished(self, index: int, result: RunResult) -> None:
        page = self._page
        if page is not None:
            page.step_finished(index, result)

    def _finished(self, results: list[RunResult], stopped: bool) -> None:
        page, kind, self._kind = self._page, self._kind, None
        if page is not None and kind is not None:
            page.finish(stopped, self.sequence.problem)
            self._show_page(kind)
        self._tell(f"{'stopped after' if stopped else 'finished'} {len(results)} "
                   f"run{'s' if len(results) != 1 else ''}")
        self.finished.emit(results)
