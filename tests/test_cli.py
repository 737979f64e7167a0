"""The CLI contract, through real subprocesses: output, files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

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
    assert sum(e["ph"] == "X" for e in trace["traceEvents"]) == 3


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


# Bad input: one line on stderr naming the problem, exit 2, nothing run, no traceback.
BAD = [
    (["run"], "--task"),
    (["run", "--task", "primes"], "--backend"),
    (["run", "--task", "nope", "--backend", "threads"], "unknown task 'nope'"),
    (["run", "--task", "primes", "--backend", "nope"], "unknown backend 'nope' (valid:"),
    (["run", "--task", "primes", "--backend", "threads", "--set", "n=abc"], "whole number"),
    (["run", "--task", "primes", "--backend", "threads", "--set", "n=-5"], "below the minimum"),
    (["run", "--task", "primes", "--backend", "threads", "--set", "n=0"], "below the minimum"),
    (["run", "--task", "primes", "--backend", "threads", "--set", "n=10**12"], "whole number"),
    (["run", "--task", "primes", "--backend", "threads", "--set", "n=999999999999"],
     "above the limit"),
    (["run", "--task", "primes", "--backend", "threads", "--set", "m=3"], "no task in this"),
    (["run", "--task", "primes", "--backend", "threads", "--set", "n"], "expected key=value"),
    (["run", "--task", "sleep", "--backend", "threads", "--set", "seconds=nan"], "a number"),
    (["run", "--task", "sleep", "--backend", "threads", "--set", "seconds=1e9"], "above the"),
    (["run", "--task", "hash", "--backend", "threads", "--set", "mb=1000000"], "above the"),
    (["run", "--task", "crash", "--backend", "threads"], "would kill CoreScope"),
    (["run", "--task", "crash", "--backend", "sequential"], "would kill CoreScope"),
    (["run", "--task", "crash", "--backend", "asyncio"], "would kill CoreScope"),
    (["run", "--task", "crash", "--backend", "processes", "--set", "how=nuke"], "not one of"),
    (["run", "--task", "primes", "--backend", "threads", "--tasks", "0"], "out of range"),
    (["run", "--task", "primes", "--backend", "threads", "--tasks", "-1"], "out of range"),
    (["run", "--task", "primes", "--backend", "threads", "--tasks", "x"], "invalid int"),
    (["run", "--task", "primes", "--backend", "threads", "--tasks", "10000000"], "out of range"),
    (["run", "--task", "primes", "--backend", "threads", "--tasks", "5000"], "limit"),
    (["run", "--task", "primes", "--backend", "processes", "--tasks", "500"], "limit"),
    (["run", "--task", "primes", "--backend", "thread-pool", "--workers", "0"], "out of range"),
    (["run", "--task", "primes", "--backend", "thread-pool", "--workers", "99999"],
     "out of range"),
    (["run", "--task", "primes", "--backend", "process-pool", "--workers", "5000"],
     "out of range"),
    (["run", "--task", "primes", "--backend", "process-pool", "--start-method", "teleport"],
     "unknown start method"),
    (["run", "--task", "primes", "--backend", "threads", "--start-method", "spawn"],
     "process backends only"),
    (["run", "--task", "primes", "--backend", "threads", "--interval", "0"], "out of range"),
    (["run", "--task", "primes", "--backend", "threads", "--timeout", "-1"], "out of range"),
    (["run", "--task", "no_such_module_x:f", "--backend", "threads"], "failed to import"),
    (["run", "--task", "os:no_such_function", "--backend", "threads"], "has no attribute"),
    (["run", "--task", "tests.tasks_for_tests:NOT_CALLABLE", "--backend", "threads"],
     "not callable"),
    (["run", "--task", "missing_file.py:f", "--backend", "threads"], "does not exist"),
    (["run", "--task", "bad spec:", "--backend", "threads"], "must look like"),
    (["run", "--task", "tests.tasks_for_tests:add", "--backend", "threads", "--set", "c=1"],
     "no task in this workload"),
    (["run", "--task", "tests.tasks_for_tests:boom", "--backend", "threads", "--set", "x=1"],
     "no task in this workload"),
    (["run", "--task", "__main__:f", "--backend", "process-pool"], "__main__"),
    (["run", "--task", "primes", "--backend", "threads", "--json", "/nonexistent/dir/x.json"],
     "does not exist"),
    (["run", "--task", "primes", "--backend", "threads", "--trace", "/"], "is a directory"),
    (["compare", "--task", "primes", "--backends", "threads,nope"], "unknown backend"),
    (["compare", "--task", "primes", "--backends", ","], "at least one backend"),
    (["compare", "--task", "crash", "--backends", "threads"], "would kill CoreScope"),
    (["gui", "--task", "primes", "--backend", "nope"], "unknown backend"),
    (["gui", "--start"], "--start needs"),
    (["gui", "--backend", "threads"], "needs --task"),
    (["gui", "--task", "primes", "--backend", "threads", "--screenshot", "/nonexistent/x.png"],
     "does not exist"),
    (["frobnicate"], "invalid choice"),
    (["run", "--task", "primes", "--backend", "threads", "--scheduler", "tcp://h:1"],
     "dask backend only"),
    (["run", "--task", "primes", "--backend", "dask", "--scheduler", "nonsense"],
     "should look like tcp://host:port"),
    (["sweep", "--task", "primes", "--backends", "threads", "--vary", "n"], "KNOB=V1"),
    (["sweep", "--task", "primes", "--backends", "threads", "--vary", "workers=a,b"],
     "not a whole number"),
    (["sweep", "--task", "primes", "--backends", "threads", "--vary", "n=0,5"], "minimum"),
    (["sweep", "--task", "primes", "--backends", "nope", "--vary", "n=5"], "unknown backend"),
    (["gui", "--session", "/nonexistent/s.json"], "cannot read"),
]
if sys.version_info < (3, 14):
    BAD.append((["run", "--task", "primes", "--backend", "interpreters"], "unavailable"))


@pytest.mark.parametrize("args,expected", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(args, expected):
    out = cli(*args, timeout=60)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("corescope: error: ")
    assert expected in lines[0]
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_ctrl_c_cancels_and_exits_130_with_no_worker_left():
    import signal
    import time

    import psutil

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
    import signal
    import time

    import psutil

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


def test_a_second_ctrl_c_leaves_uninterruptible_tasks_and_exits_promptly():
    import signal
    import time

    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task",
                             "tests.tasks_for_tests:uninterruptible", "--backend", "thread-pool",
                             "--tasks", "2", "--set", "seconds=30"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # interpreter start, imports, tasks running
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        assert proc.poll() is None, "the first Ctrl-C must wait for the running tasks"
        t = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
        assert time.monotonic() - t < 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130
    assert "waiting for 2 running task(s)" in out
    assert "2 cancelled" in out


def test_the_window_without_a_display_is_one_line_not_a_qt_abort():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, os.path.join(ROOT, "main.py")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    if not sys.platform.startswith("linux"):
        pytest.skip("a display is always there off Linux")
    assert out.returncode == 2
    assert out.stderr.startswith("corescope: error: no display") and "Traceback" not in out.stderr
