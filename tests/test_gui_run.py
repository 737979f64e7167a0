"""Whole runs started from the window: real backends, real worker processes, nothing left over."""

from __future__ import annotations

import pytest
from conftest_gui import make_window, no_children

from engine.records import TaskStatus

pytestmark = pytest.mark.gui

RUN_TIMEOUT_MS = 60_000


def _choose(window, task: str, params: dict[str, str], count: int, backend: str,
            workers: int) -> None:
    """Fill the panel the way a user would."""
    panel = window.workload
    panel.task_combo.setCurrentIndex(panel.task_combo.findData(task))
    for name, raw in params.items():
        panel.params.editors[name].field.setText(raw)
    panel.count_spin.setValue(count)
    panel.backend_combo.setCurrentIndex(panel.backend_combo.findData(backend))
    panel.workers_spin.setValue(workers)
    assert panel.problem is None, panel.problem


@pytest.mark.parametrize("backend", ["thread-pool", "process-pool"])
def test_a_run_started_from_the_window(qtbot, tmp_path, backend):
    from PySide6.QtCore import Qt

    window = make_window(qtbot, tmp_path, idle_monitor=True)
    window.show()
    _choose(window, "primes", {"n": "20000"}, 4, backend, 2)
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
    _choose(window, "primes", {"n": "20000"}, 4, "sequential", 1)
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as baseline:
        window.start_run()
    window.workload.select_backend("thread-pool")
    with qtbot.waitSignal(window.run_done, timeout=RUN_TIMEOUT_MS) as second:
        window.start_run()

    result = second.args[0]
    assert result.baseline_wall_s == pytest.approx(baseline.args[0].wall_s)
    assert window.summary.values["Speedup"].text() == f"{result.stats.speedup:.2f}×"


def test_stop_ends_a_run_within_two_seconds(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    window = make_window(qtbot, tmp_path, idle_monitor=True)
    _choose(window, "sleep", {"seconds": "5"}, 4, "thread-pool", 2)
    window.start_run()
    qtbot.waitUntil(lambda: len(window.timeline.running) == 2, timeout=10_000)
    with qtbot.waitSignal(window.run_done, timeout=2000) as finished:
        qtbot.mouseClick(window.run_box.stop_button, Qt.MouseButton.LeftButton)

    result = finished.args[0]
    assert result.cancelled
    assert {r.status for r in result.records} == {TaskStatus.CANCELLED}
    assert not window.timeline.running
    cancelled = [k for k in window.timeline.buckets if k.state == "cancelled"]
    assert cancelled and len(window.timeline.buckets[cancelled[0]]) == 2  # the two that ran
    assert "cancelled" in window.summary.plain_text()


def test_closing_the_window_mid_run_leaves_no_worker_behind(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, idle_monitor=True)
    _choose(window, "sleep", {"seconds": "5"}, 2, "process-pool", 2)
    window.show()
    window.start_run()
    qtbot.waitUntil(lambda: len(window.timeline.running) == 2, timeout=20_000)
    assert not no_children()
    window.close()
    assert not window.bridge.running
    qtbot.waitUntil(no_children, timeout=5000)
