"""A Dask cluster of separate processes on 127.0.0.1, for tests and benchmarks.

``dask scheduler`` and ``dask worker`` started as the command-line tools a user would run on a
plain cluster: without PYTHONPATH, from a folder of their own outside CoreScope's, so nothing
of CoreScope is importable there and CoreScope reaches them by address exactly as it would
reach a cluster elsewhere. Their scratch space (workers' directories, what CoreScope uploads)
is in that folder too, and goes with it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain_env(folder: str) -> dict[str, str]:
    """This environment without PYTHONPATH, with Dask's scratch space in ``folder``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["DASK_TEMPORARY_DIRECTORY"] = folder
    return env


_WAIT_FOR_WORKERS = """
import sys, time
from distributed import Client
address, workers, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + float(sys.argv[3])
while True:
    try:
        with Client(address, timeout="2s") as client:
            if len(client.scheduler_info()["workers"]) == workers:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("no %d workers within %s s" % (workers, sys.argv[3]))
    time.sleep(0.3)
"""


@contextlib.contextmanager
def dask_processes(workers: int = 2, timeout_s: float = 60) -> Iterator[str]:
    """Start a scheduler and ``workers`` one-thread workers; yield the scheduler's address.

    Everything started is ended on exit (terminate, then kill after 15 s), and their folder
    removed.
    """
    port = _free_port()
    folder = tempfile.mkdtemp(prefix="corescope-dask-cluster-")
    quiet = {"cwd": folder, "env": plain_env(folder), "stdout": subprocess.DEVNULL,
             "stderr": subprocess.DEVNULL}
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
             "--port", str(port), "--no-dashboard"], **quiet))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--nworkers", str(workers), "--host", "127.0.0.1", "--no-dashboard"], **quiet))
        # Asked from a child process: a Client here would start distributed's event-loop
        # thread in this process, which outlived its Client by over 30 s beside two busy loops,
        # and a test's check for threads left running blamed the test for it (seen in CI).
        ready = subprocess.run([sys.executable, "-c", _WAIT_FOR_WORKERS, address, str(workers),
                                str(timeout_s)], cwd=folder, env=plain_env(folder),
                               capture_output=True, text=True, timeout=timeout_s + 30)
        if ready.returncode != 0:
            raise TimeoutError("the dask cluster did not come up: "
                               + (ready.stderr.strip().splitlines() or ["no output"])[-1])
        yield address
    finally:
        _end(procs)
        shutil.rmtree(folder, ignore_errors=True)


def _end(procs: list[subprocess.Popen[bytes]]) -> None:
    """End the cluster's processes and everything they started, and reap them all."""
    import psutil

    below: list[psutil.Process] = []  # workers, their resource tracker
    for p in procs:
        with contextlib.suppress(psutil.Error):
            below += psutil.Process(p.pid).children(recursive=True)
    # Workers first, while their scheduler still answers: ended together, a worker's nanny
    # waits 8 s for the worker (which waits on the closing scheduler), then kills it.
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    # What outlived its parent was re-parented: to init, or to this process where a CoreScope
    # run made it a child subreaper. Either way it is waited for (and reaped) here.
    _, alive = psutil.wait_procs(below, timeout=10)
    for rest in alive:
        with contextlib.suppress(psutil.Error):
            rest.kill()
    psutil.wait_procs(alive, timeout=5)
