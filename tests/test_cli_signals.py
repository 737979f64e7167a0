"""The CLI stopped from outside: Ctrl-C, SIGTERM and SIGHUP, to it alone or to its whole
process group as a terminal sends them, and a hard kill: exit 128 + n, one line on stderr, what
was measured kept, and no worker or temp file left behind. Through real ``main.py`` processes.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psutil
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ctrl_c_cancels_and_exits_130_with_no_worker_left():
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task",
                             "sleep", "--backend", "process-pool", "--workers", "2",
                             "--set", "seconds=30"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        ps = psutil.Process(proc.pid)
        deadline = time.monotonic() + 20
        while len(ps.children(recursive=True)) < 2:
            assert time.monotonic() < deadline, "workers never started"
            time.sleep(0.05)
        workers = ps.children(recursive=True)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "cancelled" in out
    gone, alive = psutil.wait_procs(workers, timeout=3)
    assert not alive


@pytest.mark.parametrize("backend", ["process-pool", "mp-pool", "processes", "joblib", "dask"])
def test_workers_exit_on_their_own_when_the_cli_is_killed_hard(backend):
    pytest.importorskip({"joblib": "joblib", "dask": "distributed"}.get(backend, "os"))


    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task",
                             "sleep", "--backend", backend, "--workers", "2", "--tasks", "2",
                             "--set", "seconds=60"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        ps = psutil.Process(proc.pid)
        deadline = time.monotonic() + 20
        workers: list[psutil.Process] = []
        while len(workers) < 2:
            assert time.monotonic() < deadline, "workers never started"
            workers = [p for p in ps.children(recursive=True)
                       if "resource_tracker" not in " ".join(p.cmdline())
                       and "sampler.py" not in " ".join(p.cmdline())]
            time.sleep(0.05)
        time.sleep(0.5)  # let the workers get into their tasks
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # Orphans are reparented away from us, so wait on them by pid rather than as children.
    gone, alive = psutil.wait_procs(workers, timeout=8)
    for p in alive:  # never leave them burning a core, even when the test fails
        p.kill()
    assert not alive, f"{len(alive)} orphaned workers still running"


def test_a_second_ctrl_c_leaves_uninterruptible_tasks_and_exits_promptly(launch):
    proc = launch(["run", "--task", "tests.tasks_for_tests:uninterruptible", "--backend",
                   "thread-pool", "--tasks", "2", "--set", "seconds=30"], ROOT)
    # From the workload line, not from launch: imports alone took over 1.5 s beside busy loops.
    proc.watch(line="workload:")
    proc.watch(until_s=proc.since() + 1.0)  # both tasks running
    proc.signal(signal.SIGINT)
    proc.watch(until_s=proc.since() + 0.5)
    assert proc.proc.poll() is None, "the first Ctrl-C must wait for the running tasks"
    t = time.monotonic()
    proc.signal(signal.SIGINT)
    alive = proc.finish(timeout=10)
    assert time.monotonic() - t < 3
    out = "".join(proc.out)
    assert proc.proc.returncode == 130, "".join(proc.err)
    assert "waiting for 2 running task(s)" in out
    assert "2 cancelled" in out
    assert not alive


# -- signals, through a real process group (as a terminal or `timeout` sends them) -----------

class Launched:
    """``python main.py ...`` in a process group of its own, its output read as it comes."""

    def __init__(self, args, cwd):
        self.proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "main.py"), *args],
                                     cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        self.t0 = time.monotonic()
        self.out: list[str] = []
        self.err: list[str] = []
        self.seen: set[psutil.Process] = set()
        self._readers = [threading.Thread(target=self._read, args=(s, lines))
                         for s, lines in ((self.proc.stdout, self.out),
                                          (self.proc.stderr, self.err))]
        for t in self._readers:
            t.start()

    @staticmethod
    def _read(stream, lines):
        for line in stream:
            lines.append(line)

    def since(self) -> float:
        return time.monotonic() - self.t0

    def watch(self, until_s=0.0, line=None, timeout=60.0):
        """Note its children until ``until_s`` after launch, or until ``line`` is printed."""
        deadline = time.monotonic() + timeout
        while self.since() < until_s or (line and not any(line in ln for ln in self.out)):
            assert time.monotonic() < deadline, self.err
            if self.proc.poll() is not None:
                assert not line, f"ended before printing {line!r}: {self.err}"
                return
            try:
                self.seen.update(psutil.Process(self.proc.pid).children(recursive=True))
            except psutil.Error:
                pass
            time.sleep(0.005)

    def signal(self, sig):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)  # the whole group, as a terminal does

    def finish(self, timeout=30):
        """Wait for the end; the children it had that are still running (killed now)."""
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for t in self._readers:
                t.join()
            self.proc.stdout.close()
            self.proc.stderr.close()
        _, alive = psutil.wait_procs(self.seen, timeout=5)
        for p in alive:  # never leave them running, even when the test fails
            p.kill()
        return alive


@pytest.fixture
def launch():
    """Start main.py processes; whatever a failing test left running is ended afterwards."""
    started: list[Launched] = []

    def start(args, cwd):
        started.append(Launched(args, cwd))
        return started[-1]

    yield start
    for proc in started:
        if proc.proc.returncode is None:
            proc.finish(timeout=0)


def _inside_imports(proc: Launched, timeout: float = 30.0) -> float:
    """Wait until the CLI is part-way through importing the engine: psutil's C extension is
    mapped (the engine's report module loads it, about 250 of the CLI's 315 imports in).

    Timing it instead (a bare interpreter's start-up, measured beforehand) raced on a busy
    machine: the signal came before Python had installed its own SIGINT handler, and the
    process died of the signal (-2) without running a line of CoreScope.
    Returns seconds since launch."""
    maps = f"/proc/{proc.proc.pid}/maps"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.proc.poll() is None:
        try:
            with open(maps) as f:
                if "_psutil_linux" in f.read():
                    return proc.since()
        except OSError:
            pass
        time.sleep(0.001)
    raise AssertionError(f"the CLI never imported psutil: {proc.err}")


def _leftover_temp_files(pid, folder):
    ours = glob.glob(os.path.join(tempfile.gettempdir(), f"corescope-*{pid}*"))
    ours += [n for n in os.listdir(folder) if ".tmp" in n or n.startswith(".corescope")]
    return ours


SLEEPY = ["--task", "sleep", "--set", "seconds=20", "--tasks", "4", "--workers", "2"]


@pytest.mark.parametrize("when", ["during start-up", "mid-run", "twice 0.1 s apart",
                                  "three times during start-up"])
def test_ctrl_c_at_any_moment_gives_130_and_one_line(tmp_path, launch, when):
    js = tmp_path / "r.json"
    proc = launch(["run", "--backend", "threads", *SLEEPY, "--json", str(js)], tmp_path)
    if when.endswith("start-up"):
        early = _inside_imports(proc)
        for at in [early] + ([early + 0.1, early + 0.2] if when.startswith("three") else []):
            proc.watch(until_s=at)
            proc.signal(signal.SIGINT)
    else:
        proc.watch(line="workload:")
        proc.watch(until_s=proc.since() + 0.3)  # the tasks are running
        proc.signal(signal.SIGINT)
        if when.startswith("twice"):
            proc.watch(until_s=proc.since() + 0.1)
            proc.signal(signal.SIGINT)
    alive = proc.finish()
    err = "".join(proc.err)
    assert proc.proc.returncode == 130, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("corescope: interrupted"), err
    assert not alive, "children left running"
    assert not _leftover_temp_files(proc.proc.pid, tmp_path)
    if not when.endswith("start-up"):  # a run that started is written, marked cancelled
        assert json.loads(js.read_text())["runs"][0]["cancelled_run"] is True


@pytest.mark.parametrize("sig,words", [("SIGTERM", "terminated (SIGTERM)"),
                                       ("SIGHUP", "hung up (SIGHUP: the terminal closed)")])
def test_sigterm_and_sighup_cancel_keep_what_was_measured_and_exit_128_plus_n(tmp_path, launch,
                                                                             sig, words):
    js, ss = tmp_path / "r.json", tmp_path / "r.session.json"
    proc = launch(["run", "--backend", "threads", *SLEEPY, "--json", str(js), "--session",
                   str(ss)], tmp_path)
    proc.watch(line="workload:")
    proc.watch(until_s=proc.since() + 0.3)
    proc.signal(getattr(signal, sig))
    alive = proc.finish()
    err = "".join(proc.err)
    assert proc.proc.returncode == 128 + getattr(signal, sig), err  # 143, 129
    assert err.strip().splitlines() == [f"corescope: {words}; the run was cancelled"]
    for path in (js, ss):
        run = json.loads(path.read_text())["runs"][0]
        assert run["cancelled_run"] is True and run["n_tasks"] == 4
    assert f"wrote {js}" in "".join(proc.out)
    assert not alive and not _leftover_temp_files(proc.proc.pid, tmp_path)


_WORKER_MARKS = ("spawn_main", "popen_loky")  # a spawned worker's command line; loky's own


def _worker_starting(proc: Launched, timeout: float = 60.0) -> None:
    """Wait until the run's first worker process exists: the moment its interpreter starts
    and imports, before any CoreScope code runs in it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.proc.poll() is None:
        try:
            kids = psutil.Process(proc.proc.pid).children(recursive=True)
            proc.seen.update(kids)
            if any(m in " ".join(k.cmdline()) for k in kids for m in _WORKER_MARKS):
                return
        except psutil.Error:
            pass
        time.sleep(0.002)
    raise AssertionError(f"no worker process started: {proc.err}")


@pytest.mark.parametrize("when", ["as a worker starts", "in their tasks"])
@pytest.mark.parametrize("backend", ["process-pool", "mp-pool", "processes", "joblib", "dask"])
@pytest.mark.parametrize("sig", ["SIGINT", "SIGHUP"])
def test_a_group_signal_on_a_process_backend(tmp_path, launch, backend, sig, when):
    """Exit 128 + n, one line on stderr, no worker left, no temp file. Every process of the
    run gets the signal too, as from a terminal: workers, and multiprocessing's and loky's
    helpers, which used to die of a SIGHUP and print tracebacks (engine.backends._child
    .hangup_blocked). A worker still importing when Ctrl-C came printed its KeyboardInterrupt
    traceback (seen beside two busy loops, when 2 s was not enough for dask's workers to
    start): workers are born with the terminal's signals blocked (_child.signals_blocked)."""
    pytest.importorskip({"joblib": "joblib", "dask": "distributed"}.get(backend, "os"))
    proc = launch(["run", "--backend", backend, *SLEEPY], tmp_path)
    proc.watch(line="workload:")
    if when == "as a worker starts":
        _worker_starting(proc)
        time.sleep(0.02)  # into its interpreter's start-up: imports, where Ctrl-C landed
    else:
        proc.watch(until_s=proc.since() + 2.0)
    proc.signal(getattr(signal, sig))
    alive = proc.finish()
    err = "".join(proc.err)
    assert proc.proc.returncode == 128 + getattr(signal, sig), err
    assert err.strip().splitlines()[-1].startswith(
        "corescope: interrupted" if sig == "SIGINT" else "corescope: hung up"), err
    assert not alive and not _leftover_temp_files(proc.proc.pid, tmp_path)
    assert len(err.strip().splitlines()) == 1, err
