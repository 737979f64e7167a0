"""Does the window keep drawing while threads fight over the GIL? In-process run vs hosted run.

    python bench/bench_window_gil.py [--seconds S] [--rounds N]

The window's Live page runs 4 × primes on 4 threads, once with the run in the window's own
process (``engine.run.runner.Run``, how every run was started before engine/run/host.py) and
once in a host process (``HostedRun``, what the window does now for thread backends), in
alternating rounds. Counted on the GUI thread, over the seconds all four tasks ran: frames
drawn per second (the bridge's 30 Hz ``frame`` signal) and the longest gap between two.
Without a DISPLAY it draws offscreen, which needs fewer GIL round trips per frame than X
does, so the real window fares worse than these figures (docs/benchmarks.md has both).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.run import host  # noqa: E402
from engine.run.runner import Run, RunConfig  # noqa: E402
from engine.workload import build_workload  # noqa: E402


def one_round(window, app, hosted: bool, n: int) -> tuple[float, float]:
    """(frames per second, longest gap in s) while the run's tasks ran."""
    import gui.bridge as bridge

    bridge.window_run = host.window_run if hosted else Run
    frames: list[float] = []

    def on_frame(_now: float) -> None:
        frames.append(time.perf_counter())

    window.bridge.frame.connect(on_frame)
    try:
        cfg = RunConfig(build_workload(["primes"], 4, {"n": str(n)}), "threads", workers=4)
        window.start_run(cfg)
        while window.bridge.running:
            app.processEvents()
            time.sleep(0.002)
    finally:
        window.bridge.frame.disconnect(on_frame)
    result = window.live.last_result
    lo = max(r.started for r in result.records)
    hi = min(r.finished for r in result.records)
    # perf_counter is the engine clock: frames and task times share it.
    inside = [t for t in frames if lo <= t <= hi]
    if hi <= lo or len(inside) < 2:
        return 0.0, hi - lo
    gaps = [b - a for a, b in zip(inside, inside[1:])]
    return len(inside) / (hi - lo), max(gaps + [inside[0] - lo, hi - inside[-1]])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=1_500_000, help="primes below n, per task")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    from gui.main_window import MainWindow

    settings = tempfile.NamedTemporaryFile(suffix=".ini", delete=False)
    settings.close()
    window = MainWindow(settings.name, idle_monitor=False)
    window.resize(1280, 720)
    window.show()
    figures: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for i in range(args.rounds):
        for hosted in ((False, True) if i % 2 == 0 else (True, False)):
            figures[hosted].append(one_round(window, app, hosted, args.n))
            fps, gap = figures[hosted][-1]
            print(f"round {i + 1} {'hosted    ' if hosted else 'in-process'}: {fps:5.1f} "
                  f"frames/s, longest gap {gap:.2f} s", flush=True)
    window.close()
    os.unlink(settings.name)
    here = statistics.median(f for f, _ in figures[False])
    there = statistics.median(f for f, _ in figures[True])
    print(f"\nmedian frames/s: in-process {here:.1f}, hosted {there:.1f} "
          f"({there / here if here else float('inf'):.1f}x); longest gap: in-process "
          f"{max(g for _, g in figures[False]):.2f} s, hosted "
          f"{max(g for _, g in figures[True]):.2f} s "
          f"({'X display' if os.environ.get('DISPLAY') else 'offscreen'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
