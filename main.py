"""CoreScope — see Python concurrency.

    python main.py                 open the window
    python main.py gui [...]       open the window with a workload preselected (and started)
    python main.py list|run|compare|sweep ...   headless; see --help

Worker processes started with spawn re-import this file as ``__mp_main__``, so it imports
nothing heavy at the top: Qt loads only when the window is actually opened, and the engine
only inside ``main``.

However early or often a stop signal comes (Ctrl-C during the imports, twice during a cancel)
the process ends with one line on stderr and 128 + the signal's number, never a traceback:
``_entry`` catches it around everything, and the CLI counts signals itself while it runs.
"""

from __future__ import annotations

import sys

if __name__ == "__mp_main__":
    # A worker process (spawn, the fork server, loky, a Dask nanny's worker) imports this file
    # first of all, before the pool's initializer can run. A terminal's Ctrl-C, or its closing,
    # reaches the whole process group; the app answers it by cancelling and ending the
    # workers, so a worker must not die of it half-way through starting (with a traceback).
    # Ignored, not handled: the fork server's children inherit it, and so do the processes a
    # task starts.
    import signal as _signal

    for _name in ("SIGINT", "SIGHUP"):
        if hasattr(_signal, _name):
            _signal.signal(getattr(_signal, _name), _signal.SIG_IGN)


def _no_display() -> str | None:
    """Why a window cannot open here, or None. Qt itself would abort with a core dump."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (DISPLAY is not set); the headless CLI works "
            "anywhere: python main.py --help")


def main(argv: list[str]) -> int:
    from engine.cli import commands as cli

    if argv and (argv[0] != "gui" or "-h" in argv or "--help" in argv):
        return cli.main(argv)  # (the window's --help too: the CLI checks stdout for it)
    try:
        request = cli.parse_gui_args(argv[1:] if argv else [])
    except cli.UsageError as exc:
        sys.stderr.write(f"corescope: error: {exc}\n")
        return cli.EXIT_USAGE
    problem = _no_display()
    if problem:
        sys.stderr.write(f"corescope: error: {problem}\n")
        return cli.EXIT_USAGE
    from gui.app import run_app

    return run_app(request.config, request.start, request.screenshot, request.exit_after_run,
                   session=request.session, lesson=request.lesson)


class _Stopped(KeyboardInterrupt):
    """A stop signal that came while the CLI was not counting them itself (imports, start-up,
    ``list``). A KeyboardInterrupt, so that code on the way out treats it as one."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_stopping = False  # once set, later signals change nothing: the way out is already taken


def _on_stop_signal(signum: int, _frame: object) -> None:
    global _stopping
    if not _stopping:
        _stopping = True
        raise _Stopped(signum)


def _fill_closed_std_fds() -> None:
    """Put /dev/null on a standard fd that was closed before Python started (``>&-``).

    Otherwise the next file, pipe or socket opened takes that number, and whatever writes to
    "stdout" — a worker process, a library — writes into it.
    """
    import os

    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def _flush_or_drop(stream: object, fd: int) -> bool:
    """Flush a standard stream; if its reader is gone, point the fd at /dev/null so the
    interpreter's own last flush does not print a traceback. Returns whether it worked."""
    import os

    flush = getattr(stream, "flush", None)
    if flush is None:
        return True
    try:
        flush()
        return True
    except (OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
        try:
            flush()  # the data still buffered goes to /dev/null
        except (OSError, ValueError):
            pass
        return False


def _say(line: str) -> None:
    try:
        sys.stderr.write(line)
    except (OSError, ValueError, AttributeError):  # stderr closed or gone: nowhere to say it
        pass


def _entry(argv: list[str]) -> int:
    global _stopping
    import signal

    _fill_closed_std_fds()
    # The window answers SIGTERM itself (gui/app.py); before it is up only Ctrl-C is caught.
    headless = bool(argv) and argv[0] != "gui"
    for name in ("SIGINT", "SIGTERM", "SIGHUP") if headless else ("SIGINT",):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_stop_signal)
    try:
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse after --help, in the window's checks
            code = exc.code if isinstance(exc.code, int) else 0
        if not _flush_or_drop(sys.stdout, 1) and code == 0:  # (the CLI reports its own)
            _say("corescope: error: standard output: the reader has gone (broken pipe)\n")
            code = 1
    except KeyboardInterrupt as exc:
        _stopping = True
        signum = getattr(exc, "signum", signal.SIGINT)
        try:
            from engine.cli.signals import signal_line

            line = signal_line(signum, cancelled=False)
        except BaseException:  # noqa: BLE001 — the line must come out whatever failed
            line = f"corescope: stopped by signal {signum}\n"
        _flush_or_drop(sys.stdout, 1)
        _say(line)
        code = 128 + signum
    finally:
        # From here on a signal comes too late to change anything, and the interpreter's
        # teardown puts back the default handlers — under which a second Ctrl-C would kill
        # the process by the signal (exit -2). Ignored handlers it leaves alone.
        _stopping = True
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)
    _flush_or_drop(sys.stderr, 2)
    return code


if __name__ == "__main__":
    sys.exit(_entry(sys.argv[1:]))
