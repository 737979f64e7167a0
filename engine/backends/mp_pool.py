"""``mp-pool``: ``multiprocessing.Pool`` with the workers setting.

Unlike ProcessPoolExecutor, a Pool whose worker dies replaces the worker and waits forever for
the lost task's result. CoreScope watches the pool's processes instead: the task that was running
on a worker that exited abnormally is marked lost and the rest of the run carries on.
"""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

from engine.backends._child import EventPump, init_worker, mp_context, run_in_worker
from engine.backends.base import Backend, RunContext
from engine.workload import TaskInstance


class MpPoolBackend(Backend):
    name = "mp-pool"
    summary = "multiprocessing.Pool"
    uses_processes = True

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        mp = mp_context(ctx.start_method)
        pump = EventPump(mp, ctx.started, ctx.finished)
        pool = mp.Pool(ctx.workers, initializer=init_worker, initargs=(pump.queue,))
        try:
            results = pool.imap_unordered(run_in_worker, [ctx.submit(i) for i in tasks])
            seen: dict[int, Any] = {}  # pid -> Process, every worker the pool ever had
            while ctx.remaining() and not ctx.cancel.is_set():
                try:
                    results.next(timeout=0.05)  # records come through the pump; this paces
                    continue
                except multiprocessing.TimeoutError:
                    pass
                except StopIteration:  # every task returned; the pump delivers the last records
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
            _terminate(pool)
            pump.close()


def _terminate(pool: Any) -> None:
    """``pool.terminate()``, unstuck if a dead worker holds the pool's queue lock.

    An idle Pool worker waits for work while holding the task queue's read lock; one killed
    from outside at that moment (a SIGKILL from a task manager) never releases it, and
    ``terminate()`` waits for that lock forever. A multiprocessing Lock can be released by
    another process, so after a grace period we release it on the dead worker's behalf.
    """
    stopper = threading.Thread(target=pool.terminate, name="corescope-pool-stop", daemon=True)
    stopper.start()
    stopper.join(2)  # a healthy terminate() takes well under a second
    if stopper.is_alive():
        try:
            pool._inqueue._rlock.release()
        except (AttributeError, ValueError):
            pass  # not locked after all
        stopper.join(5)
    pool.join()
