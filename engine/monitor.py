"""The CPU monitor: per-core load, each worker process's CPU, each engine thread's CPU.

It samples in its own daemon thread at a fixed interval (10 Hz by default) and computes every
figure from cumulative CPU-time counters itself. It deliberately avoids
``psutil.cpu_percent(interval=None)``: that keeps its "previous reading" in module state shared
with every other caller in the process, so two samplers would corrupt each other's numbers.

The clock, the interval and the counter readers are injectable so tests can drive a monitor
sample by sample with made-up counters.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence

import psutil

from engine import clock as _clock
from engine.records import CpuSample

log = logging.getLogger(__name__)

CoreTimes = Sequence[tuple[float, float]]  # per core: (busy seconds, total seconds)
TaskTimes = dict[int, float]  # pid or tid -> cumulative CPU seconds


def read_core_times() -> CoreTimes:
    out = []
    for t in psutil.cpu_times(percpu=True):
        total = sum(t)
        idle = t.idle + getattr(t, "iowait", 0.0)
        out.append((total - idle, total))
    return out


def read_child_times() -> TaskTimes:
    """Cumulative CPU of every process descended from this one (the worker processes)."""
    out: TaskTimes = {}
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
            out[child.pid] = t.user + t.system
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return out


def read_thread_times() -> TaskTimes:
    """Cumulative CPU of every thread of this process, by native thread id."""
    try:
        return {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return {}


def _percent(now: TaskTimes, before: TaskTimes, dt: float) -> dict[int, float]:
    if dt <= 0:
        return {}
    return {k: max(0.0, 100.0 * (v - before[k]) / dt) for k, v in now.items() if k in before}


class CpuMonitor:
    """Samples CPU use until stopped.

    Args:
        interval_s: seconds between samples (0.1 = 10 Hz).
        on_sample: called from the monitor thread with each new sample; exceptions are logged
            and the callback detached, so a faulty consumer never stops the sampling.
        clock, read_cores, read_processes, read_threads: injectable for tests.
    """

    def __init__(self, interval_s: float = 0.1,
                 on_sample: Callable[[CpuSample], None] | None = None, *,
                 clock: _clock.Clock = _clock.now,
                 read_cores: Callable[[], CoreTimes] = read_core_times,
                 read_processes: Callable[[], TaskTimes] = read_child_times,
                 read_threads: Callable[[], TaskTimes] = read_thread_times) -> None:
        if not 0.01 <= interval_s <= 10:
            raise ValueError(f"sample interval {interval_s} s is out of range 0.01..10")
        self.interval_s = interval_s
        self._on_sample = on_sample
        self._clock = clock
        self._read_cores = read_cores
        self._read_processes = read_processes
        self._read_threads = read_threads
        self._samples: list[CpuSample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._prev = self._read_all()

    def _read_all(self) -> tuple[float, CoreTimes, TaskTimes, TaskTimes]:
        return (self._clock(), self._read_cores(), self._read_processes(), self._read_threads())

    def sample_once(self) -> CpuSample:
        """Take one sample now (the thread calls this; tests may too)."""
        t, cores, procs, threads = now = self._read_all()
        t0, cores0, procs0, threads0 = self._prev
        self._prev = now
        per_core = tuple(
            min(100.0, max(0.0, 100.0 * (b - b0) / (tot - tot0))) if tot > tot0 else 0.0
            for (b, tot), (b0, tot0) in zip(cores, cores0)
        )
        own = os.getpid()
        processes = {pid: v for pid, v in _percent(procs, procs0, t - t0).items() if pid != own}
        sample = CpuSample(t, per_core, processes, _percent(threads, threads0, t - t0))
        with self._lock:
            self._samples.append(sample)
        if self._on_sample is not None:
            try:
                self._on_sample(sample)
            except Exception:
                log.exception("CPU sample consumer failed; detached")
                self._on_sample = None
        return sample

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sample_once()
            except Exception:  # psutil on a vanishing process, etc.: skip one sample
                log.exception("CPU sample failed")

    def start(self) -> CpuMonitor:
        self._thread = threading.Thread(target=self._loop, name="corescope-cpu-monitor",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling; a last sample closes the window so a short run still has data."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
            try:
                self.sample_once()
            except Exception:
                log.exception("CPU sample failed")

    def samples(self) -> list[CpuSample]:
        with self._lock:
            return list(self._samples)

    def __enter__(self) -> CpuMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def total_of(samples: Iterable[CpuSample]) -> list[float]:
    return [s.total for s in samples]
