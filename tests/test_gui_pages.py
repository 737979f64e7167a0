"""Compare and Sweep pages, sessions, exports and the stuck-cancel prompt, from the window."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from conftest_gui import choose_workload, make_window, no_children, saved_and_reopened

from engine.files import session as sessions
from engine.records import TaskStatus

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 90_000
COMPARED = ["sequential", "thread-pool", "process-pool"]


def _compare(qtbot, window, backends=COMPARED):
    from PySide6.QtCore import Qt

    window.compare_view.backends.set_checked(backends)
    assert window.compare_view.backends.checked() == backends
    with qtbot.waitSignal(window.sequence_done, timeout=RUN_TIMEOUT_MS) as done:
        qtbot.mouseClick(window.compare_view.compare_button, Qt.MouseButton.LeftButton)
    return done.args[0]


def test_a_comparison_from_the_window(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    choose_workload(window, "primes", {"n": "20000"}, 4, 2)
    results = _compare(qtbot, window)

    view = window.compare_view
    assert [r.backend for r in results] == COMPARED and all(r.ok for r in results)
    assert window.views.currentWidget() is view
    assert len(view.rows) == 3
    master = view.x_master.getPlotItem().getViewBox()
    for row, result in zip(view.rows, results):
        assert row.timeline.bar_count() == 4
        assert len(row.strip.samples) == len(result.samples)
        if row.timeline.plot is not view.x_master:
            assert row.timeline.plot.getPlotItem().getViewBox().linkedView(0) is master
        assert row.strip.plot.getPlotItem().getViewBox().linkedView(0) is master
    assert view.table.rowCount() == 3
    assert view.table.item(0, 0).text().startswith("sequential")
    assert view.table.item(0, 3).text() == "1.00"
    assert sum(view.table.item(r, 0).text().endswith("★") for r in range(3)) == 1
    assert len(view.bar_heights()) == 3 and view.bar_heights()[0] == pytest.approx(1.0)
    assert view.ideal == 2 and view.ideal_line.isVisible()
    # The shared axis shows the slowest run whole.
    lo, hi = master.viewRange()[0]
    assert lo <= 0 and hi >= max(r.wall_s for r in results)
    assert "3/3 backends ran" in view.status.text()
    qtbot.waitUntil(no_children, timeout=5000)

    # Save it and reopen it in a fresh window: the same page, no run.
    other = saved_and_reopened(qtbot, tmp_path, window)
    assert not other.running and other.views.currentWidget() is other.compare_view
    again = other.compare_view
    assert [row.timeline.bar_count() for row in again.rows] == [4, 4, 4]
    assert [row.timeline.lane_labels() for row in again.rows] == \
        [row.timeline.lane_labels() for row in view.rows]
    assert [again.table.item(r, 2).text() for r in range(3)] == \
        [view.table.item(r, 2).text() for r in range(3)]
    assert again.bar_heights() == pytest.approx(view.bar_heights())

    # Exports of the comparison.
    trace = tmp_path / "cmp.trace.json"
    assert window.files.export_trace(str(trace))
    events = json.loads(trace.read_text())["traceEvents"]
    started = sum(1 for r in results for t in r.records if t.started is not None)
    assert sum(1 for e in events if e["ph"] == "X" and e.get("cat") != "gil") == started
    assert len({e["pid"] for e in events}) == 3
    table = tmp_path / "cmp.csv"
    assert window.files.export_table_csv(str(table))
    rows = list(csv.reader(io.StringIO(table.read_text())))
    assert rows[0][0] == "backend" and [r[0] for r in rows[1:]] == COMPARED
    md = tmp_path / "cmp.md"
    assert window.files.export_table_markdown(str(md))
    lines = md.read_text().splitlines()
    assert lines[0].startswith("| backend |") and len(lines) == 5
    tasks = tmp_path / "tasks.csv"
    assert window.files.export_tasks_csv(str(tasks))
    assert len(list(csv.reader(io.StringIO(tasks.read_text())))) == 1 + 12
    png = tmp_path / "cmp.png"
    assert window.files.export_png(str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # An unwritable path: a message, no file, nothing lost.
    assert not window.files.export_trace(str(tmp_path / "missing" / "x.json"))
    assert "not written" in window.statusBar().currentMessage()
    assert view.table.rowCount() == 3


def test_a_run_session_round_trip_and_bad_files(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    choose_workload(window, "primes", {"n": "20000"}, 4, 2, backend="thread-pool")
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as finished:
        window.start_run()
    result = finished.args[0]
    path = tmp_path / "run.json"
    assert window.files.save_path(str(path))
    assert not window.files.save_path(str(path))  # never overwrites silently
    assert "exists" in window.statusBar().currentMessage()

    (tmp_path / "b").mkdir()
    fresh = make_window(qtbot, tmp_path / "b")
    assert fresh.files.open_path(str(path))
    assert fresh.views.currentIndex() == 0
    assert fresh.timeline.bar_count() == window.timeline.bar_count() == 4
    assert fresh.timeline.lane_labels() == window.timeline.lane_labels()
    assert fresh.cpu_plot.sample_count() == len(result.samples)
    wall = f"Wall time: {result.wall_s:.3f} s"
    assert wall in fresh.summary.plain_text() and wall in window.summary.plain_text()
    assert fresh.files.recent() == [str(path)]

    # Bad files: a message, and the view stays exactly as it was.
    good = json.loads(path.read_text())
    newer = dict(good, schema=99)
    cases = {"truncated.json": path.read_text()[:200], "foreign.json": '{"hello": 1}',
             "newer.json": json.dumps(newer)}
    for name, text in cases.items():
        bad = tmp_path / name
        bad.write_text(text)
        assert not fresh.files.open_path(str(bad))
        message = fresh.statusBar().currentMessage()
        assert message.startswith("cannot open") and name in message
        assert fresh.timeline.bar_count() == 4
        assert wall in fresh.summary.plain_text()
    assert "newer CoreScope" in message

    # A recent file that disappeared is pruned with a message.
    path.unlink()
    assert fresh.files.prune_recent() == []
    assert "no longer exist" in fresh.statusBar().currentMessage()
    qtbot.waitUntil(no_children, timeout=5000)


def test_a_sweep_from_the_window_and_its_session(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    choose_workload(window, "sleep", {"seconds": "0.1"}, 4, 1)
    view = window.sweep_view
    view.backends.set_checked(["thread-pool"])
    view.knob_combo.setCurrentText("workers")
    view.values_edit.setText("1,2")
    with qtbot.waitSignal(window.sequence_done, timeout=RUN_TIMEOUT_MS) as done:
        assert window.start_sweep(), view.status.text()
    results = done.args[0]
    assert [r.backend for r in results] == ["sequential", "thread-pool", "thread-pool"]

    x, speedup = view.curves["thread-pool"].getData()
    assert list(x) == [1.0, 2.0]
    assert speedup[1] > speedup[0]
    assert view.table.rowCount() == 2
    assert np.allclose(view.ideal_curve.getData()[1], [1, 2])

    path = tmp_path / "sweep.json"
    assert window.files.save_path(str(path))
    assert sessions.load(str(path)).kind == "sweep"
    (tmp_path / "b").mkdir()
    fresh = make_window(qtbot, tmp_path / "b")
    assert fresh.files.open_path(str(path))
    assert fresh.views.currentWidget() is fresh.sweep_view
    x2, speedup2 = fresh.sweep_view.curves["thread-pool"].getData()
    assert list(x2) == [1.0, 2.0] and np.allclose(speedup2, speedup)


def test_stop_waits_for_stuck_tasks_and_offers_to_leave_them(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    window = make_window(qtbot, tmp_path)
    window.show()
    panel = window.workload
    panel.select_task("custom (module:function)")
    panel.custom_spec.setText("tests/tasks_for_tests.py:uninterruptible")
    panel.custom_params.setText("seconds=3")
    panel.custom_spec.editingFinished.emit()
    panel.count_spin.setValue(1)
    panel.select_backend("thread-pool")
    panel.workers_spin.setValue(1)
    assert panel.problem is None, panel.problem
    window.start_run()
    qtbot.waitUntil(lambda: len(window.timeline.running) == 1, timeout=10_000)
    window.stop_run()
    box = window.run_box
    qtbot.waitUntil(lambda: box.leave_button.isVisible(), timeout=2000)
    assert "waiting for 1 running task" in box.status.text()
    assert window.running  # nothing was given up without asking
    with qtbot.waitSignal(window.run_done, timeout=1000) as finished:
        qtbot.mouseClick(box.leave_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]
    assert result.cancelled and result.abandoned
    assert {r.status for r in result.records} == {TaskStatus.CANCELLED}
    assert not box.leave_button.isVisible()
    assert "background" in box.status.text()


def test_run_app_opens_a_session(qtbot, tmp_path):
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload
    from gui.app import run_app

    result = execute(RunConfig(build_workload(["sleep"], 2, {"seconds": "0.05"}), "thread-pool",
                               workers=2))
    path = tmp_path / "s.json"
    sessions.save(str(path), [result])
    shot = tmp_path / "shot.png"
    code = run_app(screenshot=str(shot), exit_after_run=True,
                   settings_path=str(tmp_path / "s.ini"), session=sessions.load(str(path)))
    assert code == 0 and shot.stat().st_size > 10_000
