"""``joblib``: ``joblib.Parallel`` on its default loky executor — what many users reach for.

loky starts and reuses its own worker processes, so they cannot inherit a pipe from us: events
come back over a local socket (``_socket_events``). loky keeps its workers alive for reuse
between calls; CoreScope ends them after every run so nothing is left running.

A worker that dies makes joblib abort the whole call (``TerminatedWorkerError``), as
ProcessPoolExecutor does: the task on the dead worker and every task not yet finished are
marked lost.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
import time

from engine.backends._child import (
    SETTLE_S,
    bounded,
    hangup_blocked,
    init_worker,
    run_in_worker,
    wait_idle,
)
from engine.backends._socket_events import EventListener
from engine.backends.base import Availability, Backend, RunContext
from engine.workload import TaskInstance


def _spawn_in_own_session(cmd: list[str], keep_fds: list[int],
                          env: dict[str, str] | None = None) -> int:
    """loky's ``fork_exec``, but the worker starts in a session of its own.

    A Ctrl-C in the terminal reaches the whole foreground process group. Our initializer makes
    a loky worker ignore SIGINT, but only once joblib is imported in it (~0.3 s on a loaded
    machine): a Ctrl-C before that printed a worker's KeyboardInterrupt traceback beside the
    CLI's one line. In a session of its own no terminal signal reaches the worker at all; the
    engine ends workers itself, and each one watches its parent in case the app dies.
    ``posix_spawn`` keeps exactly the inheritable descriptors, so the ones loky passes are
    marked inheritable for the spawn and put back after it.
    """
    was = {fd: os.get_inheritable(fd) for fd in keep_fds}
    try:
        for fd in keep_fds:
            os.set_inheritable(fd, True)
        return os.posix_spawn(cmd[0], cmd, {**os.environ, **(env or {})}, setsid=True)
    finally:
        for fd, inheritable in was.items():
            with contextlib.suppress(OSError):
                os.set_inheritable(fd, inheritable)


def _start_workers_in_own_session() -> None:
    # loky imports fork_exec from this module at each worker start, so replacing the module's
    # function is enough; only where posix_spawn can start a new session (Linux, Python 3.8+).
    if not hasattr(os, "posix_spawn"):
        return
    from joblib.externals.loky.backend import fork_exec

    fork_exec.fork_exec = _spawn_in_own_session


# loky's manager thread can die of a KeyError when its executor is shut down while the thread
# is queueing a work item: a race in loky itself (pending_work_items is cleared under it;
# joblib/loky PR 663 describes it). Nothing is lost — the engine ends that run's workers and
# marks its unfinished tasks cancelled — but Python would print the thread's traceback into the
# presenter's terminal, about 3 times in 100 cancels (bench/stress.py). Only that case is kept
# quiet: a loky manager thread, a KeyError, its executor already flagged as shutting down.
_previous_hook = threading.excepthook  # what the filter hands every other case to


def _quiet_loky_shutdown_race(args: threading.ExceptHookArgs) -> None:
    thread = args.thread
    flags = getattr(thread, "executor_flags", None)
    if (type(thread).__name__ == "_ExecutorManagerThread"
            and type(thread).__module__.endswith("loky.process_executor")
            and args.exc_type is KeyError and getattr(flags, "shutdown", False)):
        import logging

        logging.getLogger(__name__).debug("loky's manager thread ended with KeyError %s "
                                          "after its executor was shut down", args.exc_value)
        return
    _previous_hook(args)


def _expect_loky_shutdowns() -> None:
    # Checked every run, not once: whoever set the hook after us (pytest does, per test) may
    # since have put its own back.
    global _previous_hook
    if threading.excepthook is not _quiet_loky_shutdown_race:
        _previous_hook = threading.excepthook
        threading.excepthook = _quiet_loky_shutdown_race


def _kill_loky_workers() -> None:
    """End loky's reusable workers (they outlive a call by design)."""
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor  # the one Parallel used; None if it never started
    if executor is None:
        return
    # joblib's MemmappingExecutor.terminate also deletes and unregisters its temporary folder,
    # which a plain shutdown leaves for the tracker to "clean up" with a warning.
    terminate = getattr(executor, "terminate", None)
    if terminate is not None:
        terminate(kill_workers=True)
    else:
        executor.shutdown(wait=True, kill_workers=True)
    # loky keeps the shut-down executor in a module global until the next call replaces it,
    # and with it the executor's semaphores; finalised later (in another run), they would
    # restart loky's tracker as a new child process. Drop it so they go now.
    with reusable_executor._executor_lock:
        if reusable_executor._executor is executor:
            reusable_executor._executor = None
            reusable_executor._executor_kwargs = None


