"""What bench/bench_gui.py measures with, and the synthetic data it feeds the window.

    LagProbe        10 ms single-shot timer, re-armed on every firing; lateness = now − due,
                    i.e. how long the GUI thread was busy (or not scheduled) when it should
                    have been free
    spin            the Qt event loop for a while, blocking as the app does (never a busy
                    processEvents loop, which would itself keep a core busy)
    synthetic_tasks TaskStarted / TaskFinished of many tasks in several lanes, in time order
    cpu_history     per-core CPU readings shaped like a demo session
    FeedRun         stands in for engine.run.runner.Run behind the bridge: pre-built events handed
                    out as their time comes, so the window sees a steady live stream
"""

from __future__ import annotations

import bisect
import random
import time
from collections.abc import Callable, Iterator


def spin(seconds: float, until: Callable[[], bool] | None = None) -> None:
    """Run the Qt event loop for ``seconds``, or until ``until()`` is true (polled at 50 Hz)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    poll = QTimer()
    if until is not None:
        poll.timeout.connect(lambda: until() and loop.quit())
        poll.start(20)
    loop.exec()
    poll.stop()


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


def synthetic_tasks(n_tasks: int, workers: int, span_s: float, base: float, seed: int = 1,
                    processes: bool = False, first_id: int = 0) -> tuple[list, list[float]]:
    """``TaskStarted``/``TaskFinished`` events of ``n_tasks`` tasks spread evenly over
    ``workers`` lanes and ``span_s`` seconds from ``base``, in the order they happen, and
    their times.

    Three task names at every CPU efficiency; ~3 % failed, timed out, lost or cancelled.
    ``processes``: one lane per worker process (process-pool) instead of threads of one pid.
    """
    from engine.records import TaskFinished, TaskRecord, TaskStarted, TaskStatus, WorkerId

    rng = random.Random(seed)
    names = ("primes", "hash", "sleep")
    odd = [(0.01, TaskStatus.ERROR), (0.005, TaskStatus.TIMEOUT), (0.005, TaskStatus.LOST),
           (0.01, TaskStatus.CANCELLED)]
    slot = span_s / -(-n_tasks // workers)
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
        record = TaskRecord(task_id, name, start, start, end, who,
                            (end - start) * rng.random(), status)
        moments.append((start, 1, task_id, TaskStarted(task_id, name, start, who)))
        moments.append((end, 0, task_id, TaskFinished(record)))
    moments.sort(key=lambda m: m[:3])  # an end before a start at the same instant
    return [m[3] for m in moments], [m[0] for m in moments]


def cpu_history(cores: int, seed: int = 4) -> Iterator[tuple[float, ...]]:
    """Per-core readings at 10 Hz as a demo session makes them: idle stretches (a few %),
    process runs (every core near 100 %) and GIL-bound thread runs (one core's worth, hopping
    between cores), each 10–60 s long, with sampling noise."""
    rng = random.Random(seed)
    while True:
        kind = rng.choice(("idle", "processes", "threads"))
        for _ in range(rng.randint(100, 600)):
            if kind == "idle":
                row = [abs(rng.gauss(3, 3)) for _ in range(cores)]
            elif kind == "processes":
                row = [100 - abs(rng.gauss(0, 4)) for _ in range(cores)]
            else:
                row = [abs(rng.gauss(8, 5)) for _ in range(cores)]
                row[rng.randrange(cores)] = 100 - abs(rng.gauss(0, 10))
            yield tuple(min(100.0, v) for v in row)


class FeedRun:
    """Stands in for ``engine.run.runner.Run`` behind ``RunBridge``: hands out pre-built
    events (task events and CPU samples, sorted by ``times``) once the clock has passed their time.

    Records per drain what a live run's buffer would have held: ``backlog`` rows of (clock,
    events drained, age of the oldest). ``tick_began`` is when the bridge's tick started (its
    first call is ``wait(0)``).
    """

    def __init__(self, config: object, events: list, times: list[float], tasks: int) -> None:
        from engine.backends.registry import get_backend

        self.config = config
        self.backend_class = get_backend("process-pool")
        self.total = tasks
        self.done_count = 0
        self.tick_began = 0.0
        self.backlog: list[tuple[float, int, float]] = []
        self._events, self._times = events, times
        self._next = 0
        self._cancelled = False

    def start(self) -> FeedRun:
        return self

    def wait(self, timeout: float | None = None) -> bool:
        self.tick_began = time.perf_counter()
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
