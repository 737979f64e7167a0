"""``process-pool``: ``concurrent.futures.ProcessPoolExecutor`` with the workers setting.

A worker that dies breaks the whole executor (CPython raises ``BrokenProcessPool`` for every
unfinished future); CoreScope shows that as it is: the task on the dead worker and every task
still queued are marked lost, and the run ends.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from engine.backends._child import EventPump, init_worker, mp_context, run_in_worker
from engine.backends.base import Backend, RunContext
from engine.records import TaskRecord
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


class ProcessPoolBackend(Backend):
    name = "process-pool"
    summary = "concurrent.futures.ProcessPoolExecutor"
    uses_processes = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        mp = mp_context(ctx.start_method)
        pump = EventPump(mp, ctx.started)
        pool = ProcessPoolExecutor(ctx.workers, mp_context=mp, initializer=init_worker,
                                   initargs=(pump.queue,))
        try:
            futures: dict[Future[TaskRecord], TaskInstance] = {
                pool.submit(run_in_worker, ctx.submit(inst)): inst for inst in tasks
            }
            pending = set(futures)
            while pending and not ctx.cancel.is_set():
                done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        ctx.finished(fut.result())
                    except BrokenProcessPool as exc:
                        ctx.lost([futures[fut].id], f"worker process died; pool broken ({exc})")
        finally:
            if ctx.cancel.is_set() or pending:
                # Kill first: shutdown() forgets the process table, and a running task would
                # otherwise finish its work before the worker saw the shutdown.
                end_pool_processes(pool)
            pool.shutdown(wait=True, cancel_futures=True)
            pump.close()
