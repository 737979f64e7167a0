"""Per-core CPU over time: one curve per core, the machine total and the share of other programs
(whole machine minus CoreScope's own processes, ``engine.figures.stats.other_cpu``), or a
cores × time heatmap.

Samples are kept with their raw clock readings in a bounded ring; the x values drawn are those
readings minus ``origin`` (the current run's start), so moving the origin when a run starts or
ends re-labels the whole history without touching the data.
"""

from __future__ import annotations

import numpy as np
import psutil
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QWidget

from engine import clock as _clock
from engine.figures.stats import other_cpu
from engine.records import CpuSample
from gui import palette
from gui.plots.axes import LabelAxis
from gui.plots.buffers import SampleRing, heatmap_columns
from gui.plots.style import (
    PlotPanel,
    cpu_image,
    draw_cpu_image,
    make_plot,
    set_font,
    swatch,
)

# Short enough to fit a plot a few lines high at projector text sizes; the legend says the rest.
Y_LABEL = "% of a core"
HEATMAP_Y_LABEL = "core"
# 15 minutes at the default 10 Hz; older samples scroll out of memory.
CAPACITY = 9000
# From this many cores on, 16+ overlapping curves are unreadable: the heatmap is the default.
HEATMAP_FROM_CORES = 16
_MAX_CORE_LABELS = 16
# A neutral grey band, unlike every core colour and the black total: the machine's load that is
# not ours. (Not in gui.palette yet; one place to change it if the palette adopts it.)
OTHER_PROGRAMS = "#8A8A8A"
_OTHER_FILL = (138, 138, 138, 80)


