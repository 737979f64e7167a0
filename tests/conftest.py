"""Shared test fixtures. Every test must leave nothing running: checked here with psutil."""

from __future__ import annotations

import glob
import os
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


def _leftovers(threads_before: set[int]) -> tuple[list[psutil.Process], list[threading.Thread]]:
    kids = psutil.Process().children(recursive=True)  # zombies count: someone forgot to reap
    extra = [t for t in threading.enumerate()
             if t.ident not in threads_before and t.is_alive() and not _is_harmless(t)]
    return kids, extra


# Threads that belong to the process, not to a run: pytest-timeout's watchdog, Qt's helpers,
# and two one-thread pools dask.distributed creates on first use and keeps for the life of the
# process (distributed.utils' offload executor and distributed.client's callback executor).
# They never grow with more runs: bench/soak.py checks the thread count across 200 runs.
_PROCESS_WIDE = ("pytest_timeout", "QDBus", "Dummy-", "Dask-Offload", "Dask-Callback-Thread")


def _is_harmless(t: threading.Thread) -> bool:
    return t.name.startswith(_PROCESS_WIDE)


def _temp_roots() -> set[str]:
    # Only this test process's: other programs on the machine may be running CoreScope too.
    return set(glob.glob(os.path.join(tempfile.gettempdir(), f"corescope-files-{os.getpid()}-*")))


@pytest.fixture(autouse=True)
def leaves_nothing_running():
    """After each test: no child process, no new thread, no `files` temp root (5 s grace)."""
    threads_before = {t.ident for t in threading.enumerate() if t.ident is not None}
    roots_before = _temp_roots()
    yield
    deadline = time.monotonic() + 5
    while True:
        kids, extra = _leftovers(threads_before)
        if (not kids and not extra) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not kids, f"child processes left running: {[(p.pid, p.cmdline()[-3:]) for p in kids]}"
    assert not extra, f"threads left running: {[t.name for t in extra]}"
    assert _temp_roots() <= roots_before, "a files-task temp root was left behind"


@pytest.fixture
def dask_cluster():
    """A scheduler and two one-thread workers as separate processes on 127.0.0.1 (the
    command-line tools, reached by address); yields the address, ends them afterwards."""
    pytest.importorskip("distributed")
    from bench.dask_procs import dask_processes

    with dask_processes(workers=2) as address:
        yield address
