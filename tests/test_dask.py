"""Dask beyond LocalCluster: an existing cluster of separate processes, reached by address.

(The LocalCluster path runs through the behaviour and fault suites with every other backend.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import psutil
import pytest

pytest.importorskip("distributed")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_run_on_an_existing_cluster_by_address_leaves_it_running(dask_cluster, tmp_path):
    cluster = dask_cluster
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
    assert {(h["host"], h["this_machine"]) for h in hosts} == {(socket.gethostname(), True)}
    assert {t["host"] for t in run["tasks"]} == {socket.gethostname()}
    assert all(len(h["per_core"]) == psutil.cpu_count(logical=True) for h in hosts)
    assert set().union(*(h["processes"] for h in hosts)) >= {str(p) for p in pids}
    busiest = max(max(h["processes"].values()) for h in hosts)
    assert busiest > 50
    from distributed import Client

    with Client(cluster, timeout="5s") as client:  # still up for the next run
        assert len(client.scheduler_info()["workers"]) == 2


def test_workers_that_cannot_import_the_engine_get_a_clear_message():
    from bench.dask_procs import dask_processes

    with dask_processes(workers=1, engine_importable=False) as address:
        out = subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task",
                              "primes", "--backend", "dask", "--scheduler", address, "--tasks",
                              "2", "--set", "n=1000"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
    assert out.returncode == 1, out.stderr
    assert "could not import CoreScope's engine" in out.stdout
    assert "PYTHONPATH" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr
