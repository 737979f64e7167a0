"""GUI speed targets, measured side by side in one run, offscreen (prints Markdown).

    python bench/bench_gui.py [--write docs/benchmarks.md] [--only 1,3]

1. event-loop lag: lateness of a re-armed 10 ms timer, window idle and while a process-pool run
   (2 workers, pure-Python primes, ~5 s) saturates both cores. Target: p99 ≤ 50 ms.
2. timeline: 100,000 finished bars (8 lanes, mixed states and CPU efficiencies): time to add
   them, then full repaints (``grab()``). Target: ≤ 50 ms per repaint.
3. live feed: 10,000 events/s for 5 s through the real bridge and window (a stand-in run hands
   out pre-built events as their time comes). Target: mean tick well under the 33 ms tick, no
   growing backlog.
4. CPU plot: one new sample + repaint with the ring full (9,000 samples), 2 and 16 cores.
   Target: ≥ 30 fps.
5. idle app: ``main.py`` as a subprocess (offscreen), CPU of it and its children over 8 s of idle
   sampling at 10 Hz. Target: ≤ 3 % of one core.

The feed and the lag probe run on the GUI thread's own event loop (``QEventLoop.exec``), never a
busy ``processEvents`` spin, which would itself keep a core busy.

    event-loop lag         10 ms single-shot timer ──► fired late by (now − due)
                           re-armed on every firing      = time the GUI thread was busy
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from unittest import mock

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


# -- helpers ----------------------------------------------------------------------------------
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


def spin(seconds: float, until: Callable[[], bool] | None = None) -> None:
    """Run the Qt event loop for ``seconds`` (or until ``until()``), blocking as the app does."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    if until is not None:
        poll = QTimer()
        poll.timeout.connect(lambda: until() and loop.quit())
        poll.start(20)
    loop.exec()


