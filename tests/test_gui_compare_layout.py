"""Compare read from the back of the room: every registered backend at once, at a projector's
1280×720 and a monitor's 1920×1080, at 1× and 2× text. Every name and value in the speedup
chart drawn whole and apart, every lane of every row named, colours told apart (also by
simulated colour-blind vision, or else by a second cue), text at WCAG AA contrast."""

from __future__ import annotations

import itertools
import math

import pytest
from conftest_gui import make_window
from sample_results import result

from engine.backends.registry import BACKENDS

pytestmark = pytest.mark.gui

SIZES = [(1280, 720), (1920, 1080)]
SCALES = [1, 2]
# Below this CIE76 distance two flat colours start to read as one at a glance (about five
# times a just-noticeable difference; the palette's closest pair in normal vision is ~23).
DISTINCT = 15.0
# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB.
DEUTERANOPIA = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                (-0.011820, 0.042940, 0.968881))
PROTANOPIA = ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
              (-0.003882, -0.048116, 1.051998))


def every_backend() -> list:
    """A finished run per registered backend (none is started): four workers each, process
    backends in four child processes, so each row has four lanes to name."""
    out = []
    for i, name in enumerate(BACKENDS):
        procs = name in ("processes", "process-pool", "mp-pool", "dask", "joblib")
        pids = tuple(5000 + 10 * i + k for k in range(4)) if procs else (4100,)
        tids = (4101,) if name == "sequential" else tuple(4200 + 10 * i + k for k in range(4))
        out.append(result(name, pids=pids, tids=tids, tasks=8, wall_s=0.9 / (1 + i % 4),
                          in_processes=procs))
    return out


@pytest.fixture
def shown(qtbot, tmp_path, request):
    """The window at ``(width, height, scale)`` showing a saved comparison of every backend."""
    width, height, scale = request.param
    window = make_window(qtbot, tmp_path)
    window.show()
    window.resize(width, height)
    window.set_font_size(11 * scale)
    window.views.setCurrentWidget(window.compare_view)
    window.compare_view.show_results(every_backend())
    qtbot.wait(50)  # one round of layout events
    # Paint once, as the screen would: pyqtgraph places text items and maps views at paint.
    window.grab()
    return window


def _scroll_to(qtbot, view, row) -> None:
    """Bring ``row`` into view and paint it, as a presenter scrolling to it would: a plot out
    of sight has not fitted its range to its lanes yet."""
    view.rows_scroll.ensureWidgetVisible(row)
    qtbot.wait(10)
    view.grab()


def _apart(boxes) -> list[tuple[str, str]]:
    return [(a, b) for (a, ra), (b, rb) in itertools.combinations(boxes, 2)
            if ra.intersects(rb)]


def _axis_texts(axis):
    from PySide6.QtGui import QImage, QPainter

    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        if axis.style["tickFont"] is not None:
            painter.setFont(axis.style["tickFont"])
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(text, rect) for rect, _flags, text in texts]


ALL = [(w, h, s) for (w, h) in SIZES for s in SCALES]


@pytest.mark.parametrize("shown", ALL, indirect=True, ids=lambda p: f"{p[0]}x{p[1]}@{p[2]}x")
def test_every_backend_named_and_valued_in_the_speedup_chart(shown):
    view = shown.compare_view
    chart = view.chart
    names = list(BACKENDS)
    boxes = chart.text_boxes()
    texts = [t for t, _ in boxes]
    # Every backend's name once, in row order, then its value, then the ideal's label.
    assert texts[:len(names)] == names
    assert texts[len(names):-1] == [f"{s:.2f}×" for s in view.bar_heights()]
    assert texts[-1] == f"ideal {int(view.ideal)}×"
    assert chart.axis.step == 1
    inside = chart.plot.rect()
    clipped = [t for t, r in boxes if not inside.contains(r.toAlignedRect())]
    assert not clipped, f"cut by the chart's edge: {clipped}"
    assert not _apart(boxes), f"texts over each other: {_apart(boxes)}"
    # The chart is never squeezed below the height that names everyone; where the page has
    # that height it shows whole, with no scrolling (all but 2× text on a 720-px screen).
    assert chart.height() >= chart.minimum_height()
    viewport = view.chart_scroll.viewport().height()
    if shown.font_size == 11 or shown.height() >= 1080:
        assert chart.height() <= viewport


