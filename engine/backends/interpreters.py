"""``interpreters``: a pool of subinterpreters, each with its own GIL, inside this one process.

Pure-Python CPU work scales like processes, without a process start. Two implementations of
the same executor are used, whichever this Python has: ``concurrent.futures.
InterpreterPoolExecutor`` (3.14+), else the ``interpreters-pep-734`` backport from PyPI
(3.13; its 0.5 release needs 3.13's ``_interpreters`` module, so 3.12 has neither).

Subinterpreters share no Python objects: a worker cannot reach the engine's event buffer or
its cancel event. Events go down one connection per subinterpreter, as from worker processes
(``_socket_events``); the cancel is a file every interpreter can look at (``RunFlag``).

    engine (main interpreter)                      subinterpreter (one per pool thread)
    ┌─────────────────────────────────────┐        ┌─────────────────────────────────────┐
    │ EventListener (read thread) ◄───────┼─ conn ─┼── TaskStarted (before the call)     │
    │   ├► ctx.started / ctx.finished ◄───┼────────┼── TaskRecord (after the call)       │
    │ done-callback ◄─────────────────────┼ future ┼── the TaskRecord again (fallback)    │
    │ cancel: remove the RunFlag file ────┼─ file ─┼─► checkpoint() sees it gone         │
    └─────────────────────────────────────┘        └─────────────────────────────────────┘

Functions reach a subinterpreter by pickle, by module and name: ``_interp_worker`` is imported
there afresh, so each pool's interpreters first get this interpreter's ``sys.path`` (a custom
task's module must be importable there as here). A task that never returns cannot be stopped
(like a thread); the runner gives up on it at its timeout or when the user abandons it, and the
pool is then left to finish without being waited for.
"""

from __future__ import annotations

import concurrent.futures
import functools
import importlib
import os
import shutil
import sys
import tempfile
from concurrent.futures import Future
from typing import Any

from engine.backends._child import bounded
from engine.backends._interp_worker import RunFlag, run_in_interpreter
from engine.backends._socket_events import TEMP_PREFIX, EventListener
from engine.backends.base import Availability, Backend, RunContext
from engine.backends.warm import warm_up_with, warm_workers
from engine.describe import describe_error
from engine.records import TaskRecord
from engine.workload import TaskInstance

BACKPORT = "interpreters-pep-734"
_BACKPORT_MODULE = "interpreters_backport.concurrent.futures.interpreter"

# A healthy shutdown ends idle subinterpreters in milliseconds; one running a task the runner
# has not given up on can only be waited for, so this bounds the wait, not the task.
SHUTDOWN_S = 10.0


@functools.lru_cache(maxsize=1)
def implementation() -> tuple[Any, str]:
    """(executor class, what it is) when one exists here; else (None, why not)."""
    version = sys.version.split()[0]
    # Looked up by name: the class exists only on 3.14+, and the type checker targets 3.10.
    stdlib = getattr(concurrent.futures, "InterpreterPoolExecutor", None)
    if stdlib is not None:
        return stdlib, "concurrent.futures.InterpreterPoolExecutor (3.14)"
    if sys.version_info >= (3, 14):
        return None, f"this Python {version} build has no InterpreterPoolExecutor"
    if sys.version_info < (3, 13):
        return None, (f"needs Python 3.14+, or 3.13 with the {BACKPORT} backport; "
                      f"this is {version}")
    try:
        backport = importlib.import_module(_BACKPORT_MODULE)
    except ImportError as exc:
        return None, (f"needs Python 3.14+, or the {BACKPORT} backport on this {version} "
                      f"(pip install {BACKPORT}; import failed: {exc})")
    return backport.InterpreterPoolExecutor, f"{BACKPORT} backport (Python {version})"


