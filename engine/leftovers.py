"""What a run, or a CoreScope that was killed, leaves behind — found and ended.

Two kinds:

* **Processes a task started and did not wait for** (``subprocess.Popen(["sleep", "45"])``
  and return). When the worker process exits, such a grandchild is orphaned and would be
  adopted by init, out of CoreScope's sight, still running after the run "ended". On Linux the
  engine process makes itself a *child subreaper* (``PR_SET_CHILD_SUBREAPER``): orphans below
  it are re-parented to it instead of init, so at the end of a run every process that appeared
  during the run and is not one of the engine's own helpers can be found among its children,
  killed and reaped. The run notes what was ended.
* **Temp dirs of a dead CoreScope** (``corescope-files-PID-…``, ``corescope-ev-PID-…``): a run
  removes its own, but a kill -9 cannot. Their names carry the pid of the process that made
  them; at the first run of a later process, those whose pid no longer runs are removed.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import shutil
import sys
import tempfile
import threading

log = logging.getLogger(__name__)

_PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
TEMP_PREFIXES = ("corescope-files-", "corescope-ev-")

_lock = threading.Lock()
_subreaper = False
_swept = False


def adopt_orphans() -> bool:
    """Make this process the subreaper of its descendants (Linux; once). True if it is."""
    global _subreaper
    with _lock:
        if _subreaper or not sys.platform.startswith("linux"):
            return _subreaper
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            _subreaper = False
        return _subreaper


def descendants() -> set[tuple[int, float]]:
    """This process's descendants now, as (pid, start time): a reused pid is a new process."""
    import psutil

    out = set()
    for proc in psutil.Process().children(recursive=True):
        try:
            out.add((proc.pid, proc.create_time()))
        except psutil.Error:
            continue
    return out


def end_task_processes(before: set[tuple[int, float]]) -> list[str]:
    """Kill and reap every descendant that is not in ``before`` (taken with ``descendants``
    as the run began); return "pid (name)" for each one ended.

    Called once the backend has ended its workers, so what is left was started by tasks.
    (Start times are compared only with each other: psutil's are derived from the boot time,
    which in a container can be minutes away from ``time.time()``.)
    """
    import psutil

    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if (proc.pid, proc.create_time()) in before:
                continue
            found.append((proc, f"{proc.pid} ({proc.name()})"))
        except psutil.Error:
            continue
    for proc, _ in found:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs([p for p, _ in found], timeout=3)
    for proc, _ in found:  # an adopted orphan is our child now: reap it ourselves
        try:
            os.waitpid(proc.pid, os.WNOHANG)
        except OSError:
            pass
    return [label for _, label in found]


def _pid_of(path: str, prefix: str) -> int | None:
    head = os.path.basename(path)[len(prefix):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def sweep_dead_temp_dirs(tmp: str | None = None) -> list[str]:
    """Remove CoreScope temp dirs whose creating process is gone (once per process).

    Returns the names removed. Only dirs named with a pid are touched, and never one whose
    pid is alive (even if that pid was reused by another program: a leak beats deleting
    someone's live data).
    """
    global _swept
    with _lock:
        if _swept and tmp is None:
            return []
        _swept = True
    import psutil

    removed = []
    for prefix in TEMP_PREFIXES:
        for path in glob.glob(os.path.join(tmp or tempfile.gettempdir(), prefix + "*")):
            pid = _pid_of(path, prefix)
            if pid is None or pid == os.getpid() or psutil.pid_exists(pid):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(os.path.basename(path))
    if removed:
        log.info("removed %d temp dir(s) left by CoreScope processes that are gone",
                 len(removed))
    return removed
