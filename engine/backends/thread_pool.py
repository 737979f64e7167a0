"""``thread-pool``: ``concurrent.futures.ThreadPoolExecutor`` with the workers setting."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from engine.backends.base import Backend, RunContext
from engine.records import TaskRecord
from engine.worker import run_task
from engine.workload import TaskInstance


def run_on_thread_pool(tasks: list[TaskInstance], ctx: RunContext, workers: int,
                       name: str) -> None:
    pool = ThreadPoolExecutor(workers, thread_name_prefix=f"corescope-{name}")

    def report(fut: Future[TaskRecord]) -> None:
        if not fut.cancelled():  # a cancelled future never ran: it was dropped as queued
            ctx.finished(fut.result())

    try:
        for inst in tasks:
            pool.submit(run_task, ctx.submit(inst), ctx.started, ctx.cancel).add_done_callback(
                report)
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

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        run_on_thread_pool(tasks, ctx, ctx.workers, "pool")
