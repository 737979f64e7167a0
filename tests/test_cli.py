"""The CLI: output, files, exit codes.

In-process through ``engine.cli.commands.main`` where that shows the behaviour (fast); through real
``main.py`` processes for start-up and whole-process effects. Signals, and what a run leaves
when it is stopped or killed: test_cli_signals.py.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

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


def test_list_says_in_words_which_python_runs_and_whether_the_gil_is_on():
    out = cli("list")
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first.startswith("this Python: ") and sys.version.split()[0] in first
    assert ("GIL on" in first) != ("GIL off" in first) and "free-threaded: " in first
