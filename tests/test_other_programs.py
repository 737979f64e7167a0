"""'Other programs': the whole machine's CPU minus CoreScope's own, measured on real runs.

A busy loop started here plays the other program. It is a child of this test process, so it
must run beside an in-process backend: a process backend's monitor counts every descendant of
the engine process as CoreScope's (``engine.figures.stats.own_cpu``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from engine.cli.report import run_text
from engine.figures.result import RunResult
from engine.figures.stats import own_cpu
from engine.run.config import RunConfig
from engine.run.runner import execute
from engine.workload import build_workload

CORES = psutil.cpu_count(logical=True) or 1
SENTENCE = "of the machine during this run: timings may be slower than on an idle machine"


@pytest.fixture
def busy_loop() -> Iterator[subprocess.Popen[bytes]]:
    """Another program that keeps one core busy for as long as the test needs it."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)  # running flat out before the run starts
        yield proc
    finally:
        proc.kill()
        proc.wait()


def _primes(backend: str) -> RunResult:
    return execute(RunConfig(build_workload(["primes"], 2, {"n": "300000"}), backend))


def _own_cpu_seconds(result: RunResult) -> float:
    """CPU seconds the run's samples attribute to CoreScope (each sample covers the interval
    since the one before it)."""
    total, prev = 0.0, result.t0
    for s in result.samples:
        if result.t0 <= s.t <= result.t_end + 1e-9:
            total += own_cpu(s) / 100 * len(s.per_core) * (s.t - prev)
            prev = s.t
    return total


def test_a_program_burning_a_core_shows_as_other_programs(busy_loop):
    result = _primes("threads")

    assert result.ok and busy_loop.poll() is None
    other = result.stats.other_util
    # One core of CORES is 100 / CORES % of the machine; a shared test machine adds to it.
    assert other is not None and other > 0.3 * 100 / CORES
    assert other <= (result.stats.cpu_util or 0) + 1e-9
    assert f"note: other programs used {other:.0f} % {SENTENCE}" in run_text(result)
    assert SENTENCE in run_text(result, verbose=False)


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_corescopes_own_workers_are_not_counted_as_other_programs(backend):
    result = _primes(backend)

    assert result.ok and result.stats.other_util is not None
    # The tasks' CPU (each worker thread's own) is found in CoreScope's share, not in the
    # other programs'. Generous: a thread's last interval before it ends is never sampled.
    assert _own_cpu_seconds(result) >= 0.5 * result.stats.task_cpu_s


@pytest.mark.gui
def test_the_live_cpu_plot_and_summary_show_other_programs(qtbot, tmp_path, busy_loop):
    import numpy as np
    from conftest_gui import choose_workload, make_window

    window = make_window(qtbot, tmp_path)
    choose_workload(window, "primes", {"n": "300000"}, 2, 2, backend="threads")
    with qtbot.waitSignal(window.run_done, timeout=60_000) as finished:
        window.run_box.run_button.click()
    result = finished.args[0]

    plot = window.cpu_plot
    x, y = plot.other_curve.getOriginalDataset()
    assert plot.other_curve.isVisible() and len(y) == plot.sample_count() >= 3
    run = (x >= 0) & (x <= result.wall_s)
    assert np.mean(y[run]) > 0.3 * 100 / CORES
    assert "other programs" in plot.legend_text()
    text = window.summary.plain_text()
    assert f"other programs used {result.stats.other_util:.0f} % {SENTENCE}" in text
    assert "of them by other programs" in text
    qtbot.waitUntil(lambda: [p.pid for p in psutil.Process().children(recursive=True)]
                    == [busy_loop.pid], timeout=5000)  # the run's processes are gone
