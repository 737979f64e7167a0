"""Colours: Okabe–Ito, the categorical palette that stays distinct for colour-blind viewers.

Okabe & Ito (2008), "Color Universal Design". Eight colours; we draw on a white background
because projectors in lit rooms wash out dark themes, so yellow (weak on white) comes last and
vermillion is kept for failures only, never for a task or a core.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

#: Order for series that are told apart by colour alone (cores, workers, task names).
SERIES = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, BLACK, YELLOW)

#: Task states other than ok: each has a colour no task name ever gets.
FAILED = VERMILLION
LOST = "#5A1E00"  # dark brown: a dead worker, darker than a raised exception
CANCELLED = "#9E9E9E"
RUNNING_EDGE = "#333333"

TOTAL = BLACK  # the machine-total CPU curve
GRID_ALPHA = 0.25
BACKGROUND = "w"
FOREGROUND = "#222222"
#: Style sheet of a line of text that says what is wrong (a refused workload, a failed save).
ERROR_STYLE = f"color: {FAILED};"

#: Fill opacity for the CPU-efficiency levels of a timeline bar (cpu_s / duration): a task that
#: mostly waited is drawn pale. Four levels keep the bucket count (and so the item count) small.
EFFICIENCY_EDGES = (0.25, 0.5, 0.75)
EFFICIENCY_ALPHA = (55, 110, 175, 255)


def series_colour(index: int) -> str:
    """The colour of the ``index``-th series, cycling through ``SERIES``."""
    return SERIES[index % len(SERIES)]


def with_alpha(colour: str, alpha: int) -> QColor:
    """``colour`` with opacity ``alpha`` (0–255)."""
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


def on_white(colour: str, alpha: int) -> str:
    """The opaque colour ``colour`` at opacity ``alpha`` shows on white (for rich-text legends,
    which ignore alpha)."""
    c = QColor(colour)
    mix = alpha / 255
    r, g, b = (round(255 + (v - 255) * mix) for v in (c.red(), c.green(), c.blue()))
    return QColor(r, g, b).name()


def efficiency_level(cpu_s: float, duration: float) -> int:
    """Bucket ``cpu_s / duration`` into 0 (mostly waited) … 3 (busy a whole core)."""
    if duration <= 0:
        return len(EFFICIENCY_EDGES)
    ratio = cpu_s / duration
    return sum(ratio >= edge for edge in EFFICIENCY_EDGES)
