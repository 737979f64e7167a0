"""``sequential``: one task after another on one worker thread — the baseline.

The tasks run on a worker thread rather than the engine's run thread so that a task which
hangs or ignores a cancel can be left behind like on any thread backend; the run thread itself
never runs user code.
"""

from __future__ import annotations

from engine.backends.base import Backend, RunContext
from engine.backends.thread_pool import run_on_thread_pool
from engine.workload import TaskInstance


class SequentialBackend(Backend):
    name = "sequential"
    summary = "one task after another in one thread (the baseline)"

    @classmethod
    def effective_workers(cls, requested: int, n_tasks: int) -> int:
        return 1

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        run_on_thread_pool(tasks, ctx, 1, "sequential")
