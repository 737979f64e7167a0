"""Shared test fixtures. Every test must leave nothing running: checked here with psutil."""

from __future__ import annotations

import glob
import os
import socket
import subprocess
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


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster():
    """`dask scheduler` and `dask worker` (two, one thread each) as separate processes on
    127.0.0.1; yields the scheduler's address and ends both afterwards."""
    pytest.importorskip("distributed")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=_ROOT)  # workers import the engine's task code
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              cwd=_ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--nworkers", "2", "--host", "127.0.0.1",
                                   "--no-dashboard"], cwd=_ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="2s") as client:
                    if len(client.scheduler_info()["workers"]) == 2:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the dask cluster did not come up"
            time.sleep(0.3)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
