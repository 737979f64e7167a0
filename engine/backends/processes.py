"""``processes``: one ``multiprocessing.Process`` per task, all started at once.

This is the textbook "run_functions_in_parallel": every task pays a full process start (an
interpreter launch and imports under spawn), which the timeline shows as the gap between a
task's submit and its start.
"""

from __future__ import annotations

import time
from multiprocessing.connection import wait as wait_any
from typing import Any

# The process's target lives in _child, not here: a spawned process imports the module its
# target comes from, and this one would bring the Backend machinery along for nothing.
from engine.backends._child import mp_context, process_main
from engine.backends._socket_events import EventListener
from engine.backends.base import Backend, RunContext
from engine.workload import TaskInstance

JOIN_S = 5.0  # a killed process is reaped in milliseconds; this bounds a wedged one
DELIVER_S = 2.0  # an accept takes microseconds; this bounds it (and a task that os._exit(0)s)


def _await_records(ctx: RunContext, procs: dict[int, Any]) -> None:
    """Wait, bounded, for the record of every task whose process exited cleanly.

    Such a process sent its record before it exited, but its connection may still wait in the
    listener's backlog: on a busy machine the accept thread can be slower than a worker that
    connects, runs a 1 ms task and exits. Closing the listener then would drop the connection
    unread and the task would read as lost (seen once in 15 runs with two cores loaded).
    """
    deadline = time.monotonic() + DELIVER_S
    clean = {task_id for task_id, proc in procs.items() if proc.exitcode == 0}
    while not ctx.cancel.is_set() and time.monotonic() < deadline:
        if not clean.intersection(ctx.pending_ids()):
            return
        time.sleep(0.005)


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
                proc = mp.Process(target=process_main, args=(ctx.submit(inst), listener.sink),
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
            _await_records(ctx, procs)
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
