"""``process-pool``: ``concurrent.futures.ProcessPoolExecutor`` with the workers setting.

A worker that dies breaks the whole executor (CPython raises ``BrokenProcessPool`` for every
unfinished future); CoreScope shows that as it is: the task on the dead worker and every task
still queued are marked lost, and the run ends.
"""

from __future__ import annotations

import functools
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from engine.backends._child import bounded, init_worker, mp_context, run_in_worker
from engine.backends._socket_events import EventListener
from engine.backends.base import Backend, RunContext
from engine.backends.warm import warm_up, warm_workers
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


SHUTDOWN_S = 10.0  # a healthy shutdown takes milliseconds once the workers are idle or dead


class ProcessPoolBackend(Backend):
    name = "process-pool"
    summary = "concurrent.futures.ProcessPoolExecutor"
    uses_processes = True
    warms = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        mp = mp_context(ctx.start_method)
        listener = EventListener(ctx.started, ctx.finished)
        pool = ProcessPoolExecutor(ctx.workers, mp_context=mp, initializer=init_worker,
                                   initargs=(listener.sink,))
        all_done = threading.Event()
        left = [len(tasks)]
        lock = threading.Lock()

        # Records arrive through the event pump; futures only say when the pool broke. They are
        # watched with done-callbacks (on the executor's manager thread) rather than by polling
        # wait(), which re-registers a waiter on every pending future per call and made 2,000
        # one-millisecond tasks nearly twice as slow as the bare executor.
        def report(fut: Future[None], inst: TaskInstance) -> None:
            if fut.cancelled() or ctx.cancel.is_set():
                pass  # never ran, or we ended its worker: the runner marks it cancelled
            elif isinstance(fut.exception(), BrokenProcessPool):
                ctx.lost([inst.id], f"worker process died; pool broken ({fut.exception()})")
            with lock:
                left[0] -= 1
                if not left[0]:
                    all_done.set()

        try:
            if ctx.warm:
                # Under spawn and forkserver the executor starts a process per submit while
                # none is idle; under fork it starts them all at the first submit.
                ctx.ready(*warm_workers(lambda: pool.submit(warm_up).result, ctx.workers,
                                        ctx.cancel))
            for inst in tasks:
                fut = pool.submit(run_in_worker, ctx.submit(inst))
                fut.add_done_callback(functools.partial(report, inst=inst))
            while not all_done.wait(0.05) and not ctx.cancel.is_set():
                pass
            # Every future is done; the listener may still be delivering the last records.
            while not ctx.all_done.wait(0.05) and not ctx.cancel.is_set():
                pass
        finally:
            if not all_done.is_set():
                # Kill first: shutdown() forgets the process table, and a running task would
                # otherwise finish its work before the worker saw the shutdown.
                end_pool_processes(pool)
            # Bounded: the executor's manager thread can wait on a queue a killed worker held.
            if not bounded(lambda: pool.shutdown(wait=True, cancel_futures=True), SHUTDOWN_S):
                end_pool_processes(pool)
                ctx.note(f"the process pool did not shut down within {SHUTDOWN_S:g} s; its "
                         "workers were killed")
            problem = listener.close()
            if problem:
                ctx.note(problem)
