"""The "GIL held by" band, fed made-up readings: one bar per stretch, coloured by holder."""

from __future__ import annotations

import numpy as np
import pytest

from engine.figures.result import RunResult
from engine.records import GilSample, MachineInfo, TaskRecord, TaskStatus, WorkerId
from gui import palette

pytestmark = pytest.mark.gui

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
