"""The Compare page: one workload on several backends in turn, side by side on one time axis.

    ┌ backends ☑ sequential ☑ threads …        [Compare] [Stop]   3/6: process-pool ┐
    │ legend (task colours · strip colours)                                           │
    │ ■ sequential   │ timeline ▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇ ▲ │  sequential ▇▇ 1.00×          │
    │ ■ thread-pool  │ timeline ▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇   │ thread-pool ▇▇▇ 1.10×    ┆    │
    │ ■ process-pool │ timeline ▇▇▇▇▇▇        (scroll) ▼ │process-pool ▇▇▇▇▇▇▇ 3.61×┆    │
    ├ results table (fastest marked)                   │ speedup per backend, ideal ┆    ┤
    └──────────────────────────────────────────────────┴────────────────────────────────┘

Rows scroll when they do not fit, each as tall as naming all its lanes needs; the speedup
chart (``gui.pages.speedup_chart``) has the page's height, so every backend keeps its name.

The page draws; ``gui.pages.controller`` runs the sequence and feeds the page, a
``SequencePage``, the bridge's signals for the run in progress, or whole results from a saved
session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.figures.result import RunResult, entry_names
from engine.run.host import AnyRun
from engine.workload import Workload
from gui.pages.compare_row import NAME_WIDTH, CompareRow
from gui.pages.compare_table import CompareTable
from gui.pages.speedup_chart import SpeedupChart
from gui.palette import ERROR_STYLE
from gui.panels.backend_list import BackendList, StartMethodButton
from gui.plots import TaskEvent
from gui.plots.legend import Legend
from gui.plots.style import set_left_width

# The time axis's title does not fit under the stacked rows at 720 px, so its unit is named here.
# The strips' colour key first: where only one fits, it is the one a reader cannot guess.
STRIP_LEGEND = ["strips: CPU per core, <span style='background:#00204C;color:white'>&nbsp;0 %"
                "&nbsp;</span><span style='background:#FFEA46'>&nbsp;100 %&nbsp;</span>",
                "x: seconds since each run's start"]
# Lane names longer than this are elided: the rows' timelines need the room more.
_MAX_LANE_NAME_PX = 220
# A timeline narrower than this, right of its names, no longer shows who was slow.
_LEAST_DATA_PX = 360


def _lane_axis_width(font: QFont, point_size: int, label_px: int, max_label_px: int) -> int:
    """Left-axis width of the rows' plots: the lane names (at most ``max_label_px``) or
    "1000", plus the tick and its gap. No room for an axis title: the rows show none."""
    sized = QFont(font)
    sized.setPointSize(point_size)
    metrics = QFontMetrics(sized)
    return max(metrics.horizontalAdvance("1000"), min(label_px, max_label_px)) + 14


def _lane_name_px(point_size: int) -> int:
    """The most a lane name may take: ``_MAX_LANE_NAME_PX`` at 11 pt, growing with the text
    only half as fast, so large text elides a long name rather than squeezing the bars."""
    return int(_MAX_LANE_NAME_PX * (1 + max(0, point_size - 11) / 22))


def _vertical_scroll(content: QWidget) -> QScrollArea:
    """``content`` filling the area's width, scrolled up and down when taller than it."""
    scroll = QScrollArea()
    scroll.setWidget(content)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumHeight(0)
    return scroll


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
        self.start_methods = StartMethodButton(self.backends)
        self.compare_button = QPushButton("▶  Compare")
        self.compare_button.setToolTip("Run the workload on every checked backend, one after "
                                       "another")
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setEnabled(False)
        self.status = QLabel("Check backends and press Compare.")
        self.status.setWordWrap(True)
        # One line each, whatever the text size: what does not fit is "+N more", named in the
        # tooltip (wrapped, they took three lines of a 720-pixel screen at 2× text).
        self.legend = Legend()
        self.strip_legend = Legend()
        self.strip_legend.set_entries(STRIP_LEGEND, " · ")
        self.rows: list[CompareRow] = []
        self.results: list[RunResult] = []
        self._font_size = 11
        self._current = -1
        self._origin = 0.0
        self._row_labels_px = 0  # the name column and lane names left of each timeline
        self._build()

    def _build(self) -> None:
        buttons = QVBoxLayout()
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.stop_button)
        # The start-method button sits under the title, where the list's two rows leave room.
        title = QVBoxLayout()
        title.addWidget(QLabel("Backends"))
        title.addWidget(self.start_methods)
        title.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(title)
        top.addWidget(self.backends, 1)
        top.addLayout(buttons)
        # Rows share the height when they fit; when they do not (ten backends, large text, a
        # 720-px projector) they scroll, each keeping the height that names all its lanes.
        self.rows_box = QWidget()
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(0)
        self.rows_scroll = _vertical_scroll(self.rows_box)
        self.table = CompareTable()
        # The chart takes the page's full height on the right: ten backends' names and values
        # fit there at 1280×720, where a strip under the rows held five.
        self.chart = SpeedupChart()
        self.ideal_line = self.chart.ideal_line
        self.chart_scroll = _vertical_scroll(self.chart)
        self.chart_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.addWidget(self.rows_scroll)
        self.left.addWidget(self.table)
        self.left.setSizes([500, 150])
        self.left.setStretchFactor(0, 1)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.left)
        self.split.addWidget(self.chart_scroll)
        self.split.setSizes([650, 300])
        self.split.setStretchFactor(0, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(top)
        layout.addWidget(self.status)
        legends = QHBoxLayout()
        legends.addWidget(self.legend, 3)
        legends.addWidget(self.strip_legend, 2)
        layout.addLayout(legends)
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
            row = CompareRow(label, CompareRow.colour(i), CompareRow.hatched(i))
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
        """A new comparison of ``labels`` (entry names, ``gui.panels.backend_list.
        entry_labels``) is about to run."""
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
        self.start_methods.set_running(running)
        self.stop_button.setEnabled(running)

    def step_started(self, index: int, total: int, label: str, run: AnyRun,
                     origin: float) -> None:
        self._current = index
        self._origin = origin
        self.rows[index].begin(origin, run.config.workload.task_names)
        if index == 0:
            self.legend.set_entries(self.rows[0].legend_entries())
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
        return self._names(self.results)[0] if self.results else "—"

    def _names(self, results: Sequence[RunResult]) -> list[str]:
        """Each run's entry name: its row's (``process-pool@spawn``), so a stopped comparison
        keeps the names it ran under; the engine's for a run beyond the rows."""
        labels = [row.label for row in self.rows]
        return labels[:len(results)] + entry_names(results)[len(labels):]

    def show_results(self, results: Sequence[RunResult], rebuild: bool = True) -> None:
        """Show finished runs; ``rebuild`` redraws the rows from them (a saved session)."""
        if rebuild:
            self._set_rows(entry_names(results))
            for row, result in zip(self.rows, results):
                row.replay(result)
            if self.rows:
                self.legend.set_entries(self.rows[0].legend_entries())
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
        self.table.show_results(results, len(self.rows), self._names(results))

    def _fill_chart(self, results: Sequence[RunResult]) -> None:
        self.chart.show_speedups(self._names(results),
                                 [r.stats.speedup for r in results],
                                 ideal_speedup(results) if results else None)
        self._fit_split()

    def _fit_split(self) -> None:
        """Give the chart the width its names and values need beside the rows, or, on a page
        too narrow for both (2× text on a 1280-px screen), the width under them; and give the
        table the height that shows every backend, leaving the timelines most of the page."""
        if not self.isVisible():
            return  # sizes before the first show are guesses; showEvent fits again
        width, height = self.split.width(), self.split.height()
        if width > 0 and height > 0:
            scrollbar = self.chart_scroll.verticalScrollBar().sizeHint().width()
            least = self.chart.minimumWidth() + scrollbar
            narrow = width - least < self._row_labels_px + _LEAST_DATA_PX
            if narrow:
                self.split.setOrientation(Qt.Orientation.Vertical)
                chart = min(self.chart.minimum_height() + scrollbar, int(height * 0.45))
                self.split.setSizes([height - chart, chart])
            else:
                self.split.setOrientation(Qt.Orientation.Horizontal)
                chart = max(least, min(max(self.chart.width_hint(), int(width * 0.25)),
                                       int(width * 0.36)))
                self.split.setSizes([width - chart, chart])
        height = sum(self.left.sizes())
        if height > 0:
            table = min(self.table.whole_height(), int(height * 0.4))
            self.left.setSizes([height - table, table])

    @property
    def ideal(self) -> float:
        return self.chart.ideal

    def bar_heights(self) -> list[float]:
        """Speedup per backend as drawn (bar lengths), in row order."""
        return self.chart.bar_lengths()

    # -- axes ------------------------------------------------------------------------------------
    def _show_span(self, now_x: float) -> None:
        master = self.x_master
        if master is None:
            return
        span = max([now_x, 0.5, *(r.wall_s for r in self.results)])
        master.setXRange(-0.02 * span, span * 1.02, padding=0)

    def _align_axes(self) -> None:
        # The rows read as one time axis only if their plots start at the same x pixel: one
        # name-column width and one left-axis width for all.
        names = max([NAME_WIDTH, *(r.name_width_hint(self._font_size) for r in self.rows)])
        hint = max([r.timeline.lane_width_hint() for r in self.rows] or [0])
        # Lane names may take a fifth of a row, or what "thread 123456" needs; longer ones are
        # elided, never dropped.
        sized = QFont(self.font())
        sized.setPointSize(self._font_size)
        least = QFontMetrics(sized).horizontalAdvance("thread 123456")
        room = max(least, min(_lane_name_px(self._font_size), int(self.rows_box.width() * 0.2)))
        width = _lane_axis_width(self.font(), self._font_size, hint, room)
        self._row_labels_px = names + width
        for row in self.rows:
            row.set_name_width(names)
            row.timeline.lane_axis.set_max_label_px(room)
            set_left_width(row.timeline.plot, width)
            set_left_width(row.strip.plot, width)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._align_axes()
        self._fit_split()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._fit_split()

    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        for i, row in enumerate(self.rows):
            row.set_font_size(point_size)
            row.show_time_axis(i == len(self.rows) - 1, point_size)
        self.chart.set_font_size(point_size)
        self.table.set_font_size(point_size)
        self._align_axes()
        self._fit_split()
