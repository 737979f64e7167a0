"""A left axis that names rows: ``LabelAxis`` (lanes, cores, hosts' cores, backends).

One of the two pyqtgraph subclasses in the window (``gui.plots.bars`` is the other): pyqtgraph
has no type information, so this module is on mypy's short allowlist for subclassing it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics


class LabelAxis(pg.AxisItem):
    """A left axis naming rows (lanes, cores) at integer positions, thinning the names so they
    never overlap at any height or text size. With ``labels`` None it is a plain number axis."""

    def __init__(self) -> None:
        super().__init__("left")
        self.labels: list[str] | None = None

    def set_labels(self, labels: list[str] | None) -> None:
        self.labels = labels
        self.picture = None
        self.update()

    def width_hint(self) -> int:
        """Pixels the longest row name needs at the current tick font."""
        metrics = QFontMetrics(self.style.get("tickFont") or QFont())
        return max([metrics.horizontalAdvance(t) for t in self.labels or []] or [0])

    def tickValues(self, minVal: float, maxVal: float,  # noqa: N802, N803
                   size: float) -> list[tuple[float, Sequence[float]]]:
        if self.labels is None:
            ticks: list[tuple[float, Sequence[float]]] = super().tickValues(minVal, maxVal, size)
            return ticks
        low, high = sorted((minVal, maxVal))  # reversed when the view is inverted
        n = len(self.labels)
        lo, hi = max(0, math.ceil(low)), min(n - 1, math.floor(high))
        if n == 0 or hi < lo or size <= 0:
            return []
        font = self.style.get("tickFont") or QFont()
        per_row = size / max(1e-9, high - low)
        step = max(1, math.ceil((QFontMetrics(font).height() + 1) / per_row))
        first = -(-lo // step) * step
        return [(step, list(range(first, hi + 1, step)))]

    def tickStrings(self, values: list[float], scale: float,  # noqa: N802
                    spacing: float) -> list[str]:
        if self.labels is None:
            strings: list[str] = super().tickStrings(values, scale, spacing)
            return strings
        out = []
        for v in values:
            i = int(round(v))
            out.append(self.labels[i] if 0 <= i < len(self.labels) else "")
        return out
