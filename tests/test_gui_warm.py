"""The window's warm start: a box in the panel, the start drawn before 0 and left out of wall."""

from __future__ import annotations

import pytest
from conftest_gui import choose_workload, make_window, no_children

pytestmark = pytest.mark.gui


def test_warm_box_runs_the_pool_warm_and_draws_its_start_before_zero(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.show()
    choose_workload(window, "sleep", {"seconds": "0.2"}, 2, 2, backend="process-pool")
    panel = window.workload
    assert panel.warm_box.isEnabled() and not panel.warm_box.isChecked()  # cold by default
    panel.warm_box.click()
    assert panel.config.warm
    with qtbot.waitSignal(window.run_done, timeout=60_000) as finished:
        window.start_run()
    result = finished.args[0]
    assert result.ok and result.warm_start_s is not None
    band = window.live.plots.warm_band
    lo, hi = band.regions[0].getRegion()
    assert lo < 0 and hi == 0
    assert band.label.isVisible() and "not in wall" in band.text
    assert any("Warm start" in line for line in window.summary.explanation.text().split("<li>"))
    assert "workers up (warm start)" in window.summary.notes["Wall time"].text()
    # The whole warm span is in view after the run.
    assert window.live.time.x_range()[0] <= lo
    qtbot.waitUntil(no_children, timeout=5000)

    # A thread-per-task backend has no pool: the box greys out (a comparison still uses it).
    panel.backend_combo.setCurrentIndex(panel.backend_combo.findData("threads"))
    assert not panel.warm_box.isEnabled() and not panel.config.warm
