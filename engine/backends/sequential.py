"""``sequential``: one task after another in the engine's run thread — the baseline."""

from __future__ import annotations

from engine.backends.base import Backend, RunContext
from engine.worker import run_task
from engine.workload import TaskInstance


class SequentialBackend(Backend):
    name = "sequential"
    summary = "one task after another in one thread (the baseline)"

    @classmethod
    def effective_workers(cls, requested: int, n_tasks: int) -> int:
        return 1

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        for inst in tasks:
            if ctx.cancel.is_set():
                return
            ctx.finished(run_task(ctx.submit(inst), ctx.started, ctx.cancel))
