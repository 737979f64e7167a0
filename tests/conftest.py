"""Shared test fixtures. Every test must leave nothing running: checked here with psutil."""

from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
import threading
import time

import psutil
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _temp_roots() -> set[str]:
    # Only this test process's: other programs on the machine may be running CoreScope too.
    pid = os.getpid()
    found: set[str] = set()
    for pattern in (f"corescope-files-{pid}-*", f"corescope-ev-{pid}-*"):
        found.update(glob.glob(os.path.join(tempfile.gettempdir(), pattern)))
    return found


# Threads that belong to the process, not to a run: pytest-timeout's watchdog, Qt's helpers,
# and two one-thread pools dask.distributed creates on first use and keeps for the life of the
# process (distributed.utils' offload executor and distributed.client's callback executor).
# They never grow with more runs: bench/soak.py checks the thread count across 200 runs.
_PROCESS_WIDE = ("pytest_timeout", "QDBus", "Dummy-", "Dask-Offload", "Dask-Callback-Thread")

# How long a test's processes and threads may take to go after it ends (tests of this fixture
# shorten it).
GRACE_S = float(os.environ.get("CORESCOPE_TEST_GRACE_S", "5"))


def _is_harmless(t: threading.Thread) -> bool:
    return t.name.startswith(_PROCESS_WIDE)


def _children() -> dict[tuple[int, float], psutil.Process]:
    """Every descendant, keyed by (pid, start time) so a reused pid is a new process."""
    out = {}
    for p in psutil.Process().children(recursive=True):  # zombies count: someone forgot to reap
        try:
            out[(p.pid, p.create_time())] = p
        except psutil.NoSuchProcess:
            continue
    return out


def _describe(p: psutil.Process) -> str:
    try:
        return f"{p.pid} {' '.join(p.cmdline()[-3:]) or p.name()}"
    except psutil.Error:
        return f"{p.pid} (gone)"


def _end_processes(procs: list[psutil.Process]) -> None:
    """Kill and reap what a test left: the next test must start from a clean machine."""
    for p in procs:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)
    for p in procs:  # a zombie whose parent is this process is reaped here, not by psutil
        try:
            os.waitpid(p.pid, os.WNOHANG)
        except (ChildProcessError, OSError):
            pass


@pytest.fixture(autouse=True)
def leaves_nothing_running():
    """After each test: no new child process, thread or CoreScope temp dir (5 s grace).

    Only what *this* test added counts, and it is cleaned up before failing: a leak fails the
    test that made it (as one error at teardown), never every test after it.
    """
    kids_before = set(_children())
    threads_before = {t.ident for t in threading.enumerate() if t.ident is not None}
    roots_before = _temp_roots()
    yield
    deadline = time.monotonic() + GRACE_S
    while True:
        kids = [p for key, p in _children().items() if key not in kids_before]
        threads = [t for t in threading.enumerate()
                   if t.ident not in threads_before and t.is_alive() and not _is_harmless(t)]
        roots = sorted(_temp_roots() - roots_before)
        if (not kids and not threads and not roots) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    left = [f"child process {_describe(p)}" for p in kids]
    _end_processes(kids)
    # A thread cannot be killed; it was not running at this test's start, so the next test
    # records it among its own "before" and does not blame itself for it.
    left += [f"thread {t.name}" for t in threads]
    for root in roots:
        shutil.rmtree(root, ignore_errors=True)
        left.append(f"temp dir {os.path.basename(root)}")
    if left:
        pytest.fail("left running after the test (now cleaned up): " + "; ".join(left),
                    pytrace=False)


@pytest.fixture
def dask_cluster():
    """A scheduler and two one-thread workers as separate processes on 127.0.0.1 (the
    command-line tools, reached by address); yields the address, ends them afterwards."""
    pytest.importorskip("distributed")
    from bench.dask_procs import dask_processes

    with dask_processes(workers=2) as address:
        yield address
