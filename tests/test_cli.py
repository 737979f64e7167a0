"""The CLI: output, files, exit codes, signals.

In-process through ``engine.cli.commands.main`` where that shows the behaviour (fast); through real
``main.py`` processes for signals, start-up and whole-process effects.
"""

from __future__ import annotations

import glob
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

import psutil
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, timeout=120, cwd=ROOT):
    return subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def test_list_json_names_every_task_and_backend_with_availability():
    out = cli("list", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    names = {t["name"] for t in data["tasks"]}
    assert {"primes", "hash", "sleep", "files", "http", "mixed", "fail", "crash"} <= names
    primes = next(t for t in data["tasks"] if t["name"] == "primes")
    assert primes["params"][0]["name"] == "n" and primes["params"][0]["default"] > 0
    backends = {b["name"]: b for b in data["backends"]}
    assert set(backends) >= {"sequential", "threads", "processes", "thread-pool",
                             "process-pool", "mp-pool", "asyncio", "interpreters"}
    if sys.version_info < (3, 14):
        assert not backends["interpreters"]["available"]
        assert "3.14" in backends["interpreters"]["reason"]
    assert data["machine"]["usable_cores"] >= 1
    assert isinstance(data["machine"]["gil_enabled"], bool)


def test_run_prints_a_summary_and_writes_json_and_trace(tmp_path):
    js, tr = tmp_path / "run.json", tmp_path / "run.trace.json"
    out = cli("run", "--task", "primes", "--backend", "thread-pool", "--tasks", "3",
              "--workers", "2", "--set", "n=20000", "--json", str(js), "--trace", str(tr))
    assert out.returncode == 0, out.stderr
    assert "thread-pool (2 workers): 3 ok of 3" in out.stdout
    assert "wall" in out.stdout and "GIL" in out.stdout
    doc = json.loads(js.read_text())
    assert set(doc) >= {"machine", "runs"}
    run = doc["runs"][0]
    for key in ("backend", "task", "workers", "n_tasks", "wall_s", "speedup", "efficiency",
                "cpu_util", "ok", "error", "tasks", "cpu"):
        assert key in run
    assert run["backend"] == "thread-pool" and run["n_tasks"] == 3 and run["ok"] == 3
    for task in run["tasks"]:
        for key in ("id", "name", "worker", "pid", "tid", "start_s", "end_s", "cpu_s", "ok",
                    "error"):
            assert key in task
        assert 0 <= task["start_s"] <= task["end_s"] <= run["wall_s"] + 1e-6
    assert run["cpu"]["interval_s"] == 0.1
    assert run["cpu"]["samples"] and len(run["cpu"]["samples"][0]["per_core"]) >= 1
    trace = json.loads(tr.read_text())
    # One span per task (the "GIL held by" row's spans are the GIL's, not tasks').
    assert sum(e["ph"] == "X" and e.get("cat") != "gil" for e in trace["traceEvents"]) == 3


def test_failed_tasks_exit_1_and_are_named():
    out = cli("run", "--task", "fail", "--backend", "sequential", "--tasks", "2",
              "--set", "n=100")
    assert out.returncode == 1
    assert "1 failed" in out.stdout and "ValueError" in out.stdout


def test_a_crashed_worker_exits_1_naming_the_lost_task():
    out = cli("run", "--task", "crash", "--backend", "process-pool", "--tasks", "1",
              "--workers", "1", "--set", "after_s=0")
    assert out.returncode == 1
    assert "task 0 crash: lost" in out.stdout


def test_compare_prints_a_table_with_speedup_against_sequential():
    out = cli("compare", "--task", "sleep", "--backends", "sequential,thread-pool",
              "--tasks", "4", "--workers", "4", "--set", "seconds=0.2", "-q")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("backend"))
    assert lines[header].split()[:5] == ["backend", "workers", "wall", "s", "speedup"]
    seq, pool = lines[header + 1].split(), lines[header + 2].split()
    assert seq[0] == "sequential" and seq[3] == "1.00"
    assert pool[:2] == ["thread-pool", "★"] and float(pool[4]) > 2.5