def path_setup() -> str:
    """Source that gives a new subinterpreter this interpreter's import path.

    A subinterpreter starts from the path Python computed at start-up, without what was added
    since (the test suite's root, an app's own folder). Run with ``exec`` as the pool's
    initializer: a builtin pickles by name, so it needs nothing importable to get there.
    """
    paths = [p for p in sys.path if isinstance(p, str)]
    return f"import sys\nsys.path[:0] = [p for p in {paths!r} if p not in sys.path]\n"


def _collect(fut: Future[TaskRecord], inst: TaskInstance, ctx: RunContext) -> None:
    """The pool's answer for one task: its record, or why the interpreter could not run it.

    The record usually arrived already down the connection (the first report wins). A failure
    here is the machinery's, never the task's (``run_task`` records what a task does): an
    interpreter that could not start, or a module it could not import.
    """
    if fut.cancelled():
        return  # dropped at a cancel before it started: the runner marks it cancelled
    exc = fut.exception()
    if exc is None:
        ctx.finished(fut.result())
        return
    err = describe_error(exc)
    ctx.lost([inst.id], f"the subinterpreter could not run this task ({err.type}: "
                        f"{err.message})")


class InterpreterPoolBackend(Backend):
    name = "interpreters"
    warms = True
    summary = ("subinterpreters, one GIL each: "
               + (implementation()[1] if implementation()[0] is not None else
                  "concurrent.futures.InterpreterPoolExecutor (3.14) or the "
                  f"{BACKPORT} backport (3.13)"))

    @classmethod
    def availability(cls) -> Availability:
        executor, what = implementation()
        return Availability(True) if executor is not None else Availability(False, what)

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        executor, what = implementation()
        assert executor is not None, what  # the runner checks availability first
        ctx.note(f"subinterpreters from the {what}")
        flag_dir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
        flag = RunFlag(os.path.join(flag_dir, "running"))
        open(flag.path, "x").close()
        listener = EventListener(ctx.started, ctx.finished)
        pool: Any = None
        try:
            pool = executor(ctx.workers, thread_name_prefix="corescope-interp",
                            initializer=exec, initargs=(path_setup(), {}))
            if ctx.warm:  # one interpreter per worker thread: each is told apart by thread
                ctx.ready(*warm_workers(
                    lambda: pool.submit(warm_up_with, run_in_interpreter.__module__).result,
                    ctx.workers, ctx.cancel, by_thread=True))
            for inst in tasks:
                try:
                    fut = pool.submit(run_in_interpreter, ctx.submit(inst), listener.sink, flag)
                except Exception as exc:  # noqa: BLE001 — the backport pickles at submit
                    err = describe_error(exc)
                    ctx.lost([inst.id], f"could not hand this task to a subinterpreter "
                                        f"({err.type}: {err.message})")
                    continue
                fut.add_done_callback(functools.partial(_collect, inst=inst, ctx=ctx))
            while not ctx.all_done.wait(0.05):
                if ctx.cancel.is_set():
                    _lower(flag)  # running tasks stop at their next checkpoint
                    ctx.drop_queued()
        finally:
            _lower(flag)
            if pool is not None:
                self._shut_down(pool, ctx)
            # Every task has its record (from the connection or the future): nothing to drain.
            problem = listener.close(drain_s=0.0)
            if problem:
                ctx.note(problem)
            shutil.rmtree(flag_dir, ignore_errors=True)

    @staticmethod
    def _shut_down(pool: Any, ctx: RunContext) -> None:
        if ctx.abandoned:
            # A task the runner gave up on holds its thread (and its interpreter) until its
            # code returns; waiting would hang the run. The thread ends itself afterwards.
            pool.shutdown(wait=False, cancel_futures=True)
            return
        if not bounded(lambda: pool.shutdown(wait=True, cancel_futures=True), SHUTDOWN_S):
            ctx.note(f"the subinterpreter pool did not shut down within {SHUTDOWN_S:g} s; "
                     "its threads are left to finish in the background")


def _lower(flag: RunFlag) -> None:
    try:
        os.unlink(flag.path)
    except FileNotFoundError:
        pass
