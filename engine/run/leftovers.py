"""What a run, or a CoreScope that was killed, leaves behind — found and ended.

Three kinds:

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
* **Named semaphores and joblib folders in /dev/shm of a dead CoreScope** (Linux). Under spawn
  and forkserver a ``multiprocessing`` lock is a file ``sem.NAME`` in /dev/shm until its creator
  finalises it or the resource tracker unlinks it; a kill -9 of the process group kills the
  tracker too, so each killed run left 5-12 of them (and loky's ``joblib_memmapping_folder_…``
  dirs) for ever. ``name_semaphores`` (called as each run starts) makes them attributable:

  - multiprocessing names this process's semaphores ``mp-corescope-PID-…`` (its ``semprefix``,
    which every process it starts inherits, so a dask worker's locks carry the engine's pid);
  - loky names its own, and once joblib is imported every multiprocessing one of the process,
    ``loky-PID-…``, and joblib its folders ``joblib_memmapping_folder_PID_…``;
  - the engine records itself as a CoreScope in an empty dir ``corescope-app-PID`` in the temp
    dir, removed at exit (``corescope-ev-PID-…``/``corescope-files-PID-…`` count as records too).

  At the first run of a later process, an entry is removed only if all of these hold — which is
  why CoreScope never removes another program's live semaphore, nor a dead program's that is
  not CoreScope's:

  1. its name carries a pid P, in one of the three forms above;
  2. a CoreScope temp dir names P (so P was a CoreScope: a bare ``mp-…`` name, or a dead
     joblib script's ``loky-P-…``, is never touched), and P is not running — a pid reused by
     any process counts as running: a leak beats a wrong removal;
  3. it belongs to this user (others' are unreadable to us, and /dev/shm is sticky anyway);
  4. no process maps it. Every process that has a named semaphore open (``sem_open``) maps its
     file, so this is the test for "in use": a worker that outlived its engine keeps its locks.
     It compares inodes, not names: glibc creates a semaphore under a temporary name, maps it,
     links the real name and unlinks the temporary one, so the creator's mapping reads
     ``/dev/shm/sem.XXXXXX (deleted)``. For a joblib folder: no file in it is mapped.

  The check sees the processes this user may read ``/proc/PID/maps`` of, in this pid
  namespace: a semaphore is created 0600, so only this user's (or root's) processes can open
  it. (Containers sharing /dev/shm *and* the temp dir but not the pid namespace are outside
  this argument.) /dev/shm is listed only when a dead CoreScope's temp dir was found, and /proc
  scanned only when some entry passed 1-3 (~10 ms for 100 processes; 300 leftovers swept in
  ~40 ms), so a normal start costs one listing of the temp dir.
"""

from __future__ import annotations

import atexit
import ctypes
import glob
import logging
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)

_PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
APP_PREFIX = "corescope-app-"  # the record that this pid is (or was) a CoreScope
TEMP_PREFIXES = ("corescope-files-", "corescope-ev-", APP_PREFIX)
SHM_DIR = "/dev/shm"
SEM_PREFIX = "mp-corescope-"  # multiprocessing's semprefix here, without its leading "/"
# What a dead CoreScope P can leave in SHM_DIR; group 1 is P.
_SHM_NAMES = re.compile(r"(?:sem\.mp-corescope-|sem\.loky-|joblib_memmapping_folder_)(\d+)[-_]")

_lock = threading.Lock()
_subreaper = False
_swept = False
_named = False


def adopt_orphans(on: bool = True) -> bool:
    """Make this process the subreaper of its descendants, or stop being it (Linux).

    Only while runs are in progress: an orphan adopted between runs (a sub-process of
    something else this app started) would stay a zombie until someone reaps it. Returns
    whether the call took effect.
    """
    global _subreaper
    with _lock:
        if _subreaper == on or not sys.platform.startswith("linux"):
            return _subreaper == on
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            ok = bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) == 0)
        except (OSError, AttributeError):
            ok = False
        if ok:
            _subreaper = on
        return ok


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


def name_semaphores() -> None:
    """Name this process's semaphores for CoreScope and record its pid (Linux; once).

    Called as each run starts, before anything of the run creates a lock: from then on a
    ``multiprocessing`` semaphore made here or in any process started from here is
    ``mp-corescope-PID-…``, and ``corescope-app-PID`` in the temp dir says PID is a CoreScope
    until this process exits. Both let a later CoreScope tell what this one left if it is
    killed (see the module docstring).
    """
    global _named
    with _lock:
        if _named or not sys.platform.startswith("linux"):
            return
        _named = True
    pid = os.getpid()
    # semprefix is private but has been the one knob for these names since Python 3.4; a
    # Python without it just keeps the default names (and their leak).
    config = getattr(multiprocessing.current_process(), "_config", None)
    if isinstance(config, dict) and "semprefix" in config:
        config["semprefix"] = f"/{SEM_PREFIX}{pid}"
    record = os.path.join(tempfile.gettempdir(), f"{APP_PREFIX}{pid}")
    try:
        os.makedirs(record, exist_ok=True)
    except OSError:
        return
    atexit.register(_drop_record, record, pid)


