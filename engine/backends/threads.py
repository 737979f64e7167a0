"""``threads``: one ``threading.Thread`` per task, all started at once (the classic demo)."""

from __future__ import annotations

import threading

from engine.backends.base import Backend, RunContext
from engine.backends.thread_pool import run_and_report
from engine.workload import TaskInstance


class ThreadPerTaskBackend(Backend):
    name = "threads"
    summary = "one threading.Thread per task, all started at once"
    worker_per_task = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        threads = [
            threading.Thread(target=run_and_report, args=(ctx.submit(inst), ctx),
                             name=f"corescope-task-{inst.id}", daemon=True)
            for inst in tasks
        ]
        for t in threads:
            t.start()
        # Built-in tasks return at their next checkpoint after a cancel. A thread whose task
        # the runner gave up on (timeout, or left behind by the user) is not waited for.
        ctx.all_done.wait()
        if not ctx.abandoned:
            for t in threads:
                t.join()
