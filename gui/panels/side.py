"""The window's left column: the Workload, Result and Errors tabs above the run box.

    ┌ Workload │ Result │ Errors ┐
    │ task, params, count,       │   WorkloadPanel · SummaryPanel · ErrorsPanel
    │ backend, workers, …        │
    ├────────────────────────────┤
    │ Run  Stop  progress  ETA   │   RunBox
    └────────────────────────────┘
"""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from engine.figures.explain import explain
from engine.figures.result import RunResult
from gui.panels.run_box import RunBox
from gui.panels.summary import ErrorsPanel, SummaryPanel
from gui.panels.workload import WorkloadPanel

RESULT_TAB, ERRORS_TAB = 1, 2
# Pixels the window's pages keep, at least, when the left column widens for larger text.
_PAGES_KEEP = 400


def widen_to_fit(split: QSplitter, side: QWidget) -> None:
    """Give the left column of ``split`` the width its text needs, where the window has the
    room (at a projector's text size it would otherwise scroll sideways)."""
    sizes, need = split.sizes(), side.minimumSizeHint().width()
    if len(sizes) == 2 and sizes[0] < need < sum(sizes) - _PAGES_KEEP:
        split.setSizes([need, sum(sizes) - need])


class SidePanel(QWidget):
    """What to run, how the last run went, and the buttons that start and stop runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workload = WorkloadPanel()
        self.run_box = RunBox()
        self.summary = SummaryPanel()
        self.errors = ErrorsPanel()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.workload)
        self.tabs = QTabWidget()
        self.tabs.addTab(scroll, "Workload")
        result_scroll = QScrollArea()
        result_scroll.setWidgetResizable(True)
        result_scroll.setWidget(self.summary)
        self.tabs.addTab(result_scroll, "Result")
        self.tabs.addTab(self.errors, "Errors")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.run_box)

    def scrolling(self) -> QScrollArea:
        """This column in a scroll area: at a projector's text size it scrolls (sideways too)
        rather than making the window wider than the screen."""
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(self)
        area.setMinimumWidth(160)
        return area

    def run_started(self) -> None:
        """A run began: the last one's errors go, the workload is locked until it ends."""
        self.errors.set_records([])
        self.tabs.setTabText(ERRORS_TAB, "Errors")
        self.workload.set_editable(False)

    def show_result(self, result: RunResult) -> None:
        """A run ended (or was opened from a file): its figures, reasons and failed tasks."""
        self.summary.show_result(result, explain(result))
        failed = self.errors.set_records(result.records)
        self.tabs.setTabText(ERRORS_TAB, f"Errors ({failed})" if failed else "Errors")
        self.tabs.setCurrentIndex(RESULT_TAB)
        self.workload.set_editable(True)
