"""What the memory readings say (``CpuSample.memory``: resident MiB by pid).

Threads are the workers of an in-process run, so its one reading is the engine's own process,
which they share; a process run reads each worker process. The figures are peaks over the run,
because memory is a limit you hit at the worst moment, not on average.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.figures.result import RunResult


@dataclass(frozen=True)
class MemoryReading:
    """Peaks of the run's memory readings."""

    in_process: bool  # the reading is the engine's own process, shared by its worker threads
    processes: int  # distinct processes read during the run
    peak_each: float  # the largest one process reached, MiB
    least_peak: float  # the smallest peak among them, MiB (one process: equal to peak_each)
    peak_total: float  # the most held at one moment, all of them together, MiB


def worker_pids(result: RunResult) -> set[int] | None:
    """Whose memory counts as the run's workers: on a process backend the processes that ran
    tasks, not multiprocessing's resource tracker nor a pool's spare worker that never got
    one; None (every reading) on an in-process backend."""
    if not result.uses_processes:
        return None
    return {r.worker.pid for r in result.records if r.worker is not None}


def worker_memory(result: RunResult, reading: Mapping[int, float],
                  pids: set[int] | None = None) -> dict[int, float]:
    """The part of one sample's memory reading that is the run's workers. Pass ``pids``
    (``worker_pids``) when filtering many samples: it is a pass over every record."""
    keep = worker_pids(result) if pids is None else pids
    if keep is None:
        return dict(reading)
    return {pid: mib for pid, mib in reading.items() if pid in keep}


def memory_reading(result: RunResult) -> MemoryReading | None:
    """The run's memory peaks, or None when nothing was read during it."""
    pids = worker_pids(result)
    inside = [m for s in result.samples if result.t0 <= s.t <= result.t_end
              if (m := worker_memory(result, s.memory, pids))]
    if not inside:
        return None
    peaks: dict[int, float] = {}
    for reading in inside:
        for pid, mib in reading.items():
            peaks[pid] = max(mib, peaks.get(pid, 0.0))
    return MemoryReading(
        in_process=result.uses_processes is False, processes=len(peaks),
        peak_each=max(peaks.values()), least_peak=min(peaks.values()),
        peak_total=max(sum(reading.values()) for reading in inside))


def memory_line(result: RunResult) -> str | None:
    """One line on the run's memory, e.g. "2 worker processes peaked at 121–125 MiB each,
    246 MiB together"; None when nothing was read."""
    m = memory_reading(result)
    if m is None:
        return None
    if m.in_process:
        threads = f"{result.workers} thread{'s' if result.workers != 1 else ''}"
        return f"this process peaked at {m.peak_each:.0f} MiB (its {threads} share it)"
    if m.processes == 1:
        return f"1 worker process peaked at {m.peak_each:.0f} MiB"
    each = (f"{m.peak_each:.0f} MiB" if m.peak_each - m.least_peak < 1
            else f"{m.least_peak:.0f}–{m.peak_each:.0f} MiB")
    return (f"{m.processes} worker processes peaked at {each} each, "
            f"{m.peak_total:.0f} MiB together at most")