def test_compare_writes_csv_markdown_and_a_session(tmp_path):
    csv_path, sess = tmp_path / "t.csv", tmp_path / "s.json"
    args = ["compare", "--task", "primes", "--backends", "sequential,thread-pool", "--tasks",
            "2", "--set", "n=1000", "-q", "--markdown", "--csv", str(csv_path),
            "--session", str(sess)]
    out = cli(*args)
    assert out.returncode == 0, out.stderr
    assert "| backend | workers | wall s | speedup |" in out.stdout
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("backend,workers,wall s,speedup")
    assert [r.split(",")[0] for r in rows[1:]] == ["sequential", "thread-pool"]
    data = json.loads(sess.read_text())
    assert data["app"] == "corescope" and data["kind"] == "compare" and len(data["runs"]) == 2
    again = cli(*args)  # saving never overwrites silently
    assert again.returncode == 2 and "--force" in again.stderr
    assert json.loads(sess.read_text()) == data


def test_sweep_over_workers_prints_speedup_per_point(tmp_path):
    sess = tmp_path / "sweep.json"
    out = cli("sweep", "--task", "sleep", "--backends", "thread-pool", "--vary",
              "workers=1,4", "--tasks", "4", "--set", "seconds=0.2", "-q",
              "--session", str(sess))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    header = next(i for i, ln in enumerate(lines) if ln.startswith("workers"))
    one, four = lines[header + 1].split(), lines[header + 2].split()
    assert one[0] == "1" and 0.8 < float(one[4]) < 1.2
    assert four[0] == "4" and float(four[4]) > 2.5
    data = json.loads(sess.read_text())
    assert data["kind"] == "sweep" and data["sweep"]["knob"] == "workers"
    assert len(data["runs"]) == 3  # one sequential baseline + two points


