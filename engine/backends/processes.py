"""``processes``: one ``multiprocessing.Process`` per task, all started at once.

This is the textbook "run_functions_in_parallel": every task pays a full process start (an
interpreter launch and imports under spawn), which the timeline shows as the gap between a
task's submit and its start.
"""

from __future__ import annotations

import time
from multiprocessing.connection import wait as wait_any
from typing import Any

from engine.backends._child import init_worker, mp_context, run_in_worker
from engine.backends._socket_events import EventListener, EventSink
from engine.backends.base import Backend, RunContext
from engine.workload import TaskInstance

JOIN_S = 5.0  # a killed process is reaped in milliseconds; this bounds a wedged one


def _process_main(inst: TaskInstance, events: EventSink) -> None:
    init_worker(events)
    run_in_worker(inst)


class ProcessPerTaskBackend(Backend):
    name = "processes"
    summary = "one multiprocessing.Process per task, all started at once"
    uses_processes = True
    worker_per_task = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        mp: Any = mp_context(ctx.start_method)  # BaseContext's stubs omit Process
        listener = EventListener(ctx.started, ctx.finished)
        procs: dict[int, Any] = {}
        try:
            for inst in tasks:
                if ctx.cancel.is_set():
                    break
                proc = mp.Process(target=_process_main, args=(ctx.submit(inst), listener.sink),
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
            deadline = time.monotonic() + JOIN_S
            for proc in procs.values():
                proc.join(timeout=max(0.0, deadline - time.monotonic()))
            stuck = [p.pid for p in procs.values() if p.is_alive()]
            if stuck:
                ctx.note(f"worker process(es) {stuck} did not end within {JOIN_S:g} s of "
                         "being killed")
            # Every worker has exited: their connections hold all they sent.
            problem = listener.close()
            if problem:
                ctx.note(problem)
            pending = set(ctx.pending_ids())
            for task_id, proc in procs.items():
                if proc.exitcode not in (0, None) and task_id in pending \
                        and not ctx.cancel.is_set():
                    ctx.lost([task_id], f"worker process {proc.pid} died "
                                        f"(exit code {proc.exitcode})")
