"""A run in a host process of its own, so the window never shares a GIL with the tasks.

    window process                                 host process (python, this module)
    ──────────────                                 ──────────────────────────────────
    HostedRun.start() ── Popen, two pipes ───────► main(): sys.path, custom code, py-spy's
                                                   known refusals, then the RunConfig
                                                   Run(config).start()   (engine.run.runner)
    reader thread ◄── ("events", [...], done, ─── every 30 ms: drain_events() and counts
                      running) batches
      └► EventBuffer ──► drain_events()   (the bridge, as for a Run)
    cancel() / abandon() ── "cancel" | "abandon" ► the Run's own cancel() / abandon()
    gil.remember_refusals ◄── ("refused", {...}) ◄ what py-spy was refused, for the next host
    result() ◄── ("result", RunResult) ◄───────── then the host exits: threads left running
                                                   by an abandon end with it
    (the window closes its end) ── EOF ──────────► cancel, abandon, exit

Why: on a thread backend the workers are threads of the process that runs the engine. When
that process is the window, four threads of pure Python leave its main thread the GIL for a
moment at a time, and every Qt call that lets the GIL go has to queue for it again. Measured
under Xvfb on the 2-core machine, 4 × primes on threads: the window drew 3 frames in 6 s
(7 s without a frame), at a 0.2 ms switch interval still only 4 frames a second. In a host
process the tasks share the host's GIL and the window keeps its own.

What stays the same: the host runs the very ``Run`` the CLI runs, with its CPU sampler, GIL
probe (which now reads the host), leftover sweep and result; the window gets the same events
and the same ``RunResult``. Times need no mapping: ``engine.clock.now`` is
``time.perf_counter``, a clock every process on the machine shares (CLOCK_MONOTONIC on Linux).

What the host costs: its start, ~0.2 s of Python start and engine imports, paid before the
run's clock starts (the Run's t0 is taken in the host). Its sampler reads the window's threads
with the host's, so the window's drawing still counts as CoreScope's CPU, as it did when the
run was in the window's process.

The protocol is ``multiprocessing.connection`` messages (pickles) on two pipes passed as file
descriptors; the host's stdout and stderr stay the terminal's, so a task's ``print`` cannot
corrupt it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

from engine import clock as _clock
from engine.figures.result import RunResult
from engine.run import gil, monitor
from engine.run.config import RunConfig
from engine.run.gil import GIL_BACKENDS
from engine.run.runner import Run
from engine.run.state import Event, EventBuffer
from engine.tasks.custom import load_function, looks_custom

#: Backends whose tasks run as threads of the engine's process, holding its GIL: the window
#: hosts their runs.
HOSTED = GIL_BACKENDS
# How often the host sends what happened: the window draws at 30 Hz.
BATCH_S = 0.03
# After an abandon the host has this long to send its result before it is killed (it only has
# to mark the tasks it gave up on, a few ms).
ABANDON_KILL_S = 3.0
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Run with -c, not -m: the repository root need not be the window's working directory.
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from engine.run.host import main; main(sys.argv[2:])")


class HostedRun:
    """A ``Run`` whose run thread lives in a host process; the same interface.

    Example:
        run = HostedRun(RunConfig(build_workload(["primes"]), "threads")).start()
        while not run.wait(0.1):
            show(run.drain_events())
        result = run.result()
    """

    def __init__(self, config: RunConfig, clock: _clock.Clock = _clock.now) -> None:
        # Checked and sized here, exactly as the host will (ConfigError before anything
        # starts); this Run is never started, it answers for the failed-result case too.
        self._local = Run(config, clock)
        self.config = config
        self.backend_class = self._local.backend_class
        self.backend = self._local.backend
        self.workers = self._local.workers
        self.requested_workers = self._local.requested_workers
        self.start_method = self._local.start_method
        self.total = self._local.total
        self._events = EventBuffer()
        self._done = threading.Event()
        self._result: RunResult | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._commands: Connection | None = None
        self._send_lock = threading.Lock()
        self._done_count = 0
        self._still_running = 0
        self._cancelled = False

    # -- the Run interface -------------------------------------------------------------------
    def start(self) -> HostedRun:
        cmd_r, cmd_w = os.pipe()
        msg_r, msg_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, _ROOT, str(cmd_r), str(msg_w)],
                pass_fds=(cmd_r, msg_w), stdin=subprocess.DEVNULL,
                # Out of the terminal's process group: a Ctrl-C there is the window's to
                # answer (it stops the run through the pipe); were the window killed, the
                # host sees its pipe close and stops the run itself.
                start_new_session=True)
        except OSError as exc:
            for fd in (cmd_r, cmd_w, msg_r, msg_w):
                os.close(fd)
            self._finish(self._local.failed_result(exc))
            return self
        finally:
            if self._proc is not None:
                os.close(cmd_r)
                os.close(msg_w)
        self._commands = Connection(cmd_w, readable=False)
        messages = Connection(msg_r, writable=False)
        self._send(list(sys.path))
        # Custom code loaded from a file lives in a module made up here (``engine.tasks.custom``),
        # which the config's pickle names: the host loads the same files first.
        self._send([item.spec.name for item in self.config.workload.items
                    if looks_custom(item.spec.name)])
        self._send(gil.refusals())
        self._send(self.config)
        threading.Thread(target=self._read, args=(messages,), name="corescope-host-reader",
                         daemon=True).start()
        return self

    def cancel(self) -> None:
        """Ask the run to stop (the host cancels its Run). Returns at once."""
        self._cancelled = True
        self._send("cancel")

    def abandon(self) -> None:
        """Stop waiting for tasks that ignore cancel: the host ends the run now, sends its
        result and exits, and the threads it left running end with it."""
        self._cancelled = True
        self._send("abandon")
        proc = self._proc
        if proc is not None:
            timer = threading.Timer(ABANDON_KILL_S, self._kill_if_running, args=(proc,))
            timer.daemon = True
            timer.start()

    @property
    def still_running(self) -> int:
        return self._still_running

    @property
    def done_count(self) -> int:
        return self._done_count

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def drain_events(self) -> list[Event]:
        return self._events.drain()

    def result(self, timeout: float | None = None) -> RunResult:
        if not self._done.wait(timeout):
            raise TimeoutError("run still in progress")
        assert self._result is not None
        return self._result

    # -- the pipes ---------------------------------------------------------------------------
    def _send(self, message: object) -> None:
        with self._send_lock, contextlib.suppress(OSError, ValueError):
            if self._commands is not None:
                self._commands.send(message)

    def _read(self, messages: Connection) -> None:
        result: RunResult | None = None
        try:
            while True:
                kind, *body = messages.recv()
                if kind == "events":
                    events, self._done_count, self._still_running = body
                    for event in events:
                        self._events.put(event)
                elif kind == "refused":
                    gil.remember_refusals(body[0])
                elif kind == "result":
                    result = body[0]
        except (EOFError, OSError):
            pass  # the host has exited (or died): its pipe is at its end
        finally:
            messages.close()
        proc = self._proc
        assert proc is not None
        try:
            code = proc.wait(ABANDON_KILL_S)
        except subprocess.TimeoutExpired:
            self._kill_if_running(proc)
            code = proc.wait()
        if result is None:
            why = RuntimeError(f"its host process ended with exit code {code} before the "
                               "run's result came")
            result = self._local.failed_result(why)
        self._finish(result)

    def _finish(self, result: RunResult) -> None:
        with self._send_lock:
            if self._commands is not None:
                self._commands.close()
                self._commands = None
        self._result = result
        self._done.set()

    def _kill_if_running(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()


# -- the host process ------------------------------------------------------------------------
def _listen(commands: Connection, run: Run) -> None:
    """Commands from the window; its end closing (the window gone) stops the run at once."""
    try:
        while True:
            command = commands.recv()
            if command == "cancel":
                run.cancel()
            elif command == "abandon":
                run.abandon()
    except (EOFError, OSError):
        run.cancel()
        run.abandon()


def main(argv: list[str]) -> None:
    commands = Connection(int(argv[0]), writable=False)
    out = Connection(int(argv[1]), readable=False)
    # The window's import path first: the config names custom code by module.
    sys.path[:] = commands.recv()
    for spec in commands.recv():
        load_function(spec)  # checked in the window already; an error here is a failed run
    gil.remember_refusals(commands.recv())
    config: RunConfig = commands.recv()
    monitor.viewer_pid = os.getppid()  # the window: its drawing is CoreScope's CPU too
    run = Run(config)
    run.hosted = True
    run.start()
    threading.Thread(target=_listen, args=(commands, run), name="corescope-host-commands",
                     daemon=True).start()
    counts = (0, 0)
    try:
        while True:
            ended = run.wait(BATCH_S)
            events = run.drain_events()
            now = (run.done_count, run.still_running)
            if events or now != counts:
                out.send(("events", events, *now))
                counts = now
            if ended:
                break
        out.send(("events", run.drain_events(), run.done_count, 0))
        result = run.result()
        out.send(("refused", gil.refusals()))
        out.send(("result", result))
        out.close()
    except OSError:  # the window is gone: nobody to tell, but the run must still end
        run.cancel()
        run.abandon()
        run.wait(ABANDON_KILL_S)
    sys.stdout.flush()
    sys.stderr.flush()
    # Not sys.exit: a thread left running by an abandon (code that ignores cancel) would keep
    # the process alive. Everything the run started has ended and been swept by now.
    os._exit(0)


#: Either kind of run: the window holds one or the other and uses only what both offer.
AnyRun = Run | HostedRun


def window_run(config: RunConfig) -> AnyRun:
    """The run the window starts for ``config`` (not started yet; ConfigError if refused):
    hosted where the tasks would be threads of the window's process (``HOSTED``), in this
    process otherwise (process workers leave the window's GIL alone; a run here starts
    ~0.2 s sooner). POSIX only (the pipes are passed as file descriptors); elsewhere every run
    stays in this process, as before."""
    if config.backend in HOSTED and os.name == "posix":
        return HostedRun(config)
    return Run(config)
