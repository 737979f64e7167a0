"""Every menu key: unique, pressed for real, firing its own command; the Help sheet that lists
them; the status bar's interpreter line. Offscreen windows do become active here, and QTest's
key events then go through Qt's shortcut map as a keyboard's would; the real-X test at the end
checks the same under xcb, where the platform's standard keys differ (Quit is Ctrl+Q there,
and was given twice: Qt logged "Ambiguous shortcut overload" and Ctrl+Q did nothing)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections import Counter

import pytest
from conftest_gui import make_window
from shortcut_check import menu_shortcuts, press_every_shortcut

pytestmark = pytest.mark.gui

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _shown(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.views.setFocus()  # not a text field: those keep H and F for typing
    return window


def _press(qtbot, window, key: str) -> None:
    from PySide6.QtGui import QKeySequence

    combo = QKeySequence(key)[0]
    qtbot.keyClick(window.views, combo.key(), combo.keyboardModifiers())


def _keys_of(window) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, _action, key in menu_shortcuts(window):
        out.setdefault(name, []).append(key.toString())
    return out


def test_no_two_commands_share_a_key_and_none_has_one_twice(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    keys = [key.toString() for _name, _action, key in menu_shortcuts(window)]
    assert len(keys) > 20
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    assert _keys_of(window)["File ▸ Quit"].count("Ctrl+Q") == 1


def test_the_presenter_keys_are_where_the_help_says(qtbot, tmp_path):
    keys = _keys_of(make_window(qtbot, tmp_path))
    assert keys["Run ▸ Run comparison"] == ["Ctrl+Shift+C", "F6"]
    assert keys["Run ▸ Run sweep"] == ["Ctrl+Shift+W", "F7"]
    assert [keys[f"View ▸ {p} page"] for p in ("Live", "Compare", "Sweep")] == [
        ["Ctrl+1"], ["Ctrl+2"], ["Ctrl+3"]]
    assert keys["View ▸ Full screen"] == ["F11"]
    assert keys["Help ▸ Keyboard shortcuts…"] == ["F1"]
    exports = [name for name in keys if name.startswith("File ▸ Export ▸ ")]
    assert len(exports) == 5
    # What text fields need stays theirs.
    taken = {k for ks in keys.values() for k in ks}
    assert not taken & {"Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+A", "Ctrl+Z"}


def test_every_menu_key_pressed_fires_its_own_command_only(qtbot, tmp_path):
    window = _shown(qtbot, tmp_path)
    report = press_every_shortcut(window)
    assert report["active"]
    wrong = {key: got for key, got in report["fired"].items()
             if got != [key.rsplit(": ", 1)[0]]}
    assert wrong == {}
    assert not [w for w in report["warnings"] if "Ambiguous" in w]


def test_page_keys_bring_up_their_page(qtbot, tmp_path):
    window = _shown(qtbot, tmp_path)
    for key, kind in (("Ctrl+2", "compare"), ("Ctrl+3", "sweep"), ("Ctrl+1", "run")):
        _press(qtbot, window, key)
        assert window.current_kind() == kind


def test_f11_toggles_full_screen_and_the_menu_check_follows(qtbot, tmp_path):
    window = _shown(qtbot, tmp_path)
    _press(qtbot, window, "F11")
    qtbot.waitUntil(window.isFullScreen, timeout=3000)
    assert window.full_screen_action.isChecked()
    _press(qtbot, window, "F11")
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=3000)
    assert not window.full_screen_action.isChecked()
    window.showFullScreen()  # from elsewhere (the window manager): the check still follows
    qtbot.waitUntil(window.full_screen_action.isChecked, timeout=3000)


def test_text_size_and_heatmap_keys_change_the_window(qtbot, tmp_path):
    window = _shown(qtbot, tmp_path)
    before = window.font_size
    _press(qtbot, window, "Ctrl+=")
    assert window.font_size == before + 1
    heatmap = window.cpu_plot.heatmap
    _press(qtbot, window, "H")
    assert window.cpu_plot.heatmap is not heatmap


def _sheet(qtbot, window):
    from gui.shortcuts_sheet import ShortcutsSheet

    _press(qtbot, window, "F1")
    qtbot.waitUntil(lambda: bool(window.findChildren(ShortcutsSheet)), timeout=3000)
    sheet = window.findChildren(ShortcutsSheet)[-1]
    qtbot.addWidget(sheet)
    return sheet


def test_f1_lists_every_shortcut_in_the_window_text_size(qtbot, tmp_path):
    from PySide6.QtGui import QFontMetrics

    window = _shown(qtbot, tmp_path)
    window.set_font_size(15)  # larger than the default, and the offscreen screen is 800 px wide
    sheet = _sheet(qtbot, window)
    rows = sheet.rows()
    # (Quit is Ctrl+Q here; under X11 also the keyboard's Exit key, Qt's standard for it.)
    assert ("Ctrl+Q", "Quit", "File") in [(k.split(" or ")[0], c, m) for k, c, m in rows]
    assert ("Ctrl+Shift+C or F6", "Run comparison", "Run") in rows
    assert ("Ctrl+Shift+T", "Chrome trace (JSON)", "File ▸ Export") in rows
    assert len(rows) == len({name for name, _a, _k in menu_shortcuts(window)})
    assert sheet.font().pointSize() == 15
    table = sheet.table
    assert table.font().pointSize() == 15
    assert table.rowHeight(0) >= QFontMetrics(table.font()).height()  # rows grew with it
    # Nothing cut off: the table fits its columns without a horizontal scroll bar.
    assert not table.horizontalScrollBar().isVisible()


def test_a_menu_added_later_is_listed_too(qtbot, tmp_path):
    from gui.menus import add_action

    window = _shown(qtbot, tmp_path)
    extra = window.menuBar().addMenu("&Extra")
    add_action(extra, window, "&Demo thing", ("Ctrl+Alt+E",), lambda: None)
    assert ("Ctrl+Alt+E", "Demo thing", "Extra") in _sheet(qtbot, window).rows()


def test_status_bar_shows_python_gil_and_cores_beside_messages(qtbot, tmp_path):
    from PySide6.QtGui import QPalette

    from gui.panels.status_bar import STATUS_ERROR

    window = _shown(qtbot, tmp_path)
    text = window.interpreter_label.text()
    assert platform.python_version() in text and "GIL o" in text
    assert "free-threaded: " in text and "usable core" in text
    assert window.interpreter_label.isVisible()
    window.show_status("lesson not saved: disk full", error=True)
    bar = window.statusBar()
    assert bar.currentMessage() == "lesson not saved: disk full"
    assert window.interpreter_label.isVisible()  # a message does not push the facts away
    text_colour = QPalette.ColorRole.WindowText
    assert bar.palette().color(text_colour).name() == STATUS_ERROR.lower()
    assert window.interpreter_label.palette().color(text_colour).name() != STATUS_ERROR.lower()
    # After an error message the line still grows with the text size (a style sheet on the
    # bar used to freeze it at the size it had).
    window.set_font_size(22)
    assert window.interpreter_label.font().pointSize() == 22
    window.show_status("saved")
    assert bar.palette().color(text_colour).name() != STATUS_ERROR.lower()


@pytest.mark.xvfb
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (xvfb-run)")
def test_every_menu_key_in_a_real_x_server(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", CORESCOPE_SETTINGS=str(tmp_path / "s.ini"))
    proc = subprocess.run([sys.executable, "-m", "tests.shortcut_check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["active"], "the window never got the keyboard focus"
    wrong = {key: got for key, got in report["fired"].items()
             if got != [key.rsplit(": ", 1)[0]]}
    assert wrong == {}
    assert "File ▸ Quit: Ctrl+Q" in report["fired"]
    assert not [w for w in report["warnings"] if "Ambiguous" in w]