def test_gui_refuses_a_bad_session_file_without_opening_a_window(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"runs": [')
    out = cli("gui", "--session", str(bad))
    assert out.returncode == 2
    assert "not valid JSON" in out.stderr and "truncated" in out.stderr


SEED = textwrap.dedent('''
    import time


    def file_operation_1():
        for i in range(5):
            print(f"file_operation_1 step {i}", flush=True)
            time.sleep(1)


    def file_operation_2():
        for i in range(5):
            print(f"file_operation_2 step {i}", flush=True)
            time.sleep(1)
''')


@pytest.mark.parametrize("backend", ["processes", "threads"])
def test_the_seed_functions_run_as_two_parallel_tasks(tmp_path, backend):
    seed = tmp_path / "seed.py"
    seed.write_text(SEED)
    js = tmp_path / "seed.json"
    out = cli("run", "--task", f"{seed}:file_operation_1", "--task",
              f"{seed}:file_operation_2", "--backend", backend, "--json", str(js))
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("step 4") == 2
    run = json.loads(js.read_text())["runs"][0]
    assert run["n_tasks"] == 2 and run["ok"] == 2
    assert 5 <= run["wall_s"] < 8  # two 5 s tasks side by side, not 10 s


def test_custom_module_function_with_parameters(tmp_path):
    js = tmp_path / "add.json"
    out = cli("run", "--task", "tests.tasks_for_tests:add", "--backend", "process-pool",
              "--workers", "1", "--set", "a=40", "--set", "b=2", "--json", str(js))
    assert out.returncode == 0, out.stderr
    assert json.loads(js.read_text())["runs"][0]["tasks"][0]["result"] == "42"


def test_json_to_a_device_writes_through_it_and_leaves_it_a_device():
    import stat

    out = cli("run", "--task", "primes", "--backend", "sequential", "--tasks", "1",
              "--set", "n=100", "--json", os.devnull)
    assert out.returncode == 0, out.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


# Bad input and faults (exit 2 / 1, one line): the table in test_cli_contract.py.


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


def test_the_window_without_a_display_is_one_line_not_a_qt_abort():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, os.path.join(ROOT, "main.py")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    if not sys.platform.startswith("linux"):
        pytest.skip("a display is always there off Linux")
    assert out.returncode == 2
    assert out.stderr.startswith("corescope: error: no display") and "Traceback" not in out.stderr


# -- outputs ---------------------------------------------------------------------------------

def run_cli(*args: str) -> tuple[int, str, str]:
    """engine.cli.commands.main in this process: the exit code, stdout and stderr."""
    from engine.cli import commands as engine_cli

    out, err = io.StringIO(), io.StringIO()
    return engine_cli.main(list(args), out, err), out.getvalue(), err.getvalue()


QUICK = ("--task", "sleep", "--set", "seconds=0.05", "--tasks", "2")
SPOIL = textwrap.dedent('''
    import shutil


    def spoil(folder=""):
        """Remove an output's folder while the run runs, so that writing there fails."""
        shutil.rmtree(folder, ignore_errors=True)
''')


def _spoiler(tmp_path) -> tuple[list[str], str]:
    """Task arguments that remove folder ``gone`` mid-run, and that folder."""
    (tmp_path / "spoil.py").write_text(SPOIL)
    gone = tmp_path / "gone"
    gone.mkdir()
    task = f"{tmp_path / 'spoil.py'}:spoil"
    return ["--task", task, "--set", f"{task}.folder={gone}"], str(gone)


@pytest.mark.parametrize("failing", ["--json", "--trace", "--session", "--csv"])
def test_one_output_failing_after_the_run_costs_that_output_alone(tmp_path, failing):
    spoil, gone = _spoiler(tmp_path)
    paths = {flag: str(tmp_path / f"out{flag[1:]}.json") for flag in
             ("--json", "--trace", "--session", "--csv")}
    paths[failing] = os.path.join(gone, "lost.json")
    flags = [x for flag, path in paths.items() for x in (flag, path)]
    code, out, err = run_cli("compare", "--backends", "threads", *QUICK, *spoil, *flags)
    assert code == 1, (out, err)
    assert err.splitlines() == [f"corescope: error: {failing} {paths[failing]}: not written: "
                                "No such file or directory"]
    written = {f: p for f, p in paths.items() if f != failing}
    for flag, path in written.items():
        assert f"wrote {path}" in out
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if flag == "--csv":
            assert text.startswith("backend,workers,")
        elif flag == "--trace":
            assert sum(e["ph"] == "X" and e.get("cat") != "gil"
                       for e in json.loads(text)["traceEvents"]) == 4
        else:
            assert json.loads(text)["runs"][0]["n_tasks"] == 4  # two sleeps, two spoilers
    # the probe and the temp files of an atomic write leave nothing behind
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["spoil.py", *(os.path.basename(p) for p in written.values())])


def test_dash_sends_the_data_to_stdout_and_the_report_to_stderr():
    code, out, err = run_cli("run", "--backend", "threads", *QUICK, "--json", "-")
    assert code == 0, err
    doc = json.loads(out)  # nothing but the JSON on stdout
    assert doc["runs"][0]["n_tasks"] == 2
    assert "threads (2 workers): 2 ok of 2" in err
    code, out, err = run_cli("compare", "--backends", "threads", *QUICK, "--csv", "-",
                             "--markdown")
    assert code == 0, err
    assert out.splitlines()[0].startswith("backend,workers,") and len(out.splitlines()) == 2
    assert "| backend |" in err


@pytest.mark.parametrize("flag", ["--json", "--trace", "--session", "--csv"])
def test_no_output_replaces_a_file_unless_forced(tmp_path, flag):
    path = tmp_path / "old.txt"
    path.write_text("keep me")
    code, out, err = run_cli("compare", "--backends", "threads", *QUICK, flag, str(path))
    assert code == 2 and "add --force" in err and out == ""
    assert path.read_text() == "keep me"
    code, out, err = run_cli("compare", "--backends", "threads", *QUICK, flag, str(path),
                             "--force")
    assert code == 0, err
    assert path.read_text() != "keep me"
    assert os.listdir(tmp_path) == ["old.txt"]


def test_a_signal_while_outputs_are_written_loses_none_of_them(tmp_path, monkeypatch):
    """Ctrl-C arrives half-way through writing the first file: every file still appears."""
    import engine.files.export

    real = engine.files.export.write_json
    calls = []

    def write_json_meeting_a_ctrl_c(path, data):
        calls.append(path)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # a real signal, handled while we sleep
            time.sleep(0.05)
        real(path, data)

    monkeypatch.setattr(engine.files.export, "write_json", write_json_meeting_a_ctrl_c)
    js, tr, ss = (str(tmp_path / n) for n in ("r.json", "r.trace.json", "r.session.json"))
    code, out, err = run_cli("run", "--backend", "threads", *QUICK, "--json", js,
                             "--trace", tr, "--session", ss)
    assert calls and code == 130, (out, err)
    for path in (js, tr, ss):
        with open(path, encoding="utf-8") as fh:
            assert json.load(fh)
    assert err.splitlines() == ["corescope: interrupted (Ctrl-C)"]
    assert sorted(os.listdir(tmp_path)) == ["r.json", "r.session.json", "r.trace.json"]


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


def test_list_says_in_words_which_python_runs_and_whether_the_gil_is_on():
    out = cli("list")
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first.startswith("this Python: ") and sys.version.split()[0] in first
    assert ("GIL on" in first) != ("GIL off" in first) and "free-threaded: " in first
