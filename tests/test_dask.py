"""Dask beyond LocalCluster: an existing cluster reached by address, and the address itself.

(The LocalCluster path runs through the behaviour and fault suites with every other backend.)
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest

from engine.backends.scheduler_address import check_scheduler_address

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="dask.distributed is not installed")

TASK_FILE = '''
import os


def square(n=12):
    """a custom task in a file that exists only where CoreScope runs"""
    return f"{n * n} from {os.path.basename(__file__)}"
'''


def _plugins(client):
    """The plugins every worker holds and the scheduler keeps for workers joining later."""
    on_workers = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    kept = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.worker_plugins))
    return set(kept).union(*on_workers.values())


@needs_dask
def test_a_plain_cluster_by_address_runs_builtin_and_file_tasks_and_stays_running(
        dask_cluster, tmp_path):
    from distributed import Client

    cluster = dask_cluster
    loops_before = set(threading.enumerate())
    with Client(cluster, timeout="5s") as client:
        # A plain cluster: started without PYTHONPATH, outside CoreScope's folder.
        assert set(client.run(importlib.util.find_spec, "engine").values()) == {None}
        plugins_before = _plugins(client)
    (tmp_path / "mytasks.py").write_text(TASK_FILE)
    js = tmp_path / "dask.json"
    # From the file's folder, named by a relative path the workers could not resolve.
    out = subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task",
                          "primes", "--task", "mytasks.py:square", "--backend", "dask",
                          "--scheduler", cluster, "--tasks", "6", "--set", "primes.n=150000",
                          "--json", str(js)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    run = json.loads(js.read_text())["runs"][0]
    assert run["ok"] == 12
    custom = [t for t in run["tasks"] if t["name"] == "mytasks.py:square"]
    assert len(custom) == 6 and all(t["result"].startswith("'144 from ") for t in custom)
    primes = [t for t in run["tasks"] if t["name"] == "primes"]
    pids = {t["pid"] for t in primes}
    assert len({t["pid"] for t in run["tasks"]}) == 2  # both workers of the cluster took tasks
    assert all(t["worker"].startswith("dask 127.0.0.1:") for t in run["tasks"])
    assert any("stays running" in n for n in run["notes"])
    # The cluster's hosts were sampled through Dask: here one host, this machine, whose
    # worker processes were seen busy while the tasks ran.
    assert any("2 worker thread(s) on 1 host(s)" in n for n in run["notes"])
    assert run["cluster_cores"] == psutil.cpu_count(logical=True)
    hosts = run["cpu"]["hosts"]
    assert hosts
    assert {(h["host"], h["this_machine"]) for h in hosts} == {(socket.gethostname(), True)}
    assert {t["host"] for t in run["tasks"]} == {socket.gethostname()}
    assert all(len(h["per_core"]) == psutil.cpu_count(logical=True) for h in hosts)
    seen = set().union(*(h["processes"] for h in hosts))
    assert seen >= {str(p) for p in pids}
    busiest = max(max(h["processes"].values()) for h in hosts)
    assert busiest > 10  # an idle worker reads about 0 %; a busy one up to 100 %
    with Client(cluster, timeout="5s") as client:  # still up for the next run
        assert len(client.scheduler_info()["workers"]) == 2
        # The upload plugins went with the run: a worker joining later gets nothing of ours.
        assert _plugins(client) == plugins_before
    # This test's own clients started distributed's event-loop thread here; it ends on its own
    # once they are closed, which took over 10 s beside two busy loops. Waited for as the engine
    # waits for its own (engine.backends.dask_cluster._join_new_loops), bounded.
    for thread in set(threading.enumerate()) - loops_before:
        if thread.name == "IO loop":
            thread.join(30)


class _Listener:
    """A local TCP port that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # closing a socket does not wake a blocked accept()
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = threading.Event()
        self._closing = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self._held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self._closing.set()
        self._thread.join(5)
        self.sock.close()
        for conn in self._held:
            conn.close()


