"""The CPU monitor: per-core load, each worker process's CPU, each engine thread's CPU, and the
resident memory of the engine and its worker processes.

It computes every figure from cumulative CPU-time counters itself (``engine.run.sampler``). It
deliberately avoids ``psutil.cpu_percent(interval=None)``: that keeps its "previous reading" in
module state shared with every other caller in the process, so two samplers would corrupt each
other's numbers.

Two ways to sample, one interface:

    in a thread (default)            in a sampler process (``separate_process=True``)
    ─────────────────────            ────────────────────────────────────────────────
    cheap to start; fine while       what a run uses: sampling from outside the engine's GIL
    the engine is idle (the          keeps 10 Hz even while threads fight over the GIL
    window between runs) and         (see engine/run/sampler.py for the measurement); costs one
    for tests with fake counters     short-lived child process per run, ~50 ms to start

    engine process                                   sampler process
    CpuMonitor ── Popen(stdin, stdout) ───────────►  engine/run/sampler.py PID INTERVAL 1
    reader thread ◄── one JSON line per sample ────  psutil: /proc counters, perf_counter
    stop(): close stdin ──────────────────────────►  last sample, exit
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO, Any

from engine import clock as _clock
from engine.records import CpuSample
from engine.run.sampler import (
    CoreTimes,
    Counters,
    Memory,
    ProcessTree,
    TaskTimes,
    read_core_times,
    read_memory,
    read_thread_times,
)

log = logging.getLogger(__name__)

_SAMPLER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sampler.py")
_READY_TIMEOUT_S = 15.0
#: A process whose threads' CPU counts as CoreScope's beside this one's: the window, while this
#: is the host process of a run it started (engine/run/host.py). Without it the window's
#: drawing would read as "other programs".
viewer_pid: int | None = None


_tree: ProcessTree | None = None


def _own_children() -> TaskTimes:
    global _tree
    if _tree is None or _tree.root != os.getpid():  # kept between samples: see ProcessTree
        _tree = ProcessTree(os.getpid())
    return _tree.times()


def _own_threads() -> TaskTimes:
    return read_thread_times(os.getpid())


def _own_memory() -> Memory:
    # Thread mode samples an idle engine (or fake counters in tests): the engine's own memory
    # is enough there, and it spares a second scan of every process on the machine.
    own = read_memory(os.getpid())
    return {} if own is None else {os.getpid(): own}


class CpuMonitor:
    """Samples CPU use until stopped.

    Args:
        interval_s: seconds between samples (0.1 = 10 Hz).
        on_sample: called with each new sample (from a monitor thread); exceptions are logged
            and the callback detached, so a faulty consumer never stops the sampling.
        separate_process: sample from a child process, immune to GIL contention in this one.
        watch_children: also report each child process's CPU (off for in-process runs: the
            scan of every process on the machine is the costliest part of a sample).
        clock, read_cores, read_processes, read_threads, read_memory: injectable for tests
            (thread mode).
    """

    def __init__(self, interval_s: float = 0.1,
                 on_sample: Callable[[CpuSample], None] | None = None, *,
                 separate_process: bool = False, watch_children: bool = True,
                 clock: _clock.Clock = _clock.now,
                 read_cores: Callable[[], CoreTimes] = read_core_times,
                 read_processes: Callable[[], TaskTimes] = _own_children,
                 read_threads: Callable[[], TaskTimes] = _own_threads,
                 read_memory: Callable[[], Memory] = _own_memory) -> None:
        if not 0.01 <= interval_s <= 10:
            raise ValueError(f"sample interval {interval_s} s is out of range 0.01..10")
        self.interval_s = interval_s
        self._on_sample = on_sample
        self._separate = separate_process
        self._watch_children = watch_children
        self._clock = clock
        self._readers = (read_cores, read_processes if watch_children else None, read_threads)
        self._read_memory = read_memory
        # The first reading is the baseline every later rate is measured from.
        self._counters: Counters | None = (
            None if separate_process else Counters(clock, *self._readers))
        self._samples: list[CpuSample] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[str] | None = None

    # -- both modes --------------------------------------------------------------------------
    def _add(self, sample: CpuSample) -> None:
        with self._lock:
            self._samples.append(sample)
        if self._on_sample is not None:
            try:
                self._on_sample(sample)
            except Exception:
                log.exception("CPU sample consumer failed; detached")
                self._on_sample = None

    def sample_once(self) -> CpuSample:
        """Take one sample now in this thread (the monitor thread calls this; tests may too)."""
        if self._counters is None:
            self._counters = Counters(self._clock, *self._readers)
        t, per_core, procs, threads = self._counters.sample()
        own = os.getpid()
        sample = CpuSample(t, per_core, {p: v for p, v in procs.items() if p != own}, threads,
                           self._read_memory())
        self._add(sample)
        return sample

    def start(self) -> CpuMonitor:
        if self._separate:
            try:
                self._start_process()
                return self
            except (OSError, TimeoutError, ValueError) as exc:
                log.warning("sampler process failed (%s); sampling in a thread instead", exc)
                self._end_process()
        if self._counters is None:
            self._counters = Counters(self._clock, *self._readers)
        self._thread = threading.Thread(target=self._loop, name="corescope-cpu-monitor",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop sampling; a last sample closes the window so a short run still has data."""
        self._stop.set()
        if self._proc is not None:
            self._end_process()
        elif self._thread is not None:
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

    # -- thread mode -------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sample_once()
            except Exception:  # psutil on a vanishing process, etc.: skip one sample
                log.exception("CPU sample failed")

    # -- process mode ------------------------------------------------------------------------
    def _start_process(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, _SAMPLER, str(os.getpid()), repr(self.interval_s),
             "1" if self._watch_children else "0",
             *([str(viewer_pid)] if viewer_pid is not None else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
            # Out of the terminal's process group: Ctrl-C there (sent to the whole group) is
            # the engine's to answer, and a sampler that died of it would end the CPU plot.
            start_new_session=True)
        stdout = self._proc.stdout
        assert stdout is not None
        ready: list[str] = []
        # readline() has no timeout; a helper thread bounds the wait for a sampler that hangs.
        first = threading.Thread(target=lambda: ready.append(stdout.readline()), daemon=True)
        first.start()
        first.join(_READY_TIMEOUT_S)
        if not ready or ready[0].strip() != "ready":
            raise TimeoutError("sampler process did not start")
        self._thread = threading.Thread(target=self._read_lines, args=(stdout,),
                                        name="corescope-cpu-reader", daemon=True)
        self._thread.start()

    def _read_lines(self, stream: IO[str]) -> None:
        own = os.getpid()
        for line in stream:
            try:
                raw: dict[str, Any] = json.loads(line)
                sample = CpuSample(
                    float(raw["t"]), tuple(float(v) for v in raw["cores"]),
                    {int(k): float(v) for k, v in raw["procs"].items() if int(k) != own},
                    {int(k): float(v) for k, v in raw["threads"].items()},
                    {int(k): float(v) for k, v in raw.get("mem", {}).items()})
            except (ValueError, KeyError, TypeError):
                log.warning("unreadable sampler line: %r", line[:80])
                continue
            self._add(sample)

    def _end_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.close()  # the sampler's signal to take a last sample and exit
            proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        if self._thread is not None:
            self._thread.join(timeout=5)  # the reader ends at the sampler's EOF
            self._thread = None
        if proc.stdout is not None:
            proc.stdout.close()
