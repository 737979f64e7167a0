"""``asyncio``: one event loop; native coroutines where a task has one, the loop's executor
otherwise.

A task with a coroutine form (``sleep``, ``http``, a custom ``async def``) runs on the loop
thread itself, so every such task shares one thread and overlaps only while it awaits. All of
them are in flight at once, whatever the workers setting: waiting without a thread per wait is
asyncio's point, and capping the coroutines at ``workers`` made 8 × sleep(0.5) take 2 s on 2
workers, the very queueing an event loop avoids.
Everything else (a custom generator function too) is handed to ``loop.run_in_executor`` on a
thread pool of ``workers`` threads, which is what asyncio code does with blocking calls: the
workers setting limits only those.
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
    summary = ("asyncio event loop: all coroutines at once; other tasks via run_in_executor "
               "(the workers setting)")
    cold_because = "runs its coroutines on an event loop that has no workers to start"

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        native = sum(resolve_coroutine(t.ref) is not None for t in tasks)
        for text in _notes(native, len(tasks), ctx.workers):
            ctx.note(text)
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

        # No semaphore: every coroutine task starts at once (see the module docstring), and
        # the pool's own size queues the plain functions, as a thread pool's backend does.
        async def one(inst: TaskInstance) -> None:
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
                # (which cannot stop the thread) never loses it; one still queued in the pool
                # is cancelled with it and ends as cancelled through drop_queued.
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


def _notes(native: int, total: int, workers: int) -> list[str]:
    """What the run's notes say about which tasks were coroutines and what workers limited."""
    threads = f"{workers} thread{'' if workers == 1 else 's'}"
    plain = total - native
    if native == 0:
        return [f"asyncio: none of the {total} tasks has a coroutine form, so all ran through "
                f"loop.run_in_executor on {threads} (the workers setting)"]
    if native == 1:
        ran = "the one task with a coroutine form ran as a coroutine"
    else:
        every = "both" if native == 2 else f"all {native}"
        ran = f"{every} tasks with a coroutine form ran as coroutines, in flight at once,"
    notes = [f"asyncio: {ran} on the loop thread; workers ({workers}) limits only the thread "
             "executor for plain functions"]
    if plain:
        notes.append(f"{plain} of {total} tasks have no coroutine form and ran through "
                     f"loop.run_in_executor on {threads}")
    return notes
