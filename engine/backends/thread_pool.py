"""``thread-pool``: ``concurrent.futures.ThreadPoolExecutor`` with the workers setting."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from engine.backends.base import Backend, RunContext
from engine.backends.warm import warm_up, warm_workers
from engine.describe import type_name
from engine.worker import run_task
from engine.workload import TaskInstance


def run_and_report(inst: TaskInstance, ctx: RunContext, mode: str = "") -> None:
    """Run a task and report its end from the worker thread itself.

    Reporting here, rather than in a done-callback, keeps each worker's events in order: a
    callback may run in the submitting thread after the worker has already started its next
    task, and the timeline would briefly see one thread running two tasks.

    ``run_task`` never raises for what a task does; should recording itself fail, the task is
    still ended here (as lost): a task without a final record would keep the run waiting.
    """
    try:
        record = run_task(inst, ctx.started, ctx.cancel, mode=mode)
    except BaseException as exc:  # noqa: BLE001 — see the docstring
        ctx.lost([inst.id], f"CoreScope could not record this task ({type_name(exc)})")
        return
    ctx.finished(record)


def run_on_thread_pool(tasks: list[TaskInstance], ctx: RunContext, workers: int,
                       name: str) -> None:
    pool = ThreadPoolExecutor(workers, thread_name_prefix=f"corescope-{name}")
    try:
        if ctx.warm:
            # The executor starts a thread per submit while none is idle, up to ``workers``.
            ctx.ready(*warm_workers(lambda: pool.submit(warm_up).result, workers, ctx.cancel,
                                    by_thread=True))
        for inst in tasks:
            pool.submit(run_and_report, ctx.submit(inst), ctx)
        while not ctx.all_done.wait(0.05):
            if ctx.cancel.is_set():
                # Queued tasks never start; running ones stop at their next checkpoint.
                ctx.drop_queued()
    finally:
        # A thread running a task the runner gave up on cannot be joined in any useful time.
        pool.shutdown(wait=not ctx.abandoned, cancel_futures=True)


class ThreadPoolBackend(Backend):
    name = "thread-pool"
    summary = "concurrent.futures.ThreadPoolExecutor"
    warms = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        run_on_thread_pool(tasks, ctx, ctx.workers, "pool")
