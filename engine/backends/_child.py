"""Plumbing shared by the process backends: start methods, worker set-up, helper processes.

Live events travel from each worker to the engine over a connection of its own
(``_socket_events``): no lock or queue is shared between a killable worker and the engine.

    engine process                                   worker process (spawn/forkserver)
    ┌───────────────────────────────────┐            ┌──────────────────────────────────┐
    │ EventListener (read thread) ◄─────┼─ own conn ─┼── TaskStarted (before the call)  │
    │   ├► ctx.started(event)           │            │   run_task(inst)                 │
    │   └► ctx.finished(record) ◄───────┼────────────┼── TaskRecord (after the call)    │
    │ backend thread ◄──────────────────┼─ future ───┼── None (pool bookkeeping only)   │
    └───────────────────────────────────┘            └──────────────────────────────────┘

``process-pool`` differs: a task arrives as its template's number (``run_template``), its start
goes on the worker's start board (``_socket_events``), its record comes back as the future's
result (``run_returning_record``), and the backend puts each worker's events back in order.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

from engine import wire
from engine.backends._socket_events import EventSink
from engine.backends.start_methods import default_start_method
from engine.tasks import TaskRef
from engine.worker import run_task
from engine.workload import TaskInstance

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

#: What the instances of one workload item share: name, reference, parameters, timeout.
Template = tuple[str, TaskRef, "Mapping[str, Any]", "float | None"]

_events: EventSink | None = None  # where this worker sends its events, set by init_worker
_templates: tuple[Template, ...] = ()  # the run's tasks less what differs per instance


# What every CoreScope worker imports before its first task (the engine's records, tasks and
# event sink: ~7 ms of imports since they stopped being dataclasses). A fork server imports
# them once, so that each worker it forks starts with them loaded, as a bare forkserver worker
# starts with nothing to import; ``__main__`` is multiprocessing's own default. Harmless under
# spawn.
FORKSERVER_PRELOAD = ["__main__", "engine.backends._child"]


def _preload_in_forkserver() -> None:
    """Set before the fork server starts; a server already running keeps what it loaded."""
    from multiprocessing import forkserver

    forkserver.set_forkserver_preload(FORKSERVER_PRELOAD)


def mp_context(method: str | None) -> multiprocessing.context.BaseContext:
    method = method or default_start_method()
    if method == "forkserver":
        _preload_in_forkserver()
    return multiprocessing.get_context(method)


_watching = False


def watch_parent(poll_s: float = 0.5) -> None:
    """End this worker when the process that started it dies, so a killed app leaves no orphan
    burning a core.

    A thread polls the parent pid rather than Linux's PR_SET_PDEATHSIG: that signal fires when
    the *thread* that created the worker exits, and multiprocessing.Pool creates replacement
    workers from a helper thread that exits at ``terminate()`` — killing a worker that may hold
    the pool's queue lock, which then hangs ``terminate()`` forever (seen in this suite). The
    poll costs one syscall every half second. Under forkserver the parent is the fork server,
    which itself exits when the app dies.
    """
    global _watching
    if _watching:
        return
    _watching = True
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="corescope-parent-watch", daemon=True).start()


def in_background(call: Callable[[], object], name: str = "corescope-stop") -> threading.Event:
    """Start ``call`` in a daemon thread; the returned event is set when it has returned."""
    done = threading.Event()

    def target() -> None:
        try:
            call()
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    return done


def bounded(call: Callable[[], object], timeout_s: float) -> bool:
    """Run ``call`` and wait at most ``timeout_s``; True if it returned in time.

    For library calls on the cancel path that can wait on state a killed worker left behind
    (a pool's queue lock): the run must end whatever happens, and the caller reports what did
    not. The call goes on in its daemon thread if it is late.
    """
    return in_background(call).wait(timeout_s)


#: What a terminal sends its whole foreground process group: Ctrl-C, and SIGHUP as it closes.
TERMINAL_SIGNALS = ("SIGINT", "SIGHUP")


@contextlib.contextmanager
def signals_blocked(names: tuple[str, ...] = TERMINAL_SIGNALS) -> Iterator[None]:
    """Block these signals in this thread; every process and thread started inside is born
    with them blocked.

    A blocked signal stays blocked in a process started from this thread (the mask survives
    fork and exec) and in a thread started from it, and Python's start-up leaves the mask as
    it is. The run thread runs inside this block (engine.run.runner), so a worker is out of
    reach of a terminal's signals from its first instruction, not only once its initializer
    runs: a Ctrl-C while dask's spawned workers were still importing ``multiprocessing.spawn``
    printed their KeyboardInterrupt tracebacks beside the CLI's one line (seen beside two busy
    loops, where a worker took over 2 s to start). Whoever is outside the block (the CLI's main
    thread, the window's) still takes the signal and cancels the run. A no-op where threads
    have no signal mask (Windows).
    """
    import signal

    sigs = {s for s in (getattr(signal, n, None) for n in names) if s is not None}
    if not sigs or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        # The whole mask as it was, not "unblock what we blocked": up to Python 3.13,
        # multiprocessing's resource tracker unblocks SIGINT and SIGTERM in the thread that
        # starts it whatever they were, which left the run thread's later workers unshielded.
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def hangup_blocked() -> contextlib.AbstractContextManager[None]:
    """Start helper processes inside this block to make them immune to a terminal's SIGHUP.

    multiprocessing's resource tracker and fork server, and loky's tracker, ignore Ctrl-C but
    not SIGHUP, which a closing terminal sends to the whole process group: they died of it,
    and the tracker's death printed warnings and KeyError tracebacks on the user's terminal.
    These helpers unblock only SIGINT and SIGTERM. The engine answers SIGHUP itself and then
    ends the helpers. In the run thread the block also puts back its SIGINT, which starting the
    resource tracker unblocks (``signals_blocked`` restores the whole mask).
    """
    return signals_blocked(("SIGHUP",))


def ignore_terminal_signals() -> None:
    """Leave Ctrl-C and a closed terminal to the engine (in a worker's main thread).

    A terminal sends SIGINT (and SIGHUP when it closes) to its whole foreground process
    group, workers included. The engine answers by cancelling the run and ending the workers
    itself; a worker that also raised KeyboardInterrupt would print a traceback, record a bogus
    task error, or, in multiprocessing.Pool, wedge the pool. The worker was born with them
    blocked (``signals_blocked``); once ignored they are unblocked, so that what its tasks
    start sees the usual mask (a signal that came meanwhile is dropped, being ignored).
    """
    import signal

    sigs = set()
    for name in TERMINAL_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)
            sigs.add(sig)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, sigs)


def init_worker(events: EventSink, templates: tuple[Template, ...] = ()) -> None:
    """Pool initializer: runs once in each worker process, before its first task.

    ``templates``: see ``templates_of``; ``run_template`` needs them."""
    global _events, _templates
    ignore_terminal_signals()
    watch_parent()
    _events = events
    _templates = templates
    events.connect()


MAX_TEMPLATES = 256  # more distinct items than this: whole instances are sent instead


def templates_of(tasks: list[TaskInstance]) -> tuple[tuple[Template, ...], list[int] | None]:
    """The run's tasks as templates (each sent to every worker once, by ``init_worker``) and
    each task's template; (``()``, None) if there are more than ``MAX_TEMPLATES``.

    A pool pickles every task it hands out, on the engine's side (its feeder thread), on the
    cores the workers need: a whole instance (its name, reference and parameters) took ~11 µs
    and 140 bytes, against ~4 µs and ~60 bytes for a template's number, the task's id, index
    and submit time (``run_template``). Instances of one workload item share one parameter
    mapping (``Workload.instances``), so the mapping's identity tells templates apart.
    """
    numbers: dict[tuple[str, TaskRef, int, float | None], int] = {}
    table: list[Template] = []
    keys: list[int] = []
    for inst in tasks:
        key = (inst.name, inst.ref, id(inst.params), inst.timeout_s)
        number = numbers.get(key)
        if number is None:
            if len(table) == MAX_TEMPLATES:
                return (), None
            number = numbers[key] = len(table)
            table.append((inst.name, inst.ref, inst.params, inst.timeout_s))
        keys.append(number)
    return tuple(table), keys


def run_in_worker(inst: TaskInstance) -> None:
    """What pools call in the worker process (top level, so it pickles by reference).

    The record goes down the same pipe as the "started" event, not back as the pool's
    result: one pipe per worker keeps that worker's events in order, so the engine never sees
    the next task start on a worker before the previous one ended there.
    """
    assert _events is not None, "init_worker did not run in this process"
    _events.put(run_task(inst, _events.put))


def run_returning_record(inst: TaskInstance) -> tuple[Any, ...]:
    """What ``process-pool`` calls in the worker: "started" is posted at once (live bars, and
    which task a dying worker held; see ``_socket_events``' start boards), the record comes
    back as the pool's own result, as a tuple of built-ins (``engine.wire.pack``).

    The pool sends a result message per task anyway; carrying the record in it spares each
    task one message on the event connection and the engine one read and wake-up for it. The
    engine puts the two paths back in order per worker (``process_pool.InOrder``).
    """
    assert _events is not None, "init_worker did not run in this process"
    return wire.pack(run_task(inst, _events.put))


def run_template(template: int, task_id: int, index: int, submitted: float) -> tuple[Any, ...]:
    """``run_returning_record`` for a task sent as its template's number (``templates_of``)."""
    name, ref, params, timeout_s = _templates[template]
    return run_returning_record(TaskInstance(task_id, name, index, ref, params, submitted,
                                             timeout_s))


def process_main(inst: TaskInstance, events: EventSink) -> None:
    """The whole life of a ``processes`` worker: set up, run its one task."""
    init_worker(events)
    run_in_worker(inst)


_active_lock = threading.Lock()
_active_runs = 0


def process_run_started(start_method: str | None) -> None:
    """Count a process run in, and start multiprocessing's helpers now, before its clock starts.

    ``process_run_ended`` stops them after every run (see there), so without this each run would
    pay for relaunching them — a spawned interpreter, competing with the run's own workers for
    the cores — a cost a long-lived program pays once, not per pool. Launching is not enough:
    ``ensure_running`` returns as soon as the helper is exec'd, and its start (~45 ms on two
    busy cores for the tracker; the fork server's preloads too) would still overlap the run's
    first worker starts, inflating "Starting a worker process cost …". So this also waits,
    bounded, until each helper has started (``helpers_settle``).
    """
    global _active_runs
    with _active_lock:
        _active_runs += 1
    compile_for_workers()
    try:
        helpers_settle(start_method or default_start_method())
    except Exception:  # noqa: BLE001 — an optimisation only; the pool starts them if needed
        pass


_compiled = False


def compile_for_workers() -> None:
    """Write the engine's bytecode once, if this interpreter was told not to.

    With PYTHONDONTWRITEBYTECODE set (some shells and containers set it), nothing writes the
    engine's .pyc files, so every spawned worker compiles its modules from source: measured
    with bench/bench_start.py, a spawned process-pool worker's start went from 105 to 332 ms.
    ``compileall`` writes them regardless (where ``sys.pycache_prefix`` says, if set), before
    the run's clock starts; when they are up to date it only compares times (a few ms), and a
    read-only install just keeps compiling in each worker, as before.
    """
    global _compiled
    if _compiled or not sys.dont_write_bytecode:
        return
    _compiled = True
    import compileall

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        compileall.compile_dir(root, quiet=2)
    except OSError:
        pass


SETTLE_S = 0.5  # the tracker starts in ~45 ms on a busy 2-core machine; this bounds a stuck one


def helpers_settle(start_method: str) -> None:
    """Start the resource tracker (and, for forkserver, the fork server) if they are not
    running, and wait until they are idle: what a long-lived program's helpers are."""
    from multiprocessing import forkserver, resource_tracker

    with hangup_blocked():
        resource_tracker.ensure_running()
    pids = [getattr(resource_tracker._resource_tracker, "_pid", None)]
    if start_method == "forkserver":
        _preload_in_forkserver()
        with hangup_blocked():
            forkserver.ensure_running()
        pids.append(getattr(forkserver._forkserver, "_forkserver_pid", None))
    deadline = time.monotonic() + SETTLE_S
    for pid in pids:
        if pid:
            wait_idle(pid, deadline)


def wait_idle(pid: int, deadline: float) -> None:
    """Until ``pid`` sleeps (waiting for its first request) or ``deadline``; Linux's /proc
    shows that. Elsewhere, or once the process is gone, it returns at once: nothing breaks if
    a helper is still starting, the run only shares the cores with it."""
    path = f"/proc/{pid}/stat"
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state not in ("R", "D"):  # running, or reading its code from disk
            return
        time.sleep(0.002)


def process_run_ended() -> None:
    """Stop multiprocessing's helper processes once no process run is active.

    spawn and forkserver start two long-lived helpers on first use: the resource tracker (it
    unlinks semaphores a crashed process leaves behind) and, for forkserver, the fork server.
    Both would otherwise live as children of the app until it exits — an idle process after
    every run, which "leave nothing running" forbids and a presenter's task manager shows.
    The next run starts them again (a few ms for the tracker).

    Every semaphore of the finished run must be gone first: a SemLock finalised after the stop
    would unregister itself and so restart the tracker. ``gc.collect()`` finalises the pool's
    queues, which sit in reference cycles.
    """
    global _active_runs
    with _active_lock:
        _active_runs -= 1
        if _active_runs:
            return
        import gc
        from multiprocessing import forkserver, resource_tracker

        gc.collect()
        for helper in (getattr(forkserver, "_forkserver", None),
                       getattr(resource_tracker, "_resource_tracker", None)):
            stop = getattr(helper, "_stop", None)
            if stop is None:
                continue
            try:
                stop()
            except Exception:  # noqa: BLE001 — best effort: gone already, or not ours to stop
                pass  # (in a process that inherited the tracker, its pid is unknown here)
