"""The Compare page's speedup chart: one horizontal bar per backend, named on the left, its
value at the bar's end, and the ideal speedup as a labelled dashed line.

    ┌──────────────────────────────── ideal 4× ──────────┐
    │   sequential ▇▇▇ 1.00×                 ┆            │
    │      threads ▇▇▇▇ 1.10×                ┆            │
    │    processes ▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇▇ 3.61× ┆            │
    │              0     1     2     3     4    speedup   │
    └────────────────────────────────────────────────────┘

Horizontal, because names of any length sit on the left axis and a row per backend keeps the
order of the timelines above. The chart asks for the height that names every backend
(``minimum_height``), and the page scrolls it rather than letting the axis thin the names.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gui import palette
from gui.plots.axes import LabelAxis
from gui.plots.style import make_plot, set_font

SPEEDUP_LABEL = "speedup (× vs baseline)"
BAR_HEIGHT = 0.6
# Rows are this many text lines tall: bars of about 0.75 of a line, and air between the names.
_ROW_LINES = 1.15
_MAX_ROW_LINES = 2.6
_HATCH = Qt.BrushStyle.BDiagPattern
# Text over the ideal line or a grid line keeps a white ground, so its contrast is the white's.
_TEXT_FILL = "#FFFFFF"


def speedup_text(speedup: float | None) -> str:
    return "—" if speedup is None else f"{speedup:.2f}×"


class SpeedupChart(QWidget):
    """Speedup per backend as horizontal bars in the rows' colours, hatched where the colour
    is one of the second five (``palette.series_dashed``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axis = LabelAxis()
        self.plot = make_plot("", {"left": self.axis})
        self.plot.setMinimumHeight(0)
        self.plot.setMouseEnabled(x=False, y=False)
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=False, alpha=palette.GRID_ALPHA)
        item.invertY(True)
        item.getAxis("left").showLabel(False)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR_HEIGHT)
        item.addItem(self.bars)
        # Hatching over the fill, for the second cue; a pattern brush alone would drop the fill.
        self.hatch = pg.BarGraphItem(x0=[], y=[], width=[], height=BAR_HEIGHT,
                                     pen=pg.mkPen(None),
                                     brush=QBrush(QColor(palette.FOREGROUND), _HATCH))
        self.hatch.setZValue(1)
        item.addItem(self.hatch)
        self.ideal_line = pg.InfiniteLine(1, angle=90, pen=pg.mkPen(
            palette.FOREGROUND, width=2, style=Qt.PenStyle.DashLine))
        self.ideal_line.setVisible(False)
        item.addItem(self.ideal_line)
        # In a row of its own above the first bar, so it never covers a bar or its value;
        # right of the line, since left of it may be the axis (an ideal of 1×).
        self.ideal_label = pg.TextItem("", color=palette.FOREGROUND, anchor=(-0.05, 0.5),
                                       fill=_TEXT_FILL)
        item.addItem(self.ideal_label)
        self.value_labels: list[pg.TextItem] = []
        self.names: list[str] = []
        self.speedups: list[float | None] = []
        self._font = QFont()
        self._font_size = 11
        item.getViewBox().sigResized.connect(self._fit_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.show_speedups([], [], None)  # names on the axis, not numbers, from the start

    # -- data ------------------------------------------------------------------------------------
    def show_speedups(self, names: Sequence[str], speedups: Sequence[float | None],
                      ideal: int | None) -> None:
        """One bar per backend (``None``: no speedup, e.g. cancelled), and the ideal line
        (``None``: nothing to compare)."""
        self.names, self.speedups = list(names), list(speedups)
        n = len(self.names)
        widths = np.array([s or 0.0 for s in self.speedups], dtype=float)
        y = np.arange(n, dtype=float)
        brushes = [pg.mkBrush(palette.series_colour(i)) for i in range(n)]
        self.bars.setOpts(x0=np.zeros(n), y=y, width=widths, height=BAR_HEIGHT,
                          brushes=brushes, pen=pg.mkPen(palette.FOREGROUND, width=1))
        hatched = np.array([palette.series_dashed(i) for i in range(n)], dtype=bool)
        self.hatch.setOpts(x0=np.zeros(int(hatched.sum())), y=y[hatched],
                           width=widths[hatched], height=BAR_HEIGHT)
        self.axis.set_labels(self.names)
        item = self.plot.getPlotItem()
        for label in self.value_labels:
            item.removeItem(label)
        self.value_labels = []
        for i, speedup in enumerate(self.speedups):
            # anchor x < 0: a few pixels clear of the bar's end.
            label = pg.TextItem(speedup_text(speedup), color=palette.FOREGROUND,
                                anchor=(-0.08, 0.5), fill=_TEXT_FILL)
            label.setFont(self._font)
            label.setPos(speedup or 0.0, i)
            item.addItem(label)
            self.value_labels.append(label)
        self.ideal_line.setValue(ideal or 1)
        self.ideal_line.setVisible(ideal is not None)
        self.ideal_label.setText(f"ideal {ideal}×" if ideal is not None else "")
        self.ideal_label.setPos(ideal or 1, -1)
        self._update_height()
        self._update_width()
        self._fit_view()

    @property
    def ideal(self) -> float:
        return float(self.ideal_line.value())

    def bar_lengths(self) -> list[float]:
        return [float(w) for w in np.asarray(self.bars.opts["width"])]

    # -- size ------------------------------------------------------------------------------------
    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        self._font = QFont(self.font())
        self._font.setPointSize(point_size)
        set_font(self.plot, point_size, "", SPEEDUP_LABEL)
        self.plot.getPlotItem().getAxis("left").showLabel(False)
        for label in [*self.value_labels, self.ideal_label]:
            label.setFont(self._font)
        self._update_height()
        self._update_width()
        self._fit_view()

    def minimum_height(self) -> int:
        """Pixels that name every backend: a row per backend and one for the ideal's label,
        plus the bottom axis (tick numbers and title)."""
        line = QFontMetrics(self._font).height() + 1
        rows = len(self.names) + 1.5
        bottom_axis = 2 * line + 16
        return int(rows * line * _ROW_LINES) + bottom_axis + 8

    def width_hint(self, bar_lines: int = 8) -> int:
        """Pixels that show the names, the values beside their bars and the longest bar
        ``bar_lines`` text lines long (the least width, at ``bar_lines=3``)."""
        metrics = QFontMetrics(self._font)
        names = max([metrics.horizontalAdvance(n) for n in self.names] or [0])
        texts = [speedup_text(s) for s in self.speedups] + [self.ideal_label.toPlainText()]
        values = max(metrics.horizontalAdvance(t) for t in texts)
        return names + 16 + bar_lines * metrics.height() + int(values * 1.1) + 30

    def _update_width(self) -> None:
        # Never narrower than what names every backend and shows every value.
        self.setMinimumWidth(self.width_hint(bar_lines=3))

    def _update_height(self) -> None:
        self.setMinimumHeight(self.minimum_height())

    def _fit_view(self) -> None:
        """Rows no thicker than ``_MAX_ROW_LINES`` (three fat bars in a tall chart read as
        blocks, not bars), room right of the longest bar for its value, and right of the ideal
        line for its label."""
        view = self.plot.getPlotItem().getViewBox()
        rows = len(self.names) + 1  # and the ideal's label row
        line = QFontMetrics(self._font).height() + 1
        shown = max(rows, view.height() / (_MAX_ROW_LINES * line))
        self.plot.getPlotItem().setYRange(-1.5, shown - 1.5, padding=0)
        view_px = view.width()
        metrics = QFontMetrics(self._font)
        needs = [(1.0, 0.0)]  # (data x, pixels of text right of it)
        needs += [(s or 0.0, metrics.horizontalAdvance(speedup_text(s)) * 1.08 + 10)
                  for s in self.speedups]
        if self.ideal_line.isVisible():
            needs.append((self.ideal, metrics.horizontalAdvance(self.ideal_label.toPlainText())
                          * 1.05 + 10))
        right = 1.0
        for x, px in needs:
            room = 1 - px / view_px if view_px > 0 else 0.5
            right = max(right, x / max(0.3, room), x * 1.05)
        self.plot.getPlotItem().setXRange(0, right, padding=0)

    # -- queries (tests) -------------------------------------------------------------------------
    def text_boxes(self) -> list[tuple[str, QRectF]]:
        """Every text the chart draws and its box, in the plot widget's pixels: the backend
        names (as the axis lays them out), the values and the ideal's label."""
        boxes = []
        image = QImage(8, 8, QImage.Format.Format_ARGB32)
        painter = QPainter(image)
        try:
            if self.axis.style["tickFont"] is not None:
                painter.setFont(self.axis.style["tickFont"])
            _, _, texts = self.axis.generateDrawSpecs(painter)
        finally:
            painter.end()
        for rect, _flags, text in texts:
            boxes.append((text, self._to_widget(self.axis.mapRectToScene(rect))))
        view = self.plot.getPlotItem().getViewBox()
        for label in [*self.value_labels, self.ideal_label]:
            if not label.toPlainText():
                continue
            # The text ignores the view's scaling: its box is its own size in pixels, placed
            # by its anchor around its data position (sceneBoundingRect lags a resize).
            at = view.mapViewToScene(label.pos())
            size = label.textItem.boundingRect()
            ax, ay = label.anchor.x(), label.anchor.y()
            box = QRectF(at.x() - ax * size.width(), at.y() - ay * size.height(),
                         size.width(), size.height())
            boxes.append((label.toPlainText(), self._to_widget(box)))
        return boxes

    def _to_widget(self, scene_rect: QRectF) -> QRectF:
        return QRectF(self.plot.mapFromScene(scene_rect).boundingRect())
