"""A warm run's start, drawn before 0: the span from creating the pool to the clock's start.

A warm run (``RunResult.warm_start_s``) starts its workers before t0 and leaves that time out of
wall; hiding it would make the pool look free to start. So every plot on the shared time axis
gets the same shaded span before 0, and the timeline names it and its cost.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor

from engine.figures.result import RunResult
from gui import palette

LABEL = "workers starting: {took}, not in wall"


def _took(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 0.1 else f"{seconds:.2f} s"


class WarmBand:
    """The shaded span on each plot, and a label on the first (the timeline)."""

    def __init__(self, plots: list[pg.PlotWidget]) -> None:
        fill = QColor(palette.FOREGROUND)
        fill.setAlpha(28)
        self.regions = []
        for plot in plots:
            region = pg.LinearRegionItem(movable=False, brush=fill,
                                         pen=pg.mkPen(palette.FOREGROUND, width=1))
            region.setZValue(-20)  # behind every bar and curve
            region.hide()
            plot.getPlotItem().addItem(region)
            self.regions.append(region)
        # Left-aligned at the band's start, above the first lane: it may run on past 0 there.
        self.label = pg.TextItem("", color=palette.FOREGROUND, anchor=(0.0, 0.0))
        self.label.hide()
        plots[0].getPlotItem().addItem(self.label)
        self.text = ""

    def show_result(self, result: RunResult) -> None:
        """Show ``result``'s warm start (x is seconds since its t0), or nothing for a cold run."""
        began = result.rel(result.warmed_from)
        if result.warm_start_s is None or began is None or began >= 0:
            self.clear()
            return
        for region in self.regions:
            region.setRegion((began, 0.0))
            region.show()
        self.text = LABEL.format(took=_took(result.warm_start_s))
        self.label.setText(self.text)
        self.label.setPos(began, -0.45)  # the timeline's y grows downwards from lane 0
        self.label.show()

    def clear(self) -> None:
        for region in self.regions:
            region.hide()
        self.label.hide()
        self.text = ""
