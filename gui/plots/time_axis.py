"""The shared time axis: x-linked plots, follow mode, a window length, and reset.

All plots show seconds since the current run started. Follow keeps the newest ``window`` seconds
in view; any mouse zoom or pan on any plot turns it off, so a presenter can stop and point at a
moment while the run carries on.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

# A run younger than this is still shown this wide, so the first bars do not fill the screen.
MIN_SPAN_S = 1.0
_PAD = 0.02


# How far ahead of the newest sample a paged view jumps, as a share of the window.
_PAGE_AHEAD = 0.5


class TimeControls(QWidget):
    """Links ``followers`` to ``master``'s x axis and drives the visible time range."""

    reset_requested = Signal()

    def __init__(self, master: pg.PlotWidget, followers: list[pg.PlotWidget],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.master = master
        self._plots = (master, *followers)
        for plot in followers:
            plot.setXLink(master)
        self.follow_box = QCheckBox("Follow newest")
        self.follow_box.setChecked(True)
        self.follow_box.setToolTip("Keep the newest seconds in view (F); "
                                   "zooming or panning with the mouse turns this off")
        self.window_spin = QDoubleSpinBox()
        self.window_spin.setRange(1, 900)
        self.window_spin.setValue(30)
        self.window_spin.setSuffix(" s")
        self.window_spin.setDecimals(0)
        self.window_spin.setToolTip("How many seconds follow mode shows")
        self.reset_button = QPushButton("Reset view")
        self.reset_button.setToolTip("Show the whole run (Home)")
        self.reset_button.clicked.connect(self.reset_requested)
        hint = QLabel("wheel: zoom · drag: pan · hover a bar for details")
        hint.setStyleSheet("color: #555555;")
        # Gives way (is cut, on one line) before it would widen the window at a projector's
        # text size; it says the same in its tooltip. (Word wrap here made the row as tall as
        # a column of single words.)
        hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        hint.setToolTip(hint.text())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.follow_box)
        layout.addWidget(QLabel("window"))
        layout.addWidget(self.window_spin)
        layout.addWidget(self.reset_button)
        layout.addStretch(1)
        layout.addWidget(hint)
        for plot in (master, *followers):
            plot.getPlotItem().getViewBox().sigRangeChangedManually.connect(self._manual)

    @property
    def following(self) -> bool:
        return self.follow_box.isChecked()

    def set_following(self, on: bool) -> None:
        self.follow_box.setChecked(on)

    def _manual(self, *_: object) -> None:
        self.follow_box.setChecked(False)

    def follow_to(self, x_now: float, since: float | None = None, paged: bool = False) -> None:
        """If following, show the last ``window`` seconds up to ``x_now`` (not before ``since``).

        ``paged``: move the view only when ``x_now`` reaches its right edge, then by most of a
        window. Between runs the window scrolls this way: a range change re-lays out every
        axis and grid of the three linked plots (~6 ms a frame, 10 frames a second), while new
        data inside a fixed range only repaints the curves.
        """
        if not self.following:
            return
        window = self.window_spin.value()
        if paged:
            lo, hi = self.x_range()
            if lo <= x_now <= hi - _PAD * window and hi - lo <= window * (1 + 3 * _PAD):
                return
            x_now += _PAGE_AHEAD * window
        lo = x_now - window
        if since is not None:
            lo = max(lo, since)
        self.show_span(lo, max(x_now, lo + MIN_SPAN_S))

    def show_span(self, lo: float, hi: float) -> None:
        pad = _PAD * (hi - lo)
        self.master.setXRange(lo - pad, hi + pad, padding=0)
        # pyqtgraph applies a new range at the start of the next paint; the axes, grid and curves
        # that react to it then mark themselves dirty mid-paint, and Qt paints every plot a
        # second time. Applying it here makes it one paint per frame (idle window, 10 Hz:
        # ~18 → ~14 % of a core on the 2-core machine).
        for plot in self._plots:
            plot.scene().prepareForPaint()

    def x_range(self) -> tuple[float, float]:
        lo, hi = self.master.getPlotItem().getViewBox().viewRange()[0]
        return lo, hi
