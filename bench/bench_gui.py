"""GUI speed targets, measured side by side in one run, offscreen (prints Markdown).

    python bench/bench_gui.py [--write docs/benchmarks.md] [--only 1,3]

1. event-loop lag: lateness of a re-armed 10 ms timer (gui_probes.LagProbe) in the real window,
   idle and while a process-pool run (2 workers, pure-Python primes, ~5 s) started with the Run
   button saturates both cores. Target: p99 ≤ 50 ms.
2. timeline: 100,000 finished bars (8 lanes, mixed states and CPU efficiencies): time to add
   them, then full repaints (``grab()``). Target: ≤ 50 ms per repaint (median).
3. live feed: 10,000 events/s for 5 s through the real bridge and window (a stand-in run hands
   out pre-built events as their time comes). Target: mean tick ≤ half the 33 ms tick, and a
   backlog that does not grow.
4. CPU plot: one new sample + full repaint with the ring full (9,000 samples), 2 and 16 cores.
   Target: ≥ 30 fps in the default mode (curves below 16 cores, heatmap from 16).
5. idle app: ``main.py`` as a subprocess (offscreen), CPU of it and its children over 8 s of
   idle sampling at 10 Hz. Target: ≤ 3 % of one core.

Timings are wall-clock on a shared machine; the header records the load average before and after.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from unittest import mock

from gui_probes import FeedRun, LagProbe, cpu_history, spin, synthetic_tasks

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before anything imports Qt
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

SIZE = (1280, 720)
LAG_TARGET_MS = 50.0
REPAINT_TARGET_MS = 50.0
FEED_RATE = 10_000  # events per second
FEED_S = 5.0
FPS_TARGET = 30.0
IDLE_CPU_TARGET = 3.0  # % of one core
HEADING = "## GUI (bench/bench_gui.py)"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL**"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def lag_row(label: str, lags: list[float]) -> list[str]:
    p99 = pct(lags, 99)
    return [label, str(len(lags)), ms(statistics.median(lags)), ms(pct(lags, 95)), ms(p99),
            ms(max(lags)), verdict(p99 * 1000 <= LAG_TARGET_MS)]


def repaint_times(widget: object, count: int) -> list[float]:
    """Seconds per full synchronous repaint of ``widget`` (``grab()`` renders all of it)."""
    out = []
    for _ in range(count):
        t = time.perf_counter()
        widget.grab()  # type: ignore[attr-defined]
        out.append(time.perf_counter() - t)
    return out


# -- 1. event-loop lag -------------------------------------------------------------------------
def bench_lag(app: object, settings: str) -> tuple[str, bool]:
    import psutil

    from engine.tasks.builtin import primes
    from engine.workload import build_workload
    from gui.main_window import MainWindow

    # ~0.6 s per task: 16 tasks on 2 workers ≈ 5 s of both cores.
    took = []
    for _ in range(3):
        t = time.perf_counter()
        primes(150_000)
        took.append(time.perf_counter() - t)
    n = int(150_000 * (0.6 / min(took)) ** (1 / 1.4))  # time ∝ n^1.4 here
    window = MainWindow(settings)  # idle monitor on, as in the app
    window.resize(*SIZE)
    window.show()
    spin(1.0)
    idle = LagProbe().start()
    spin(4.0)
    rows = [lag_row("idle (idle CPU monitor at 10 Hz)", idle.stop())]

    from engine.run.runner import RunConfig

    window.workload.set_config(RunConfig(build_workload(["primes"], 16, {"n": str(n)}),
                                         "process-pool", workers=2))
    config = window.workload.config
    assert config is not None and config.workload.n_tasks == 16, window.workload.problem
    results: list = []
    window.run_done.connect(results.append)
    me = psutil.Process()
    # Two runs, their samples pooled: one 5-s run gives only ~300, and p99 is then its 3rd worst.
    all_lags, app_cpu = [], []
    for _ in range(2):
        spin(1.0)
        cpu0, wall0 = me.cpu_times(), time.perf_counter()
        probe = LagProbe().start()
        window.run_box.run_button.click()  # what the Run button does: MainWindow.start_run()
        assert window.running, window.run_box.status.text()
        done = len(results) + 1
        spin(120.0, until=lambda d=done: len(results) == d)
        lags = probe.stop()
        cpu1, wall1 = me.cpu_times(), time.perf_counter()
        result = results[-1]
        assert len(results) == done and result.ok, "the run did not finish ok"
        app_cpu.append(((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system))
                       / (wall1 - wall0) * 100)
        rows.append(lag_row(f"process-pool run {len(results)}: wall {result.wall_s:.1f} s, "
                            f"CPU use {result.stats.cpu_util:.0f} %", lags))
        all_lags += lags
    window.close()
    spin(0.2)
    rows.append(lag_row("**both runs together**", all_lags))
    text = ("### 1. Event-loop lag (10 ms timer lateness), real window 1280×720\n\n"
            f"Runs: 16 × primes(n={n:,}) on process-pool, 2 workers, started with the Run "
            "button.\n\n"
            + table(["window state", "samples", "p50", "p95", "p99", "max",
                     f"p99 ≤ {LAG_TARGET_MS:.0f} ms"], rows)
            + "\n\nThe app process itself (GUI thread, run thread, event pumps; not the worker "
            f"processes) used {' and '.join(f'{c:.0f}' for c in app_cpu)} % of one core during "
            "the runs.\n")
    return text, pct(all_lags, 99) * 1000 <= LAG_TARGET_MS


# -- 2. timeline with 100,000 bars -------------------------------------------------------------
def bench_timeline(app: object) -> tuple[str, bool]:
    from gui.plots.timeline import Timeline

    n_tasks, batch, span_s = 100_000, 2000, 50.0
    events, _ = synthetic_tasks(n_tasks, workers=8, span_s=span_s, base=0.0)
    timeline = Timeline()
    timeline.resize(*SIZE)
    timeline.show()
    timeline.begin_run(0.0, ("primes", "hash", "sleep"))
    app.processEvents()  # type: ignore[attr-defined]
    t = time.perf_counter()
    for i in range(0, len(events), batch):
        timeline.add_task_events(events[i:i + batch])
    add_s = time.perf_counter() - t
    assert timeline.bar_count() == n_tasks
    item = timeline.plot.getPlotItem()
    item.enableAutoRange(axis="x")  # the whole run in view, as Reset view shows it
    app.processEvents()  # type: ignore[attr-defined]
    (first,) = repaint_times(timeline, 1)
    whole = repaint_times(timeline, 20)
    # A live tick: one more finished task re-sends its bucket, then the view repaints.
    more, _ = synthetic_tasks(20, workers=1, span_s=0.1, base=span_s, seed=2, first_id=n_tasks)
    live = []
    for i in range(0, len(more), 2):
        t = time.perf_counter()
        timeline.add_task_events(more[i:i + 2])
        timeline.grab()
        live.append(time.perf_counter() - t)
    zoomed = {}
    for window_s in (30.0, 5.0):
        item.setXRange(span_s - window_s, span_s, padding=0)
        app.processEvents()  # type: ignore[attr-defined]
        zoomed[window_s] = repaint_times(timeline, 20)
    timeline.close()
    median = statistics.median(whole)
    ok = median * 1000 <= REPAINT_TARGET_MS

    def figures(times: list[float]) -> str:
        return f"{ms(statistics.median(times))} / {ms(pct(times, 95))}"

    rows = [
        [f"add {n_tasks:,} tasks ({len(events):,} events, batches of {batch:,})",
         f"{add_s:.2f} s ({add_s / len(events) * 1e6:.1f} µs/event)", "", ""],
        ["bars drawn / BarGraphItems", f"{timeline.bar_count():,} / "
         f"{len(timeline.buckets) + 1}", "", ""],
        ["first repaint after the data", ms(first), "", ""],
        ["**full repaint, whole run in view** (20×): median / p95", figures(whole),
         f"≤ {REPAINT_TARGET_MS:.0f} ms", verdict(ok)],
        ["one more task + repaint, whole run in view (10×): median / p95", figures(live), "",
         ""],
        ["full repaint, last 30 s in view (follow, 60 % of bars)", figures(zoomed[30.0]), "",
         ""],
        ["full repaint, last 5 s in view (10 % of bars)", figures(zoomed[5.0]), "", ""],
    ]
    text = (f"### 2. Timeline with {n_tasks:,} finished bars, 1280×720 offscreen\n\n"
            + table(["measure", "value", "target", "result"], rows) + "\n")
    return text, ok


# -- 3. live feed at 10,000 events/s -----------------------------------------------------------
def bench_feed(app: object, settings: str) -> tuple[str, bool]:
    import gui.bridge
    from engine.records import CpuSample
    from engine.run.runner import RunConfig
    from engine.workload import build_workload
    from gui.bridge import TICK_MS
    from gui.main_window import MainWindow

    window = MainWindow(settings, cores=2, idle_monitor=False)
    window.resize(*SIZE)
    window.show()
    spin(0.5)
    workers, tasks = 4, int(FEED_RATE * FEED_S / 2)
    base = time.perf_counter() + 1.5  # building the events takes well under this
    events, times = synthetic_tasks(tasks, workers, FEED_S, base, seed=3, processes=True)
    for k in range(int(FEED_S * 10)):  # the run's CPU monitor at 10 Hz
        t = base + k / 10
        sample = CpuSample(t, (100.0, 97.0), {4000 + w: 48.0 for w in range(workers)})
        i = bisect.bisect_right(times, t)
        events.insert(i, sample)
        times.insert(i, t)
    config = RunConfig(build_workload(["primes"], tasks), "process-pool", workers=workers)
    feed = FeedRun(config, events, times, tasks)
    ticks: list[float] = []

    def frame_done(_now: float) -> None:  # connected after the window: runs last in the tick
        if feed.backlog and feed.backlog[-1][0] >= feed.tick_began:
            ticks.append(time.perf_counter() - feed.tick_began)

    window.bridge.frame.connect(frame_done)
    with mock.patch.object(gui.bridge, "Run", lambda _config: feed):
        assert window.start_run(config) is feed
    probe = LagProbe().start()
    spin(FEED_S + 10, until=lambda: feed.delivered and time.perf_counter() > times[-1] + 0.2)
    lags = probe.stop()
    bars = window.timeline.bar_count()
    window.shutdown()
    window.close()
    spin(0.2)
    assert feed.delivered, "the feed was not delivered within 10 s of its end"
    per_tick = FEED_RATE * TICK_MS / 1000
    counts = [n for _, n, _ in feed.backlog]
    first = [n for t, n, _ in feed.backlog if t < base + 1]
    last = [n for t, n, _ in feed.backlog if t > times[-1] - 1]
    mean_tick = statistics.mean(ticks)
    growth = statistics.mean(last) / statistics.mean(first)
    ok = (mean_tick * 1000 <= TICK_MS / 2 and max(counts) <= 3 * per_tick and growth <= 1.5)
    tick_rate = len(feed.backlog) / (feed.backlog[-1][0] - feed.backlog[0][0])
    rows = [
        ["events delivered (task events + 10 Hz CPU samples)", f"{len(events):,} in "
         f"{FEED_S:.0f} s; {bars:,} bars drawn", "", ""],
        ["tick time (drain + all widget updates), mean / p95 / max",
         f"{ms(mean_tick)} / {ms(pct(ticks, 95))} / {ms(max(ticks))}",
         f"mean ≤ {TICK_MS / 2:.1f} ms (half the {TICK_MS} ms tick)",
         verdict(mean_tick * 1000 <= TICK_MS / 2)],
        ["ticks per second that drained events", f"{tick_rate:.1f}", f"≈ {1000 / TICK_MS:.0f}",
         ""],
        ["events per drain (the backlog): mean / max",
         f"{statistics.mean(counts):.0f} / {max(counts)}", f"max ≤ {3 * per_tick:.0f} "
         f"(3 ticks' worth)", verdict(max(counts) <= 3 * per_tick)],
        ["backlog growth: mean per drain, last second ÷ first second", f"{growth:.2f}",
         "≤ 1.5", verdict(growth <= 1.5)],
        ["age of the oldest event at drain: p95 / max",
         f"{ms(pct([a for *_, a in feed.backlog], 95))} / "
         f"{ms(max(a for *_, a in feed.backlog))}", "", ""],
        ["event-loop lag during the feed: p99 / max", f"{ms(pct(lags, 99))} / {ms(max(lags))}",
         "", ""],
    ]
    text = (f"### 3. Live feed at {FEED_RATE:,} events/s through bridge + window (1280×720)\n\n"
            + table(["measure", "value", "target", "result"], rows) + "\n")
    return text, ok


# -- 4. CPU plot refresh -----------------------------------------------------------------------
def bench_cpu_plot(app: object) -> tuple[str, bool]:
    from engine.records import CpuSample
    from gui.plots.cpu import CAPACITY, HEATMAP_FROM_CORES, CpuPlot

    rows, all_ok = [], True
    for cores, heatmap in ((2, False), (16, True), (16, False)):
        history = cpu_history(cores)
        plot = CpuPlot(cores)
        plot.resize(*SIZE)
        plot.show()
        plot.set_heatmap(heatmap)
        t0 = time.perf_counter() - CAPACITY / 10
        plot.add_samples([CpuSample(t0 + k / 10, next(history)) for k in range(CAPACITY)])
        assert plot.sample_count() == CAPACITY
        for view, label in ((None, f"all {CAPACITY:,}"), (30.0, "last 30 s (follow)")):
            item = plot.plot.getPlotItem()
            if view is None:
                item.enableAutoRange(axis="x")
            else:
                item.setXRange(plot.ring.t[-1] - plot._origin - view,
                               plot.ring.t[-1] - plot._origin, padding=0)
            app.processEvents()
            plot.grab()
            frames = []
            for _ in range(30):
                t = plot.ring.t[-1] + 0.1
                sample = CpuSample(t, next(history))
                start = time.perf_counter()
                plot.add_samples([sample])
                plot.grab()
                frames.append(time.perf_counter() - start)
            median = statistics.median(frames)
            ok = 1 / median >= FPS_TARGET
            default = heatmap == (cores >= HEATMAP_FROM_CORES)
            all_ok = all_ok and (ok or not default)
            rows.append([str(cores), ("heatmap" if heatmap else "curves")
                         + ("" if default else " (not the default)"), label,
                         f"{ms(median)} / {ms(pct(frames, 95))}", f"{1 / median:.0f}",
                         verdict(ok) if default else ("meets it" if ok else "misses it")])
        plot.close()
    text = ("### 4. CPU plot: one new sample + full repaint, ring full, 1280×720\n\n"
            + table(["cores", "mode", "samples in view", "frame median / p95", "fps",
                     f"≥ {FPS_TARGET:.0f} fps"], rows) + "\n")
    return text, all_ok


# -- 5. idle app CPU ---------------------------------------------------------------------------
def bench_idle_cpu(settings: str) -> tuple[str, bool]:
    import psutil

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CORESCOPE_SETTINGS=settings)
    proc = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    app = psutil.Process(proc.pid)

    def cpu_s() -> float:
        t = app.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in app.children(recursive=True):
            try:
                c = child.cpu_times()
                total += c.user + c.system
            except psutil.NoSuchProcess:
                pass
        return total

    try:
        launched = time.perf_counter()
        time.sleep(2.0)
        # Start measuring once start-up (imports, first paint) is over: < 20 % over 0.5 s.
        while time.perf_counter() - launched < 6.0:
            c0, w0 = cpu_s(), time.perf_counter()
            time.sleep(0.5)
            if (cpu_s() - c0) / (time.perf_counter() - w0) < 0.2:
                break
        settled = time.perf_counter() - launched
        slices = []
        c_start, w_start = cpu_s(), time.perf_counter()
        for _ in range(8):
            c0, w0 = cpu_s(), time.perf_counter()
            time.sleep(1.0)
            slices.append((cpu_s() - c0) / (time.perf_counter() - w0) * 100)
        used = (cpu_s() - c_start) / (time.perf_counter() - w_start) * 100
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        children = len(app.children(recursive=True))
    finally:
        proc.send_signal(signal.SIGTERM)  # the app closes its window properly on SIGTERM
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    ok = used <= IDLE_CPU_TARGET
    rows = [["CPU of `main.py` + children, 8 s idle (of one core)", f"{used:.1f} %",
             f"≤ {IDLE_CPU_TARGET:.0f} %", verdict(ok)],
            ["per 1 s slice: min / max", f"{min(slices):.1f} % / {max(slices):.1f} %", "", ""],
            ["measured from (after launch) / child processes", f"{settled:.1f} s / {children}",
             "", ""]]
    text = ("### 5. Idle app CPU (window open, sampling at 10 Hz, offscreen)\n\n"
            + table(["measure", "value", "target", "result"], rows) + "\n")
    return text, ok


# -- the report --------------------------------------------------------------------------------
def write_section(path: str, section: str) -> None:
    """Replace (or append) only this benchmark's section; other sections stay as they are."""
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else "# Benchmarks\n"
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        rest = "" if end < 0 else "\n" + text[end + 1:]
        text = text[:start] + section + rest
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="PATH", help="replace the GUI section of this file")
    parser.add_argument("--only", default="1,2,3,4,5", help="targets to measure, e.g. 2,4")
    args = parser.parse_args()
    only = {int(x) for x in args.only.split(",")}

    from engine.cli.report import machine_line
    from engine.run.machine import machine_info
    from gui.app import _application

    load_before = os.getloadavg()[0]
    app = _application()  # the app's own pyqtgraph options (no antialiasing, white background)
    command = "python bench/bench_gui.py" + (f" --only {args.only}" if len(only) < 5 else "")
    parts, verdicts = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = os.path.join(tmp, "corescope.ini")
        benches = {1: lambda: bench_lag(app, settings), 2: lambda: bench_timeline(app),
                   3: lambda: bench_feed(app, settings), 4: lambda: bench_cpu_plot(app),
                   5: lambda: bench_idle_cpu(settings)}
        for key in sorted(only):
            t = time.perf_counter()
            text, verdicts[key] = benches[key]()
            print(text, flush=True)
            print(f"<!-- took {time.perf_counter() - t:.1f} s -->\n", file=sys.stderr)
            parts.append(text)
    names = {1: "event-loop lag p99 ≤ 50 ms under load", 2: "timeline repaint, 100k bars",
             3: "10,000 events/s live", 4: "CPU plot ≥ 30 fps", 5: "idle CPU ≤ 3 %"}
    summary = table(["target", "result"], [[f"{k}. {names[k]}", verdict(v)]
                                           for k, v in sorted(verdicts.items())])
    m = machine_info()
    import pyqtgraph
    import PySide6

    section = (f"{HEADING}\n\n{datetime.date.today().isoformat()} · {machine_line(m)} · "
               f"{m.platform} · Python {platform.python_version()} · PySide6 "
               f"{PySide6.__version__} · pyqtgraph {pyqtgraph.__version__} · Qt offscreen · "
               f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
               "\n\n"
               f"    {command}\n\n{summary}\n\n" + "\n".join(parts))
    print(summary)
    if args.write:
        write_section(args.write, section)


if __name__ == "__main__":
    main()
