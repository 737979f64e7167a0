"""The "GIL held by" band, fed made-up readings: one bar per stretch, coloured by holder."""

from __future__ import annotations

import numpy as np
import pytest
from conftest_gui import choose_workload, make_window

from engine.figures.result import RunResult
from engine.records import GilSample, MachineInfo, TaskRecord, TaskStatus, WorkerId
from gui import palette

pytestmark = pytest.mark.gui


def gil_lane_works() -> bool:
    import sys

    from engine.run.gil import find_py_spy

    return sys.platform.startswith("linux") and find_py_spy() is not None

MACHINE = MachineInfo(2, 2, 2, "3.11.7", "CPython", "Linux", False, True)


@pytest.fixture
def band(qtbot):
    from gui.plots.gil import GilBand

    widget = GilBand()
    qtbot.addWidget(widget)
    widget.resize(800, 120)
    return widget


def drawn(band):
    """colour -> list of (x0, width) of the visible bars."""
    return {colour: list(zip(np.round(item.opts["x0"], 6).tolist(),
                             np.round(item.opts["width"], 6).tolist()))
            for colour, item in band._bars.items() if item.isVisible()}


def test_each_stretch_is_one_bar_in_its_holders_colour_and_free_is_grey(band):
    from gui.plots.gil import FREE, OTHER

    band.set_samples(np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5]),
                     np.array([11, 11, 12, 0, 11, 99]), t_end=0.6, order=[11, 12])
    first, second = palette.series_colour(0), palette.series_colour(1)
    assert drawn(band) == {first: [(0.0, 0.2), (0.4, 0.1)], second: [(0.2, 0.1)],
                           FREE: [(0.3, 0.1)], OTHER: [(0.5, 0.1)]}
    assert band.shares["thread 11"] == pytest.approx(0.5)
    assert band.shares["free"] == pytest.approx(1 / 6)
    assert "free" in band.legend.text() and "thread 12" in band.legend.text()


def test_a_run_without_readings_says_so_and_a_new_run_replaces_the_bars(band):
    band.set_samples(np.array([0.0, 0.1]), np.array([11, 12]), 0.2, [11, 12])
    band.set_samples(np.array([0.0]), np.array([12]), 0.3, [11, 12])
    assert drawn(band) == {palette.series_colour(1): [(0.0, 0.3)]}
    band.set_samples(np.array([]), np.array([]), 1.0, [])
    assert drawn(band) == {} and "not measured" in band.legend.text()


def test_a_result_colours_workers_in_the_order_they_started(band):
    a, b = WorkerId(1, 21, "a"), WorkerId(1, 22, "b")
    records = (TaskRecord(0, "primes", 10.0, 10.5, 11.0, b, 0.2, TaskStatus.OK),
               TaskRecord(1, "primes", 10.0, 10.0, 11.0, a, 0.2, TaskStatus.OK))
    samples = (GilSample(9.0, 22), GilSample(10.2, 21), GilSample(10.6, 22))  # first: before t0
    result = RunResult("threads", {"tasks": []}, "2 × primes", 2, 2, None, 10.0, 11.0, records,
                       (), 0.1, MACHINE, gil_samples=samples)
    band.show_result(result)
    assert drawn(band) == {palette.series_colour(0): [(0.2, 0.4)],
                           palette.series_colour(1): [(0.6, 0.4)]}


@pytest.mark.skipif(not gil_lane_works(), reason="py-spy (pip install py-spy) on Linux "
                    "measures the GIL")
def test_the_lane_and_the_strips_draw_while_threads_run(qtbot, tmp_path):
    # A presenter sees who holds the GIL as it happens, not only once the run is over.
    window = make_window(qtbot, tmp_path)
    window.show()
    choose_workload(window, "primes", {"n": "2000000"}, 4, 4, backend="threads")
    window.start_run()
    plots = window.live.plots
    qtbot.waitUntil(lambda: len(plots.gil_readings) >= 3, timeout=30_000)
    assert window.bridge.running, "the readings came only after the run"
    assert plots.gil_band.isVisible() and plots.gil_band.shares
    assert window.timeline.gil_strips.shown
    assert plots.cpu_plot.sample_count() >= 1 and window.timeline.lane_labels()
    running = next(iter(window.timeline.running))
    qtbot.waitUntil(lambda: window.timeline.gil_held(running) is not None, timeout=10_000)
    window.bridge.cancel()
    qtbot.waitUntil(lambda: not window.bridge.running, timeout=30_000)


def test_a_lane_strip_is_dark_where_its_thread_held_the_gil_and_stops_with_its_work():
    from gui.plots.gil_strips import lane_pieces

    times = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    holders = np.array([7, 7, 8, 7, 0, 7, 7])
    # Two tasks on the lane's thread 7: one to 0.35, then a gap, one from 0.55 still running.
    lo, hi, held = lane_pieces(times, holders, 0.7, np.array([0.0, 0.55]),
                               np.array([0.35, np.inf]), tid=7)
    assert list(zip(np.round(lo, 6), np.round(hi, 6), held)) == [
        (0.0, 0.2, True),    # two readings held, joined into one piece
        (0.2, 0.3, False),   # thread 8 had it
        (0.3, 0.35, True),   # held, cut where the first task ended
        (0.6, 0.7, True),    # idle at 0.4 and 0.5; the running task's first reading is 0.6
    ]


def test_a_tasks_tooltip_gives_its_gil_share_once_measured(qtbot):
    from gui.plots.gil import GilReadings
    from gui.plots.timeline import Timeline

    timeline = Timeline()
    qtbot.addWidget(timeline)
    a, b = WorkerId(1, 21, "a"), WorkerId(1, 22, "b")
    timeline.begin_run(10.0, ("primes",))
    from engine.records import TaskFinished

    timeline.add_task_events([
        TaskFinished(TaskRecord(0, "primes", 10.0, 10.0, 11.0, a, 0.25, TaskStatus.OK)),
        TaskFinished(TaskRecord(1, "primes", 10.0, 10.0, 10.2, b, 0.1, TaskStatus.OK))])
    assert "GIL" not in timeline.describe(0)  # nothing measured yet
    readings = GilReadings()
    readings.extend([GilSample(10.0 + i / 10, 21 if i % 4 == 0 else 22) for i in range(10)])
    timeline.show_gil(readings, t_end=11.0)
    assert "GIL held 30% of its time (10 readings" in timeline.describe(0)
    assert "too few" in timeline.describe(1)  # 3 readings in 0.2 s
    assert timeline.gil_strips.shown and "GIL held" in timeline.legend.text()
    timeline.begin_run(20.0, ("primes",))
    assert not timeline.gil_strips.shown and "GIL held" not in timeline.legend.text()