def _drop_record(record: str, pid: int) -> None:
    if os.getpid() == pid:  # not in a forked child that inherited the atexit hook
        try:
            os.rmdir(record)
        except OSError:
            pass


def sweep_dead_temp_dirs(tmp: str | None = None, shm: str | None = None) -> list[str]:
    """Remove what CoreScope processes that are gone left behind (once per process).

    Temp dirs named with a pid whose process no longer runs; and, in ``shm``, the semaphores
    and joblib folders of those same dead CoreScopes that no process uses (see the module
    docstring). A pid that is alive is never touched, even if another program reused it: a
    leak beats deleting someone's live data. ``tmp`` defaults to the system's temp dir and
    ``shm``, when neither is given, to /dev/shm (tests pass their own).

    Returns:
        The names removed, temp dirs first.
    """
    global _swept
    with _lock:
        if _swept and tmp is None and shm is None:
            return []
        _swept = True
    import psutil

    if tmp is None and shm is None:
        shm = SHM_DIR
    dirs: dict[int, list[str]] = {}
    for prefix in TEMP_PREFIXES:
        for path in glob.glob(os.path.join(tmp or tempfile.gettempdir(), prefix + "*")):
            pid = _pid_of(path, prefix)
            if pid is None or pid == os.getpid() or psutil.pid_exists(pid):
                continue
            if os.path.isdir(path) and not os.path.islink(path):
                dirs.setdefault(pid, []).append(path)
    removed_shm: list[str] = []
    kept: set[int] = set()
    if shm is not None and dirs:
        removed_shm, kept = sweep_dead_shared_memory(shm, dirs)
    removed = []
    for pid, paths in dirs.items():
        for path in paths:
            if pid in kept and os.path.basename(path).startswith(APP_PREFIX):
                continue  # still in use by a survivor: keep the record for the next start
            shutil.rmtree(path, ignore_errors=True)
            removed.append(os.path.basename(path))
    if removed:
        log.info("removed %d temp dir(s) left by CoreScope processes that are gone",
                 len(removed))
    return removed + removed_shm


def sweep_dead_shared_memory(shm: str, corescopes: Iterable[int]) -> tuple[list[str], set[int]]:
    """Remove the entries of ``shm`` that dead CoreScope processes left and nobody uses.

    Args:
        shm: the shared-memory dir (/dev/shm; a test's own dir in tests).
        corescopes: pids known to have been CoreScope processes (from their temp dirs).

    Returns:
        The names removed, and the pids that still have entries in use (left alone).
    """
    if not sys.platform.startswith("linux"):
        return [], set()
    import psutil

    dead = {pid for pid in corescopes if pid != os.getpid() and not psutil.pid_exists(pid)}
    candidates: list[tuple[str, int, os.stat_result]] = []
    try:
        entries = list(os.scandir(shm)) if dead else []
    except OSError:
        entries = []
    for entry in entries:
        match = _SHM_NAMES.match(entry.name)
        if match is None or int(match.group(1)) not in dead:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if st.st_uid == os.geteuid():
            candidates.append((entry.path, int(match.group(1)), st))
    if not candidates:
        return [], set()
    inodes, paths = _mapped_files()
    removed: list[str] = []
    kept: set[int] = set()
    for path, pid, st in candidates:
        if _in_use(path, st, inodes, paths):
            kept.add(pid)
            continue
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        except OSError:
            kept.add(pid)
            continue
        removed.append(os.path.basename(path))
    if removed:
        log.info("removed %d semaphore(s)/folder(s) in %s left by CoreScope processes that "
                 "are gone", len(removed), shm)
    return removed, kept


def _in_use(path: str, st: os.stat_result, inodes: set[int], paths: set[str]) -> bool:
    """Whether any process maps ``path`` or, for a dir, a file in it. An inode match with a
    mapping on any device counts: a false match only keeps a leftover."""
    if not os.path.isdir(path) or os.path.islink(path):
        return st.st_ino in inodes or path in paths
    for root, _, files in os.walk(path):
        for name in files:
            inner = os.path.join(root, name)
            try:
                if os.lstat(inner).st_ino in inodes or inner in paths:
                    return True
            except OSError:
                continue
    return False


def _mapped_files() -> tuple[set[int], set[str]]:
    """The inodes and paths of every file mapped by a process whose maps this user can read."""
    inodes: set[int] = set()
    paths: set[str] = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/maps", encoding="utf-8",
                      errors="surrogateescape") as maps:
                for line in maps:
                    # address perms offset dev inode [path]; inode 0 = anonymous memory
                    fields = line.split(maxsplit=5)
                    if len(fields) < 6 or fields[4] == "0":
                        continue
                    inodes.add(int(fields[4]))
                    paths.add(fields[5].rstrip("\n").removesuffix(" (deleted)"))
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to read
    return inodes, paths
