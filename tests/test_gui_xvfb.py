"""The window in a real X server (run under ``xvfb-run``); skipped where there is no display.

pytest-qt makes one offscreen QApplication per session and the platform cannot change after
that, so the window runs in a child process with ``QT_QPA_PLATFORM=xcb``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.gui,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs an X display (xvfb-run)"),
]


def _gui_command(shot: str) -> list[str]:
    args = ["gui", "--task", "primes", "--backend", "thread-pool", "--tasks", "4",
            "--set", "n=20000", "--start", "--screenshot", shot, "--exit-after-run"]
    if os.path.exists(os.path.join(ROOT, "main.py")):
        return [sys.executable, os.path.join(ROOT, "main.py"), *args]
    # Before main.py grows its gui command: the same request through run_app directly.
    snippet = (
        "import sys; from engine.workload import build_workload;"
        "from engine.run.runner import RunConfig;"
        "from gui.app import run_app;"
        "c = RunConfig(build_workload(['primes'], 4, {'n': '20000'}), 'thread-pool');"
        f"sys.exit(run_app(c, start=True, screenshot={shot!r}, exit_after_run=True))")
    return [sys.executable, "-c", snippet]


def test_window_runs_and_saves_a_screenshot_in_a_real_x_server(tmp_path):
    shot = str(tmp_path / "window.png")
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", CORESCOPE_SETTINGS=str(tmp_path / "s.ini"))
    proc = subprocess.run(_gui_command(shot), cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert os.path.getsize(shot) > 10_000
    with open(shot, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
