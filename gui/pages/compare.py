"""The Compare page: one workload on several backends in turn, side by side on one time axis.

    ┌ backends ☑ sequential ☑ threads …        [Compare] [Stop]   3/6: process-pool ┐
    │ legend (task colours · strip colours)                                           │
    │ sequential   │ timeline ▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇                                 │
    │ thread-pool  │ timeline ▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇                                  │
    │ process-pool │ timeline ▇▇▇▇▇▇                                                   │
    ├ results table (fastest marked)              │ speedup per backend, ideal line   ┤
    └─────────────────────────────────────────────┴───────────────────────────────────┘

The page draws; ``gui.pages.controller`` runs the sequence and feeds the page, a
``SequencePage``, the bridge's signals for the run in progress, or whole results from a saved
session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.figures.result import RunResult
from engine.files.tables import COMPARE_HEADER, compare_rows, fastest
from engine.run.runner import Run
from engine.workload import Workload
from gui import palette
from gui.pages.compare_row import CompareRow
from gui.palette import ERROR_STYLE
from gui.panels.backend_list import BackendList
from gui.plots import TaskEvent
from gui.plots.axes import LabelAxis
from gui.plots.style import left_axis_width, make_plot, set_font, set_left_width

FASTEST_MARK = " ★"
# The time axis's title does not fit under the stacked rows at 720 px, so its unit is named here.
STRIP_LEGEND = ("x: seconds since each run's start · strips: CPU per core, "
                "<span style='background:#00204C;color:white'>&nbsp;0 %"
                "&nbsp;</span><span style='background:#FFEA46'>&nbsp;100 %&nbsp;</span>")
SPEEDUP_LABEL = "speedup (× vs baseline)"
# Lane names longer than this are cut: the rows' timelines need the room more.
_MAX_LANE_NAME_PX = 220


def with_baselines(results: Sequence[RunResult]) -> list[RunResult]:
    """Every result against the sequential run if there is one, else the first (as the CLI)."""
    if not results:
        return []
    base = next((r for r in results if r.backend == "sequential" and not r.cancelled),
                results[0])
    return [r.with_baseline(base.wall_s) for r in results]


def ideal_speedup(results: Sequence[RunResult]) -> int:
    """min(workers, usable cores) of the parallel runs: what a perfect backend reaches here."""
    parallel = [r for r in results if r.backend != "sequential"] or list(results)
    if not parallel:
        return 1
    # A cluster's size is what it had, not what this window asked for.
    return max([1, *(r.ideal if r.cluster_cores else min(r.requested_workers, r.ideal)
                     for r in parallel)])


class CompareView(QWidget):
    """Stacked timelines, a results table and a speedup chart for one comparison.

    Signals:
        compare_requested: the Compare button was pressed.
        stop_requested: the Stop button was pressed.
    """

    compare_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backends = BackendList()
        self.compare_button = QPushButton("▶  Compare")
        self.compare_button.setToolTip("Run the workload on every checked backend, one after "
                                       "another")
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setEnabled(False)
        self.status = QLabel("Check backends and press Compare.")
        self.status.setWordWrap(True)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.strip_legend = QLabel(STRIP_LEGEND)
        self.rows: list[CompareRow] = []
        self.results: list[RunResult] = []
        self._font_size = 11
        self._current = -1
        self._origin = 0.0
        self._build()

    def _build(self) -> None:
        buttons = QVBoxLayout()
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.stop_button)
        top = QHBoxLayout()
        top.addWidget(QLabel("Backends"))
        top.addWidget(self.backends, 1)
        top.addLayout(buttons)
        # Rows share the height equally (no scroll area): the point is to see them all at once.
        self.rows_box = QWidget()
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(0)
        self.table = QTableWidget(0, len(COMPARE_HEADER))
        self.table.setHorizontalHeaderLabels(COMPARE_HEADER)
        self.table.verticalHeader().hide()
        # Compact rows: six backends fit under the timelines at 1280×720.
        self.table.verticalHeader().setDefaultSectionSize(
            QFontMetrics(self.table.font()).height() + 6)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # Horizontal bars: backend names sit on the left axis, legible at any count, and the
        # rows keep the same top-to-bottom order as the timelines above.
        self.chart_axis = LabelAxis()
        self.chart = make_plot("", {"left": self.chart_axis})
        self.chart.setMouseEnabled(x=False, y=False)
        item = self.chart.getPlotItem()
        item.showGrid(x=True, y=False, alpha=palette.GRID_ALPHA)
        item.invertY(True)
        self.speedup_bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.6)
        item.addItem(self.speedup_bars)
        self.ideal_line = pg.InfiniteLine(1, angle=90, pen=pg.mkPen(
            palette.FOREGROUND, width=2, style=Qt.PenStyle.DashLine))
        self.ideal_line.setVisible(False)
        item.addItem(self.ideal_line)
        # Above the first bar (room is left there), so it never covers one.
        self.ideal_label = pg.TextItem("", color=palette.FOREGROUND, anchor=(0.5, 0.5))
        item.addItem(self.ideal_label)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.table)
        bottom.addWidget(self.chart)
        bottom.setSizes([600, 320])
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.rows_box)
        self.split.addWidget(bottom)
        self.split.setSizes([500, 150])
        self.split.setStretchFactor(0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(top)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.strip_legend)
        layout.addLayout(status_row)
        layout.addWidget(self.legend)
        layout.addWidget(self.split, 1)
        self.compare_button.clicked.connect(self.compare_requested)
        self.stop_button.clicked.connect(self.stop_requested)

    # -- rows ------------------------------------------------------------------------------------
    @property
    def x_master(self) -> pg.PlotWidget | None:
        return self.rows[0].timeline.plot if self.rows else None

    def _set_rows(self, labels: Sequence[str]) -> None:
        for row in self.rows:
            self.rows_layout.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for i, label in enumerate(labels):
            row = CompareRow(label, CompareRow.colour(i))
            row.set_font_size(self._font_size)
            self.rows_layout.addWidget(row, 1)
            self.rows.append(row)
        master = self.x_master
        for row in self.rows:
            if row.timeline.plot is not master:
                row.timeline.plot.setXLink(master)
            row.strip.plot.setXLink(master)
            row.timeline.lanes_changed.connect(self._align_axes)
        for i, row in enumerate(self.rows):
            row.show_time_axis(i == len(self.rows) - 1, self._font_size)
        self.results = []
        self._fill_table([])
        self._align_axes()

    def begin(self, labels: Sequence[str]) -> None:
        """A new comparison of ``labels`` (backend names) is about to run."""
        self._set_rows(labels)
        self._current = -1
        self.set_running(True)
        self.status.setStyleSheet("")

    def set_workload(self, workload: Workload | None, workers: int | None,
                     start_method: str | None, scheduler: str | None = None) -> None:
        self.backends.set_workload(workload, workers, start_method, scheduler)

    def set_running(self, running: bool) -> None:
        self.compare_button.setEnabled(not running)
        self.backends.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def step_started(self, index: int, total: int, label: str, run: Run,
                     origin: float) -> None:
        self._current = index
        self._origin = origin
        self.rows[index].begin(origin, run.config.workload.task_names)
        if index == 0:
            self.legend.setText(self.rows[0].legend_html())
        self.status.setText(f"{index + 1}/{total}: {label} running …")

    def task_events(self, events: list[TaskEvent]) -> None:
        if 0 <= self._current < len(self.rows):
            self.rows[self._current].timeline.add_task_events(events)

    def frame(self, now: float) -> None:
        if 0 <= self._current < len(self.rows):
            self.rows[self._current].timeline.advance(now)
            self._show_span(now - self._origin)

    def step_finished(self, index: int, result: RunResult) -> None:
        self.rows[index].finish(result)
        self.results.append(result)
        self._current = -1
        self._show_span(0.0)

    def finish(self, stopped: bool, problem: str | None = None) -> None:
        """All runs done (or stopped): fill the table and chart; rows never run are dropped."""
        for row in self.rows[len(self.results):]:
            row.set_state("skipped (stopped)" if stopped else "not run")
        self.set_running(False)
        self.show_results(self.results, rebuild=False)
        done = f"{len(self.results)}/{len(self.rows)} backends ran"
        if problem:
            self.status.setStyleSheet(ERROR_STYLE)
            self.status.setText(f"{done}; stopped: {problem}")
        else:
            self.status.setText(f"stopped: {done}" if stopped else
                                f"done: {done}; speedup against {self._baseline_name()}")

    def _baseline_name(self) -> str:
        if any(r.backend == "sequential" for r in self.results):
            return "sequential"
        return self.results[0].backend if self.results else "—"

    def show_results(self, results: Sequence[RunResult], rebuild: bool = True) -> None:
        """Show finished runs; ``rebuild`` redraws the rows from them (a saved session)."""
        if rebuild:
            self._set_rows([r.backend for r in results])
            for row, result in zip(self.rows, results):
                row.replay(result)
            if self.rows:
                self.legend.setText(self.rows[0].legend_html())
        self.results = with_baselines(results)
        if rebuild:
            self.status.setStyleSheet("")
            self.status.setText(f"{len(results)} backends, opened from a file (no re-run); "
                                f"speedup against {self._baseline_name()}")
        self._fill_table(self.results)
        self._fill_chart(self.results)
        self._show_span(0.0)

    def session_extra(self) -> None:
        """A comparison is its runs: nothing else is saved."""
        return None

    def show_session(self, runs: Sequence[RunResult], extra: dict[str, Any]) -> None:
        """Redraw a saved comparison (its ``extra`` holds nothing the page uses)."""
        self.show_results(runs)

    # -- table and chart -------------------------------------------------------------------------
    def _fill_table(self, results: Sequence[RunResult]) -> None:
        rows = compare_rows(results)
        best = fastest(results)
        self.table.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                if c == 0 and r == best:
                    text += FASTEST_MARK
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if r == best:
                    item.setFont(bold)
                    item.setBackground(QBrush(palette.with_alpha(palette.BLUISH_GREEN, 50)))
                if c == 0 and r < len(self.rows):
                    item.setForeground(QBrush(QColor(self.rows[r]._colour)))
                self.table.setItem(r, c, item)
        cell = self.table.item(best, 0) if best is not None else None
        if cell is not None:
            cell.setToolTip("fastest run that completed every task")
        self.table.resizeColumnsToContents()

    def _fill_chart(self, results: Sequence[RunResult]) -> None:
        speedups = np.array([r.stats.speedup or 0.0 for r in results], dtype=float)
        y = np.arange(len(results), dtype=float)
        brushes = [pg.mkBrush(CompareRow.colour(i)) for i in range(len(results))]
        self.speedup_bars.setOpts(x0=np.zeros(len(results)), y=y, width=speedups, height=0.6,
                                  brushes=brushes, pen=pg.mkPen(palette.FOREGROUND, width=1))
        self.chart_axis.set_labels([r.backend for r in results])
        item = self.chart.getPlotItem()
        ideal = ideal_speedup(results) if results else 1
        self.ideal_line.setValue(ideal)
        self.ideal_line.setVisible(bool(results))
        self.ideal_label.setText(f"ideal {ideal}×" if results else "")
        self.ideal_label.setPos(ideal, -0.6)
        right = max([ideal, *speedups.tolist(), 1.0]) * 1.15
        item.setYRange(-1.1, max(0, len(results) - 1) + 0.5, padding=0)
        item.setXRange(0, right, padding=0)

    @property
    def ideal(self) -> float:
        return float(self.ideal_line.value())

    def bar_heights(self) -> list[float]:
        """Speedup per backend as drawn (bar lengths), in row order."""
        return [float(w) for w in np.asarray(self.speedup_bars.opts["width"])]

    # -- axes ------------------------------------------------------------------------------------
    def _show_span(self, now_x: float) -> None:
        master = self.x_master
        if master is None:
            return
        span = max([now_x, 0.5, *(r.wall_s for r in self.results)])
        master.setXRange(-0.02 * span, span * 1.02, padding=0)

    def _align_axes(self) -> None:
        # The rows read as one time axis only if their plots start at the same x pixel.
        hint = max([r.timeline.lane_width_hint() for r in self.rows] or [0])
        width = left_axis_width(self.font(), self._font_size, hint, _MAX_LANE_NAME_PX)
        for row in self.rows:
            set_left_width(row.timeline.plot, width)
            set_left_width(row.strip.plot, width)

    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        for i, row in enumerate(self.rows):
            row.set_font_size(point_size)
            row.show_time_axis(i == len(self.rows) - 1, point_size)
        set_font(self.chart, point_size, "", SPEEDUP_LABEL)
        self._align_axes()