@pytest.mark.parametrize("shown", ALL, indirect=True, ids=lambda p: f"{p[0]}x{p[1]}@{p[2]}x")
def test_every_lane_of_every_row_named_apart(qtbot, shown):
    view = shown.compare_view
    assert len(view.rows) == len(BACKENDS)
    for row in view.rows:
        _scroll_to(qtbot, view, row)
        axis = row.timeline.lane_axis
        labels = row.timeline.lane_labels()
        assert len(labels) == (1 if row.label == "sequential" else 4)
        drawn = _axis_texts(axis)
        # Each lane named, elided at worst (never dropped), in lane order.
        assert [t for t, _ in drawn] == [axis.shown_text(t) for t in labels], row.label
        assert all(t.endswith(label[-4:]) for (t, _), label in zip(drawn, labels))
        assert not _apart(drawn), (row.label, _apart(drawn))
        room = axis.boundingRect()
        assert all(room.contains(r) for _, r in drawn), row.label
    # Rows that do not fit scroll rather than shrink (ten rows of four lanes do not fit).
    assert view.rows_box.height() >= sum(r.minimumSizeHint().height() for r in view.rows)


@pytest.mark.parametrize("shown", [(1280, 720, 1)], indirect=True, ids=["1280x720@1x"])
def test_the_page_fits_a_720_px_screen(shown):
    # The page no longer asks for more height than a 1280×720 projector has.
    assert shown.compare_view.minimumSizeHint().height() <= 720 - 150
    assert shown.height() <= 720


@pytest.mark.parametrize("shown", [(1920, 1080, 1)], indirect=True, ids=["1920x1080@1x"])
def test_table_and_swatches_readable(shown):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor

    from gui import palette

    view = shown.compare_view
    for r in range(view.table.rowCount()):
        item = view.table.item(r, 0)
        brush = item.background()
        ground = QColor("white") if brush.style() == Qt.BrushStyle.NoBrush else brush.color()
        assert palette.contrast_ratio(item.foreground().color(), ground) >= 4.5, item.text()
        assert not item.icon().isNull()
    assert {row.label for row in view.rows if row._hatched} == set(list(BACKENDS)[5:])


def _lab(colour: str, simulate=None) -> tuple[float, float, float]:
    from PySide6.QtGui import QColor

    c = QColor(colour)

    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    rgb = [lin(c.red()), lin(c.green()), lin(c.blue())]
    if simulate is not None:
        rgb = [min(1.0, max(0.0, sum(m * v for m, v in zip(row, rgb)))) for row in simulate]
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_series_colours_apart_for_every_backend_and_vision():
    from gui import palette

    colours = [palette.series_colour(i) for i in range(len(BACKENDS))]
    assert len(set(colours)) == len(BACKENDS)
    reserved = {palette.TOTAL, palette.FOREGROUND, palette.FAILED, palette.LOST,
                palette.CANCELLED, palette.RUNNING_EDGE}
    for colour in colours:
        for other in reserved:
            assert math.dist(_lab(colour), _lab(other)) >= DISTINCT, (colour, other)
    for i, j in itertools.combinations(range(len(colours)), 2):
        assert math.dist(_lab(colours[i]), _lab(colours[j])) >= DISTINCT, (i, j)
        for vision in (DEUTERANOPIA, PROTANOPIA):
            close = math.dist(_lab(colours[i], vision), _lab(colours[j], vision)) < DISTINCT
            # Colours a colour-blind viewer may confuse never share the second cue too.
            if close:
                assert palette.series_cue(i) != palette.series_cue(j), (colours[i], colours[j])


def test_every_series_colour_as_text_reads_at_aa_contrast():
    from gui import palette
    from gui.pages.compare_table import FASTEST_BACKGROUND

    for colour in palette.SERIES:
        for ground in ("#FFFFFF", FASTEST_BACKGROUND):
            ink = palette.ink(colour, ground)
            assert palette.contrast_ratio(ink, ground) >= 4.5, (colour, ground)
            # Darkened only as far as needed: the hue stays recognisably the bar's.
            assert ink == colour or palette.contrast_ratio(ink, ground) < 5.0
    # The texts drawn in fixed colours: axis and values, row states, errors.
    from gui.pages.compare_row import STATE_COLOUR

    error = palette.ERROR_STYLE.removeprefix("color: ").rstrip(";")
    for text in (palette.FOREGROUND, STATE_COLOUR, error):
        assert palette.contrast_ratio(text, "#FFFFFF") >= 4.5, text
    assert palette.ink("#F0E442") != "#F0E442"  # the yellow of the complaint is darkened
    assert palette.ink(palette.FOREGROUND) == palette.FOREGROUND


def test_workers_never_drawn_as_the_sum_line(qtbot):
    from gui.plots.workers import MAX_CURVES, WorkerCpuPlot, worker_pen

    plot = WorkerCpuPlot()
    qtbot.addWidget(plot)
    sum_colour = plot.sum_curve.opts["pen"].color().name()
    pens = [worker_pen(i) for i in range(MAX_CURVES)]
    assert all(p.color().name() != sum_colour for p in pens)  # the 6th worker was black
    looks = {(p.color().name(), p.style()) for p in pens}
    assert len(looks) == MAX_CURVES  # no two workers drawn alike