class CpuPlot(PlotPanel):
    """Live per-core CPU (0–100 % of each core) with the run's start and end marked.

    Args:
        cores: number of cores to draw; defaults to the machine's logical cores. A sample with
            a different count rebuilds the plot for that count.
        capacity: samples kept.
    """

    heatmap_changed = Signal(bool)

    def __init__(self, cores: int | None = None, capacity: int = CAPACITY,
                 parent: QWidget | None = None) -> None:
        self.core_axis = LabelAxis()
        super().__init__("CPU per core", make_plot(Y_LABEL, {"left": self.core_axis}), parent)
        self._capacity = capacity
        self._origin = _clock.now()
        self._font_size = 10
        item = self.plot.getPlotItem()
        self.plot.setMouseEnabled(x=True, y=False)
        self.heatmap_box = QCheckBox("Heatmap")
        self.heatmap_box.setToolTip("Show cores × time as colours (legible with many cores)")
        self.heatmap_box.toggled.connect(self.set_heatmap)
        # The legend stays one line at 1280 px; what "other programs" means is one hover away.
        self.legend.setToolTip(
            "other programs: the whole machine minus CoreScope's own CPU (this window's threads "
            "and the worker processes)")
        self.add_control(self.heatmap_box)

        self.image = cpu_image()
        self.image.setZValue(-10)
        item.addItem(self.image)
        dashed = pg.mkPen(palette.BLACK, width=1, style=Qt.PenStyle.DashLine)
        # Labels low in the plot: during a run the curves crowd the top.
        label_opts = {"position": 0.08, "color": palette.FOREGROUND, "fill": (255, 255, 255, 200)}
        self.start_line = pg.InfiniteLine(0, angle=90, pen=dashed, label="run start",
                                          labelOpts=label_opts)
        self.end_line = pg.InfiniteLine(0, angle=90, pen=dashed, label="end",
                                        labelOpts=label_opts)
        for line in (self.start_line, self.end_line):
            line.setVisible(False)
            item.addItem(line, ignoreBounds=True)
        self.core_curves: list[pg.PlotDataItem] = []
        # The one summary curve is 2 px so it reads on a projector; measured no slower to paint
        # than 1 px here (4.5 ms per frame either way). Per-core curves stay at 1 px.
        self.total_curve = pg.PlotDataItem(pen=pg.mkPen(palette.TOTAL, width=2),
                                           antialias=False, skipFiniteCheck=True)
        self.total_curve.setZValue(10)
        item.addItem(self.total_curve)
        # A band from 0, under the core curves: it reads as "this much was never ours" and
        # leaves the curves on top legible.
        self.other_curve = pg.PlotDataItem(pen=pg.mkPen(OTHER_PROGRAMS, width=1), fillLevel=0,
                                           brush=pg.mkBrush(_OTHER_FILL), antialias=False,
                                           skipFiniteCheck=True)
        self.other_curve.setZValue(-5)
        item.addItem(self.other_curve)
        self._heatmap = False
        self._build(cores or psutil.cpu_count(logical=True) or 1)
        self.heatmap_box.setChecked(self.cores >= HEATMAP_FROM_CORES)
        self._apply_mode()

    # -- data --------------------------------------------------------------------------------
    @property
    def cores(self) -> int:
        return self.ring.width

    @property
    def heatmap(self) -> bool:
        return self._heatmap

    def sample_count(self) -> int:
        return len(self.ring)

    def _build(self, cores: int) -> None:
        item = self.plot.getPlotItem()
        for curve in self.core_curves:
            item.removeItem(curve)
        self.ring = SampleRing(self._capacity, cores)
        self.other_ring = SampleRing(self._capacity, 1)  # row for row with ``ring``
        self.core_curves = []
        for i in range(cores):
            # The palette's second cue (dashes) where colour alone could be confused.
            style = Qt.PenStyle.DashLine if palette.series_dashed(i) else Qt.PenStyle.SolidLine
            pen = pg.mkPen(palette.series_colour(i), width=1, style=style)
            curve = pg.PlotDataItem(pen=pen, antialias=False, skipFiniteCheck=True)
            item.addItem(curve)
            self.core_curves.append(curve)
        self._update_legend()

    def add_samples(self, samples: list[CpuSample]) -> None:
        for s in samples:
            if len(s.per_core) != self.cores:
                self._build(len(s.per_core))
                self._apply_mode()
            self.ring.append(s.t, s.per_core)
            self.other_ring.append(s.t, (other_cpu(s),))
        self.refresh()

    def clear(self) -> None:
        self.ring.clear()
        self.other_ring.clear()
        self.refresh()

    # -- run marks and time origin -----------------------------------------------------------
    def set_origin(self, origin: float) -> None:
        self._origin = origin
        self.refresh()

    def begin_run(self, origin: float) -> None:
        self.start_line.setValue(0.0)
        self.start_line.setVisible(True)
        self.end_line.setVisible(False)
        self.set_origin(origin)

    def end_run(self, t0: float, wall_s: float) -> None:
        self.end_line.setValue(wall_s)
        self.end_line.setVisible(True)
        self.set_origin(t0)

    # -- drawing -----------------------------------------------------------------------------
    def set_heatmap(self, on: bool) -> None:
        if on != self._heatmap:
            self._heatmap = on
            self._apply_mode()
            self.heatmap_changed.emit(on)
        if self.heatmap_box.isChecked() != on:
            self.heatmap_box.setChecked(on)

    def _apply_mode(self) -> None:
        on = self._heatmap
        item = self.plot.getPlotItem()
        self.image.setVisible(on)
        for curve in (*self.core_curves, self.total_curve, self.other_curve):
            curve.setVisible(not on)
        if on:
            self.core_axis.set_labels([str(i) for i in range(self.cores)])
            item.invertY(True)
            item.setYRange(-0.5, self.cores - 0.5, padding=0)
        else:
            self.core_axis.set_labels(None)
            item.invertY(False)
            # Headroom above 100 so the "100" tick label is drawn (pyqtgraph drops a label that
            # would touch the edge) and a saturated core is a line, not the frame.
            item.setYRange(-3, 108, padding=0)
        self.set_font_size(self._font_size)
        self._update_legend()
        self.refresh()

    def _update_legend(self) -> None:
        if self._heatmap:
            self.legend.setText("colour = % of that core: dark 0 % → yellow 100 %")
            return
        parts = [swatch(palette.series_colour(i), f"core {i}",
                        "╍" if palette.series_dashed(i) else "━")
                 for i in range(min(self.cores, _MAX_CORE_LABELS))]
        if self.cores > _MAX_CORE_LABELS:
            parts.append(f"… {self.cores} cores")
        parts.append(swatch(palette.TOTAL, "<b>whole machine</b> (mean of cores)", "▬"))
        parts.append(swatch(OTHER_PROGRAMS, "other programs"))
        self.legend.set_entries(parts, keep=2)  # the summary and the grey area stay

    def refresh(self) -> None:
        t = self.ring.t
        values = self.ring.values
        x = t - self._origin
        if self._heatmap:
            self._draw_heatmap(t, values)
            return
        for i, curve in enumerate(self.core_curves):
            curve.setData(x, values[:, i])
        self.total_curve.setData(x, values.mean(axis=1))
        self.other_curve.setData(x, self.other_ring.values[:, 0])

    def _draw_heatmap(self, t: np.ndarray, values: np.ndarray) -> None:
        draw_cpu_image(self.image, heatmap_columns([(t, values)], 4 * self._capacity),
                       self._origin)

    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        set_font(self.plot, point_size, HEATMAP_Y_LABEL if self._heatmap else Y_LABEL)
