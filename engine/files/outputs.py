"""Where the CLI's results go: ``--json``, ``--trace``, ``--session``, ``--csv``.

Every target is checked before a run starts, so no run is wasted on a typo, and written after
it, every one of them whatever happened to the others::

    plan(flags)  ->  [Target, ...]   before the run: one line (exit 2) for the first problem
        run(s)
    write_all([(Target, payload), ...])  ->  one failure line per target that could not be
                                             written (exit 1); the rest are written anyway

One rule for every target: a regular file, never replaced unless ``--force``; ``-`` (or
``/dev/stdout``) is standard output; ``/dev/null`` is fine; anything else that is not a regular
file (a FIFO with no reader would block for ever, a device) is refused.

``GuardedStream`` carries the human report: a closed terminal (SIGHUP) or a closed pipe
(``| head -1``) must not stop the run from ending in order and writing its files.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from engine.files import export

STDOUT = "-"
# Names of standard output itself: written through sys.stdout (one buffer, so nothing interleaves
# out of order), and they move the human report to stderr.
_STDOUT_NAMES = frozenset({STDOUT, "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})


class TargetError(ValueError):
    """An output that cannot be written: a one-line reason naming the flag and path."""


@dataclass(frozen=True)
class Target:
    """One requested output."""

    flag: str  # as typed: "--json"
    path: str  # as typed: "-" for standard output

    @property
    def to_stdout(self) -> bool:
        return self.path in _STDOUT_NAMES

    @property
    def label(self) -> str:
        return "standard output" if self.to_stdout else self.path


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _probe(folder: str) -> None:
    """Create and remove a file where the output will go: the only sure test of "writable"
    (``os.access`` says yes to root everywhere, and to /proc, read-only mounts and full quotas
    it says nothing useful)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".corescope-probe-", dir=folder)
    except OSError as exc:
        raise TargetError(f"cannot write in folder {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)


def check_target(flag: str, path: str, replace: bool) -> Target:
    """Refuse a target that could not be written, before any run starts.

    Args:
        flag: the option that named it, for the message ("--json").
        path: as the user gave it.
        replace: ``--force``: an existing regular file may be replaced.

    Raises:
        TargetError: one line, e.g. ``--csv t.csv: the file exists (add --force to replace it)``.
    """
    target = Target(flag, path)
    if target.to_stdout or path == os.devnull:
        return target
    where = f"{flag} {path}"
    if not path:
        raise TargetError(f"{flag}: give a file name (or - for standard output)")
    if os.path.isdir(path):
        raise TargetError(f"{where}: is a directory")
    if os.path.lexists(path):
        try:
            mode = os.stat(path).st_mode
        except OSError:  # a dangling symbolic link: replacing it replaces the link
            mode = stat.S_IFREG
        if not stat.S_ISREG(mode):
            raise TargetError(f"{where}: is {_kind(mode)}; outputs go to regular files, "
                              f"{os.devnull} or - (standard output)")
        if not replace:
            raise TargetError(f"{where}: the file exists (add --force to replace it)")
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise TargetError(f"{where}: the file is not writable")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise TargetError(f"{where}: folder {folder} does not exist")
    try:
        _probe(folder)
    except TargetError as exc:
        raise TargetError(f"{where}: {exc}") from None
    return target


def _identity(target: Target) -> tuple[object, ...] | None:
    """What two targets share when they are the same file (None: may be shared freely)."""
    if target.to_stdout:
        return ("stdout",)
    if target.path == os.devnull:
        return None
    try:
        st = os.stat(target.path)
        return ("file", st.st_dev, st.st_ino)  # also catches hard links and ./x vs x
    except OSError:
        return ("path", os.path.realpath(target.path))


def plan(requested: Sequence[tuple[str, str | None]], replace: bool) -> list[Target]:
    """Check every requested output (``(flag, path or None)``; None: not asked for).

    Raises:
        TargetError: for the first problem: two outputs naming one file (the second would
            silently replace the first), or one that ``check_target`` refuses.
    """
    asked = [Target(flag, path) for flag, path in requested if path is not None]
    seen: dict[tuple[object, ...], Target] = {}
    for t in asked:
        key = _identity(t)
        if key is None:
            continue
        if key in seen:
            first = seen[key]
            raise TargetError(f"{first.flag} {first.path} and {t.flag} {t.path} name the same "
                              f"{'stream' if t.to_stdout else 'file'}; give each its own")
        seen[key] = t
    return [check_target(t.flag, t.path, replace) for t in asked]


def _write_text(path: str, text: str) -> None:
    """Replace ``path`` atomically: a failure mid-write leaves the old file (or none)."""
    if os.path.exists(path) and not os.path.isfile(path):  # /dev/null: written in place
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".corescope-tmp",
                               dir=os.path.dirname(os.path.abspath(path)))
    try:
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


Payload = str | dict[str, Any]  # text written as is, or an object written as JSON


def write(target: Target, payload: Payload, stdout: TextIO | None) -> None:
    """Write one output: ``str`` as is, a ``dict`` as JSON.

    Raises:
        OSError: the write failed (nothing partial is left in place of a file).
    """
    if target.to_stdout:
        if stdout is None:
            raise OSError(errno.EBADF, "standard output is closed")
        text = (payload if isinstance(payload, str)
                else json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
        binary = getattr(stdout, "buffer", None)
        if binary is None:  # a text-only stream (a test's StringIO)
            stdout.write(text)
            stdout.flush()
        else:  # UTF-8 as in a file, whatever the terminal's encoding
            stdout.flush()
            binary.write(text.encode("utf-8"))
            binary.flush()
    elif isinstance(payload, str):
        _write_text(target.path, payload)
    else:
        export.write_json(target.path, payload)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


def write_all(jobs: Sequence[tuple[Target, Callable[[], Payload]]],
              stdout: TextIO | None) -> dict[Target, str]:
    """Write every output, whatever happens to the others.

    Args:
        jobs: each target with what makes its content (made only when its turn comes, so a
            failure building one output costs that output alone).
        stdout: where ``-`` goes.

    Returns:
        The targets not written, each with its one line, e.g. ``--json a.json: not written:
        No space left on device``; empty when all were.
    """
    failures = {}
    for target, make in jobs:
        try:
            write(target, make(), stdout)
        except Exception as exc:  # noqa: BLE001 — one bad output must not cost the others
            failures[target] = f"{target.flag} {target.label}: not written: {_reason(exc)}"
    return failures


class GuardedStream:
    """A text stream whose write errors are recorded instead of raised.

    The report is the least precious output: losing the terminal (SIGHUP: writes fail with EIO)
    or a reader (``| head -1``: EPIPE) must still let the run cancel in order and write its
    files. ``broken`` keeps the first error, for the one line that says the report was lost.
    """

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self.broken: OSError | None = (
            None if stream is not None else OSError(errno.EBADF, "standard output is closed"))

    def write(self, text: str) -> int:
        if self.broken is None and self.stream is not None:
            try:
                self.stream.write(text)
            except OSError as exc:
                self.broken = exc
        return len(text)

    def flush(self) -> None:
        if self.broken is None and self.stream is not None:
            try:
                self.stream.flush()
            except OSError as exc:
                self.broken = exc

    def isatty(self) -> bool:
        try:
            return self.broken is None and self.stream is not None and self.stream.isatty()
        except (OSError, ValueError):
            return False
