"""One process backend under several start methods on the Compare page: entries of their own
(``process-pool@forkserver``), offered for process backends only, run each under its own start
method and named so in the rows, the speedup chart, the table and a reopened session."""

from __future__ import annotations

import dataclasses

import pytest
from conftest_gui import choose_workload, make_window, no_children, saved_and_reopened
from sample_results import result

from engine.backends.registry import BACKENDS
from engine.backends.start_methods import valid_start_methods
from engine.figures.result import entry_names
from engine.workload import build_workload

pytestmark = pytest.mark.gui
needs_forkserver = pytest.mark.skipif("forkserver" not in valid_start_methods(),
                                      reason="needs forkserver (Linux, macOS)")

RUN_TIMEOUT_MS = 90_000
TWO = ["process-pool@spawn", "process-pool@forkserver"]


def _texts(backends) -> list[str]:
    return [backends.item(i).text() for i in range(backends.count())]


def _menu_action(button, key: str):
    button.fill_menu()
    return next(a for a in button.menu().actions() if a.text() == key)


@needs_forkserver
def test_one_backend_under_two_start_methods_from_the_window(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from gui.panels.backend_list import Entry

    window = make_window(qtbot, tmp_path)
    choose_workload(window, "sleep", {"seconds": "0.05"}, 2, 2, backend="process-pool")
    window.workload.start_combo.setCurrentText("spawn")
    view = window.compare_view
    assert view.start_methods.isEnabled()

    # The user's way: the button's menu adds the entry, checked, right after its backend,
    # and the backend's own entry then says which start method it keeps.
    _menu_action(view.start_methods, "process-pool@forkserver").trigger()
    texts = _texts(view.backends)
    at = texts.index("process-pool@spawn")
    assert texts[at + 1] == "process-pool@forkserver"
    assert _menu_action(view.start_methods, "process-pool@forkserver").isChecked()

    view.backends.set_checked(["process-pool", "process-pool@forkserver"])
    assert view.backends.checked_entries() == [Entry("process-pool"),
                                               Entry("process-pool", "forkserver")]
    assert view.backends.checked() == ["process-pool"]  # what the Sweep page and lessons read
    locked = []  # the menu during each run: its entries are fixed until the sequence ends
    window.sequences.sequence.step_started.connect(
        lambda *_: locked.append(not view.start_methods.isEnabled()))
    with qtbot.waitSignal(window.sequence_done, timeout=RUN_TIMEOUT_MS) as done:
        qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    results = done.args[0]
    assert locked == [True, True] and view.start_methods.isEnabled()

    assert [(r.backend, r.start_method) for r in results] == [
        ("process-pool", "spawn"), ("process-pool", "forkserver")]
    assert all(r.ok for r in results)
    assert [row.label for row in view.rows] == TWO
    assert view.chart.names == TWO and len(view.bar_heights()) == 2
    assert [view.table.item(r, 0).text().rstrip(" ★") for r in range(2)] == TWO
    assert "2/2 backends ran" in view.status.text()
    qtbot.waitUntil(no_children, timeout=5000)

    # Saved and reopened: the runs keep their start methods, so the names come back too.
    other = saved_and_reopened(qtbot, tmp_path, window)
    again = other.compare_view
    assert [row.label for row in again.rows] == TWO
    assert again.chart.names == TWO
    assert [again.table.item(r, 0).text().rstrip(" ★") for r in range(2)] == TWO

    # Unticked in the menu, the entry leaves the list and the backend its @spawn.
    _menu_action(view.start_methods, "process-pool@forkserver").trigger()
    assert "process-pool@forkserver" not in _texts(view.backends)
    assert "process-pool" in _texts(view.backends)


def test_only_process_backends_are_offered_other_start_methods(qtbot):
    from gui.panels.backend_list import BackendList, StartMethodButton

    backends = BackendList()
    qtbot.addWidget(backends)
    button = StartMethodButton(backends)
    qtbot.addWidget(button)
    backends.set_workload(build_workload(["sleep"], 2, {"seconds": "0.01"}), 2, "spawn")
    offered = backends.offered_entries()
    others = [m for m in valid_start_methods() if m != "spawn"]
    assert {e.start_method for e in offered} == set(others)
    for entry in offered:
        cls = BACKENDS[entry.backend]
        assert cls.uses_processes and cls.takes_start_method, entry
    assert {"threads", "thread-pool", "sequential", "asyncio"}.isdisjoint(
        e.backend for e in offered)
    assert button.isEnabled() == bool(others)
    button.fill_menu()
    assert [a.text() for a in button.menu().actions() if not a.isSeparator()] == \
        [e.key for e in offered]

    with pytest.raises(ValueError, match="process backends only"):
        backends.add_entry("threads", "spawn")
    backends.set_checked(["sequential", "threads@spawn"])
    assert backends.extra_entries() == []
    assert not any("@" in text for text in _texts(backends))  # nothing added, no backend relabelled


@needs_forkserver
def test_an_entry_under_the_panels_own_start_method_is_greyed(qtbot):
    from PySide6.QtCore import Qt

    from gui.panels.backend_list import BackendList, Entry

    backends = BackendList()
    qtbot.addWidget(backends)
    workload = build_workload(["sleep"], 2, {"seconds": "0.01"})
    backends.set_workload(workload, 2, "spawn")
    backends.add_entry("process-pool", "forkserver")
    assert Entry("process-pool", "forkserver") in backends.checked_entries()
    # The panel switches to forkserver: the entry would repeat the backend's own run.
    backends.set_workload(workload, 2, "forkserver")
    assert Entry("process-pool", "forkserver") not in backends.checked_entries()
    assert "side panel's start method" in backends.refusals()["process-pool@forkserver"]
    item = next(backends.item(i) for i in range(backends.count())
                if backends.item(i).text() == "process-pool")
    assert item.checkState() == Qt.CheckState.Checked
    # And back: the entry returns as it was.
    backends.set_workload(workload, 2, "spawn")
    assert Entry("process-pool", "forkserver") in backends.checked_entries()


def test_entry_labels_name_runs_as_the_engine_does():
    from gui.panels.backend_list import entry_labels

    spawn = dataclasses.replace(result("process-pool"), start_method="spawn")
    runs = [result("sequential"), spawn, dataclasses.replace(spawn, start_method="forkserver"),
            dataclasses.replace(result("mp-pool"), start_method="spawn")]
    assert entry_labels([(r.backend, r.start_method) for r in runs]) == entry_names(runs)


@needs_forkserver
def test_the_button_and_entries_fit_at_2x_text_on_720_px(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.show()
    window.resize(1280, 720)
    window.set_font_size(22)
    choose_workload(window, "sleep", {"seconds": "0.05"}, 2, 2, backend="process-pool")
    view = window.compare_view
    window.views.setCurrentWidget(view)
    qtbot.wait(50)  # one round of layout events
    top_before = view.status.y()
    for entry in view.backends.offered_entries():
        view.backends.add_entry(entry.backend, entry.start_method)
    qtbot.wait(50)
    button, listed = view.start_methods, view.backends
    assert button.isVisible() and button.width() >= button.sizeHint().width()
    # Beside the list and no taller than it: the page's top keeps its height.
    assert button.mapTo(view, button.rect().bottomRight()).x() < \
        listed.mapTo(view, listed.rect().topLeft()).x()
    assert button.mapTo(view, button.rect().bottomLeft()).y() <= \
        listed.mapTo(view, listed.rect().bottomLeft()).y() + 1
    # Every entry added scrolls the list; the status and the timelines under it stay put.
    assert view.status.y() == top_before


@pytest.mark.parametrize("scale", [1, 2])
def test_entry_names_drawn_whole_in_the_chart_and_rows(qtbot, tmp_path, scale):
    window = make_window(qtbot, tmp_path)
    window.show()
    window.resize(1280, 720)
    window.set_font_size(11 * scale)
    view = window.compare_view
    window.views.setCurrentWidget(view)
    spawn = dataclasses.replace(result("process-pool", pids=(5001, 5002), in_processes=True),
                                start_method="spawn")
    runs = [result("sequential", tids=(4101,), wall_s=0.9), spawn,
            dataclasses.replace(spawn, start_method="forkserver", t_end=0.3)]
    view.show_results(runs)
    for _ in range(2):  # pyqtgraph widens the names' axis at one paint, for the next
        qtbot.wait(50)
        window.grab()
    names = ["sequential", "process-pool@spawn", "process-pool@forkserver"]
    assert [row.label for row in view.rows] == names
    boxes = view.chart.text_boxes()
    assert [t for t, _ in boxes][:3] == names
    inside = view.chart.plot.rect()
    assert all(inside.contains(r.toAlignedRect()) for _, r in boxes[:3]), boxes
    for row in view.rows:  # the name column fits the longest name on one line
        assert row.name_box.width() >= row.name_width_hint(11 * scale)
