"""The timeline's GIL strips: a thin strip along the foot of each thread lane's bars, dark
where the lane's thread held the GIL, white where a task of the lane ran without it (waiting
for it, or in C code that let it go).

Read on the probe's grid (``gui.plots.gil.GilReadings``, about 10 readings a second): at each
reading a lane is busy if one of its tasks was running then, and its piece of strip runs from
that reading to the next one, or to where the lane's work ended if that came first. A piece
is "held" when the reading named the lane's thread, "not held" when it named another thread
or nobody. So the strips have the probe's resolution, like the "GIL held by" band, and cost
readings × lanes, not tasks: 100,000 short tasks still make a few thousand pieces. A task
shorter than the gap between readings may get none (nothing measured it).

On asyncio every coroutine lane shares the loop's thread, so each reads that thread's state.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from gui.plots.bars import Bars
from gui.plots.gil import GilReadings

HELD = "#1F1F1F"
NOT_HELD = "#FFFFFF"
# The strip fills the lowest quarter of a lane's bar (bars are 0.8 high around the lane's
# centre; the lane axis is inverted, so + is down).
STRIP_Y = 0.3
STRIP_HEIGHT = 0.2

#: (x0, width, lane) arrays of one kind of piece.
Pieces = tuple[np.ndarray, np.ndarray, np.ndarray]


def lane_pieces(times: np.ndarray, holders: np.ndarray, t_end: float, starts: np.ndarray,
                ends: np.ndarray, tid: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One lane's pieces as (start, end, held) arrays, in time order.

    ``times``/``holders``: the readings (ascending times); ``starts``/``ends``: the lane's
    tasks (any order; a running task ends at +inf); ``tid``: the lane's thread.
    """
    none = np.zeros(0)
    if len(times) == 0 or len(starts) == 0:
        return none, none, np.zeros(0, dtype=bool)
    order = np.argsort(starts, kind="stable")
    first = starts[order]
    # Latest end among the tasks begun by each start: the lane is busy at t if that reaches t.
    reach = np.maximum.accumulate(ends[order])
    k = np.searchsorted(first, times, side="right") - 1
    busy_until = np.where(k >= 0, reach[np.maximum(k, 0)], -np.inf)
    busy = busy_until >= times
    nxt = np.append(times[1:], max(t_end, float(times[-1])))
    end = np.minimum(nxt, busy_until)
    held = holders == tid
    idx = np.flatnonzero(busy)
    if len(idx) == 0:
        return none, none, np.zeros(0, dtype=bool)
    # A piece continues the one before when it is the same kind and joins it without a gap.
    joins = np.zeros(len(idx), dtype=bool)
    joins[1:] = ((idx[1:] == idx[:-1] + 1) & (held[idx[1:]] == held[idx[:-1]])
                 & (end[idx[:-1]] >= times[idx[1:]]))
    begin = np.flatnonzero(~joins)
    last = np.append(begin[1:] - 1, len(idx) - 1)
    return times[idx[begin]], end[idx[last]], held[idx[begin]]


def strip_pieces(readings: GilReadings, t_end: float, starts: np.ndarray, ends: np.ndarray,
                 lanes: np.ndarray, tids: list[int]) -> tuple[Pieces, Pieces]:
    """Every lane's (held, not held) pieces; ``tids[i]`` is lane ``i``'s thread."""
    out: dict[bool, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {True: [], False: []}
    for lane, tid in enumerate(tids):
        mine = lanes == lane
        lo, hi, held = lane_pieces(readings.times, readings.holders, t_end, starts[mine],
                                   ends[mine], tid)
        for kind in (True, False):
            pick = held == kind
            out[kind].append((lo[pick], hi[pick] - lo[pick], np.full(int(pick.sum()), lane)))

    def joined(kind: bool) -> Pieces:
        parts = out[kind]
        if not parts:
            return np.zeros(0), np.zeros(0), np.zeros(0)
        return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]).astype(float))

    return joined(True), joined(False)


class GilStrips:
    """The two strip items of a timeline (held, not held), drawn over its bars."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.held = self._item(plot, HELD, 7)
        self.not_held = self._item(plot, NOT_HELD, 6)
        self.shown = False

    @staticmethod
    def _item(plot: pg.PlotItem, colour: str, z: int) -> Bars:
        item = Bars(x0=[], width=[], y=[], height=STRIP_HEIGHT, pen=None,
                    brush=pg.mkBrush(QColor(colour)))
        item.setZValue(z)
        plot.addItem(item)
        return item

    def clear(self) -> None:
        for item in (self.held, self.not_held):
            item.setOpts(x0=np.zeros(0), width=np.zeros(0), y=np.zeros(0))
        self.shown = False

    def draw(self, held: Pieces, not_held: Pieces, origin: float) -> None:
        for item, (x0, width, lane) in ((self.held, held), (self.not_held, not_held)):
            item.setOpts(x0=x0 - origin, width=width, y=lane + STRIP_Y, height=STRIP_HEIGHT)
        self.shown = True
