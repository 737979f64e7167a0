"""Shared look of the plots: white background, readable fonts, aligned left axes.

The CPU plots and the timeline share one x axis (seconds since run start); for their data to
line up vertically their left axes must be exactly as wide, so every plot in a stack (the Live
page's, a comparison's rows) gets the one width ``left_axis_width`` computes, by
``set_left_width``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui import palette
from gui.plots.axes import LabelAxis
from gui.plots.legend import Legend, plain

TIME_LABEL = "time since run start (s)"


def short_host(host: str, chars: int = 14) -> str:
    """A host name short enough for a row label: its first DNS label (an IP stays whole)."""
    first = host if host.replace(".", "").isdigit() else host.split(".")[0]
    return first[:chars] + ("…" if len(first) > chars else "")


def cpu_image() -> pg.ImageItem:
    """An image for CPU % heatmaps (columns = time, rows = cores): dark 0 % → yellow 100 %."""
    image = pg.ImageItem(axisOrder="col-major")
    image.setColorMap(pg.colormap.get("cividis"))
    image.setNanPolicy("omit")  # zoomed out, a gap must not blank the columns merged with it
    return image


def draw_cpu_image(image: pg.ImageItem,
                   columns: tuple[float, float, np.ndarray] | None, origin: float) -> None:
    """Show ``gui.plots.buffers.heatmap_columns`` output on the time axis (seconds since
    ``origin``), row i at y = i."""
    if columns is None or not columns[2].size:
        image.clear()
        return
    start, dt, data = columns
    image.setImage(data, levels=(0, 100), autoLevels=False, autoDownsample=True)
    image.setRect(QRectF(start - origin, -0.5, len(data) * dt, data.shape[1]))


def make_plot(y_label: str, axis_items: dict[str, pg.AxisItem] | None = None) -> pg.PlotWidget:
    """A PlotWidget styled for live data: light grid, no antialiasing, clip to view."""
    axis_items = {"left": LabelAxis(), **(axis_items or {})}
    widget = pg.PlotWidget(background=palette.BACKGROUND, axisItems=axis_items)
    item = widget.getPlotItem()
    item.showGrid(x=True, y=True, alpha=palette.GRID_ALPHA)
    item.setClipToView(True)
    # Peak downsampling keeps short spikes visible when an hour of samples is zoomed out.
    item.setDownsampling(auto=True, mode="peak")
    item.hideButtons()  # the "A" autoscale button is unreadable on a projector; we have Reset
    item.setMenuEnabled(False)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.enableAutoSIPrefix(False)
        # Major ticks and grid lines only: minor grid lines more than double the paint time
        # (measured 23 → 8 ms per frame for the three plots at 1280×720) and add clutter.
        axis.setStyle(maxTickLevel=0)
        axis.setTextPen(palette.FOREGROUND)
        axis.setPen(palette.FOREGROUND)
    item.setLabel("left", y_label)
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    widget.setMinimumHeight(90)
    return widget


def set_font(widget: pg.PlotWidget, point_size: int, y_label: str,
             x_label: str | None = None) -> None:
    """Apply ``point_size`` to tick numbers and axis titles."""
    item = widget.getPlotItem()
    font = QFont()
    font.setPointSize(point_size)
    style = {"color": palette.FOREGROUND, "font-size": f"{point_size}pt"}
    for name in ("left", "bottom"):
        item.getAxis(name).setStyle(tickFont=font, tickTextOffset=4)
    item.setLabel("left", y_label, **style)
    if x_label:
        item.setLabel("bottom", x_label, **style)
    else:
        item.getAxis("bottom").showLabel(False)


def set_left_width(widget: pg.PlotWidget, width: int) -> None:
    widget.getPlotItem().getAxis("left").setWidth(width)


def left_axis_width(font: QFont, point_size: int, label_px: int, max_label_px: int) -> int:
    """The left-axis width, in pixels, that plots sharing one time axis all get.

    Plots stacked on one time axis only read as one if their data starts at the same x pixel,
    so every plot in a stack gets this same width: room for tick numbers up to "1000" or for
    the longest row name (``label_px``, but at most ``max_label_px``: longer names are cut
    rather than allowed to squeeze the data), plus the rotated axis title.

    Args:
        font: the text's family (the widget's font); ``point_size`` sets its size.
        point_size: the window's text size.
        label_px: what the longest row name needs (``LabelAxis.width_hint``).
        max_label_px: the most the row names may take.
    """
    sized = QFont(font)
    sized.setPointSize(point_size)
    metrics = QFontMetrics(sized)
    room = max(metrics.horizontalAdvance("1000"), min(label_px, max_label_px))
    return room + int(metrics.height() * 1.6) + 10


def swatch(colour: str, text: str, glyph: str = "■") -> str:
    """Rich-text legend entry: a coloured glyph and its meaning."""
    return f'<span style="color:{colour}">{glyph}</span>&nbsp;{text}'


class PlotPanel(QWidget):
    """A plot with a header line above it: bold title, rich-text legend, then any controls.

    Subclasses add controls with ``add_control`` and fill ``legend`` with ``swatch`` entries.
    """

    def __init__(self, title: str, plot: pg.PlotWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = plot
        self.title = QLabel(f"<b>{title}</b>")
        # The y axis's title, shown here instead when the plot is too short to write it
        # (``fit_axis_title``): a presenter's large text in a 720-pixel window cut
        # "% of a core" to "of a co".
        self.unit = QLabel()
        self.unit.hide()
        #: Whether the axis title moves up here when it does not fit (the Live page's plots;
        #: elsewhere a caller decides on the axis title itself).
        self.fit_title = False
        #: Whether the axis title is a unit, worth its room in the header; a name ("worker"
        #: beside lanes that are named) is left out instead.
        self.axis_is_unit = True
        self.legend = Legend()
        self._header = QHBoxLayout()
        self._header.setContentsMargins(4, 0, 4, 0)
        self._header.addWidget(self.title)
        self._header.addWidget(self.unit)
        self._header.addSpacing(12)
        self._header.addWidget(self.legend, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(self._header)
        layout.addWidget(plot, 1)

    def set_font_size(self, point_size: int) -> None:
        """Apply the window's text size to the plot (each panel knows its own titles)."""
        raise NotImplementedError

    def add_control(self, widget: QWidget) -> None:
        self._header.addWidget(widget)

    def fit_axis_title(self) -> None:
        """Write the y axis's title beside the panel's own when the plot is too short for it."""
        if not self.fit_title:
            return
        item = self.plot.getPlotItem()
        axis = item.getAxis("left")
        text = axis.labelText
        size = str(axis.labelStyle.get("font-size", "")).removesuffix("pt")
        font = QFont(self.font())
        if size.isdigit():
            font.setPointSize(int(size))
        room = self.plot.height() - item.getAxis("bottom").height()
        fits = not text or QFontMetrics(font).horizontalAdvance(text) + 8 <= room
        if axis.label.isVisible() != fits:  # each call re-lays the axis out: only on a change
            axis.showLabel(fits)
        self.unit.setText(f" ({text})")
        self.unit.setVisible(not fits and self.axis_is_unit)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit_axis_title()

    def legend_text(self) -> str:
        """The legend as plain text (for tests and accessibility)."""
        return plain(self.legend.text())
