"""One backend in a comparison: its name, its timeline and a thin per-core CPU strip (the
cluster hosts' cores, for a dask run on a cluster reached by address).

    ┌──────────────┬───────────────────────────────────────────────┐
    │ process-pool │ ▇▇▇▇▇▇  ▇▇▇▇▇▇▇      (one lane per worker)     │  Timeline (live widget)
    │ 1.23 s       │ ░░▒▒▓▓██████▓▓░░     (cores × time, heatmap)   │  CpuStrip
    └──────────────┴───────────────────────────────────────────────┘

Rows share one x axis (seconds since each run's own start), so a slower backend's bars run
visibly further right; the Compare page links their x ranges and sets equal left-axis widths
and name-column widths.

A row is as tall as naming every lane needs (up to ``MAX_NAMED_LANES``; the page scrolls the
rows), and says so in its name column when it has more lanes than that and names only some.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.figures.result import RunResult
from engine.hosts import by_host
from engine.records import CpuSample, HostCpuSample
from gui import palette
from gui.plots.axes import LabelAxis
from gui.plots.buffers import heatmap_columns
from gui.plots.replay import task_events, task_names
from gui.plots.style import cpu_image, draw_cpu_image, make_plot, set_font, short_host
from gui.plots.timeline import Timeline

STRIP_HEIGHT = 26
# The bottom row's strip also carries the time axis: ticks and title need about this much more.
AXIS_HEIGHT = 50
TIMELINE_MIN_HEIGHT = 36
NAME_WIDTH = 140
STRIP_Y_LABEL = "core"
STATE_COLOUR = "#555555"  # 7.5:1 on white
# Beyond this many lanes a row would be taller than a projector's screen at large text: it
# keeps this height and names every n-th lane, saying so.
MAX_NAMED_LANES = 24
# The plot's own margins above and below the lanes.
_PLOT_MARGIN_PX = 8


def swatch_pixmap(colour: str, hatched: bool, size: int) -> QPixmap:
    """A square as the backend's bar is drawn: its fill, a dark outline, and the hatching of
    the second five colours, so the swatch carries the same two cues as the bar."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    try:
        painter.setPen(QPen(QColor(palette.FOREGROUND), 1))
        painter.setBrush(QBrush(QColor(colour)))
        painter.drawRect(0, 0, size - 1, size - 1)
        if hatched:
            painter.setBrush(QBrush(QColor(palette.FOREGROUND), Qt.BrushStyle.BDiagPattern))
            painter.drawRect(0, 0, size - 1, size - 1)
    finally:
        painter.end()
    return pixmap


def _cpu_sources(result: RunResult) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[str]]:
    """(times, per-core values) per machine the run's work used, and a label per core row."""
    rows: dict[str, Sequence[CpuSample | HostCpuSample]] = (
        dict(by_host(result.host_samples)) if result.host_samples else {"": list(result.samples)})
    sources, labels = [], []
    for host, samples in rows.items():
        if not samples:
            continue
        cores = len(samples[-1].per_core)
        samples = [s for s in samples if len(s.per_core) == cores]
        sources.append((np.array([s.t for s in samples]),
                        np.array([s.per_core for s in samples], dtype=float)))
        labels += [f"{short_host(host)} {i}" if host else f"core {i}" for i in range(cores)]
    return sources, labels


class CpuStrip(QWidget):
    """Per-core CPU of one finished run as a heatmap (dark 0 % → yellow 100 % of that core).

    A heatmap, not curves: at strip height, two or more overlapping curves are unreadable,
    while a colour per core and moment stays legible at any core count.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axis = LabelAxis()
        self.plot = make_plot(STRIP_Y_LABEL, {"left": self.axis})
        self.plot.setMinimumHeight(STRIP_HEIGHT)
        self.plot.setMouseEnabled(x=True, y=False)
        item = self.plot.getPlotItem()
        item.showGrid(x=False, y=False)
        item.invertY(True)
        self.image = cpu_image()
        item.addItem(self.image)
        self.samples: tuple[CpuSample | HostCpuSample, ...] = ()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)

    def show_result(self, result: RunResult) -> None:
        """The run's per-core CPU: this machine's, or each cluster host's band of cores when
        the run sampled a cluster's hosts (its work ran there, not here)."""
        sources, labels = _cpu_sources(result)
        self.samples = result.host_samples or result.samples
        draw_cpu_image(self.image, heatmap_columns(sources, 20_000), result.t0)
        self.axis.set_labels(labels)
        self.plot.getPlotItem().setYRange(-0.5, max(1, len(labels)) - 0.5, padding=0)

    def clear(self) -> None:
        self.samples = ()
        self.image.clear()


