"""``mp-pool``: ``multiprocessing.Pool`` with the workers setting.

Unlike ProcessPoolExecutor, a Pool whose worker dies replaces the worker and waits forever for
the lost task's result. CoreScope watches the pool's processes instead: the task that was running
on a worker that exited abnormally is marked lost and the rest of the run carries on.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

from engine.backends._child import bounded, in_background, init_worker, mp_context, run_in_worker
from engine.backends._socket_events import EventListener
from engine.backends.base import Backend, RunContext
from engine.backends.warm import warm_up, warm_workers
from engine.workload import TaskInstance


class MpPoolBackend(Backend):
    name = "mp-pool"
    summary = "multiprocessing.Pool"
    uses_processes = True
    warms = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        mp = mp_context(ctx.start_method)
        listener = EventListener(ctx.started, ctx.finished)
        pool = mp.Pool(ctx.workers, initializer=init_worker, initargs=(listener.sink,))
        try:
            if ctx.warm:  # the Pool starts every worker at once; each runs an empty task
                ctx.ready(*warm_workers(lambda: pool.apply_async(warm_up).get, ctx.workers,
                                        ctx.cancel))
            results = pool.imap_unordered(run_in_worker, [ctx.submit(i) for i in tasks])
            seen: dict[int, Any] = {}  # pid -> Process, every worker the pool ever had
            while ctx.remaining() and not ctx.cancel.is_set():
                try:
                    results.next(timeout=0.05)  # records come through the pump; this paces
                    continue
                except multiprocessing.TimeoutError:
                    pass
                except StopIteration:  # every task returned; the listener delivers the last ones
                    ctx.all_done.wait(5)
                    break
                current = {proc.pid: proc for proc in getattr(pool, "_pool", [])}
                seen.update(current)
                # A worker that died is reaped and replaced by the pool, so "not among the
                # current workers" is as telling as a non-zero exit code. A started event of a
                # task on a dead worker may still be in the pipe: checked again every pass.
                for task_id, pid in ctx.running().items():
                    proc = current.get(pid)
                    if proc is None or proc.exitcode not in (None, 0):
                        code = seen[pid].exitcode if pid in seen else "unknown"
                        ctx.lost([task_id], f"worker process {pid} died (exit code {code})")
        finally:
            problem = _terminate(pool)
            if problem:
                ctx.note(problem)
            problem = listener.close()
            if problem:
                ctx.note(problem)


def _terminate(pool: Any) -> str | None:
    """``pool.terminate()``, unstuck if a dead worker holds the pool's queue lock; bounded.

    An idle Pool worker waits for work while holding the task queue's read lock; one killed
    from outside at that moment (a SIGKILL from a task manager) never releases it, and
    ``terminate()`` waits for that lock forever. A multiprocessing Lock can be released by
    another process, so after a grace period we release it on the dead worker's behalf. If
    even that does not end it, the workers are killed and the problem returned as one line.
    """
    stopped = in_background(pool.terminate)
    if not stopped.wait(2):  # a healthy terminate() takes well under a second
        try:
            pool._inqueue._rlock.release()
        except (AttributeError, ValueError):
            pass  # not locked after all
        if not stopped.wait(5):
            _kill_workers(pool)
            return ("multiprocessing.Pool.terminate() did not return within 7 s; its workers "
                    "were killed")
    if not bounded(pool.join, 5):
        _kill_workers(pool)
        return "multiprocessing.Pool did not finish shutting down within 5 s; its workers " \
               "were killed"
    return None


def _kill_workers(pool: Any) -> None:
    for proc in list(getattr(pool, "_pool", [])):
        if proc.exitcode is None:
            proc.kill()
            proc.join(1)