_runs_active = 0
_guard_installed = False


def _guard_late_unregisters() -> None:
    """Make a loky semaphore finalised after its run a no-op for the tracker.

    loky's semaphores unregister themselves from its resource tracker when garbage-collected,
    and an unregister (re)starts the tracker if none runs. One collected after CoreScope
    stopped the tracker (the run is over) would start a fresh tracker process that lingers as
    a child of the app, only to report that it never heard of that semaphore. Between joblib
    runs there is no tracker to tell, so the call is dropped; during a run it goes through.
    """
    global _guard_installed
    if _guard_installed:
        return
    from joblib.externals.loky.backend import resource_tracker

    original = resource_tracker.unregister

    def unregister(name: str, rtype: str) -> None:
        if _runs_active:
            original(name, rtype)

    resource_tracker.unregister = unregister
    _guard_installed = True


def _start_loky_tracker_quietly() -> None:
    """Start loky's resource tracker with its stderr on the null device.

    After a worker is killed (the crash task) the tracker prints tracebacks about semaphores it
    no longer knows; they are loky's housekeeping, not the user's problem, and CoreScope's
    stderr carries one line per real problem. The tracker takes its stderr from fd 2 when it is
    spawned, so fd 2 points at the null device for the moment of that spawn only.
    """
    from joblib.externals.loky.backend import resource_tracker

    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        with hangup_blocked():  # and out of reach of a closing terminal's SIGHUP
            resource_tracker.ensure_running()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    pid = getattr(resource_tracker._resource_tracker, "_pid", None)
    if pid:
        wait_idle(pid, time.monotonic() + SETTLE_S)


def _stop_loky_tracker() -> None:
    """Stop loky's resource tracker process. Every loky semaphore must be gone first (a late
    finaliser would start a new tracker), hence the collect."""
    import gc
    import multiprocessing

    from joblib.externals.loky.backend import resource_tracker

    # A worker killed by a crash stays in multiprocessing's table of children, holding a lock
    # of its pool, until someone asks who is still alive; asking reaps it.
    multiprocessing.active_children()
    gc.collect()
    stop = getattr(getattr(resource_tracker, "_resource_tracker", None), "_stop", None)
    if stop is not None:
        try:
            stop()
        except (OSError, ChildProcessError):
            pass


