"""A left axis that names rows: ``LabelAxis`` (lanes, cores, hosts' cores, backends), or
numbers them, never overlapping its text at any height or text size.

One of the two pyqtgraph subclasses in the window (``gui.plots.bars`` is the other): pyqtgraph
has no type information, so this module is on mypy's short allowlist for subclassing it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics


class LabelAxis(pg.AxisItem):
    """A left axis naming rows (lanes, cores) at integer positions, thinning the names so they
    never overlap at any height or text size. With ``labels`` None it is a plain number axis.

    A name wider than ``max_label_px`` is elided at its start ("…5020 · thread 4223"): the
    end is the part that tells lanes apart (the thread, the slot); it is never dropped.
    ``step`` is how many rows share one name after thinning (1: every row is named), so a
    caller can give the axis the height ``height_for_all`` says every name needs, or say so.
    """

    def __init__(self) -> None:
        super().__init__("left")
        self.labels: list[str] | None = None
        self.max_label_px: int | None = None
        self.step = 1

    def set_labels(self, labels: list[str] | None) -> None:
        self.labels = labels
        self.picture = None
        self.update()

    def set_max_label_px(self, pixels: int | None) -> None:
        if pixels != self.max_label_px:
            self.max_label_px = pixels
            self.picture = None
            self.update()

    def _metrics(self) -> QFontMetrics:
        return QFontMetrics(self.style.get("tickFont") or QFont())

    def width_hint(self) -> int:
        """Pixels the longest row name needs at the current tick font."""
        metrics = self._metrics()
        return max([metrics.horizontalAdvance(t) for t in self.labels or []] or [0])

    def row_pixels(self) -> int:
        """The least height per row at which every row keeps its name."""
        return self._metrics().height() + 1

    def height_for_all(self, rows: int | None = None) -> int:
        """Pixels of axis height that name all ``rows`` (default: the labels) without thinning,
        given a view of ``rows`` rows plus the half row of margin at each end."""
        n = len(self.labels or []) if rows is None else rows
        return (n + 1) * self.row_pixels()

    def shown_text(self, text: str) -> str:
        """``text`` as drawn: elided at its start to ``max_label_px``."""
        if self.max_label_px is None:
            return text
        return self._metrics().elidedText(text, Qt.TextElideMode.ElideLeft, self.max_label_px)

    def tickValues(self, minVal: float, maxVal: float,  # noqa: N802, N803
                   size: float) -> list[tuple[float, Sequence[float]]]:
        if self.labels is None:
            return self._number_ticks(minVal, maxVal, size)
        low, high = sorted((minVal, maxVal))  # reversed when the view is inverted
        n = len(self.labels)
        lo, hi = max(0, math.ceil(low)), min(n - 1, math.floor(high))
        if n == 0 or hi < lo or size <= 0:
            return []
        per_row = size / max(1e-9, high - low)
        step = max(1, math.ceil(self.row_pixels() / per_row))
        self.step = step
        first = -(-lo // step) * step
        return [(step, list(range(first, hi + 1, step)))]

    def _number_ticks(self, low: float, high: float,
                      size: float) -> list[tuple[float, Sequence[float]]]:
        """pyqtgraph's own numbers, spaced wider where they would overlap.

        pyqtgraph picks how many numbers to show from the axis's length alone and always draws
        its major ones, so at a projector's text size a short plot showed 20 40 60 80 written
        over each other. Here a number needs ``row_pixels`` of height; the step is then the
        smallest of 1, 2, 5 × 10ⁿ at which they all have it and one at least is drawn.
        """
        ticks: list[tuple[float, Sequence[float]]] = super().tickValues(low, high, size)
        if not ticks or size <= 0 or high <= low:
            return ticks
        row = self.row_pixels()
        fit = max(1, int(size // row))
        if len(ticks[0][1]) <= fit:
            return ticks[:1]
        # A number whose text would cross the axis's end is not drawn at all (pyqtgraph skips
        # it), so only those at least half a line inside count, and at least one must be.
        inset = (high - low) * row / 2 / size
        magnitude = 10.0 ** math.floor(math.log10((high - low) / fit))
        for step in (m * magnitude * 10 ** e for e in range(3) for m in (1, 2, 5)):
            first = math.ceil((low + inset) / step) * step
            values = [first + k * step for k in range(int((high - inset - first) // step) + 1)]
            if 1 <= len(values) <= fit:
                return [(step, values)]
        middle = (low + high) / 2  # room for one number: pyqtgraph's nearest the middle
        return [(high - low, [min(ticks[0][1], key=lambda v: abs(v - middle))])]

    def tickStrings(self, values: list[float], scale: float,  # noqa: N802
                    spacing: float) -> list[str]:
        if self.labels is None:
            strings: list[str] = super().tickStrings(values, scale, spacing)
            return strings
        out = []
        for v in values:
            i = int(round(v))
            out.append(self.shown_text(self.labels[i]) if 0 <= i < len(self.labels) else "")
        return out
