"""``processes``: one ``multiprocessing.Process`` per task, all started at once.

This is the textbook "run_functions_in_parallel": every task pays a full process start (an
interpreter launch and imports under spawn), which the timeline shows as the gap between a
task's submit and its start.
"""

from __future__ import annotations

from multiprocessing.connection import wait as wait_any
from typing import Any

from engine.backends._child import EventPump, init_worker, mp_context
from engine.backends.base import Backend, RunContext
from engine.worker import run_task
from engine.workload import TaskInstance


def _process_main(inst: TaskInstance, events: Any) -> None:
    init_worker(events)
    events.put(run_task(inst, events.put))


class ProcessPerTaskBackend(Backend):
    name = "processes"
    summary = "one multiprocessing.Process per task, all started at once"
    uses_processes = True
    worker_per_task = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        mp: Any = mp_context(ctx.start_method)  # BaseContext's stubs omit Process
        pump = EventPump(mp, ctx.started, ctx.finished)
        procs: dict[int, Any] = {}
        try:
            for inst in tasks:
                if ctx.cancel.is_set():
                    break
                proc = mp.Process(target=_process_main, args=(ctx.submit(inst), pump.queue),
                                  name=f"corescope-task-{inst.id}", daemon=True)
                proc.start()
                procs[inst.id] = proc
            alive = dict(procs)
            while alive and not ctx.cancel.is_set():
                for sentinel in wait_any([p.sentinel for p in alive.values()], timeout=0.05):
                    for task_id, proc in list(alive.items()):
                        if proc.sentinel == sentinel:
                            proc.join()
                            del alive[task_id]
        finally:
            for proc in procs.values():
                if proc.is_alive():
                    proc.kill()
            for proc in procs.values():
                proc.join(timeout=5)
            # Every writer has exited, so the pump's sentinel lands behind their last record.
            pump.close()
            pending = set(ctx.pending_ids())
            for task_id, proc in procs.items():
                if proc.exitcode not in (0, None) and task_id in pending \
                        and not ctx.cancel.is_set():
                    ctx.lost([task_id], f"worker process {proc.pid} died "
                                        f"(exit code {proc.exitcode})")
