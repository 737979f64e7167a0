"""The timeline's bar item: ``Bars``, a ``BarGraphItem`` that draws only what is in view.

One of the two pyqtgraph subclasses in the window (``gui.plots.axes`` is the other): pyqtgraph
has no type information, so this module is on mypy's short allowlist for subclassing it.
"""

from __future__ import annotations

import pyqtgraph as pg
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath

# Below this many bars in one item, drawing them all costs less than picking the visible ones.
_CULL_FROM = 2000
# Bars narrower than this on screen (on average, in view) are drawn without outlines.
_OUTLINE_MIN_PX = 4


class Bars(pg.BarGraphItem):
    """A BarGraphItem whose hit shape is its bounding box and that draws only what is in view.

    The stock ``shape()`` adds every rectangle to a QPainterPath in a Python loop, and Qt asks
    for it on mouse moves: seconds per hover with 100,000 bars. Hover is handled by
    ``Timeline.describe_at`` instead.
    """

    def __init__(self, **opts: object) -> None:
        # pyqtgraph's own C-array wrapper (what BarGraphItem draws from): handing QPainter a
        # list of QRectF instead costs more than the drawing it saves.
        self._shown = PrimitiveArray(QRectF, 4)
        super().__init__(**opts)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.boundingRect())
        return path

    def paint(self, painter: QPainter, *args: object) -> None:
        # Qt strokes the outline of every rectangle it is given, in view or not: with 100,000
        # bars and the last 5 s of a 50-s run in view, a repaint took 41 ms, 17 ms with only
        # the bars that reach into the view (plus two pixels for the pen) handed over. The rest
        # would draw no pixel anyway. (Uses BarGraphItem's internals, as of pyqtgraph 0.14.)
        #
        # Level of detail: when the bars in view average under _OUTLINE_MIN_PX wide, their
        # 1-px outlines would cover most of each bar (and hide its CPU shading), and stroking
        # them was ~85 % of a 122 ms full repaint of 100,000 bars; fills alone take ~12 ms.
        view, box = self.viewRect(), self.getViewBox()
        rects = self._rectarray.ndarray()
        if not self._singleColor or view is None or box is None or len(rects) < _CULL_FROM:
            super().paint(painter, *args)
            return
        px_x, px_y = (abs(s) for s in box.viewPixelSize())
        x0, y0 = rects[:, 0], rects[:, 1]
        keep = ((x0 <= view.right() + 2 * px_x) & (x0 + rects[:, 2] >= view.left() - 2 * px_x)
                & (y0 <= view.bottom() + 2 * px_y) & (y0 + rects[:, 3] >= view.top() - 2 * px_y))
        shown = rects[keep]
        dense = len(shown) > 0 and float(shown[:, 2].mean()) < _OUTLINE_MIN_PX * px_x
        if len(shown) == len(rects) and not dense:
            super().paint(painter, *args)
            return
        self._shown.resize(len(shown))
        self._shown.ndarray()[:] = shown
        painter.setPen(Qt.PenStyle.NoPen if dense else self._sharedPen)
        painter.setBrush(self._sharedBrush)
        painter.drawRects(*self._shown.drawargs())
