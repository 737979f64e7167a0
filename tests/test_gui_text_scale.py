"""Projector text sizes: at any text size the window fits a 1280×720 screen, and at 2× the
default every Live plot keeps a usable area and the controls stay on screen."""

from __future__ import annotations

import pytest
from conftest_gui import make_window

pytestmark = pytest.mark.gui

SCREEN = (1280, 720)


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_the_window_fits_1280x720_at_any_text_size(qtbot, tmp_path, scale):
    from gui.main_window import MAX_FONT

    window = make_window(qtbot, tmp_path)
    window.show()
    window.set_font_size(min(MAX_FONT, 11 * scale))
    qtbot.wait(50)
    need = window.minimumSizeHint()
    assert need.width() <= SCREEN[0] and need.height() <= SCREEN[1], (scale, need)


def test_the_largest_text_size_is_one_that_fits(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.set_font_size(200)  # the control stops at its largest size
    from gui.main_window import MAX_FONT

    assert window.font_size == MAX_FONT


def test_at_twice_the_text_every_live_plot_keeps_room_and_the_controls_show(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.resize(*SCREEN)
    window.show()
    window.set_font_size(22)
    qtbot.waitUntil(lambda: window.width() <= SCREEN[0], timeout=2000)
    qtbot.wait(100)
    assert window.width() <= SCREEN[0] and window.height() <= SCREEN[1]
    for panel in window.plots.panels:
        if panel.isVisible():
            plot = panel.plot
            assert plot.width() >= 400 and plot.height() >= 50, (type(panel).__name__,
                                                                   plot.size())
    # Reset view and Follow newest are whole and inside the window.
    for w in (window.time.reset_button, window.time.follow_box, window.run_box.run_button):
        corner = w.mapTo(window, w.rect().bottomRight())
        assert w.isVisible() and corner.x() <= window.width() and corner.y() <= window.height()
        assert w.width() >= w.minimumSizeHint().width()


@pytest.mark.parametrize("point_size", [11, 22])
def test_the_time_controls_stay_one_line_high(qtbot, tmp_path, point_size):
    window = make_window(qtbot, tmp_path)
    window.resize(*SCREEN)
    window.show()
    window.set_font_size(point_size)
    qtbot.wait(100)
    line = window.time.reset_button.sizeHint().height()
    assert window.time.height() <= 2 * line, (window.time.height(), line)


def plain(html):
    from gui.plots.legend import plain as _plain

    return _plain(html)


def drawn_html(legend):
    """What a legend paints now (its ``text()`` is the whole legend)."""
    from PySide6.QtWidgets import QLabel

    return QLabel.text(legend)


def _live_window_at(qtbot, tmp_path, point_size):
    window = make_window(qtbot, tmp_path)
    window.resize(*SCREEN)
    window.show()
    window.set_font_size(point_size)
    qtbot.waitUntil(lambda: window.width() <= SCREEN[0], timeout=2000)
    qtbot.wait(100)
    return window


@pytest.mark.parametrize("point_size", [11, 22, 33])
def test_every_plot_header_stays_one_line_and_keeps_its_whole_legend_one_hover_away(
        qtbot, tmp_path, point_size):
    # A wrapped legend took its second line from the plot under it and was drawn over it.
    window = _live_window_at(qtbot, tmp_path, point_size)
    window.plots.worker_cpu.begin_run(0.0, uses_processes=True, on_cluster=False)
    for panel in window.plots.panels:
        if not panel.isVisible():
            continue
        legend = panel.legend
        line = legend.fontMetrics().height()
        assert legend.height() <= 2 * line, (type(panel).__name__, legend.height(), line)
        # Every key is either drawn or named in the tooltip.
        drawn, tip = plain(drawn_html(legend)), legend.toolTip()
        for entry in map(plain, legend.entries):
            assert entry in drawn or entry in tip, (type(panel).__name__, entry, drawn, tip)
    cpu = window.plots.cpu_plot
    assert "whole machine" in cpu.legend_text()  # the whole legend, whatever fits


def test_a_narrow_legend_keeps_its_summary_key_and_names_the_rest_in_its_tooltip(qtbot):
    from gui.plots.legend import Legend

    legend = Legend()
    qtbot.addWidget(legend)
    entries = [f"thread {n}" for n in range(1000, 1008)] + ["<b>all workers (sum)</b>"]
    legend.set_entries(entries, keep=1)
    legend.show()
    legend.resize(2000, 30)
    qtbot.wait(10)
    assert legend.shown == len(entries) and "more" not in legend.text()
    width = legend.fontMetrics().horizontalAdvance("thread 1000  thread 1001  +7 more  all "
                                                   "workers (sum)") + 40
    legend.resize(width, 30)
    qtbot.wait(10)
    assert 1 <= legend.shown < len(entries)
    drawn = drawn_html(legend)
    assert "all workers (sum)" in drawn and f"+{len(entries) - legend.shown} more" in drawn
    assert "thread 1007" in legend.toolTip() and "thread 1000" not in legend.toolTip()
    assert legend.text() == "&nbsp;&nbsp; ".join(entries)


def test_the_time_is_numbered_once_under_the_timeline_and_y_numbers_never_overlap(qtbot,
                                                                                tmp_path):
    window = _live_window_at(qtbot, tmp_path, 22)
    plots = window.plots
    for plot in plots.followers:
        assert plot.getPlotItem().getAxis("bottom").style["showValues"] is False
    assert plots.timeline.plot.getPlotItem().getAxis("bottom").style["showValues"] is True
    for panel in (plots.cpu_plot, plots.worker_cpu):
        axis = panel.plot.getPlotItem().getAxis("left")
        low, high = axis.range
        size = axis.geometry().height()
        values = [v for _, vs in axis.tickValues(low, high, size) for v in vs]
        # Each number has a text line of height: none is written over the next.
        assert values and len(values) * axis.row_pixels() <= size + axis.row_pixels(), (
            type(panel).__name__, values, size)


def test_an_axis_title_too_long_for_a_short_plot_moves_into_its_header(qtbot, tmp_path):
    window = _live_window_at(qtbot, tmp_path, 33)
    cpu = window.plots.cpu_plot
    axis = cpu.plot.getPlotItem().getAxis("left")
    assert not axis.label.isVisible() and cpu.unit.isVisible()
    assert "% of a core" in cpu.unit.text()
    window.set_font_size(11)
    qtbot.wait(100)
    assert axis.label.isVisible() and not cpu.unit.isVisible()


@pytest.mark.parametrize("point_size", [11, 22])
def test_plots_share_the_height_left_after_their_headers(qtbot, tmp_path, point_size):
    # Whole-panel shares gave a header line or two to every panel first, so at 2× the
    # timeline kept about one lane of its four.
    window = make_window(qtbot, tmp_path)
    window.resize(*SCREEN)
    window.show()
    qtbot.wait(50)
    window.set_font_size(point_size)
    qtbot.wait(100)
    plots = window.plots

    def data_height(panel):
        return panel.plot.getPlotItem().getViewBox().height()

    ratio = data_height(plots.timeline) / data_height(plots.cpu_plot)
    assert 1.2 <= ratio <= 1.8, ratio  # 45 : 30, as the shares say


def test_at_twice_the_text_the_compare_page_keeps_one_line_legends_and_a_short_lesson(
        qtbot, tmp_path):
    window = _live_window_at(qtbot, tmp_path, 22)
    window.show_page("compare")
    window.lesson_banner.show()
    window.lesson_banner.point.setText("word " * 200)
    qtbot.wait(100)
    page = window.compare_view
    for legend in (page.legend, page.strip_legend):
        assert legend.height() <= 2 * legend.fontMetrics().height()
    # The strips' colour key is the one kept when only one fits.
    from gui.pages.compare import STRIP_LEGEND
    from gui.plots.legend import Legend

    alone = Legend()
    qtbot.addWidget(alone)
    alone.set_entries(STRIP_LEGEND, " · ")
    alone.show()
    alone.resize(int(alone._width_of(STRIP_LEGEND[0] + " · +1 more")) + 8, 40)
    qtbot.wait(10)
    assert alone.shown == 1 and "100 %" in plain(drawn_html(alone))
    assert "seconds since each run's start" in alone.toolTip()
    # A lesson's words take at most two lines at 2× (the rest scrolls), not four.
    words = window.lesson_banner.words
    assert words.height() <= 2 * words.fontMetrics().lineSpacing() + 8
