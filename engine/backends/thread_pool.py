"""``thread-pool``: ``concurrent.futures.ThreadPoolExecutor`` with the workers setting."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait

from engine.backends.base import Backend, RunContext
from engine.records import TaskRecord
from engine.worker import run_task
from engine.workload import TaskInstance


class ThreadPoolBackend(Backend):
    name = "thread-pool"
    summary = "concurrent.futures.ThreadPoolExecutor"

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        with ThreadPoolExecutor(ctx.workers, thread_name_prefix="corescope-pool") as pool:
            futures = [pool.submit(run_task, ctx.submit(inst), ctx.started, ctx.cancel)
                       for inst in tasks]
            def report(fut: Future[TaskRecord]) -> None:
                if not fut.cancelled():  # a cancelled future never ran: the runner marks it
                    ctx.finished(fut.result())

            for fut in futures:
                fut.add_done_callback(report)
            pending = set(futures)
            while pending:
                pending = wait(pending, timeout=0.05).not_done
                if pending and ctx.cancel.is_set():
                    # Queued tasks never start; running ones stop at their next checkpoint.
                    pool.shutdown(wait=True, cancel_futures=True)
                    return
