"""A Dask cluster of separate processes on 127.0.0.1, for tests and benchmarks.

``dask scheduler`` and ``dask worker`` started as the command-line tools a user would run, so
CoreScope reaches them by address exactly as it would reach a cluster elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def dask_processes(workers: int = 2, timeout_s: float = 60,
                   engine_importable: bool = True) -> Iterator[str]:
    """Start a scheduler and ``workers`` one-thread workers; yield the scheduler's address.

    ``engine_importable=False`` starts them the way a user might by mistake: elsewhere, without
    CoreScope's folder on their path. Everything started is ended on exit (terminate, then kill
    after 15 s).
    """
    from distributed import Client

    port = _free_port()
    # Workers import the engine's task code; keep any path the caller set up too.
    paths = [ROOT] if engine_importable else []
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
              if p and os.path.abspath(p) != ROOT]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    cwd = ROOT if engine_importable else os.path.dirname(sys.executable)
    quiet = {"cwd": cwd, "env": env, "stdout": subprocess.DEVNULL,
             "stderr": subprocess.DEVNULL}
    address = f"tcp://127.0.0.1:{port}"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)]
    try:
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--nworkers", str(workers), "--host", "127.0.0.1", "--no-dashboard"], **quiet))
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with Client(address, timeout="2s") as client:
                    if len(client.scheduler_info()["workers"]) == workers:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the dask cluster did not come up")
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
