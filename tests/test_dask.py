"""Dask beyond LocalCluster: an existing cluster of separate processes, reached by address.

(The LocalCluster path runs through the behaviour and fault suites with every other backend.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import psutil
import pytest

pytest.importorskip("distributed")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster():
    """`dask scheduler` and `dask worker` as separate processes on 127.0.0.1."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=ROOT)  # workers import the engine's task code
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    address = f"tcp://127.0.0.1:{port}"
    procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                   "--nthreads", "1", "--nworkers", "2", "--host", "127.0.0.1",
                                   "--no-dashboard"], cwd=ROOT, env=env,
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


def test_run_on_an_existing_cluster_by_address_leaves_it_running(cluster, tmp_path):
    js = tmp_path / "dask.json"
    out = subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task",
                          "primes", "--backend", "dask", "--scheduler", cluster, "--tasks", "6",
                          "--set", "n=150000", "--json", str(js)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    run = json.loads(js.read_text())["runs"][0]
    assert run["ok"] == 6
    pids = {t["pid"] for t in run["tasks"]}
    assert len(pids) == 2  # both workers of the cluster took tasks
    assert all(t["worker"].startswith("dask 127.0.0.1:") for t in run["tasks"])
    assert any("stays running" in n for n in run["notes"])
    # The cluster's hosts were sampled through Dask: here one host, this machine, whose two
    # worker processes each kept about a core busy while the tasks ran.
    assert any("2 worker thread(s) on 1 host(s)" in n for n in run["notes"])
    assert run["cluster_cores"] == psutil.cpu_count(logical=True)
    hosts = run["cpu"]["hosts"]
    assert len(hosts) >= 2
    assert {h["host"] for h in hosts} == {f"{socket.gethostname()} (this machine)"}
    assert all(len(h["per_core"]) == psutil.cpu_count(logical=True) for h in hosts)
    assert set().union(*(h["processes"] for h in hosts)) >= {str(p) for p in pids}
    busiest = max(max(h["processes"].values()) for h in hosts)
    assert busiest > 50
    from distributed import Client

    with Client(cluster, timeout="5s") as client:  # still up for the next run
        assert len(client.scheduler_info()["workers"]) == 2
