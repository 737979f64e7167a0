"""The window's Compare and Sweep pages and its sessions: what ``MainWindow`` adds on top of
single live runs.

A comparison or sweep is a ``RunSequence`` of ordinary runs on the window's one bridge; the
page that asked for it gets each step's events and results. Opening a session rebuilds the page
of its kind from the saved runs, without running anything.

Kept apart from ``gui/main_window.py`` so that file stays about the live page; the mixin uses
the window's widgets (``views``, ``workload``, ``compare_view``, ``sweep_view``, ``sequence``,
``files``) and is meant for ``MainWindow`` only.
"""

from __future__ import annotations

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QWidget

from engine.backends.registry import BACKENDS
from engine.figures.result import RunResult
from engine.files.session import Session
from engine.run.runner import Run
from gui.backend_list import config_for
from gui.compare_view import CompareView
from gui.files import SessionFiles
from gui.sweep_view import SweepView

LIVE, COMPARE, SWEEP = 0, 1, 2
KINDS = ("run", "compare", "sweep")


class PagesMixin:
    """Comparisons, sweeps and sessions for ``MainWindow``."""

    _sequence_view: CompareView | SweepView | None

    # -- comparisons and sweeps ------------------------------------------------------------------
    def _sequence_workload(self) -> object | None:
        workload, problem = self.workload.workload_choice()
        if workload is None:
            self.show_status(problem or "choose a valid workload first", error=True)
        return workload

    def start_compare(self) -> bool:
        """Run the panel's workload on every backend checked on the Compare page, in turn."""
        if self.running:
            return False
        workload = self._sequence_workload()
        names = self.compare_view.backends.checked()
        if workload is None or not names:
            if workload is not None:
                self.show_status("check at least one backend to compare", error=True)
            return False
        p = self.workload
        configs = [config_for(workload, n, p.workers, p.start_method, scheduler=p.cluster_address)
                   for n in names]
        self.compare_view.begin(names)
        self._sequence_view = self.compare_view
        self.views.setCurrentIndex(COMPARE)
        return self.sequence.start(configs, names)

    def start_sweep(self) -> bool:
        """Run the Sweep page's plan: every point on every checked backend, in turn."""
        if self.running:
            return False
        workload = self._sequence_workload()
        if workload is None:
            return False
        p = self.workload
        planned = self.sweep_view.plan(workload, p.workers, p.start_method, p.cluster_address)
        if planned is None:
            return False
        self._sequence_view = self.sweep_view
        self.views.setCurrentIndex(SWEEP)
        labels = [f"{self.sweep_view.knob}={pt.value} {pt.config.backend}" for pt in planned]
        return self.sequence.start([pt.config for pt in planned], labels)

    def _sequence_events(self, events: list) -> None:
        if self.sequence.active and self._sequence_view is self.compare_view:
            self.compare_view.task_events(events)

    def _sequence_frame(self, now: float) -> None:
        if self.sequence.active and self._sequence_view is self.compare_view:
            self.compare_view.frame(now)

    def _step_started(self, index: int, total: int, label: str, run: Run,
                      origin: float) -> None:
        view = self._sequence_view
        if view is not None:
            view.step_started(index, total, label, run, origin)
        self.show_status(f"{index + 1}/{total}: {label}")

    def _step_finished(self, index: int, result: RunResult) -> None:
        if self._sequence_view is not None:
            self._sequence_view.step_finished(index, result)

    def _sequence_finished(self, results: list, stopped: bool) -> None:
        view, self._sequence_view = self._sequence_view, None
        if view is not None:
            view.finish(stopped, self.sequence.problem)
            self.views.setCurrentWidget(view)
        self._choices_changed()
        self.show_status(f"{'stopped after' if stopped else 'finished'} {len(results)} "
                         f"run{'s' if len(results) != 1 else ''}")
        self.sequence_done.emit(results)

    # -- sessions --------------------------------------------------------------------------------
    def show_run(self, result: RunResult) -> None:
        """Draw a run that already ended (a saved session) on the live page, as it was."""
        self._replaying = True
        cls = BACKENDS.get(result.backend)
        self.plots.replay(result, cls.uses_processes if cls else False)
        self._align_axes()
        self._show_result(result)
        s = result.stats
        self.run_box.show_progress(s.n_tasks - s.cancelled, s.n_tasks, result.wall_s)
        self.run_box.show_message(f"opened from a file: {s.ok}/{s.n_tasks} ok in "
                                  f"{s.wall_s:.2f} s (not re-run)")

    def current_kind(self) -> str:
        return KINDS[self.views.currentIndex()]

    def current_view(self) -> QWidget:
        return self.views.currentWidget()

    def current_results(self) -> list[RunResult]:
        """The runs the current page shows (what Save and Export write)."""
        index = self.views.currentIndex()
        if index == COMPARE:
            return list(self.compare_view.results)
        if index == SWEEP:
            return list(self.sweep_view.results)
        return [self.last_result] if self.last_result is not None else []

    def session_extra(self) -> dict | None:
        return self.sweep_view.session_extra() if self.views.currentIndex() == SWEEP else None

    def show_session(self, opened: Session) -> None:
        """Rebuild the page of ``opened``'s kind from its runs; nothing runs."""
        if opened.kind == "compare":
            self.compare_view.show_results(opened.runs)
            self.views.setCurrentIndex(COMPARE)
        elif opened.kind == "sweep":
            self.sweep_view.show_session(opened.runs, opened.extra)
            self.views.setCurrentIndex(SWEEP)
        else:
            self.show_run(opened.runs[0])
            self.views.setCurrentIndex(LIVE)

    def show_status(self, text: str, error: bool = False) -> None:
        """A one-line message under the window (errors in red, kept until the next message)."""
        bar = self.statusBar()
        bar.setStyleSheet("QStatusBar { color: #B00020; }" if error else "")
        bar.showMessage(text)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if SessionFiles.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = SessionFiles.dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.files.open_path(path, ask_first=True)

