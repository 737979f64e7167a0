"""Bounded and growable numpy buffers for live plots.

Plots redraw from whole arrays many times a second, so the buffers hand out contiguous views
without copying: ``SampleRing`` keeps twice its capacity and slides the newest half to the front
when it fills (one copy per ``capacity`` appends), and ``GrowArray`` doubles like a list.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike


class SampleRing:
    """The newest ``capacity`` rows of (time, values…), as contiguous numpy views.

    Args:
        capacity: rows kept; older rows are dropped.
        width: values per row (e.g. one per core).
    """

    def __init__(self, capacity: int, width: int) -> None:
        self.capacity = capacity
        self.width = width
        self._t = np.zeros(2 * capacity)
        self._v = np.zeros((2 * capacity, width))
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def clear(self) -> None:
        self._start = self._end = 0

    def append(self, t: float, row: ArrayLike) -> None:
        if self._end == len(self._t):
            keep = self.capacity - 1
            self._t[:keep] = self._t[self._end - keep:self._end]
            self._v[:keep] = self._v[self._end - keep:self._end]
            self._start, self._end = 0, keep
        self._t[self._end] = t
        self._v[self._end] = row
        self._end += 1
        if self._end - self._start > self.capacity:
            self._start += 1

    @property
    def t(self) -> np.ndarray:
        return self._t[self._start:self._end]

    @property
    def values(self) -> np.ndarray:
        return self._v[self._start:self._end]


class GrowArray:
    """A 1-D numpy array that appends in amortised O(1)."""

    def __init__(self, dtype: DTypeLike = float, capacity: int = 64) -> None:
        self._a: np.ndarray = np.zeros(capacity, dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, value: float) -> None:
        if self._n == len(self._a):
            self._a = np.resize(self._a, 2 * len(self._a))
        self._a[self._n] = value
        self._n += 1

    def clear(self) -> None:
        self._n = 0

    def keep_last(self, count: int) -> None:
        """Drop all but the newest ``count`` values."""
        if self._n > count:
            self._a[:count] = self._a[self._n - count:self._n]
            self._n = count

    @property
    def data(self) -> np.ndarray:
        return self._a[:self._n]


class Series:
    """A growable (time, value) series that keeps at most ``capacity`` newest points."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.t = GrowArray()
        self.v = GrowArray()

    def __len__(self) -> int:
        return len(self.t)

    def append(self, t: float, value: float) -> None:
        if len(self.t) >= 2 * self.capacity:
            # Trim in one go every `capacity` appends rather than shifting on each one.
            self.t.keep_last(self.capacity)
            self.v.keep_last(self.capacity)
        self.t.append(t)
        self.v.append(value)


# Cells (columns × rows) of one CPU image: 64 MB of float64, before pyqtgraph's RGBA copy.
_MAX_CELLS = 8_000_000


def heatmap_columns(sources: Sequence[tuple[np.ndarray, np.ndarray]], max_columns: int,
                    default_dt: float = 0.1) -> tuple[float, float, np.ndarray] | None:
    """Samples of one or more sources, (times, values[samples, rows]), as one image of uniform
    time columns: (start time, column width, image[columns, all rows side by side]).

    Uniform columns keep an image on the shared time axis when samples come irregularly
    (monitors hand over, a cluster round takes as long as its slowest worker). A CPU sample is
    the rate over the interval that *ends* at its time, so a column shows the sample whose
    interval contains the column's middle; holding the previous sample instead would draw
    everything one interval late. Where a source has no sample, the column is NaN, which an
    image draws as transparent rather than as idle. None when there are no samples at all.
    """
    filled = [t for t, _ in sources if len(t)]
    if not filled:
        return None
    steps = np.concatenate([np.diff(t[-50:]) for t in filled])
    dt = max(0.01, float(np.median(steps)) if len(steps) else default_dt)
    # Columns are laid back from the newest sample, so the run's last (often shorter)
    # interval gets a column of its own rather than falling off the end.
    end = max(float(t[-1]) for t in filled)
    first = min(float(t[0]) for t in filled) - dt
    n = max(1, int(np.ceil((end - first) / dt - 1e-9)))
    # Past the cell budget, columns get wider rather than the image bigger: a run on thousands
    # of cores (or a file claiming them) costs tens of MB, not gigabytes.
    budget = max(1, _MAX_CELLS // max(1, sum(values.shape[1] for _, values in sources)))
    if n > budget and budget < max_columns:
        dt, n = (end - first) / budget, budget
    n = min(n, max_columns)
    start = end - n * dt
    middles = start + dt * (np.arange(n) + 0.5)
    blocks = []
    for t, values in sources:
        block = np.full((n, values.shape[1]), np.nan)
        if len(t):
            idx = np.searchsorted(t, middles, side="left")
            inside = (idx < len(t)) & (middles >= t[0] - dt)
            block[inside] = values[idx[inside]]
        blocks.append(block)
    return start, dt, np.hstack(blocks)
