"""``process-pool``: ``concurrent.futures.ProcessPoolExecutor`` with the workers setting.

A worker that dies breaks the whole executor (CPython raises ``BrokenProcessPool`` for every
unfinished future); CoreScope shows that as it is: the task on the dead worker and every task
still queued are marked lost, and the run ends.

What the engine does per task is kept off the workers' cores, which it shares with them:

* a task goes to the workers as four numbers (``_child.run_template``): the workload's items
  travel once, to every worker, when it starts;
* its start is posted on the worker's start board (``_socket_events``), which wakes no one;
* its record comes back as the pool's own result, as a tuple of built-ins;
* the pool's manager thread, which hands the workers their next tasks, only queues each
  finished future; the run's thread reads the boards and the records every ``TICK_S`` (up to
  ``IDLE_TICK_S`` while nothing new comes).

Starts and records take different paths and can overtake each other: ``InOrder`` holds a
worker's next start until its previous record is in, so the timeline never sees one worker
running two tasks.
"""

from __future__ import annotations

import collections
import functools
import itertools
import threading
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from engine import wire
from engine.backends._child import (
    bounded,
    init_worker,
    mp_context,
    run_returning_record,
    run_template,
    templates_of,
)
from engine.backends._socket_events import EventListener
from engine.backends.base import Backend, RunContext
from engine.backends.warm import warm_up, warm_workers
from engine.records import TaskRecord, TaskStarted
from engine.workload import TaskInstance


def end_pool_processes(pool: ProcessPoolExecutor) -> None:
    """Kill every worker of ``pool`` and reap it.

    ``shutdown(cancel_futures=True)`` only drops queued work; a running task would run to the
    end. Python 3.14 has ``kill_workers()``; before that the process table is private.
    """
    kill = getattr(pool, "kill_workers", None)
    if kill is not None:
        kill()
        return
    procs: dict[int, Any] = dict(getattr(pool, "_processes", None) or {})
    for proc in procs.values():
        if proc.is_alive():
            proc.kill()
    for proc in procs.values():
        proc.join(timeout=5)


