"""Finished runs drawn by the live widgets: a saved session or a comparison row, no re-run.

The widgets learn about tasks only from ``TaskStarted``/``TaskFinished`` events, in the order
they happened. A finished ``RunResult`` holds records instead, so this module turns them back
into that event stream (start and end of every task, sorted by time, an end before a start at
the same instant so a worker's lane is reused exactly as it was live).
"""

from __future__ import annotations

from engine.figures.result import RunResult
from engine.records import TaskFinished, TaskStarted


def task_events(result: RunResult) -> list[TaskStarted | TaskFinished]:
    """The run's task events as the bridge would have delivered them.

    Tasks that never started (cancelled in the queue) get no event: they have no bar.
    """
    timed: list[tuple[float, int, int, TaskStarted | TaskFinished]] = []
    for r in result.records:
        if r.started is None or r.worker is None:
            continue
        end = r.finished if r.finished is not None else r.started
        # (time, 0 = end first, id) keeps a worker's back-to-back tasks in one lane.
        timed.append((r.started, 1, r.id, TaskStarted(r.id, r.name, r.started, r.worker)))
        timed.append((end, 0, r.id, TaskFinished(r)))
    timed.sort(key=lambda item: item[:3])
    return [event for *_, event in timed]


def task_names(result: RunResult) -> tuple[str, ...]:
    """The workload's task names in order (for stable bar colours), from its saved form."""
    names = [str(t.get("name", "")) for t in result.workload.get("tasks", ())
             if isinstance(t, dict)]
    names += [r.name for r in result.records]
    return tuple(dict.fromkeys(n for n in names if n))