class LagProbe:
    """How late a 10 ms single-shot timer fires, re-armed each time: the GUI thread's lag."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval_ms = interval_ms
        self.lags: list[float] = []
        self._due = 0.0
        self._timer = QTimer()
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._fired)

    def start(self) -> LagProbe:
        self.lags = []
        self._arm()
        return self

    def stop(self) -> list[float]:
        self._timer.stop()
        return self.lags

    def _arm(self) -> None:
        self._due = time.perf_counter() + self.interval_ms / 1000
        self._timer.start(self.interval_ms)

    def _fired(self) -> None:
        self.lags.append(max(0.0, time.perf_counter() - self._due))
        self._arm()


def lag_row(label: str, lags: list[float]) -> list[str]:
    p99 = pct(lags, 99)
    return [label, str(len(lags)), ms(statistics.median(lags)), ms(pct(lags, 95)), ms(p99),
            ms(max(lags)), verdict(p99 * 1000 <= LAG_TARGET_MS)]


def synthetic_tasks(n_tasks: int, workers: int, span_s: float, base: float, seed: int = 1,
                    processes: bool = False, first_id: int = 0) -> tuple[list, list[float]]:
    """``TaskStarted``/``TaskFinished`` events of ``n_tasks`` tasks spread evenly over
    ``workers`` lanes and ``span_s`` seconds, in the order they happen, with their times.

    Mostly ok tasks of three names at every CPU efficiency, ~3 % failed, lost or cancelled.
    """
    from engine.records import TaskFinished, TaskRecord, TaskStarted, TaskStatus, WorkerId

    rng = random.Random(seed)
    names = ("primes", "hash", "sleep")
    odd = [(0.01, TaskStatus.ERROR), (0.005, TaskStatus.TIMEOUT), (0.005, TaskStatus.LOST),
           (0.01, TaskStatus.CANCELLED)]
    per_worker = -(-n_tasks // workers)
    slot = span_s / per_worker
    moments = []
    for i in range(n_tasks):
        task_id, w, k = first_id + i, i % workers, i // workers
        pid = 4000 + w if processes else 4000
        who = WorkerId(pid, pid if processes else 4100 + w,
                       f"pid {pid}" if processes else f"pid {pid} · thread {4100 + w}")
        start = base + k * slot
        end = start + slot * rng.uniform(0.5, 0.95)
        status, roll = TaskStatus.OK, rng.random()
        for p, kind in odd:
            if roll < p:
                status = kind
                break
            roll -= p
        name = names[task_id % 3]
        cpu = (end - start) * rng.random()
        record = TaskRecord(task_id, name, start, start, end, who, cpu, status)
        moments.append((start, 1, task_id, TaskStarted(task_id, name, start, who)))
        moments.append((end, 0, task_id, TaskFinished(record)))
    moments.sort(key=lambda m: m[:3])  # an end before a start at the same instant
    return [m[3] for m in moments], [m[0] for m in moments]


# -- 1. event-loop lag -------------------------------------------------------------------------
def bench_lag(app: object, settings: str) -> tuple[str, bool]:
    import psutil

    from engine.tasks.builtin import primes
    from engine.workload import build_workload
    from gui.main_window import MainWindow

    # ~0.6 s per task here: 16 tasks on 2 workers ≈ 5 s of both cores.
    n = 100_000
    t = time.perf_counter()
    primes(n)
    n = int(n * (0.6 / (time.perf_counter() - t)) ** 0.8)
    window = MainWindow(settings)  # idle monitor on, as in the app
    window.resize(*SIZE)
    window.show()
    spin(1.0)
    idle = LagProbe().start()
    spin(4.0)
    idle_lags = idle.stop()

    from engine.run import RunConfig

    window.workload.set_config(RunConfig(build_workload(["primes"], 16, {"n": str(n)}),
                                         "process-pool", workers=2))
    config = window.workload.config
    assert config is not None and config.workload.n_tasks == 16, window.workload.problem
    results: list = []
    window.run_done.connect(results.append)
    me = psutil.Process()
    cpu0, wall0 = me.cpu_times(), time.perf_counter()
    probe = LagProbe().start()
    window.run_box.run_button.click()  # what the Run button does: MainWindow.start_run()
    assert window.running, window.run_box.status.text()
    spin(120.0, until=lambda: bool(results))
    run_lags = probe.stop()
    cpu1, wall1 = me.cpu_times(), time.perf_counter()
    assert results and results[0].ok, "the run did not finish ok"
    gui_cpu = ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / (wall1 - wall0) * 100
    window.close()
    spin(0.2)
    result = results[0]
    rows = [lag_row("idle (idle CPU monitor at 10 Hz)", idle_lags),
            lag_row(f"process-pool run: 16 × primes(n={n:,}), 2 workers, wall "
                    f"{result.wall_s:.1f} s, CPU use {result.stats.cpu_util:.0f} %", run_lags)]
    text = ("### 1. Event-loop lag (10 ms timer lateness), real window 1280×720\n\n"
            + table(["window state", "samples", "p50", "p95", "p99", "max",
                     f"p99 ≤ {LAG_TARGET_MS:.0f} ms"], rows)
            + f"\n\nThe app process itself (GUI thread, run thread, event pumps; not the worker "
            f"processes) used {gui_cpu:.0f} % of one core during the run.\n")
    return text, pct(run_lags, 99) * 1000 <= LAG_TARGET_MS


# -- 2. timeline with 100,000 bars -------------------------------------------------------------
def bench_timeline(app: object) -> tuple[str, bool]:
    from gui.timeline import Timeline

    n_tasks, batch = 100_000, 2000
    events, _ = synthetic_tasks(n_tasks, workers=8, span_s=50.0, base=0.0)
    timeline = Timeline()
    timeline.resize(*SIZE)
    timeline.show()
    timeline.begin_run(0.0, ("primes", "hash", "sleep"))
    app.processEvents()
    t = time.perf_counter()
    for i in range(0, len(events), batch):
        timeline.add_task_events(events[i:i + batch])
    add_s = time.perf_counter() - t
    assert timeline.bar_count() == n_tasks
    timeline.plot.getPlotItem().enableAutoRange(axis="x")  # every bar in view
    app.processEvents()
    t = time.perf_counter()
    timeline.grab()
    first = time.perf_counter() - t
    repaints = []
    for _ in range(20):
        t = time.perf_counter()
        timeline.grab()
        repaints.append(time.perf_counter() - t)
    # A live tick: one more finished task re-sends its bucket, then the view repaints.
    more, _ = synthetic_tasks(20, workers=1, span_s=0.1, base=50.0, seed=2, first_id=n_tasks)
    live = []
    for i in range(0, len(more), 2):
        t = time.perf_counter()
        timeline.add_task_events(more[i:i + 2])
        timeline.grab()
        live.append(time.perf_counter() - t)
    median, p95 = statistics.median(repaints), pct(repaints, 95)
    ok = median * 1000 <= REPAINT_TARGET_MS and p95 * 1000 <= REPAINT_TARGET_MS
    rows = [
        [f"add {n_tasks:,} tasks ({len(events):,} events, batches of {batch:,})",
         f"{add_s:.2f} s ({add_s / len(events) * 1e6:.1f} µs/event)", "", ""],
        ["bars drawn / BarGraphItems", f"{timeline.bar_count():,} / "
         f"{len(timeline.buckets) + 1}", "", ""],
        ["first repaint after the data", ms(first), "", ""],
        ["full repaint (`grab()`), 20×: median / p95", f"{ms(median)} / {ms(p95)}",
         f"≤ {REPAINT_TARGET_MS:.0f} ms", verdict(ok)],
        ["one more task + repaint, 20×: median / p95",
         f"{ms(statistics.median(live))} / {ms(pct(live, 95))}", "", ""],
    ]
    timeline.close()
    text = (f"### 2. Timeline with {n_tasks:,} finished bars, 1280×720 offscreen\n\n"
            + table(["measure", "value", "target", "result"], rows) + "\n")
    return text, ok


# -- 3. live feed at 10,000 events/s -----------------------------------------------------------
class FeedRun:
    """Stands in for ``engine.run.Run`` in the bridge: hands out pre-built events (task events
    and 10 Hz CPU samples) as their time comes, so the GUI sees a steady live stream."""

    def __init__(self, config: object, events: list, times: list[float], tasks: int) -> None:
        from engine.backends.registry import get_backend

        self.config = config
        self.backend_class = get_backend("process-pool")
        self.total = tasks
        self.done_count = 0
        self._events, self._times = events, times
        self._next = 0
        self._cancelled = False
        self.tick_began = 0.0
        self.backlog: list[tuple[float, int, float]] = []  # (when, events drained, oldest age)

    def start(self) -> FeedRun:
        return self

    def wait(self, timeout: float | None = None) -> bool:
        self.tick_began = time.perf_counter()  # the bridge's tick calls this first
        return self._cancelled

    def drain_events(self) -> list:
        from engine.records import TaskFinished

        now = time.perf_counter()
        end = bisect.bisect_right(self._times, now)
        batch = self._events[self._next:end]
        if batch:
            self.backlog.append((now, len(batch), now - self._times[self._next]))
        self.done_count += sum(isinstance(e, TaskFinished) for e in batch)
        self._next = end
        return batch

    @property
    def delivered(self) -> bool:
        return self._next == len(self._events)

    def cancel(self) -> None:
        self._cancelled = True

    abandon = cancel


def bench_feed(app: object, settings: str) -> tuple[str, bool]:
    import gui.bridge
    from engine.records import CpuSample
    from engine.run import RunConfig
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
    from gui.cpu_plot import CAPACITY, CpuPlot

    rows, all_ok = [], True
    rng = random.Random(4)
    for cores, heatmap in ((2, False), (16, True), (16, False)):
        plot = CpuPlot(cores)
        plot.resize(*SIZE)
        plot.show()
        plot.set_heatmap(heatmap)
        t0 = time.perf_counter() - CAPACITY / 10
        plot.add_samples([CpuSample(t0 + k / 10, tuple(rng.uniform(0, 100) for _ in range(cores)))
                          for k in range(CAPACITY)])
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
                sample = CpuSample(t, tuple(rng.uniform(0, 100) for _ in range(cores)))
                start = time.perf_counter()
                plot.add_samples([sample])
                plot.grab()
                frames.append(time.perf_counter() - start)
            median = statistics.median(frames)
            fps = 1 / median
            ok = fps >= FPS_TARGET
            all_ok = all_ok and ok
            rows.append([str(cores), "heatmap" if heatmap else "curves", label,
                         f"{ms(median)} / {ms(pct(frames, 95))}", f"{fps:.0f}", verdict(ok)])
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

    from engine.machine import machine_info
    from engine.report import machine_line
    from gui.app import _application

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
    section = (f"{HEADING}\n\n{datetime.date.today().isoformat()} · {machine_line(m)} · "
               f"{m.platform} · Qt offscreen · Python {platform.python_version()}\n\n"
               f"    {command}\n\n{summary}\n\n" + "\n".join(parts))
    print(summary)
    if args.write:
        write_section(args.write, section)


if __name__ == "__main__":
    main()
