"""The window's widgets, fed synthetic data: no engine run, no worker process."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest_gui import make_window, task, worker

from engine.backends.base import Availability
from engine.backends.registry import BACKENDS
from engine.records import CpuSample, HostCpuSample, TaskStatus, WorkerId
from gui import palette

pytestmark = pytest.mark.gui


@pytest.fixture
def timeline(qtbot):
    from gui.plots.timeline import Timeline

    widget = Timeline()
    qtbot.addWidget(widget)
    widget.resize(800, 300)
    widget.begin_run(0.0, ("primes", "sleep"))
    return widget


def _bars(item):
    """(x0, width, y) arrays a BarGraphItem draws."""
    return (np.asarray(item.opts["x0"]), np.asarray(item.opts["width"]),
            np.asarray(item.opts["y"]))


def test_timeline_one_bar_per_task_in_its_workers_lane(timeline):
    a, b = worker(1), worker(2)
    events = []
    for i, (who, start) in enumerate([(a, 0.0), (b, 0.0), (a, 1.0), (b, 1.0)]):
        events += task(i, who, start, start + 0.9)
    timeline.add_task_events(events)

    assert timeline.bar_count() == 4
    assert timeline.lane_labels() == ["thread 1001", "thread 1002"]
    assert [timeline.lane_of(i) for i in range(4)] == [0, 1, 0, 1]
    (key,) = timeline.buckets
    assert key.state == "ok" and key.colour == palette.series_colour(0) and key.level == 3
    x0, width, y = _bars(timeline.buckets[key].item)
    assert list(y) == [0, 1, 0, 1]
    assert np.allclose(x0, [0, 0, 1, 1]) and np.allclose(width, 0.9)


def test_failed_tasks_go_to_the_failure_bucket(timeline):
    events = task(0, worker(1), 0, 1) + task(1, worker(1), 1, 2, status=TaskStatus.ERROR)
    events += task(2, worker(1), 2, 3, status=TaskStatus.LOST)
    timeline.add_task_events(list(events))

    states = {k.state: k for k in timeline.buckets}
    assert set(states) == {"ok", "failed", "lost"}
    assert states["failed"].colour == palette.FAILED
    assert timeline.bucket_of[1] == states["failed"]
    assert len(timeline.buckets[states["failed"]]) == 1
    assert states["failed"].colour not in palette.SERIES  # never mistaken for a task name


def test_bars_are_shaded_by_cpu_efficiency_and_coloured_by_task(timeline):
    events = (task(0, worker(1), 0, 1, cpu_s=0.05) + task(1, worker(2), 0, 1, cpu_s=0.6)
              + task(2, worker(3), 0, 1, name="sleep", cpu_s=0.0))
    timeline.add_task_events(list(events))

    levels = {tid: timeline.bucket_of[tid] for tid in range(3)}
    assert levels[0].level == 0 and levels[1].level == 2
    assert levels[2].colour == palette.series_colour(1) != levels[0].colour
    assert len(timeline.buckets) == 3  # one item per (colour, level), not one per bar


def test_running_bars_grow_until_their_task_ends(timeline):
    started, finished = task(0, worker(1), 1.0, 3.0)
    timeline.add_task_events([started])
    timeline.advance(1.5)
    assert np.allclose(_bars(timeline.running_item)[1], [0.5])
    timeline.advance(2.5)
    assert np.allclose(_bars(timeline.running_item)[1], [1.5])
    timeline.add_task_events([finished])
    assert len(_bars(timeline.running_item)[0]) == 0 and timeline.bar_count() == 1


def test_a_worker_that_moves_on_to_its_next_task_keeps_its_lane(timeline):
    """The engine delivers a worker's end before its next start (tested per backend in
    test_backends), even when both land in one drained batch."""
    a0, a1 = task(0, worker(1), 0.0, 1.0)
    b0, b1 = task(1, worker(1), 1.0, 2.0)
    timeline.add_task_events([a0, a1, b0])
    timeline.add_task_events([b1])
    assert timeline.lane_labels() == ["thread 1001"]
    assert timeline.lane_of(0) == timeline.lane_of(1) == 0


def test_coroutines_overlapping_on_one_thread_get_lanes_of_their_own(qtbot):
    from gui.plots.timeline import Timeline

    widget = Timeline()
    qtbot.addWidget(widget)
    widget.begin_run(0.0, ("sleep",))
    a0, a1 = task(0, worker(1), 0.0, 1.0, name="sleep")
    b0, b1 = task(1, worker(1), 0.5, 1.5, name="sleep")
    widget.add_task_events([a0, b0, a1, b1])
    assert widget.lane_labels() == ["thread 1001", "thread 1001 · 2"]


def test_hover_describes_the_task_under_the_pointer(timeline):
    events = task(0, worker(1), 0.0, 1.0, cpu_s=0.25) + task(
        1, worker(2), 0.0, 2.0, status=TaskStatus.ERROR)
    timeline.add_task_events(list(events))
    from engine.records import TaskError, TaskFinished, TaskRecord
    failed = TaskRecord(2, "primes", 2.0, 2.0, 2.5, worker(2), 0.5, TaskStatus.ERROR,
                        error=TaskError("ValueError", "instance 2 failed"))
    timeline.add_task_events([TaskFinished(failed)])

    text = timeline.describe_at(0.5, 0)
    assert "task 0 · primes (ok)" in text and "pid 1000 · thread 1001" in text
    assert "duration 1.000 s" in text and "CPU time 0.250 s (25% of one core)" in text
    assert "ValueError: instance 2 failed" in timeline.describe_at(2.2, 1)
    assert timeline.describe_at(5.0, 0) is None
    assert timeline.describe_at(0.5, 0.5) is None  # between lanes


def test_timeline_holds_100k_bars_in_a_few_items(timeline):
    who = [worker(i) for i in range(8)]
    begin = time.perf_counter()
    for batch in range(100):
        events = []
        for k in range(1000):
            i = batch * 1000 + k
            start = i * 0.001
            events += task(i, who[i % 8], start, start + 0.0009, cpu_s=(i % 4) * 0.0003)
        timeline.add_task_events(events)
    elapsed = time.perf_counter() - begin
    timeline.grab()

    assert timeline.bar_count() == 100_000
    assert sum(len(b) for b in timeline.buckets.values()) == 100_000
    assert len(timeline.buckets) <= 4
    assert elapsed < 15, f"100 batches of 1000 bars took {elapsed:.1f} s"
    assert timeline.describe_at(50.0005, 0) is not None


def test_zoomed_timeline_draws_only_bars_in_view_and_looks_the_same(timeline, monkeypatch):
    import gui.plots.bars

    who = [worker(i) for i in range(4)]
    events = []
    for i in range(8000):
        start = (i // 4) * 0.01
        events += task(i, who[i % 4], start, start + 0.008)
    timeline.add_task_events(events)
    timeline.show()
    item = timeline.plot.getPlotItem()
    item.setXRange(5.003, 5.5, padding=0)
    item.setYRange(0.7, 2.4, padding=0)  # parts of lanes 1 and 2 only
    (bucket,) = timeline.buckets.values()
    culled = timeline.grab().toImage()
    shown = len(bucket.item._shown.ndarray())
    monkeypatch.setattr(gui.plots.bars, "_CULL_FROM", 10**9)
    everything = timeline.grab().toImage()

    assert 2 * 50 <= shown <= 2 * 53  # two lanes × ~0.5 s of 10 ms bars, plus the edges
    assert culled == everything


def test_cpu_plot_holds_samples_for_every_core(qtbot):
    from gui.plots.cpu import CpuPlot

    plot = CpuPlot(cores=4)
    qtbot.addWidget(plot)
    samples = [CpuSample(10 + i * 0.1, (i % 100, 50.0, 0.0, 100.0)) for i in range(50)]
    plot.begin_run(10.0)
    plot.add_samples(samples)

    assert plot.sample_count() == 50
    for i, curve in enumerate(plot.core_curves):
        x, y = curve.getOriginalDataset()
        assert len(y) == 50 and np.allclose(y, [s.per_core[i] for s in samples])
        assert np.isclose(x[0], 0.0)  # seconds since the run started
    assert np.allclose(plot.total_curve.getOriginalDataset()[1], [s.total for s in samples])
    assert "core 3" in plot.legend_text() and "whole machine" in plot.legend_text()

    plot.set_heatmap(True)
    image = plot.image.image
    assert image.shape[1] == 4 and image.shape[0] >= 49
    assert plot.heatmap_box.isChecked()


def test_cpu_plot_draws_other_programs_as_the_machine_minus_corescope(qtbot):
    from gui.plots.cpu import CpuPlot

    plot = CpuPlot(cores=2)
    qtbot.addWidget(plot)
    # Both cores full; CoreScope's worker process has one core, an engine thread 40 % of one.
    samples = [CpuSample(10 + i * 0.1, (100.0, 100.0), {4001: 100.0}, {11: 40.0})
               for i in range(20)]
    plot.begin_run(10.0)
    plot.add_samples(samples)

    x, y = plot.other_curve.getOriginalDataset()
    assert len(y) == 20 and np.allclose(y, 30.0) and np.isclose(x[0], 0.0)
    assert "other programs" in plot.legend_text()
    plot.set_heatmap(True)
    assert not plot.other_curve.isVisible()
    plot.set_heatmap(False)
    plot.clear()
    y = plot.other_curve.getOriginalDataset()[1]
    assert y is None or len(y) == 0  # the next run starts from nothing


def test_many_cores_default_to_the_heatmap(qtbot):
    from gui.plots.cpu import CpuPlot

    plot = CpuPlot(cores=32)
    qtbot.addWidget(plot)
    assert plot.heatmap
    plot.add_samples([CpuSample(i * 0.1, tuple(float(c) for c in range(32))) for i in range(5)])
    assert plot.image.image.shape == (5, 32)


def test_worker_cpu_shows_each_worker_thread_and_their_sum(qtbot):
    from gui.plots.workers import WorkerCpuPlot

    plot = WorkerCpuPlot()
    qtbot.addWidget(plot)
    plot.begin_run(0.0, uses_processes=False)
    who = [worker(i) for i in range(4)]
    plot.add_task_events([task(i, w, 0.0, 1.0)[0] for i, w in enumerate(who)])
    plot.add_samples([CpuSample(t, (100.0,), {}, {w.tid: 25.0 for w in who} | {1: 90.0})
                      for t in (0.1, 0.2, 0.3)])

    # The GUI thread (tid 1) is not a worker.
    assert set(plot.curves) == {("", w.tid) for w in who}
    # Four threads, one core's worth.
    assert np.allclose(plot.sum_curve.getOriginalDataset()[1], 100.0)
    assert "thread 1001" in plot.legend_text()


def test_cluster_hosts_are_bands_of_core_rows_named_by_host(qtbot):
    from gui.plots.hosts import HostCpuPlot

    plot = HostCpuPlot()
    qtbot.addWidget(plot)
    plot.add_samples([HostCpuSample(t, "node-a.cluster.example", (100.0, 0.0, 50.0), {7: 99.0})
                      for t in (0.25, 0.5, 0.75)]
                     + [HostCpuSample(t, "10.0.0.9", (25.0,), {8: 20.0, 9: 5.0}, True)
                        for t in (0.5, 0.75)])

    assert plot.rows == 4
    assert plot.row_axis.labels == ["node-a 0", "node-a 1", "node-a 2", "10.0.0.9 0"]
    assert len(plot._rules) == 1  # one rule between the two hosts' bands
    image = plot.image.image
    assert image.shape == (3, 4)  # 3 time columns × 4 core rows
    assert list(image[-1]) == [100.0, 0.0, 50.0, 25.0]
    assert np.isnan(image[0, 3])  # the second host had no sample yet: blank, not "idle"
    legend = plot.legend_text()
    assert "node-a.cluster.example: 3 cores, 1 worker" in legend
    assert "10.0.0.9 (this machine): 1 core, 2 workers" in legend


def test_heatmap_columns_show_each_sample_over_the_interval_it_measured():
    from gui.plots.buffers import heatmap_columns

    # Rates over (0, 1], (1, 2], (2, 3] of one source; a second source only has (1, 2].
    t = np.array([1.0, 2.0, 3.0])
    start, dt, image = heatmap_columns([(t, np.array([[10.0], [20.0], [30.0]])),
                                        (np.array([2.0]), np.array([[99.0]]))], 100)
    assert (start, dt) == (0.0, 1.0)
    assert list(image[:, 0]) == [10.0, 20.0, 30.0]  # not shifted one interval late
    assert np.isnan(image[0, 1]) and image[1, 1] == 99.0 and np.isnan(image[2, 1])
    assert heatmap_columns([(np.array([]), np.zeros((0, 2)))], 100) is None


def test_worker_cpu_sums_a_clusters_workers_across_hosts(qtbot):
    from gui.plots.workers import WorkerCpuPlot

    plot = WorkerCpuPlot()
    qtbot.addWidget(plot)
    plot.begin_run(0.0, uses_processes=True, on_cluster=True)
    # Two hosts whose workers have the same pid (containers often do): still two workers.
    on_a, on_b = (WorkerId(7, 9, "dask a:1 · pid 7", "a"), WorkerId(7, 9, "dask b:1 · pid 7", "b"))
    plot.add_task_events([task(0, on_a, 0.0, 1.0)[0], task(1, on_b, 0.0, 1.0)[0]])
    # This machine's own samples say nothing about the cluster's workers.
    plot.add_samples([CpuSample(0.1, (100.0,), {4242: 100.0})])
    plot.add_host_samples([HostCpuSample(0.25, "a", (90.0,), {7: 90.0}),
                           HostCpuSample(0.26, "b", (80.0,), {7: 80.0}),
                           HostCpuSample(0.5, "a", (70.0,), {7: 70.0}),
                           HostCpuSample(0.51, "b", (80.0,), {})])  # b's worker has gone
    assert set(plot.series) == {("a", 7), ("b", 7)}
    assert len(plot.series[("a", 7)]) == 2 and len(plot.series[("b", 7)]) == 1
    # Each point adds every worker's latest reading: a, a + b, a's new one + b, a alone.
    assert list(plot.sum_curve.getOriginalDataset()[1]) == [90.0, 170.0, 150.0, 70.0]
    assert "a · pid 7" in plot.legend_text() and "b · pid 7" in plot.legend_text()


def test_invalid_parameter_is_marked_inline_and_disables_run(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.workload.select_task("primes")
    editor = window.workload.params.editors["n"]

    editor.set_raw("-5")
    assert "below the minimum" in editor.error_label.text()
    assert not editor.error_label.isHidden()
    assert not window.run_box.run_button.isEnabled() and not window.run_action.isEnabled()

    editor.set_raw("lots")
    assert "expected a whole number" in editor.error
    assert window.start_run() is None

    editor.set_raw("20000")
    assert editor.error is None and editor.error_label.isHidden()
    assert window.run_box.run_button.isEnabled()


def test_crash_task_on_a_thread_backend_disables_run_with_the_reason(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.workload.select_task("crash")
    window.workload.select_backend("thread-pool")

    assert "kills its worker process" in window.workload.problem
    assert window.workload.problem_label.text() == window.workload.problem
    assert not window.run_box.run_button.isEnabled()
    refusals = window.workload.backend_refusals()
    assert "thread-pool" in refusals and "process-pool" not in refusals

    window.workload.select_backend("process-pool")
    assert window.workload.problem is None and window.run_box.run_button.isEnabled()


def test_dask_scheduler_field_shows_for_dask_only_and_is_checked_inline(qtbot, tmp_path):
    pytest.importorskip("distributed")
    window = make_window(qtbot, tmp_path)
    window.show()
    window.workload.select_task("primes")
    window.workload.select_backend("thread-pool")
    assert not window.workload.scheduler_edit.isVisible()
    window.workload.select_backend("dask")
    assert window.workload.scheduler_edit.isVisible()
    assert window.workload.config is not None and window.workload.config.scheduler is None

    window.workload.scheduler_edit.setText("not an address")
    window.workload.scheduler_edit.editingFinished.emit()
    assert "tcp://host:port" in window.workload.problem
    assert not window.run_box.run_button.isEnabled()

    window.workload.scheduler_edit.setText("tcp://127.0.0.1:8786")
    window.workload.scheduler_edit.editingFinished.emit()
    assert window.workload.problem is None
    assert window.workload.config.scheduler == "tcp://127.0.0.1:8786"


def test_unavailable_backend_is_disabled_with_its_reason(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(BACKENDS["threads"], "availability",
                        classmethod(lambda cls: Availability(False, "not on this test machine")))
    window = make_window(qtbot, tmp_path)
    combo = window.workload.backend_combo
    item = combo.model().item(combo.findData("threads"))

    assert not item.isEnabled()
    assert "not on this test machine" in item.toolTip()
    window.workload.select_backend("threads")
    assert window.workload.backend_name != "threads"


def test_choices_and_text_size_are_remembered(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.workload.select_task("sleep")
    window.workload.set_param("seconds", "0.25")
    window.workload.count_spin.setValue(3)
    window.workload.select_backend("process-pool")
    window.workload.scheduler_edit.setText("tcp://127.0.0.1:8786")
    window.set_font_size(15)
    window.close()

    again = make_window(qtbot, tmp_path)
    assert again.workload.task_name == "sleep"
    assert again.workload.params.values() == {"seconds": "0.25"}
    assert again.workload.count_spin.value() == 3
    assert again.workload.backend_name == "process-pool"
    assert again.workload.cluster_address == "tcp://127.0.0.1:8786"
    assert again.font_size == 15


def test_view_menu_scales_text_with_the_usual_shortcuts(qtbot, tmp_path):
    # The keys as declared, the actions triggered directly (tests/test_gui_shortcuts.py
    # presses every key for real).
    window = make_window(qtbot, tmp_path)
    actions = {a.text().replace("&", ""): a for a in window.menuBar().actions()[2].menu().actions()}
    keys = {name: [k.toString() for k in a.shortcuts()] for name, a in actions.items()}
    assert "Ctrl+=" in keys["Larger text"] and "Ctrl+-" in keys["Smaller text"]
    before = window.font_size
    actions["Larger text"].trigger()
    actions["Larger text"].trigger()
    actions["Smaller text"].trigger()
    assert window.font_size == before + 1
    tick_font = window.timeline.plot.getPlotItem().getAxis("bottom").style["tickFont"]
    assert tick_font.pointSize() == before + 1  # the plots scale too, not only the widgets


def test_run_and_stop_have_shortcuts(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    assert "Ctrl+R" in [k.toString() for k in window.run_action.shortcuts()]
    assert "Esc" in [k.toString() for k in window.stop_action.shortcuts()]


def test_following_the_newest_paints_each_plot_once_per_step(qtbot, tmp_path):
    from PySide6.QtCore import QEvent, QObject

    window = make_window(qtbot, tmp_path)
    window.show()
    qtbot.waitExposed(window)
    plots = (window.cpu_plot.plot, window.worker_cpu.plot, window.timeline.plot)
    paints = dict.fromkeys(plots, 0)

    class Count(QObject):
        def eventFilter(self, watched, event):  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                paints[watched.parent()] += 1
            return False

    counter = Count()
    for plot in plots:
        plot.viewport().installEventFilter(counter)
    steps = 10
    for step in range(steps):
        window.time.follow_to(10.0 + step * 0.1)
        qtbot.wait(20)  # one event-loop pass at least: the paint of this step

    # pyqtgraph used to move the axes mid-paint, which painted every plot twice per step.
    assert all(steps - 2 <= n <= steps + 2 for n in paints.values()), paints


def test_the_errors_pane_shows_a_long_error_whole_on_several_lines(qtbot):
    from engine.records import TaskError, TaskRecord, TaskStatus, WorkerId
    from gui.panels.summary import ErrorsPanel

    long = "ValueError: " + " ".join(f"word{i}" for i in range(60))
    record = TaskRecord(0, "fail", 0.0, 0.1, 0.2, WorkerId(1, 2, "w"), 0.1, TaskStatus.ERROR,
                        error=TaskError("ValueError", long, "Traceback (most recent call last):\n"
                                        f"  File \"x.py\", line 1\n{long}\n"))
    panel = ErrorsPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 500)
    panel.show()
    assert panel.set_records([record]) == 1
    item = panel.tree.topLevelItem(0)
    assert long in item.text(3)  # the whole text, not an elided copy
    tb = panel.traceback
    assert long in tb.toPlainText()
    # Wrapped to the pane: no sideways scrolling needed to read it, and taller than one line.
    qtbot.waitUntil(lambda: tb.document().lineCount() > 0)
    assert tb.horizontalScrollBar().maximum() == 0
    panel.wrap_box.setChecked(False)
    qtbot.waitUntil(lambda: tb.horizontalScrollBar().maximum() > 0)
