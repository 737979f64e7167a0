"""Colours: categorical series colours that stay distinct for colour-blind viewers, and the
darker "ink" of each for text, so every text colour reads at WCAG AA contrast.

We draw on a white background because projectors in lit rooms wash out dark themes.

Series (backends in a comparison, workers, task names, cores) use Paul Tol's "muted" scheme
(https://personal.sron.nl/~pault/), nine colours designed together to stay apart under the
common colour-vision deficiencies, plus Okabe & Ito's yellow as a tenth: Compare shows every
registered backend at once (ten), and the Okabe–Ito set alone has only six we can spare (its
black is the sum line's and the text's, its vermillion is kept for failures). Even so, ten
colours cannot all stay apart for a deuteranope or protanope, so from the sixth series on a
plot adds a second cue (``series_dashed``: dashed curves, hatched bars); the order below puts
each pair that simulated colour-blind vision confuses on opposite sides of that line
(tests/test_gui_compare_layout.py checks it).

Several of these fills are light (cyan, sand, yellow) and fail as text on white, so text in a
series colour uses ``ink(colour)``: the same hue darkened until it has 4.5:1 contrast.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

# Okabe & Ito (2008), "Color Universal Design": the state colours and a few accents.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"

# Paul Tol's "muted" scheme.
INDIGO = "#332288"
ROSE = "#CC6677"
SAND = "#DDCC77"
CYAN = "#88CCEE"
WINE = "#882255"
TEAL = "#44AA99"
GREEN = "#117733"
OLIVE = "#999933"
PURPLE = "#AA4499"

#: Order for series: the first five are told apart by colour alone; the next five repeat
#: the idea with a second cue. Never black (the sum and total curves are black).
SERIES = (INDIGO, ROSE, SAND, CYAN, WINE, TEAL, GREEN, OLIVE, PURPLE, YELLOW)
#: Series from this index on are drawn dashed or hatched as well as coloured.
SOLID_SERIES = 5

#: Task states other than ok: each has a colour no task name ever gets.
FAILED = VERMILLION
LOST = "#5A1E00"  # dark brown: a dead worker, darker than a raised exception
CANCELLED = "#9E9E9E"
RUNNING_EDGE = "#333333"

TOTAL = BLACK  # the machine-total CPU curve
GRID_ALPHA = 0.25
BACKGROUND = "w"
FOREGROUND = "#222222"

#: Fill opacity for the CPU-efficiency levels of a timeline bar (cpu_s / duration): a task that
#: mostly waited is drawn pale. Four levels keep the bucket count (and so the item count) small.
EFFICIENCY_EDGES = (0.25, 0.5, 0.75)
EFFICIENCY_ALPHA = (55, 110, 175, 255)


def series_colour(index: int) -> str:
    """The colour of the ``index``-th series, cycling through ``SERIES``."""
    return SERIES[index % len(SERIES)]


def series_cue(index: int) -> int:
    """The ``index``-th series' second cue: 0 none (solid), 1 for the second five of the first
    round of colours, 2 and 3 for the two halves of the next round, and so on, so no two
    series share both colour and cue. Plots map the number to a dash pattern or a hatch."""
    rounds, within = divmod(index, len(SERIES))
    return 2 * rounds + (within >= SOLID_SERIES)


def series_dashed(index: int) -> bool:
    """Whether the ``index``-th series carries a second cue (dashes, hatching) besides colour."""
    return series_cue(index) > 0


def relative_luminance(colour: str | QColor) -> float:
    """WCAG 2 relative luminance of an opaque colour (0 black … 1 white)."""
    c = QColor(colour)

    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast_ratio(a: str | QColor, b: str | QColor) -> float:
    """WCAG 2 contrast ratio of two opaque colours, 1 … 21 (AA body text needs 4.5)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: WCAG AA for normal-size text. Titles would pass at 3:1, but a projector loses contrast.
TEXT_CONTRAST = 4.5


def ink(colour: str, background: str = "#FFFFFF") -> str:
    """``colour`` as a text colour on ``background``: itself if it already has
    ``TEXT_CONTRAST`` there, else the same hue darkened (toward black) just enough."""
    if contrast_ratio(colour, background) >= TEXT_CONTRAST:
        return colour
    c = QColor(colour)
    for step in range(1, 101):
        mix = 1 - step / 100
        candidate = QColor(round(c.red() * mix), round(c.green() * mix), round(c.blue() * mix))
        if contrast_ratio(candidate, background) >= TEXT_CONTRAST:
            return candidate.name()
    return BLACK


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


#: Style sheet of a line of text that says what is wrong (a refused workload, a failed save):
#: the failure colour, darkened to text contrast (vermillion itself has 3.9:1 on white).
ERROR_STYLE = f"color: {ink(FAILED)};"


def efficiency_level(cpu_s: float, duration: float) -> int:
    """Bucket ``cpu_s / duration`` into 0 (mostly waited) … 3 (busy a whole core)."""
    if duration <= 0:
        return len(EFFICIENCY_EDGES)
    ratio = cpu_s / duration
    return sum(ratio >= edge for edge in EFFICIENCY_EDGES)