class _Quiet(http.server.BaseHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 — the base class's name
        pass


@pytest.fixture
def silent_port():
    listener = _Listener()
    yield listener
    listener.close()


@pytest.fixture
def http_port():
    """A web server such as a scheduler's dashboard: it answers, but in HTTP."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _dask_run(address):
    from engine.run.runner import Run, RunConfig
    from engine.workload import build_workload

    return Run(RunConfig(build_workload(["sleep"], 2, {"seconds": "0.1"}), "dask",
                         scheduler=address)).start()


@needs_dask
def test_a_port_that_never_answers_ends_the_run_within_the_connect_timeout(silent_port,
                                                                           monkeypatch):
    import engine.backends.dask_cluster as dask_backend

    monkeypatch.setattr(dask_backend, "CONNECT_TIMEOUT_S", 2.0)
    t0 = time.monotonic()
    run = _dask_run(silent_port.address)
    result = run.result(timeout=60)  # it used to wait for ever
    took = time.monotonic() - t0
    assert silent_port.accepted.is_set()
    assert result.stats.lost == 2 and not result.cancelled
    (problem,) = result.problems
    assert problem.startswith(f"could not reach the Dask scheduler at {silent_port.address} "
                              "within 2 s: ")
    assert "never answered" in problem and "\n" not in problem
    assert took < 30


@needs_dask
def test_cancel_while_connecting_ends_the_run_at_once(silent_port):
    run = _dask_run(silent_port.address)
    assert silent_port.accepted.wait(30)  # connected, now waiting for a handshake
    t0 = time.monotonic()
    run.cancel()
    assert run.wait(5), "the run did not end after a cancel while connecting"
    assert time.monotonic() - t0 < 5
    result = run.result()
    assert result.cancelled and result.stats.cancelled == 2 and not result.problems


@needs_dask
def test_a_web_port_given_as_the_scheduler_gets_one_line_naming_it(http_port):
    """The CLI as a user runs it, at the default timeout: one line, exit 1, no traceback."""
    t0 = time.monotonic()
    out = subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task",
                          "sleep", "--backend", "dask", "--scheduler", http_port, "--tasks", "1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert time.monotonic() - t0 < 90
    lines = [ln for ln in out.stdout.splitlines()
             if f"could not reach the Dask scheduler at {http_port} within 10 s" in ln]
    assert lines, out.stdout
    assert "Traceback" not in out.stdout + out.stderr


GOOD_ADDRESSES = ["tcp://127.0.0.1:8786", "tcp://localhost:1", "tcp://node-7.cluster.lan:65535",
                  "tcp://dask_scheduler:8786", "tls://10.0.0.5:8786", "ws://[::1]:8786",
                  "wss://[fe80::1%eth0]:443", "tcp://[2001:db8::1]:8786",
                  "inproc://10.0.0.1/1234/1"]
BAD_ADDRESSES = [
    ("tcp://127.0.0.1:99999", "port 99999 is out of range 1..65535"),
    ("tcp://127.0.0.1:0", "port 0 is out of range 1..65535"),
    ("tcp://127.0.0.1:abc", "port 'abc' is not a number"),
    ("tcp://127.0.0.1", "has no port"),
    ("tcp://127.0.0.1:", "has no port"),
    ("tcp://[::1]", "has no port"),
    ("tcp://:8786", "names no host"),
    ("tcp://::1:8786", "IPv6 host in brackets"),
    ("tcp://[::zz]:8786", "not an IPv6 address"),
    ("tcp://300.1.1.1:8786", "not an IPv4 address"),
    ("tcp://-bad-.lan:8786", "not a host name"),
    ("tcp://host:8786/", "has a path"),
    ("127.0.0.1:8786", "should look like tcp://host:port"),
    ("http://127.0.0.1:8787", "a web address"),
    ("udp://127.0.0.1:8786", "unknown scheme 'udp'"),
    ("tcp://a b:8786", "contains spaces"),
    ("", "empty"),
    ("inproc://", "names no in-process address"),
]


@pytest.mark.parametrize("address", GOOD_ADDRESSES)
def test_well_formed_scheduler_addresses_pass(address):
    assert check_scheduler_address(address) is None


@pytest.mark.parametrize("address,expected", BAD_ADDRESSES)
def test_malformed_scheduler_addresses_get_one_line(address, expected):
    problem = check_scheduler_address(address)
    assert problem is not None and expected in problem and "\n" not in problem
    if address.strip():
        assert repr(address) in problem  # names what the user typed