class JoblibBackend(Backend):
    name = "joblib"
    summary = "joblib.Parallel on its default loky executor"
    uses_processes = True
    # Parallel starts its loky workers itself, from settings of its own: a pool started here
    # beforehand would not be the one it uses.
    cold_because = "starts its loky workers inside joblib.Parallel, not before it"
    takes_start_method = False

    @classmethod
    def availability(cls) -> Availability:
        if importlib.util.find_spec("joblib") is None:
            return Availability(False, "joblib is not installed (pip install joblib)")
        return Availability(True)

    @classmethod
    def prepare(cls) -> None:
        import warnings

        global _runs_active
        _runs_active += 1  # first: finish() undoes it whatever fails below
        import joblib  # noqa: F401 — ~0.2 s the first time

        _start_workers_in_own_session()
        _guard_late_unregisters()
        # loky's tracker starts here, before the clock, and is idle when the clock starts: the
        # engine stops it after every run ("leave nothing running"), and a helper starting
        # inside the run would take its start from the workers (as multiprocessing's helpers,
        # engine.backends._child.helpers_settle). Stopping it is finish()'s, after the clock:
        # it took 0.10–0.12 s (gc.collect and the tracker's exit) of a 1.8 s run's wall.
        _start_loky_tracker_quietly()

        # A cancel closes joblib's result generator, and joblib warns that tasks "have been
        # cancelled ... adjust the input task iterator": advice for a different program. The
        # run's own report already says which tasks were cancelled.
        warnings.filterwarnings("ignore", message=r".*(tasks which were still being processed"
                                r"|tasks have been successfully executed\s+but not used)",
                                category=UserWarning, module=r"joblib\.parallel")

    @classmethod
    def finish(cls) -> None:
        global _runs_active
        _runs_active -= 1
        if not _runs_active:
            _stop_loky_tracker()

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        from joblib import Parallel, delayed

        if ctx.start_method not in (None, "spawn"):
            ctx.note(f"joblib's loky starts workers its own way; start method "
                     f"{ctx.start_method!r} does not apply")
        _expect_loky_shutdowns()
        listener = EventListener(ctx.started, ctx.finished)
        failure: list[str] = []  # the error's name only: a kept exception's traceback would
        # keep loky's pool (and its semaphores) alive past the tracker's stop

        def drive() -> None:
            # The result generator blocks between results, so it gets a thread of its own and
            # the run thread stays free to notice a cancel.
            try:
                calls = (ctx.submit(inst) for inst in tasks)
                # The initializer runs as each loky worker starts: the parent watch (loky's
                # own notices a dead parent only between tasks), terminal signals left to the
                # engine, and the worker's event connection — before any task, so a worker
                # killed before its first task cannot outlive the app.
                setup = {"initializer": init_worker, "initargs": (listener.sink,)}
                if ctx.workers == 1:
                    # Parallel(n_jobs=1) runs every task in the calling process — here, the
                    # app itself. One loky worker process keeps this a process backend.
                    from joblib.externals.loky import get_reusable_executor

                    pool = get_reusable_executor(max_workers=1, **setup)
                    for fut in [pool.submit(run_in_worker, inst) for inst in calls]:
                        fut.result()
                        if ctx.cancel.is_set():
                            return
                    return
                # max_nbytes=None: no memmapping folder (our arguments are small), so nothing
                # is left in /dev/shm for loky's tracker to complain about.
                from joblib.parallel import LokyBackend

                results = Parallel(n_jobs=ctx.workers, backend=LokyBackend(**setup),
                                   max_nbytes=None, return_as="generator_unordered")(
                    delayed(run_in_worker)(inst) for inst in calls)
                for _ in results:
                    if ctx.cancel.is_set():
                        return
            except BaseException as exc:  # noqa: BLE001 — reported below, from the run thread
                failure.append(type(exc).__name__)

        driver = threading.Thread(target=drive, name="corescope-joblib", daemon=True)
        driver.start()
        try:
            while driver.is_alive() and not ctx.cancel.is_set():
                driver.join(0.05)
        finally:
            if not ctx.cancel.is_set():
                driver.join(timeout=10)
            # After a cancel this also ends the blocked driver. Bounded like every wait on the
            # cancel path: loky survives killed workers, but the run must end regardless.
            if not bounded(_kill_loky_workers, 15):
                ctx.note("loky's executor did not shut down within 15 s")
            driver.join(timeout=10)
            problem = listener.close()
            if problem:
                ctx.note(problem)
        if failure and not ctx.cancel.is_set():
            reason = f"worker process died; joblib aborted the run ({failure[0]})"
            ctx.lost(list(ctx.running()), reason)
            ctx.lost(ctx.pending_ids(), "not run: joblib aborted the whole call "
                                        "after a worker died")