class InOrder:
    """Each worker's "started" events, passed on only after the record of the task before.

    A worker finishes task k (its record goes into the pool's result queue) and starts task
    k+1 (its start goes on its board) microseconds apart; the engine may read the second
    before the first. A board says which task came before (the worker's earlier starts may
    never have been read: a board shows only the latest). Held back, that start is passed on
    when k's end is reported (``ended``), whatever the end was. The other overtaking, a record
    before its own start, ``RunState`` already handles (it makes the start from the record).
    """

    def __init__(self, ctx: RunContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._on_worker: dict[int, int] = {}  # worker pid -> the task last started there
        self._held: dict[int, TaskStarted] = {}  # task id -> the start that waits for its end
        self._ended: set[int] = set()

    def started(self, event: TaskStarted, after: int | None = None) -> None:
        """``after``: the task the worker started before this one, where known (a start
        board says; a worker's starts down its connection all arrive, so there the last one
        read is that task)."""
        with self._lock:
            if event.id in self._ended:
                return  # its record came first and made its start
            before = after if after is not None else self._on_worker.get(event.worker.pid)
            if before is not None and before not in self._ended:
                self._held[before] = event
                return
            self._on_worker[event.worker.pid] = event.id
        self._ctx.started(event)

    def ended(self, task_id: int) -> None:
        with self._lock:
            self._ended.add(task_id)
            after = self._held.pop(task_id, None)
            if after is not None:
                self._on_worker[after.worker.pid] = after.id
        if after is not None:
            self._ctx.started(after)

    def release_all(self) -> None:
        """At the run's end: a start still held (its previous task never reported) is passed
        on, so the task keeps its bar if it is closed as lost or cancelled."""
        with self._lock:
            held, self._held = list(self._held.values()), {}
        for event in held:
            self._ctx.started(event)


#: How often the run's thread reads the workers' start boards and the records that came back:
#: a timed wake-up costs 80–150 µs of CPU here, so not more often than the window can show.
#: While nothing new comes (long tasks running), the wait doubles up to IDLE_TICK_S: a start
#: then shows at most 50 ms late, and the engine wakes 20 times a second, not 50.
TICK_S = 0.02
IDLE_TICK_S = 0.05
SHUTDOWN_S = 10.0  # a healthy shutdown takes milliseconds once the workers are idle or dead


class ProcessPoolBackend(Backend):
    name = "process-pool"
    summary = "concurrent.futures.ProcessPoolExecutor"
    uses_processes = True
    warms = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        mp = mp_context(ctx.start_method)
        order = InOrder(ctx)
        listener = EventListener(order.started, ctx.finished, on_board=order.started)
        templates, keys = templates_of(tasks)
        pool = ProcessPoolExecutor(ctx.workers, mp_context=mp, initializer=init_worker,
                                   initargs=(listener.sink, templates))
        # Futures are watched with done-callbacks rather than by polling wait(), which
        # re-registers a waiter on every pending future per call (2,000 one-millisecond tasks
        # took nearly twice as long as on the bare executor). The callbacks run on the pool's
        # manager thread, which hands the next task to the workers only after them; so they
        # only queue the future, and this thread reads the records, a tick's worth at a time.
        ended: collections.deque[tuple[TaskInstance, Future[Any]]] = collections.deque()
        arrived = itertools.count(1)
        last_in = threading.Event()  # the last future is done: read it now, not next tick

        def report(fut: Future[Any], inst: TaskInstance) -> None:
            ended.append((inst, fut))  # deque.append and next(count) are atomic
            if next(arrived) == len(tasks):
                last_in.set()

        def read_ended() -> int:
            count = 0
            while ended:
                inst, fut = ended.popleft()
                count += 1
                # One result() call, not cancelled() + exception() + result(): each takes the
                # future's lock.
                try:
                    record = wire.unpack(fut.result())
                except CancelledError:
                    pass  # never ran: the runner marks it cancelled
                except BrokenProcessPool as exc:
                    if not ctx.cancel.is_set():  # else we ended its worker: cancelled
                        # The dead worker's start may be on its board still, unread: read
                        # now, its task is closed from its start and keeps its bar.
                        listener.read_boards()
                        ctx.lost([inst.id], f"worker process died; pool broken ({exc})")
                except Exception as exc:  # noqa: BLE001 — run_task itself never raises
                    ctx.lost([inst.id], f"the pool could not return this task's record: "
                                        f"{type(exc).__name__}: {exc}")
                else:
                    assert isinstance(record, TaskRecord), "run_returning_record sends records"
                    ctx.finished(record)
                order.ended(inst.id)
            return count

        try:
            if ctx.warm:
                # Under spawn and forkserver the executor starts a process per submit while
                # none is idle; under fork it starts them all at the first submit.
                ctx.ready(*warm_workers(lambda: pool.submit(warm_up).result, ctx.workers,
                                        ctx.cancel))
            for i, inst in enumerate(tasks):
                if keys is None:
                    fut = pool.submit(run_returning_record, ctx.submit(inst))
                else:
                    fut = pool.submit(run_template, keys[i], inst.id, inst.index,
                                      ctx.stamp(inst.id))
                fut.add_done_callback(functools.partial(report, inst=inst))
            tick = TICK_S
            while not ctx.cancel.is_set():
                every_future_in = last_in.wait(tick)
                news = listener.read_boards() + read_ended()
                if every_future_in or ctx.all_done.is_set():
                    break  # every record read (or the runner gave up on what was left)
                tick = TICK_S if news else min(2 * tick, IDLE_TICK_S)
        finally:
            if not last_in.is_set():
                # Kill first: shutdown() forgets the process table, and a running task would
                # otherwise finish its work before the worker saw the shutdown.
                end_pool_processes(pool)
            # Bounded: the executor's manager thread can wait on a queue a killed worker held.
            if not bounded(lambda: pool.shutdown(wait=True, cancel_futures=True), SHUTDOWN_S):
                end_pool_processes(pool)
                ctx.note(f"the process pool did not shut down within {SHUTDOWN_S:g} s; its "
                         "workers were killed")
            read_ended()  # what ended before a cancel or a crash keeps its record
            problem = listener.close()
            order.release_all()
            if problem:
                ctx.note(problem)
