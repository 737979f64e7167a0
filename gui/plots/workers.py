"""CPU of each worker during a run, in % of one core, plus their sum.

For process backends a worker is a child process (``CpuSample.processes``); for in-process
backends it is an engine thread (``CpuSample.threads``); for a Dask cluster reached by address
it is a worker process on some host, as sampled there (``HostCpuSample.processes``).

The sum curve against the 100 % line is the point of this plot: four threads running pure
Python add up to one core's worth, four processes to four.

Its Memory box shows resident memory instead (``CpuSample.memory``), on the same axis: one
curve per worker process, each with its own interpreter and its own copy of the data; or, on
an in-process backend, the one process whose memory its threads share.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QCheckBox, QWidget

from engine.records import CpuSample, HostCpuSample, TaskStarted, WorkerId
from gui import palette
from gui.plots import TaskEvent
from gui.plots.buffers import Series
from gui.plots.cpu import CAPACITY
from gui.plots.style import PlotPanel, make_plot, set_font, short_host, swatch

Y_LABEL = "% of one core"
MEMORY_LABEL = "MiB resident"
# Beyond this many curves the plot is a blur; later workers still count in the sum.
MAX_CURVES = 24
_LEGEND_WORKERS = 8


#: A worker: (host, pid) for a process, ("", native thread id) for an engine thread. Pids are
#: unique per machine only; host is "" on this one.
Key = tuple[str, int]


def worker_key(worker: WorkerId, uses_processes: bool) -> Key:
    return (worker.host, worker.pid) if uses_processes else ("", worker.tid)


def worker_label(worker: WorkerId, uses_processes: bool) -> str:
    text = f"pid {worker.pid}" if uses_processes else f"thread {worker.tid}"
    return f"{short_host(worker.host)} · {text}" if worker.host else text


# Pen per second cue (``palette.series_cue``): unique colour-and-dash pairs for MAX_CURVES.
_DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine,
           Qt.PenStyle.DashDotLine, Qt.PenStyle.DashDotDotLine)


def worker_pen(index: int) -> QPen:
    """The ``index``-th worker's curve: a series colour (never the sum line's black), dashed
    from the sixth on, where colour alone would confuse some viewers."""
    style = _DASHES[palette.series_cue(index) % len(_DASHES)]
    pen: QPen = pg.mkPen(palette.series_colour(index), width=1, style=style)
    return pen


class WorkerCpuPlot(PlotPanel):
    """Each worker's CPU as a curve, and their sum, over the active run."""

    def __init__(self, capacity: int = CAPACITY, parent: QWidget | None = None) -> None:
        super().__init__("CPU per worker", make_plot(Y_LABEL), parent)
        self._capacity = capacity
        self._font_size = 10
        self.memory_box = QCheckBox("Memory")
        self.memory_box.setToolTip("Show each worker's resident memory (MiB) instead of its CPU")
        self.memory_box.toggled.connect(self.set_memory)
        self.add_control(self.memory_box)
        self._origin = 0.0
        self._active = False
        self._uses_processes = False
        self._on_cluster = False
        self._latest: dict[Key, float] = {}
        self._y_top = 110.0
        self.plot.setMouseEnabled(x=True, y=False)
        item = self.plot.getPlotItem()
        item.enableAutoRange(axis="y", enable=False)
        item.setYRange(-3, 110, padding=0)
        one_core = pg.InfiniteLine(100, angle=0, label="one core",
                                   pen=pg.mkPen(palette.FOREGROUND, width=1,
                                                style=Qt.PenStyle.DotLine),
                                   # Under the line: above it, a short plot (large text, or
                                   # the timeline's larger share) cut the words off at its top.
                                   labelOpts={"position": 0.03, "color": palette.FOREGROUND,
                                              "anchors": [(0, 0), (0, 0)]})
        item.addItem(one_core)
        self._one_core = one_core
        self.sum_curve = pg.PlotDataItem(pen=pg.mkPen(palette.TOTAL, width=2), antialias=False,
                                         skipFiniteCheck=True)
        self.sum_curve.setZValue(10)
        item.addItem(self.sum_curve)
        self.series: dict[Key, Series] = {}
        self.sum_series = Series(capacity)
        # Resident MiB, by worker process (none on an in-process run: its threads share one
        # process, whose memory is the sum series alone).
        self.memory_series: dict[Key, Series] = {}
        self.memory_sum = Series(capacity)
        self.workers: dict[Key, str] = {}  # key -> label, in order of appearance
        self.curves: dict[Key, pg.PlotDataItem] = {}
        self._update_legend()

    # -- run lifecycle ---------------------------------------------------------------------------
    def begin_run(self, origin: float, uses_processes: bool, on_cluster: bool = False) -> None:
        """Start a run's curves. ``on_cluster``: the workers are a cluster's, reported by
        ``add_host_samples``; this machine's samples are then not about them."""
        item = self.plot.getPlotItem()
        for curve in self.curves.values():
            item.removeItem(curve)
        self.curves.clear()
        self.series.clear()
        self.workers.clear()
        self.sum_series = Series(self._capacity)
        self.memory_series.clear()
        self.memory_sum = Series(self._capacity)
        self._uses_processes = uses_processes
        self._on_cluster = on_cluster
        self._latest.clear()
        self._origin = origin
        self._active = True
        self._update_legend()
        self.refresh()

    def end_run(self, t0: float) -> None:
        self._active = False
        self.set_origin(t0)

    def set_origin(self, origin: float) -> None:
        self._origin = origin
        self.refresh()

    # -- data ------------------------------------------------------------------------------------
    def add_task_events(self, events: list[TaskEvent]) -> None:
        new = False
        for event in events:
            if not isinstance(event, TaskStarted):
                continue
            key = worker_key(event.worker, self._uses_processes)
            if key not in self.workers:
                self.workers[key] = worker_label(event.worker, self._uses_processes)
                self.series.setdefault(key, Series(self._capacity))
                if len(self.curves) < MAX_CURVES:
                    self._add_curve(key)
                new = True
        if new:
            self._update_legend()
            self.refresh()

    def _add_curve(self, key: Key) -> None:
        curve = pg.PlotDataItem(pen=worker_pen(len(self.curves)),
                                antialias=False, skipFiniteCheck=True)
        self.plot.getPlotItem().addItem(curve)
        self.curves[key] = curve

    def add_host_samples(self, samples: list[HostCpuSample]) -> None:
        """A cluster's worker processes, from one sample per host per round. The sum adds each
        worker's latest reading, so it is the whole cluster's however the hosts interleave."""
        if not self._active or not self._on_cluster:
            return
        for s in samples:
            # A host's sample lists all its workers: one that has gone leaves the sum.
            self._latest = {k: v for k, v in self._latest.items() if k[0] != s.host}
            for pid, value in s.processes.items():
                key = (s.host, pid)
                self.series.setdefault(key, Series(self._capacity)).append(s.t, value)
                self._latest[key] = value
            self.sum_series.append(s.t, sum(self._latest.values()))
        self.refresh()

    def add_samples(self, samples: list[CpuSample]) -> None:
        if not self._active or self._on_cluster:
            return
        for s in samples:
            source = s.processes if self._uses_processes else s.threads
            total = 0.0
            for ident, value in source.items():
                key = ("", ident)
                # Child processes are recorded before their first task so a worker's start-up
                # CPU shows; engine threads only once known as workers (the GUI thread is not).
                if self._uses_processes or key in self.workers:
                    if not self._uses_processes:
                        # One thread cannot use more than one core. Readings above that come
                        # from a sampler delayed between its clock and counter reads (GIL
                        # contention), and would put a false spike over the point of the plot.
                        value = min(value, 100.0)
                    self.series.setdefault(key, Series(self._capacity)).append(s.t, value)
                    total += value
            self.sum_series.append(s.t, total)
            if s.memory:
                self._add_memory(s)
        self.refresh()

    def _add_memory(self, s: CpuSample) -> None:
        if not self._uses_processes:  # the engine's own process, shared by its threads
            self.memory_sum.append(s.t, sum(s.memory.values()))
            return
        total = 0.0
        for pid, mib in s.memory.items():
            self.memory_series.setdefault(("", pid), Series(self._capacity)).append(s.t, mib)
            # Workers only, as the run's figures count them: not multiprocessing's resource
            # tracker (a child process too, of about 12 MiB).
            if ("", pid) in self.workers:
                total += mib
        self.memory_sum.append(s.t, total)

    # -- what is shown ---------------------------------------------------------------------------
    @property
    def memory(self) -> bool:
        return self.memory_box.isChecked()

    def set_memory(self, on: bool) -> None:
        """Show resident memory (True) or CPU (False)."""
        if self.memory_box.isChecked() != on:
            self.memory_box.setChecked(on)  # toggled calls back here
            return
        self.title.setText(f"<b>{'Memory' if on else 'CPU'} per worker</b>")
        self._one_core.setVisible(not on)
        self.set_font_size(self._font_size)
        self.fit_axis_title()  # the other unit's title, where it now fits
        self._y_top = -1.0  # the range is redone for the other unit
        self._update_legend()
        self.refresh()

    def refresh(self) -> None:
        memory = self.memory
        series_of = self.memory_series if memory else self.series
        empty = Series(1)
        for key, curve in self.curves.items():
            series = series_of.get(key, empty)
            curve.setData(series.t.data - self._origin, series.v.data)
        total = self.memory_sum if memory else self.sum_series
        self.sum_curve.setData(total.t.data - self._origin, total.v.data)
        peak = float(total.v.data.max(initial=0.0))
        # CPU: always show 0 and the one-core line, grow only for more (the sum of processes).
        # Memory: from 0 to the peak, in steps so the axis does not creep with every sample.
        top = (max(110.0, 1.08 * peak) if not memory
               else max(16.0, 64.0 * (int(1.1 * peak / 64.0) + 1)))
        if abs(top - self._y_top) > 1e-6:
            self._y_top = top
            self.plot.getPlotItem().setYRange(-0.03 * top, top, padding=0)

    def _update_legend(self) -> None:
        parts = []
        if self.memory and not self._uses_processes and self.workers:
            threads = len(self.workers)
            self.legend.setText(swatch(
                palette.TOTAL, f"<b>this process</b> (its {threads} worker thread"
                f"{'s' if threads != 1 else ''} share its memory)", "▬"))
            return
        if self.memory and self._on_cluster:
            self.legend.setText("memory is read on this machine only, not a cluster's hosts")
            return
        for index, label in enumerate(list(self.workers.values())[:_LEGEND_WORKERS]):
            glyph = "╍" if palette.series_dashed(index) else "━"
            parts.append(swatch(palette.series_colour(index), label, glyph))
        if len(self.workers) > _LEGEND_WORKERS:
            parts.append(f"+ {len(self.workers) - _LEGEND_WORKERS} more")
        if not self.workers:
            parts.append("workers appear when a run starts")
        parts.append(swatch(palette.TOTAL, "<b>all workers (sum)</b>", "▬"))
        self.legend.set_entries(parts, keep=1)  # the black line's key stays

    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        set_font(self.plot, point_size, MEMORY_LABEL if self.memory else Y_LABEL)
