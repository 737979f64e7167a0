"""What the measured GIL samples say (``RunResult.gil_samples``, from ``engine.run.gil``).

Shares are computed from the samples when asked, never stored: a session file keeps the raw
samples, and a share over any window (a task, the run) is a count over them.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass

from engine.figures.result import RunResult
from engine.records import GilSample, TaskRecord

# Fewer readings than this in a window say too little to quote a share (at 10 Hz: half a second).
MIN_SAMPLES = 5


def _window(samples: tuple[GilSample, ...], lo: float, hi: float) -> tuple[GilSample, ...]:
    """The samples taken from ``lo`` to ``hi``, both included. Samples are in time order (the
    probe's, and a session file's, which its reader keeps sorted), so this is two bisections,
    not a scan: --json, the trace and the explanation each ask once per task, and an hour's
    run holds 36,000 samples (a scan per task took 0.7 ms, 1.5 s for 2,000 tasks)."""
    start = bisect.bisect_left(samples, lo, key=_time)
    return samples[start:bisect.bisect_right(samples, hi, lo=start, key=_time)]


def _time(sample: GilSample) -> float:
    return sample.t


def gil_share(result: RunResult, record: TaskRecord) -> float | None:
    """The share of a task's running time its thread held the GIL; None when unmeasured.

    Counted over the samples taken while the task ran. On asyncio every coroutine shares the
    loop's thread, so each reads the thread's share while it was in flight.
    """
    if record.worker is None or record.started is None or record.finished is None:
        return None
    inside = _window(result.gil_samples, record.started, record.finished)
    if len(inside) < MIN_SAMPLES:
        return None
    return sum(s.holder == record.worker.tid for s in inside) / len(inside)


@dataclass(frozen=True)
class GilReading:
    """The run as a whole: how much of it the GIL was held, and by whom."""

    samples: int
    free: float  # share of samples in which no thread held the GIL
    by_workers: float  # share held by the threads that ran tasks
    holders: int  # distinct worker threads seen holding it
    task_share: float | None  # mean of gil_share over the tasks that ran to an end


def gil_reading(result: RunResult) -> GilReading | None:
    """The run's GIL figures, or None when too few samples fell inside the run."""
    inside = _window(result.gil_samples, result.t0, result.t_end)
    if len(inside) < MIN_SAMPLES:
        return None
    workers = {r.worker.tid for r in result.records if r.worker is not None and not r.worker.host}
    held = Counter(s.holder for s in inside)
    shares = [x for x in (gil_share(result, r) for r in result.records if r.ok)
              if x is not None]
    return GilReading(
        samples=len(inside), free=held.get(0, 0) / len(inside),
        by_workers=sum(n for tid, n in held.items() if tid in workers) / len(inside),
        holders=sum(1 for tid in held if tid in workers),
        task_share=sum(shares) / len(shares) if shares else None)
