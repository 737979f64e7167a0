"""The Memory box of "CPU per worker": resident MiB per worker process, or the one process an
in-process run's threads share, on the same time axis."""

from __future__ import annotations

import numpy as np
import pytest
from conftest_gui import choose_workload, make_window, no_children, task, worker

from engine.records import CpuSample

pytestmark = pytest.mark.gui


def test_processes_get_a_memory_curve_each_and_the_axis_says_mib(qtbot):
    from gui.plots.workers import MEMORY_LABEL, Y_LABEL, WorkerCpuPlot

    plot = WorkerCpuPlot()
    qtbot.addWidget(plot)
    plot.begin_run(0.0, uses_processes=True)
    a, b = worker(0, pid=4001), worker(0, pid=4002)
    plot.add_task_events([task(0, a, 0.0, 1.0)[0], task(1, b, 0.0, 1.0)[0]])
    # 4003 is a child that ran no task (multiprocessing's resource tracker): not in the sum.
    plot.add_samples([CpuSample(t, (100.0, 100.0), {4001: 99.0, 4002: 98.0},
                                memory={4001: 20.0 + 100 * t, 4002: 22.0, 4003: 12.0})
                      for t in (0.1, 0.5, 0.9)])
    assert plot.plot.getPlotItem().getAxis("left").labelText == Y_LABEL

    plot.set_memory(True)
    assert plot.memory_box.isChecked() and "Memory per worker" in plot.title.text()
    assert plot.plot.getPlotItem().getAxis("left").labelText == MEMORY_LABEL
    ys = plot.curves[("", 4001)].getOriginalDataset()[1]
    assert np.allclose(ys, [30.0, 70.0, 110.0])
    assert np.allclose(plot.sum_curve.getOriginalDataset()[1], [52.0, 92.0, 132.0])
    low, high = plot.plot.getPlotItem().viewRange()[1]
    assert high >= 132.0 and low <= 0.0  # the whole peak is in view, from 0

    plot.memory_box.setChecked(False)  # back to CPU, as the box says
    assert "CPU per worker" in plot.title.text()
    assert np.allclose(plot.sum_curve.getOriginalDataset()[1], 197.0)


def test_threads_show_the_one_process_they_share(qtbot):
    from gui.plots.workers import WorkerCpuPlot

    plot = WorkerCpuPlot()
    qtbot.addWidget(plot)
    plot.begin_run(0.0, uses_processes=False)
    who = [worker(i) for i in range(3)]
    plot.add_task_events([task(i, w, 0.0, 1.0)[0] for i, w in enumerate(who)])
    plot.add_samples([CpuSample(t, (100.0,), {}, {w.tid: 33.0 for w in who}, {1000: 140.0})
                      for t in (0.1, 0.2)])
    plot.set_memory(True)
    assert np.allclose(plot.sum_curve.getOriginalDataset()[1], 140.0)
    assert all(len(c.getOriginalDataset()[1] or []) == 0 for c in plot.curves.values())
    assert "this process" in plot.legend_text() and "3 worker threads share" in plot.legend_text()


def test_a_memory_run_in_the_window_shows_each_worker_holding_its_table(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.show()
    choose_workload(window, "memory", {"mb": "120", "seconds": "0.6"}, 2, 2,
                    backend="process-pool")
    window.worker_cpu.memory_box.click()  # the user ticks Memory before the run
    with qtbot.waitSignal(window.run_done, timeout=60_000) as finished:
        window.start_run()
    result = finished.args[0]
    assert result.ok
    plot = window.worker_cpu
    peaks = [float(np.max(plot.curves[key].getOriginalDataset()[1]))
             for key in plot.curves]
    # Two worker processes, each with its own 120 MiB table (and its own interpreter).
    assert len(peaks) == 2 and min(peaks) > 110, peaks
    assert "MiB" in plot.plot.getPlotItem().getAxis("left").labelText
    qtbot.waitUntil(no_children, timeout=5000)