class CompareRow(QWidget):
    """A backend's name and wall time beside its timeline and CPU strip.

    Args:
        label: the backend name.
        colour: its colour, shared with its bar in the speedup chart.
    """

    def __init__(self, label: str, colour: str, hatched: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.result: RunResult | None = None
        self.swatch = QLabel()
        self.swatch.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.name = QLabel()
        # No word wrap: the column is made as wide as the longest name, and a wrapping label
        # makes the page's scroll area size rows by their preferred height, not their least.
        self.name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.name_box = QWidget()
        self.name_box.setFixedWidth(NAME_WIDTH)
        name_layout = QHBoxLayout(self.name_box)
        name_layout.setContentsMargins(0, 0, 0, 0)
        name_layout.setSpacing(4)
        name_layout.addWidget(self.swatch, 0, Qt.AlignmentFlag.AlignVCenter)
        name_layout.addWidget(self.name, 1)
        self._colour = colour
        self._hatched = hatched
        self._state = ""
        self.timeline = Timeline()
        # One legend for all rows is shown above them; the name column replaces the title.
        self.timeline.title.hide()
        self.timeline.legend.hide()
        self.timeline.hint.hide()
        self.timeline.plot.setMinimumHeight(TIMELINE_MIN_HEIGHT)
        self.timeline.plot.getPlotItem().showAxis("bottom", False)
        self.strip = CpuStrip()
        self.strip.plot.getPlotItem().showAxis("bottom", False)
        plots = QVBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.setSpacing(0)
        plots.addWidget(self.timeline, 1)
        plots.addWidget(self.strip)
        self.strip.setFixedHeight(STRIP_HEIGHT)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.addWidget(self.name_box)
        layout.addLayout(plots, 1)
        self.timeline.lanes_changed.connect(self._lanes_changed)
        self._draw_swatch()
        self.set_state("waiting")

    def set_state(self, text: str) -> None:
        self._state = text
        lanes = len(self.timeline.lane_labels())
        more = f"<br>{lanes} lanes,<br>not all named" if lanes > MAX_NAMED_LANES else ""
        self.name.setText(f'<b>{self.label}</b><br><span style="color:{STATE_COLOUR}">'
                          f'{text}{more}</span>')

    def _lanes_changed(self) -> None:
        lanes = len(self.timeline.lane_labels())
        axis = self.timeline.lane_axis
        self.timeline.plot.setMinimumHeight(max(
            TIMELINE_MIN_HEIGHT,
            axis.height_for_all(min(lanes, MAX_NAMED_LANES)) + _PLOT_MARGIN_PX))
        self.set_state(self._state)

    def _draw_swatch(self) -> None:
        size = QFontMetrics(self.font()).height()
        self.swatch.setPixmap(swatch_pixmap(self._colour, self._hatched, size))

    def set_name_width(self, pixels: int) -> None:
        self.name_box.setFixedWidth(pixels)

    def name_width_hint(self, point_size: int) -> int:
        """Pixels the swatch and the bold name need at ``point_size``, on one line."""
        font = QFont(self.font())
        font.setPointSize(point_size)
        font.setBold(True)
        metrics = QFontMetrics(font)
        return metrics.height() + 4 + metrics.horizontalAdvance(self.label) + 6

    def begin(self, origin: float, names: tuple[str, ...]) -> None:
        self.timeline.begin_run(origin, names)
        self._hide_timeline_axis()
        self.strip.clear()
        self.set_state("running …")

    def finish(self, result: RunResult) -> None:
        """Show the finished run; origin becomes its exact start."""
        self.result = result
        self.timeline.end_run(result.t0)
        self.strip.show_result(result)
        state = "cancelled" if result.cancelled else f"{result.wall_s:.2f} s"
        if not result.cancelled and not result.ok:
            state += " · failures"
        self.set_state(state)

    def replay(self, result: RunResult) -> None:
        """Draw a run that already ended (a saved session)."""
        self.begin(result.t0, task_names(result))
        self.timeline.add_task_events(task_events(result))
        self.finish(result)

    def show_time_axis(self, on: bool, point_size: int) -> None:
        """Only the bottom row carries tick numbers and the axis title."""
        if on:
            set_font(self.strip.plot, point_size, STRIP_Y_LABEL, "time since run start (s)")
        else:
            set_font(self.strip.plot, point_size, STRIP_Y_LABEL)
        self.strip.plot.getPlotItem().showAxis("bottom", on)
        font = QFont()
        font.setPointSize(point_size)
        line = QFontMetrics(font).height()
        axis = 2 * line + 12
        if on:
            # pyqtgraph sizes an axis toggled this way without room for its title: fix it.
            self.strip.plot.getPlotItem().getAxis("bottom").setHeight(axis)
        self.strip.plot.getPlotItem().getAxis("left").showLabel(False)
        # At large text the strip grows so its one core name is not cut in half.
        strip = max(STRIP_HEIGHT, line + 6)
        self.strip.setFixedHeight(strip + (max(AXIS_HEIGHT, axis) if on else 0))

    def set_font_size(self, point_size: int) -> None:
        self.timeline.set_font_size(point_size)
        self._hide_timeline_axis()
        font = QFont(self.font())
        font.setPointSize(point_size)
        self.swatch.setPixmap(swatch_pixmap(self._colour, self._hatched,
                                            QFontMetrics(font).height()))
        self._lanes_changed()

    def _hide_timeline_axis(self) -> None:
        # Timeline sets its time-axis title on begin_run and font changes, which shows the
        # axis again; in a stack only the bottom strip carries the time axis.
        item = self.timeline.plot.getPlotItem()
        item.showAxis("bottom", False)
        # Lane names ("thread 6460") and "core 0" say what the rows are; two rotated titles
        # side by side in one narrow row would run into each other.
        item.getAxis("left").showLabel(False)

    def legend_entries(self) -> list[str]:
        return self.timeline.legend.entries

    @staticmethod
    def colour(index: int) -> str:
        return palette.series_colour(index)

    @staticmethod
    def hatched(index: int) -> bool:
        return palette.series_dashed(index)
