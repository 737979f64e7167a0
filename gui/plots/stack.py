"""The Live page's stack of plots on one time axis, and which data goes to which plot.

    CPU per core            this machine (CpuSample.per_core)
    CPU per cluster host    a Dask cluster's hosts (HostCpuSample), shown only for such runs
    CPU per worker          child processes or engine threads (CpuSample), or the cluster's
                            worker processes (HostCpuSample.processes)
    GIL held by             which thread held the GIL (GilSample, py-spy's, ~10 a second): shown
                            on in-process runs from their first reading, redrawn from
                            RunResult.gil_samples at the end
    Tasks per worker        the timeline (TaskStarted / TaskFinished), with the same readings
                            as a strip under each thread lane's bars

Every batch from the bridge reaches ``add_samples`` / ``add_task_events``; routing by sample
type lives here, once, for live runs and replayed ones alike.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QSplitter, QWidget

from engine.figures.result import RunResult
from engine.records import CpuSample, GilSample, HostCpuSample
from gui.plots import Sample, TaskEvent
from gui.plots.cpu import CpuPlot
from gui.plots.gil import GilBand, GilReadings
from gui.plots.hosts import HostCpuPlot
from gui.plots.replay import task_events, task_names
from gui.plots.style import PlotPanel, set_left_width
from gui.plots.timeline import Timeline
from gui.plots.warm import WarmBand
from gui.plots.workers import WorkerCpuPlot

# Height shares of CPU per core, CPU per cluster host, CPU per worker, the GIL band and the
# timeline.
_SHARES = (30, 0, 25, 8, 45)
_HOST_SHARE = 0.2


class LivePlots(QSplitter):
    """CPU per core, CPU per cluster host (when there is one), CPU per worker, timeline."""

    def __init__(self, cores: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.cpu_plot = CpuPlot(cores)
        self.host_cpu = HostCpuPlot()
        self.worker_cpu = WorkerCpuPlot()
        self.gil_band = GilBand()
        self.gil_readings = GilReadings()  # the band's and the timeline strips' readings
        self.timeline = Timeline()
        for index, panel in enumerate(self.panels):
            panel.fit_title = True
            self.addWidget(panel)
            # A panel dragged to nothing would stay lost (its size is remembered).
            self.setCollapsible(index, False)
        # One time scale, read at the bottom: the timeline's numbers (and its title) serve every
        # plot above it, whose grid lines line up with them. Repeated on each plot they cost
        # a text line apiece, which at a projector's text size is most of a small plot.
        for plot in self.followers:
            plot.getPlotItem().getAxis("bottom").setStyle(showValues=False)
        self.host_cpu.hide()
        self.gil_band.hide()
        self.setSizes(list(_SHARES))
        #: Whether the heights are set (shared out once shown, or restored from last time).
        self.laid_out = False
        # A warm run's workers starting, before 0 on every plot (named on the timeline).
        self.warm_band = WarmBand([self.timeline.plot, self.cpu_plot.plot,
                                   self.worker_cpu.plot])

    @property
    def panels(self) -> tuple[PlotPanel, ...]:
        return (self.cpu_plot, self.host_cpu, self.worker_cpu, self.gil_band, self.timeline)

    @property
    def followers(self) -> list[pg.PlotWidget]:
        """The plots that follow the timeline's time axis."""
        return [self.cpu_plot.plot, self.host_cpu.plot, self.worker_cpu.plot, self.gil_band.plot]

    # -- a run -----------------------------------------------------------------------------------
    def begin_run(self, origin: float, names: tuple[str, ...], uses_processes: bool,
                  on_cluster: bool) -> None:
        self.timeline.begin_run(origin, names)
        self.worker_cpu.begin_run(origin, uses_processes, on_cluster)
        self.cpu_plot.begin_run(origin)
        self.host_cpu.clear()
        self.host_cpu.set_origin(origin)
        self._show_hosts(on_cluster)
        self.gil_readings.clear()
        self.gil_band.begin_run(origin)
        self.gil_band.hide()
        self.warm_band.clear()

    def _show_hosts(self, on: bool) -> None:
        if on == (not self.host_cpu.isHidden()):
            return
        sizes = self.sizes()
        self.host_cpu.setVisible(on)
        if on:  # room for the hosts, taken from every other plot alike
            total = sum(sizes)
            others = [round(s * (1 - _HOST_SHARE)) for s in sizes]
            others[1] = round(total * _HOST_SHARE)
            self.setSizes(others)

    def add_task_events(self, events: list[TaskEvent]) -> None:
        self.timeline.add_task_events(events)
        self.worker_cpu.add_task_events(events)
        self.gil_band.add_task_events(events)

    def add_samples(self, samples: list[Sample]) -> None:
        local = [s for s in samples if isinstance(s, CpuSample)]
        hosts = [s for s in samples if isinstance(s, HostCpuSample)]
        gil = [s for s in samples if isinstance(s, GilSample)]
        if gil:
            self.gil_readings.extend(gil)
            self.gil_band.show_readings(self.gil_readings)
            self.gil_band.show()
            self.timeline.show_gil(self.gil_readings)
        if local:
            self.cpu_plot.add_samples(local)
            self.worker_cpu.add_samples(local)
        if hosts:
            self.host_cpu.add_samples(hosts)
            self.worker_cpu.add_host_samples(hosts)

    def end_run(self, result: RunResult) -> None:
        self.cpu_plot.end_run(result.t0, result.wall_s)
        self.timeline.end_run(result.t0)
        self.worker_cpu.end_run(result.t0)
        self.host_cpu.set_origin(result.t0)
        self.gil_band.show_result(result)
        self.gil_band.setVisible(bool(result.gil_samples))
        # The result's readings are the live ones cut to the run's window (or a file's).
        self.gil_readings.clear()
        self.gil_readings.extend([s for s in result.gil_samples
                                  if result.t0 <= s.t <= result.t_end])
        if len(self.gil_readings):
            self.timeline.show_gil(self.gil_readings, result.t_end)
        self.warm_band.show_result(result)

    def replay(self, result: RunResult, uses_processes: bool) -> None:
        """Draw a run that already ended (from a file) as it was; ``end_run`` follows."""
        events = task_events(result)
        self.begin_run(result.t0, task_names(result), uses_processes,
                       on_cluster=bool(result.host_samples))
        self.add_task_events(events)
        self.cpu_plot.clear()
        self.add_samples([*result.samples, *result.host_samples])

    # -- looks -----------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self.laid_out:  # a first start: no heights remembered
            self.laid_out = True
            QTimer.singleShot(0, self, self.share_out)  # once the panels are laid out

    def share_out(self) -> None:
        """Give each plot its share of the height after its header and axes have theirs.

        The splitter's own shares are of whole panels, so at a projector's text size the
        headers and the time axis (fixed, a text line or two each) took most of the small
        panels and the timeline kept about one lane. Called when the text size changes (the
        window does, once the new size is laid out); a layout the presenter dragged is
        otherwise kept, and restored at the next start.
        """
        shown = [p for p in self.panels if not p.isHidden()]
        if not shown:
            return
        fixed = {p: max(0, p.height() - p.plot.getPlotItem().getViewBox().height())
                 for p in shown}
        total = sum(self.sizes())
        room = max(0.0, total - sum(fixed.values()))
        share: dict[PlotPanel, float] = dict(zip(self.panels, _SHARES, strict=True))
        if not self.host_cpu.isHidden():
            share[self.host_cpu] = sum(_SHARES) * _HOST_SHARE
        weights = sum(share[p] for p in shown) or 1
        self.setSizes([round(fixed[p] + room * share[p] / weights) if p in fixed else 0
                       for p in self.panels])

    def set_font_size(self, point_size: int) -> None:
        for panel in self.panels:
            panel.set_font_size(point_size)
            panel.fit_axis_title()  # setting the font wrote the axis title back

    def label_width_hint(self) -> int:
        """Pixels the longest row name (a lane or a host's core) needs."""
        hint = self.timeline.lane_width_hint()
        if not self.host_cpu.isHidden():
            hint = max(hint, self.host_cpu.row_axis.width_hint())
        return hint

    def set_left_width(self, width: int) -> None:
        for panel in self.panels:
            set_left_width(panel.plot, width)
