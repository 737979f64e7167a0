"""The "GIL held by" band: one row over time, a colour per thread that held the GIL, grey where
no thread did.

Drawn from py-spy's readings (``GilSample``, ``engine.run.gil``) as they arrive during a run
(the bridge routes them here with the CPU samples, about 10 a second), then once more from
``RunResult.gil_samples`` when it ends, cut to the run's window. Each stretch of readings with
one holder is a bar from its first reading to the next holder's; the newest reading holds
until the next one is due. One ``BarGraphItem`` per colour takes all that colour's bars as
arrays (per-bar brushes were measured 5–8× slower to repaint).

``GilReadings`` keeps a run's readings for the band and for the timeline's per-lane strips
(``gui.plots.gil_strips``), which draw the same stretches.

Worker colours follow the order the workers first started a task, as ``CPU per worker`` gives
them, so a thread is the same colour in both plots.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from engine.figures.result import RunResult
from engine.records import GilSample, TaskStarted
from gui import palette
from gui.plots import TaskEvent
from gui.plots.buffers import GrowArray
from gui.plots.style import PlotPanel, make_plot, set_font, swatch

Y_LABEL = "GIL"
FREE = "#D4D4D4"  # light grey: nobody held it
OTHER = "#6B6B6B"  # dark grey: a thread that ran no task (the run thread, the window's)


def stretches(times: np.ndarray, holders: np.ndarray,
              t_end: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal holders: (start, width, holder) arrays, the last run ending at ``t_end``.

    ``times`` ascending (s), ``holders`` native thread ids, 0 for "nobody".
    """
    if len(times) == 0:
        empty = np.zeros(0)
        return empty, empty, np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(np.diff(holders)) + 1
    first = np.concatenate(([0], change))
    starts = times[first]
    ends = np.append(times[change], max(t_end, float(times[-1])))
    return starts, ends - starts, holders[first].astype(np.int64)


class GilReadings:
    """One run's GIL readings, in the order taken: engine clock times and holder thread ids."""

    def __init__(self) -> None:
        self._t = GrowArray()
        self._holder = GrowArray(np.int64)

    def __len__(self) -> int:
        return len(self._t)

    def clear(self) -> None:
        self._t.clear()
        self._holder.clear()

    def extend(self, samples: Sequence[GilSample]) -> None:
        for s in samples:
            self._t.append(s.t)
            self._holder.append(s.holder)

    @property
    def times(self) -> np.ndarray:
        return self._t.data

    @property
    def holders(self) -> np.ndarray:
        return self._holder.data

    def end(self) -> float:
        """Where the newest reading's stretch ends: one gap after it, when the next is due."""
        t = self._t.data
        if len(t) == 0:
            return 0.0
        return float(t[-1] + (t[-1] - t[-2] if len(t) > 1 else 0.1))


class GilBand(PlotPanel):
    """Which thread held the GIL over a run, as one coloured row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("GIL held by", make_plot(Y_LABEL), parent)
        self.axis_is_unit = False
        item = self.plot.getPlotItem()
        item.getAxis("left").setTicks([[]])
        item.showGrid(x=True, y=False, alpha=palette.GRID_ALPHA)
        item.setMouseEnabled(x=True, y=False)
        item.setYRange(0, 1, padding=0.05)
        self.plot.setMinimumHeight(60)
        self._bars: dict[str, pg.BarGraphItem] = {}  # one item per colour, made once
        self.shares: dict[str, float] = {}  # legend label -> share of readings, as drawn
        # A run in progress: its workers' threads in the order they first started a task (the
        # colour order of CPU per worker), and where x = 0 is.
        self._order: dict[int, None] = {}
        self._origin = 0.0
        self.clear()

    def _item(self, colour: str) -> pg.BarGraphItem:
        if colour not in self._bars:
            bars = pg.BarGraphItem(x0=[], width=[], y0=0.0, height=1.0,
                                   brush=colour, pen=None)
            self.plot.addItem(bars)
            self._bars[colour] = bars
        return self._bars[colour]

    def clear(self) -> None:
        for bars in self._bars.values():
            bars.setVisible(False)
        self.shares = {}
        self.legend.setText("not measured (py-spy reads it on thread backends)")

    def set_samples(self, times: np.ndarray, holders: np.ndarray, t_end: float,
                    order: Sequence[int], labels: dict[int, str] | None = None) -> None:
        """Draw readings: ``times`` in seconds since run start, ``holders`` native thread ids
        (0: nobody); ``order`` the workers' thread ids in colour order."""
        times, holders = np.asarray(times, dtype=float), np.asarray(holders, dtype=np.int64)
        if len(times) == 0:
            self.clear()
            return
        index = {tid: i for i, tid in enumerate(order)}
        starts, widths, who = stretches(times, holders, t_end)

        def colour_of(tid: int) -> str:
            if tid == 0:
                return FREE
            return palette.series_colour(index[tid]) if tid in index else OTHER

        # By holder, not by bar: GIL-bound threads change hands at nearly every reading, so a
        # long run has about as many bars as readings (36,000 an hour).
        tids, which = np.unique(who, return_inverse=True)
        colours = [colour_of(int(t)) for t in tids]
        for colour in {*colours, *self._bars}:
            keep = np.isin(which, [k for k, c in enumerate(colours) if c == colour])
            bars = self._item(colour)
            bars.setOpts(x0=starts[keep], width=widths[keep], y0=0.0, height=1.0)
            bars.setVisible(bool(keep.any()))
        self.shares = {}
        entries = []
        tids, counts = np.unique(holders, return_counts=True)
        for tid, n in sorted(zip(tids.tolist(), counts.tolist()),
                             key=lambda p: (p[0] == 0, index.get(p[0], len(index)), p[0])):
            label = ("free" if tid == 0 else (labels or {}).get(tid) or f"thread {tid}")
            self.shares[label] = n / len(holders)
            entries.append(swatch(colour_of(tid), f"{label} {n / len(holders):.0%}"))
        self.legend.set_entries(entries, " ")

    # -- a run in progress -----------------------------------------------------------------------
    def begin_run(self, origin: float) -> None:
        self._order = {}
        self._origin = origin
        self.clear()

    def add_task_events(self, events: list[TaskEvent]) -> None:
        for event in events:
            if isinstance(event, TaskStarted):
                self._order.setdefault(event.worker.tid)

    def show_readings(self, readings: GilReadings) -> None:
        """Draw a run's readings so far (engine clock times, drawn from ``begin_run``'s
        origin)."""
        order = list(self._order)
        self.set_samples(readings.times - self._origin, readings.holders,
                         readings.end() - self._origin, order,
                         {tid: f"thread {tid}" for tid in order})

    def show_result(self, result: RunResult) -> None:
        """Draw a run's readings (none: a process backend, or py-spy unavailable)."""
        inside = [s for s in result.gil_samples if result.t0 <= s.t <= result.t_end]
        first: dict[int, float] = {}
        labels: dict[int, str] = {}
        for r in result.records:
            if r.worker is not None and r.started is not None:
                first[r.worker.tid] = min(first.get(r.worker.tid, r.started), r.started)
                labels[r.worker.tid] = f"thread {r.worker.tid}"
        order = sorted(first, key=first.__getitem__)
        self.set_samples(np.array([s.t - result.t0 for s in inside]),
                         np.array([s.holder for s in inside]), result.wall_s, order, labels)

    def set_font_size(self, point_size: int) -> None:
        set_font(self.plot, point_size, Y_LABEL)
