"""``asyncio``: one event loop; native coroutines where a task has one, the loop's executor
otherwise.

A task with a coroutine form (``sleep``, ``http``, a custom ``async def``) runs on the loop
thread itself, so every such task shares one thread and overlaps only while it awaits.
Everything else (a custom generator function too) is handed to ``loop.run_in_executor`` on a
thread pool, which is what asyncio code does with blocking calls.
Each record's ``mode`` and the run's notes say which path a task took.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from engine.backends.base import Backend, RunContext
from engine.backends.thread_pool import run_and_report
from engine.describe import type_name
from engine.tasks.registry import resolve_coroutine
from engine.worker import run_task_async
from engine.workload import TaskInstance


class AsyncioBackend(Backend):
    name = "asyncio"
    summary = "asyncio event loop (coroutines natively, other tasks via run_in_executor)"

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        native = [t for t in tasks if resolve_coroutine(t.ref) is not None]
        if native:
            ctx.note(f"{len(native)} of {len(tasks)} tasks ran as coroutines on the loop thread")
        if len(native) < len(tasks):
            ctx.note(f"{len(tasks) - len(native)} of {len(tasks)} tasks have no coroutine form "
                     f"and ran through loop.run_in_executor ({ctx.workers} threads)")
        pool = ThreadPoolExecutor(ctx.workers, thread_name_prefix="corescope-async")
        try:
            asyncio.run(self._main(tasks, ctx, pool))
            # After a cancel, executor threads still finish their current task (built-ins at
            # the next checkpoint) and report it themselves; or the user leaves them behind.
            ctx.drop_queued()
            ctx.all_done.wait()
        finally:
            pool.shutdown(wait=not ctx.abandoned, cancel_futures=True)

    async def _main(self, tasks: list[TaskInstance], ctx: RunContext,
                    pool: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        # The workers setting bounds how many tasks are in flight at once, as it does for pools.
        slots = asyncio.Semaphore(ctx.workers)

        async def one(inst: TaskInstance) -> None:
            async with slots:
                if ctx.cancel.is_set():
                    return
                if resolve_coroutine(inst.ref) is not None:
                    try:
                        record = await run_task_async(inst, ctx.started)
                    except BaseException as exc:  # noqa: BLE001 — as run_and_report does
                        ctx.lost([inst.id], f"CoreScope could not record this task "
                                            f"({type_name(exc)})")
                        return
                    ctx.finished(record)
                else:
                    # The executor thread reports its own record, so cancelling this coroutine
                    # (which cannot stop the thread) never loses it.
                    await loop.run_in_executor(pool, run_and_report, inst, ctx, "executor")

        jobs = [asyncio.ensure_future(one(ctx.submit(inst))) for inst in tasks]
        pending = set(jobs)
        while pending:
            _, pending = await asyncio.wait(pending, timeout=0.05)
            # Cancelled, or every task already has a final record (the runner gave up on the
            # executor tasks still running): stop waiting for the rest.
            if pending and (ctx.cancel.is_set() or ctx.all_done.is_set()):
                for job in pending:
                    job.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return
