"""Lessons in the window: the menu lists the talk, choosing one sets everything up and shows its
words, Page Down/Up step through it, Ctrl+Enter runs it, a bad file never breaks the window, and
"save current setup as lesson" writes a file the loader reads back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest_gui import make_window

from engine.files.lessons import Lesson, lessons_dir, list_lessons, load_lesson, save_lesson

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 120_000


def small_copy(folder: Path, names: list[str]) -> Path:
    """The shipped lessons ``names`` at 5 % of their size (same order, same files beside)."""
    folder.mkdir(exist_ok=True)
    shutil.copy(Path(lessons_dir()) / "tutorial.py", folder / "tutorial.py")
    for entry in list_lessons():
        assert isinstance(entry, Lesson)
        if entry.short_name in names:
            save_lesson(str(folder / Path(entry.path or "").name), entry.scaled(0.05))
    return folder


def lessons_window(qtbot, tmp_path, names: list[str]):
    window = make_window(qtbot, tmp_path)
    window.lessons.folder = str(small_copy(tmp_path / "lessons", names)
                                if names else Path(lessons_dir()))
    window.lessons.refresh()
    window.show()
    window.activateWindow()  # keys reach a window's shortcuts only while it is active
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    return window


@pytest.fixture
def lesson_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    folder.mkdir()
    return folder


def menu_titles(window) -> list[str]:
    return [a.text() for a in window.lessons.menu.actions() if a.text()]


def test_the_lessons_menu_lists_the_shipped_talk_in_order(qtbot, tmp_path):
    window = lessons_window(qtbot, tmp_path, [])
    titles = menu_titles(window)
    shipped = [e for e in list_lessons() if isinstance(e, Lesson)]
    for n, lesson in enumerate(shipped, 1):
        assert any(t.startswith(f"{n}. {lesson.title}") for t in titles), titles
    for action in window.lessons.menu.actions():
        if "subinterpreters" in action.text().lower() and "unavailable" in action.text():
            assert not action.isEnabled()  # greyed out with its reason on Python < 3.14
    assert {"&Run lesson", "&Next lesson", "&Previous lesson",
            "&Save current setup as lesson…"} <= set(titles)


def test_choosing_a_lesson_sets_up_the_page_backends_and_words(qtbot, tmp_path, lesson_folder):
    window = lessons_window(qtbot, tmp_path, [])
    gil = next(e for e in window.lessons.entries
               if isinstance(e, Lesson) and e.short_name == "the-gil")
    action = next(a for a in window.lessons.menu.actions() if a.text().endswith(gil.title))
    action.trigger()
    assert window.current_kind() == "compare"
    assert window.compare_view.backends.checked() == ["sequential", "threads", "processes"]
    config = window.workload.config
    assert config is not None and config.workers == 4
    assert [(i.spec.name, i.count, i.params["n"]) for i in config.workload.items] == [
        ("primes", 4, 600000)]
    banner = window.lesson_banner
    assert banner.isVisible()
    text = banner.plain_text()
    assert f"Lesson 2 of {len(window.lessons._lessons())} · {gil.title}" in text
    assert gil.talking_point in text and gil.notice in text


def test_page_keys_step_through_the_talk_and_ctrl_enter_runs_it(qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window = lessons_window(qtbot, tmp_path, ["two-file-operations", "the-gil", "amdahl"])
    QTest.keyClick(window, Qt.Key.Key_PageDown)  # none set up: the first
    assert window.lessons.current.short_name == "two-file-operations"
    config = window.workload.config
    assert config is not None
    assert [i.spec.name.rsplit(":", 1)[1] for i in config.workload.items] == [
        "file_operation_1", "file_operation_2"]
    with qtbot.waitSignal(window.sequence_done, timeout=RUN_TIMEOUT_MS) as done:
        QTest.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    seq, procs = done.args[0]
    assert (seq.backend, procs.backend) == ("sequential", "processes")
    assert seq.ok and procs.ok and len(procs.records) == 2
    # As processes the two functions run at once (their bars overlap); sequential, in turn.
    a, b = procs.records
    assert a.started < b.finished and b.started < a.finished
    a, b = sorted(seq.records, key=lambda r: r.started)
    assert a.finished <= b.started

    QTest.keyClick(window, Qt.Key.Key_PageDown)
    assert window.lessons.current.short_name == "the-gil"
    QTest.keyClick(window, Qt.Key.Key_PageDown)
    assert window.lessons.current.short_name == "amdahl"
    assert window.current_kind() == "sweep"
    assert window.sweep_view.knob_combo.currentText() == "workers"
    assert window.sweep_view.values_edit.text() == "1,2,4,8"
    QTest.keyClick(window, Qt.Key.Key_PageDown)  # the last: stays, and says so
    assert window.lessons.current.short_name == "amdahl"
    assert "last lesson" in window.statusBar().currentMessage()
    QTest.keyClick(window, Qt.Key.Key_PageUp)
    assert window.lessons.current.short_name == "the-gil"


def test_a_bad_lesson_file_is_listed_with_its_line_and_the_window_keeps_working(
        qtbot, tmp_path, lesson_folder):
    good = {"format": "corescope-lesson", "version": 1, "title": "Fine", "talking_point": "p",
            "notice": "n", "rows": [{"task": "sleep", "params": {"seconds": 0.01}, "count": 2}],
            "backends": ["thread-pool"], "page": "live"}
    (lesson_folder / "01-fine.json").write_text(json.dumps(good), encoding="utf-8")
    bad = dict(good, rows=[{"task": "sleep", "params": {"seconds": "soon"}, "count": 1}])
    (lesson_folder / "02-bad.json").write_text(json.dumps(bad), encoding="utf-8")
    window = make_window(qtbot, tmp_path)
    window.lessons.folder = str(lesson_folder)
    window.lessons.refresh()
    broken = [a for a in window.lessons.menu.actions() if "cannot be read" in a.text()]
    assert len(broken) == 1 and not broken[0].isEnabled()
    assert "02-bad.json: rows[0].params.seconds" in broken[0].text()
    # Opening it by path: one line in the status bar, nothing else changes.
    before = window.workload.config
    assert not window.lessons.open_path(str(lesson_folder / "02-bad.json"))
    assert "02-bad.json: rows[0].params.seconds" in window.statusBar().currentMessage()
    assert window.workload.config == before
    # The good one still runs, on the Live page.
    assert window.lessons.open(load_lesson(str(lesson_folder / "01-fine.json")))
    assert window.current_kind() == "run"
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as done:
        assert window.lessons.run()
    assert done.args[0].ok and done.args[0].backend == "thread-pool"


def test_the_current_setup_saves_as_a_lesson_that_reads_back(qtbot, tmp_path, lesson_folder):
    window = lessons_window(qtbot, tmp_path, ["the-gil"])
    window.lessons.next()
    # With an entry under a start method of its own, as "+ @method" adds it.
    window.compare_view.backends.set_checked(["sequential", "processes",
                                              "processes@forkserver"])
    path = str(lesson_folder / "05-mine.json")
    saved = window.lessons.save_to(path, "My GIL demo")
    assert saved is not None
    back = load_lesson(path)
    assert back.title == "My GIL demo" and back.page == "compare"
    assert back.backends == ("sequential", "processes", "processes@forkserver")
    assert back.workers == 4
    # Opened again, the comparison has its entry back.
    window.compare_view.backends.set_checked(["sequential"])
    assert window.lessons.open(back)
    assert [e.key for e in window.compare_view.backends.checked_entries()] == [
        "sequential", "processes", "processes@forkserver"]
    assert back.talking_point == window.lessons.entries[0].talking_point
    # It joins the menu at once.
    assert any(a.text().endswith("My GIL demo") for a in window.lessons.menu.actions())
    # An unwritable place: one line, no file, no traceback.
    assert window.lessons.save_to(str(tmp_path / "no" / "such" / "dir" / "x.json"), "x") is None
    assert "lesson not saved" in window.statusBar().currentMessage()


def test_gui_lesson_start_runs_the_comparison_and_exits_with_its_outcome(qtbot, tmp_path):
    from engine.files.lessons import find_lesson
    from gui.app import run_app

    shot = tmp_path / "lesson.png"
    small = find_lesson("the-gil").scaled(0.05)
    code = run_app(lesson=small, start=True, screenshot=str(shot), exit_after_run=True,
                   settings_path=str(tmp_path / "s.ini"))
    assert code == 0
    assert shot.stat().st_size > 10_000  # taken after the whole comparison ended
