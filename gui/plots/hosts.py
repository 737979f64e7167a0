"""CPU of a cluster's hosts: one group of heatmap rows per host, one row per core.

Shown when a Dask run connects to a cluster by address: its workers may be on other machines,
which this machine's per-core plot cannot see. ``engine.hosts`` samples each host through Dask;
here each host is a band of rows, labelled with its (short) name and core number, bands split by
a white rule, all on the shared time axis. A heatmap rather than curves: two hosts of eight cores
would be sixteen overlapping lines.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from engine.hosts import HOST_INTERVAL_S
from engine.records import HostCpuSample
from gui import palette
from gui.plots.axes import LabelAxis
from gui.plots.buffers import SampleRing, heatmap_columns
from gui.plots.style import (
    PlotPanel,
    cpu_image,
    draw_cpu_image,
    make_plot,
    set_font,
    short_host,
)

Y_LABEL = "host · core"
# 15 minutes at the sampler's 4 Hz.
CAPACITY = 3600
_LEGEND_HOSTS = 4


class HostCpuPlot(PlotPanel):
    """Per-core CPU of every cluster host over time, grouped by host."""

    rows_changed = Signal()  # hosts came or went: the row names' width may have changed

    def __init__(self, capacity: int = CAPACITY, parent: QWidget | None = None) -> None:
        self.row_axis = LabelAxis()
        super().__init__("CPU per cluster host", make_plot(Y_LABEL, {"left": self.row_axis}),
                         parent)
        self._capacity = capacity
        self._origin = 0.0
        self._font_size = 10
        self.plot.setMouseEnabled(x=True, y=False)
        item = self.plot.getPlotItem()
        item.invertY(True)
        self.image = cpu_image()
        item.addItem(self.image)
        self.hosts: dict[str, SampleRing] = {}  # in order of appearance
        self.workers: dict[str, set[int]] = {}
        self.this_machine: set[str] = set()
        self._rules: list[pg.InfiniteLine] = []
        self._update_rows()

    # -- data --------------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        return sum(ring.width for ring in self.hosts.values())

    def clear(self) -> None:
        self.hosts.clear()
        self.workers.clear()
        self.this_machine.clear()
        self._update_rows()
        self.refresh()

    def set_origin(self, origin: float) -> None:
        self._origin = origin
        self.refresh()

    def add_samples(self, samples: list[HostCpuSample]) -> None:
        new = False
        for s in samples:
            ring = self.hosts.get(s.host)
            if ring is None or ring.width != len(s.per_core):
                ring = self.hosts[s.host] = SampleRing(self._capacity, len(s.per_core))
                new = True
            ring.append(s.t, s.per_core)
            if s.this_machine:
                self.this_machine.add(s.host)
            known = self.workers.setdefault(s.host, set())
            if not set(s.processes) <= known:
                known.update(s.processes)
                new = True
        if new:
            self._update_rows()
        self.refresh()

    # -- drawing -----------------------------------------------------------------------------
    def _update_rows(self) -> None:
        item = self.plot.getPlotItem()
        for rule in self._rules:
            item.removeItem(rule)
        self._rules = []
        labels: list[str] = []
        for host, ring in self.hosts.items():
            if labels:  # a white rule between two hosts' bands
                rule = pg.InfiniteLine(len(labels) - 0.5, angle=0,
                                       pen=pg.mkPen(palette.BACKGROUND, width=3))
                item.addItem(rule, ignoreBounds=True)
                self._rules.append(rule)
            name = short_host(host)
            labels += [f"{name} {i}" for i in range(ring.width)]
        self.row_axis.set_labels(labels)
        item.setYRange(-0.5, max(1, len(labels)) - 0.5, padding=0)
        self._update_legend()
        self.rows_changed.emit()

    def _update_legend(self) -> None:
        if not self.hosts:
            self.legend.setText("hosts appear when a run on a Dask cluster starts")
            return
        parts = []
        for host, ring in list(self.hosts.items())[:_LEGEND_HOSTS]:
            n = len(self.workers.get(host, ()))
            name = f"{host} (this machine)" if host in self.this_machine else host
            parts.append(f"<b>{name}</b>: {ring.width} core{'s' if ring.width != 1 else ''}, "
                         f"{n} worker{'s' if n != 1 else ''}")
        if len(self.hosts) > _LEGEND_HOSTS:
            parts.append(f"+ {len(self.hosts) - _LEGEND_HOSTS} more hosts")
        parts.append("colour = % of that core: dark 0 % → yellow 100 %")
        self.legend.set_entries(parts, "&nbsp;&nbsp;· ")

    def refresh(self) -> None:
        # Hosts missing from a round (or joining late) read as transparent, not as idle.
        draw_cpu_image(self.image, heatmap_columns([(r.t, r.values) for r in self.hosts.values()],
                                                   4 * self._capacity, HOST_INTERVAL_S),
                       self._origin)

    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        set_font(self.plot, point_size, Y_LABEL)
