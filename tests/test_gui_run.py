"""Whole runs started from the window: real backends, real worker processes, nothing left over."""

from __future__ import annotations

import pytest
from conftest_gui import choose_workload, make_window, no_children

from engine.records import TaskStatus

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 60_000


@pytest.mark.parametrize("backend", ["thread-pool", "process-pool"])
def test_a_run_started_from_the_window(qtbot, tmp_path, backend):
    from PySide6.QtCore import Qt

    window = make_window(qtbot, tmp_path, idle_monitor=True)
    window.show()
    choose_workload(window, "primes", {"n": "20000"}, 4, 2, backend=backend)
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as finished:
        qtbot.mouseClick(window.run_box.run_button, Qt.MouseButton.LeftButton)
    result = finished.args[0]

    assert result.backend == backend and result.ok and len(result.records) == 4
    timeline = window.timeline
    assert timeline.bar_count() == 4
    for record in result.records:
        lane = timeline.lanes.lanes[timeline.lane_of(record.id)]
        assert (lane.pid, lane.tid) == (record.worker.pid, record.worker.tid)
    assert len(timeline.lanes.lanes) == len({(r.worker.pid, r.worker.tid)
                                             for r in result.records})
    plot = window.cpu_plot
    assert plot.sample_count() >= 1
    for curve in plot.core_curves:
        assert len(curve.getOriginalDataset()[1]) == plot.sample_count()
    assert f"Wall time: {result.wall_s:.3f} s" in window.summary.plain_text()
    assert window.run_box.run_button.isEnabled()
    qtbot.waitUntil(no_children, timeout=5000)


def test_speedup_against_the_last_sequential_run_of_the_same_workload(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    choose_workload(window, "primes", {"n": "20000"}, 4, 1, backend="sequential")
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as baseline:
        window.start_run()
    window.workload.select_backend("thread-pool")
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as second:
        window.start_run()

    result = second.args[0]
    assert result.baseline_wall_s == pytest.approx(baseline.args[0].wall_s)
    assert window.summary.values["Speedup"].text() == f"{result.stats.speedup:.2f}×"


def test_sleeps_overlapping_past_the_cores_are_explained_not_called_ideal(qtbot, tmp_path):
    # 8 sleeping threads on this machine's cores: ~8× against sequential, past "min(workers,
    # cores)"; the window says waits are bounded by the workers.
    window = make_window(qtbot, tmp_path)
    choose_workload(window, "sleep", {"seconds": "0.2"}, 8, 1, backend="sequential")
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS):
        window.start_run()
    choose_workload(window, "sleep", {"seconds": "0.2"}, 8, 8, backend="threads")
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as done:
        window.start_run()
    result = done.args[0]
    assert result.stats.speedup is not None and result.stats.speedup > 4
    shown = window.summary.plain_text()
    assert "over 100 %: see why below" in shown
    assert "waiting needs no core" in shown and "reach about 8×" in shown
    assert "close to the ideal" not in shown


def test_stop_ends_a_run_within_two_seconds(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    window = make_window(qtbot, tmp_path, idle_monitor=True)
    choose_workload(window, "sleep", {"seconds": "5"}, 4, 2, backend="thread-pool")
    window.start_run()
    qtbot.waitUntil(lambda: len(window.timeline.running) == 2, timeout=10_000)
    with qtbot.waitSignal(window.run_done, timeout=2000) as finished:
        qtbot.mouseClick(window.run_box.stop_button, Qt.MouseButton.LeftButton)

    result = finished.args[0]
    assert result.cancelled
    assert {r.status for r in result.records} == {TaskStatus.CANCELLED}
    assert not window.timeline.running
    cancelled = [k for k in window.timeline.buckets if k.state == "cancelled"]
    ran = [r for r in result.records if r.started is not None]
    assert len(ran) >= 2 and len(window.timeline.buckets[cancelled[0]]) == len(ran)
    assert "cancelled" in window.summary.plain_text()


def test_closing_the_window_mid_run_leaves_no_worker_behind(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, idle_monitor=True)
    choose_workload(window, "sleep", {"seconds": "5"}, 2, 2, backend="process-pool")
    window.show()
    window.start_run()
    qtbot.waitUntil(lambda: len(window.timeline.running) == 2, timeout=20_000)
    assert not no_children()
    window.close()
    assert not window.bridge.running
    qtbot.waitUntil(no_children, timeout=5000)


def test_a_custom_function_runs_from_the_window(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.workload
    panel.select_task("custom (module:function)")
    panel.custom_spec.setText("tests/tasks_for_tests.py:NOT_CALLABLE")
    panel.custom_spec.editingFinished.emit()
    assert panel.problem and "NOT_CALLABLE" in panel.problem
    assert not window.run_box.run_button.isEnabled()

    panel.custom_spec.setText("tests/tasks_for_tests.py:add")
    panel.custom_params.setText("a=3, b=4")
    panel.custom_spec.editingFinished.emit()
    panel.count_spin.setValue(2)
    panel.select_backend("process-pool")
    assert panel.problem is None, panel.problem
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as finished:
        window.start_run()
    assert [r.result for r in finished.args[0].records] == ["7", "7"]
    qtbot.waitUntil(no_children, timeout=5000)


def test_run_app_runs_a_given_config_saves_a_screenshot_and_exits(qtbot, tmp_path):
    from engine.run.runner import RunConfig
    from engine.workload import build_workload
    from gui.app import run_app

    shot = tmp_path / "after.png"
    config = RunConfig(build_workload(["primes"], 4, {"n": "20000"}), "thread-pool", workers=2)
    code = run_app(config, start=True, screenshot=str(shot), exit_after_run=True,
                   settings_path=str(tmp_path / "s.ini"))
    assert code == 0
    assert shot.stat().st_size > 10_000


def test_run_app_reports_a_config_the_engine_refuses(qtbot, tmp_path):
    from engine.run.runner import RunConfig
    from engine.workload import build_workload
    from gui.app import run_app

    config = RunConfig(build_workload(["crash"], 1), "thread-pool")
    code = run_app(config, start=True, exit_after_run=True, settings_path=str(tmp_path / "s.ini"))
    assert code == 2


# Stop on code that ignores it (waiting, then "Leave them running"): tests/test_gui_pages.py.


def test_bridge_batches_events_and_keeps_their_order(qtbot):
    from engine.records import TaskFinished, TaskStarted
    from engine.run.runner import RunConfig
    from engine.workload import build_workload
    from gui.bridge import RunBridge

    bridge = RunBridge(idle_interval_s=None)
    batches: list[list] = []
    bridge.task_events.connect(batches.append)
    config = RunConfig(build_workload(["sleep"], 200, {"seconds": "0.005"}), "thread-pool",
                       workers=8)
    with qtbot.waitSignal(bridge.run_finished, timeout=RUN_TIMEOUT_MS):
        bridge.start(config)
    bridge.shutdown()

    events = [e for batch in batches for e in batch]
    assert len(events) == 400 and len(batches) < 200  # batched, not one signal per task
    seen: set[int] = set()
    for event in events:
        if isinstance(event, TaskStarted):
            seen.add(event.id)
        else:
            assert isinstance(event, TaskFinished) and event.record.id in seen


def test_idle_window_keeps_showing_live_cpu(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, idle_monitor=True)
    qtbot.waitUntil(lambda: window.cpu_plot.sample_count() >= 3, timeout=5000)
    assert not window.running
