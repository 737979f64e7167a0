"""Warm pools: start every worker before the run's clock (``RunConfig.warm``, CLI ``--warm``).

A cold run counts the workers' start in its wall time, which is the honest first-time cost and
the default. A warm run answers the other question — what does the work cost once the pool is
up? — so the pool is created and every worker has run an empty task before t0:

    pool created ──► empty tasks, in rounds, until each worker has run one ──► ctx.ready()
    (the run's start)                                                          (t0: the clock)

The span before t0 is reported on its own ("workers took 0.21 s to start, not counted in
wall") and drawn as a band before 0 on the timeline. Each empty task says when it began on
the shared clock, so the start cost is "the run's start → the last worker's first task", the
same span a cold run's start-cost line measures, and not the empty tasks' own length.

``warm_up`` runs in the workers, so this module imports nothing heavy.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from engine import clock as _clock

# How long each empty task waits. Long enough that a worker that is already up does not take
# every empty task of a round while the next one is still starting (which would only cost
# another round), short next to any start cost worth warming.
WARM_TASK_S = 0.02
# A pool whose workers are not all up by then is reported and the run goes on.
WARM_TIMEOUT_S = 60.0

#: (pid, native thread id, clock reading when the empty task began) of the worker that ran it.
WarmReply = tuple[int, int, float]
#: Submits one empty task; returns a function that waits at most its argument (seconds) for
#: that task's reply and raises on a timeout or a broken pool.
Submit = Callable[[], Callable[[float], WarmReply]]


def warm_up(delay: float = WARM_TASK_S) -> WarmReply:
    """The empty task: which worker ran it, and when it began."""
    began = _clock.now()
    time.sleep(delay)
    return os.getpid(), threading.get_native_id(), began


def warm_up_with(module: str, delay: float = WARM_TASK_S) -> WarmReply:
    """The empty task, for a worker that loads the task machinery only with its first task (a
    subinterpreter): it imports ``module`` first, so the first real task does not pay that."""
    import importlib

    importlib.import_module(module)
    return warm_up(delay)


def warm_workers(submit: Submit, workers: int, cancel: threading.Event, by_thread: bool = False,
                 clock: _clock.Clock = _clock.now) -> tuple[int, float | None]:
    """Run empty tasks in rounds of ``workers`` until each of ``workers`` workers (processes,
    or threads with ``by_thread``) has run one.

    Returns (workers seen, clock reading when the last of them began its first empty task);
    (0, None) when none answered (cancelled, the pool broke, or the timeout).
    """
    from multiprocessing import TimeoutError as PoolTimeout  # engine side only

    seen: dict[int, float] = {}
    deadline = clock() + WARM_TIMEOUT_S

    def done() -> tuple[int, float | None]:
        return len(seen), max(seen.values(), default=None)

    while len(seen) < workers and not cancel.is_set() and clock() < deadline:
        for wait in [submit() for _ in range(workers)]:
            # Short waits, so Stop is seen at once: a multiprocessing.Pool whose worker is
            # killed mid-task replaces it and never answers for that task.
            while True:
                if cancel.is_set() or clock() >= deadline:
                    return done()
                try:
                    pid, tid, began = wait(0.1)
                    break
                except (TimeoutError, PoolTimeout):
                    continue
                except Exception:  # noqa: BLE001 — a broken pool: the run itself says why
                    return done()
            key = tid if by_thread else pid
            seen[key] = min(began, seen.get(key, began))
    return done()
