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
