"""Warm pools: every worker started, and through an empty task, before the run's clock.

Real pools (spawned processes, real threads). What a user sees: tasks start at once after 0,
the start cost is on its own line and not in wall, and it survives files and lessons.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.figures.explain import explain, worker_start_s
from engine.files import session
from engine.files.export import document
from engine.files.lessons import LessonError, parse_lesson
from engine.files.trace import chrome_trace
from engine.run.config import config_of
from engine.run.lesson_plan import configs
from engine.run.runner import RunConfig, execute
from engine.workload import build_workload

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(backend: str, warm: bool, workers: int = 2, count: int = 4):
    wl = build_workload(["sleep"], count, {"seconds": "0.2"})
    return execute(RunConfig(wl, backend, workers=workers, start_method=None, warm=warm))


@pytest.fixture(scope="module")
def warm_pool():
    return run("process-pool", True)


def test_a_warm_process_pool_starts_its_tasks_at_once_and_reports_the_start_apart(warm_pool):
    result = warm_pool
    assert result.ok and result.notes == ()
    assert result.warm_start_s is not None and result.warm_start_s > 0
    # The pool was created before t0, and both workers ran tasks right after it.
    assert result.warmed_from is not None and result.warmed_from < result.t0
    assert {r.worker.pid for r in result.records} and len({r.worker.pid
                                                           for r in result.records}) == 2
    assert worker_start_s(result) < 0.3  # generous: an idle worker picks a task in ms
    assert any(line.startswith("Warm start: the worker processes took") for line in
               explain(result))


def test_a_cold_run_pays_the_start_inside_wall():
    cold = run("process-pool", False)
    assert cold.warm_start_s is None and cold.warmed_from is None
    assert not any("Warm start" in line for line in explain(cold))
    assert any("from the run's start to its first task" in line for line in explain(cold))


@pytest.mark.parametrize("backend", ["thread-pool", "mp-pool", "dask"])
def test_other_pools_warm_every_worker(backend):
    result = run(backend, True, workers=3, count=3)
    assert result.ok and result.warm_start_s is not None, result.notes
    assert not any("were up before the clock" in n for n in result.notes)
    assert worker_start_s(result) < 0.3


def test_a_backend_without_a_pool_runs_cold_and_says_why():
    result = run("threads", True)
    assert result.ok and result.warm_start_s is None
    assert any("warm start does not apply: threads starts a worker for each task" in n
               for n in result.notes)


def test_warm_start_survives_files_traces_and_a_rerun_setup(warm_pool, tmp_path):
    path = str(tmp_path / "warm.corescope.json")
    session.save(path, [warm_pool])
    back = session.load(path).runs[0]
    assert back.warm_start_s == pytest.approx(warm_pool.warm_start_s, abs=1e-6)
    assert back.rel(back.warmed_from) == pytest.approx(
        warm_pool.rel(warm_pool.warmed_from), abs=1e-6)
    assert config_of(back).warm  # reopened, Run runs it warm again
    doc = document([warm_pool], warm_pool.machine)
    assert doc["runs"][0]["warm"]["from_s"] < 0
    names = [e["name"] for e in chrome_trace([warm_pool])["traceEvents"]]
    assert "workers starting (warm, not in wall)" in names


def test_a_session_with_a_damaged_warm_field_is_refused_in_one_line(warm_pool, tmp_path):
    path = tmp_path / "warm.corescope.json"
    session.save(str(path), [warm_pool])
    raw = json.loads(path.read_text())
    raw["runs"][0]["warm"]["from_s"] = 5  # after t0: not when a pool started
    path.write_text(json.dumps(raw))
    with pytest.raises(session.SessionError, match="warm"):
        session.load(str(path))


LESSON = {"format": "corescope-lesson", "version": 1, "title": "Warm", "talking_point": "",
          "notice": "", "rows": [{"task": "sleep", "count": 2}],
          "backends": ["sequential", "process-pool"], "page": "compare", "warm": True}


def test_a_lesson_can_ask_for_warm_pools():
    lesson = parse_lesson(json.dumps(LESSON), "warm", ROOT)
    assert lesson.warm and lesson.as_dict()["warm"] is True
    # The pool runs warm; sequential has no pool and runs cold without a note.
    assert [c.warm for c in configs(lesson)] == [False, True]
    with pytest.raises(LessonError, match="warm"):
        parse_lesson(json.dumps({**LESSON, "warm": "yes"}), "warm", ROOT)


def test_the_cli_reports_the_warm_start_on_its_own_line():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), "run", "--task", "sleep",
                          "--set", "seconds=0.1", "--tasks", "2", "--workers", "2",
                          "--backend", "process-pool", "--warm"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    warm = [line for line in out.stdout.splitlines() if line.strip().startswith("warm:")]
    assert warm and "not counted in wall" in warm[0], out.stdout


@pytest.mark.parametrize("backend", ["process-pool", "mp-pool"])
def test_stop_while_the_pool_warms_up_ends_the_run_at_once(backend):
    import time

    from engine.run.runner import Run

    wl = build_workload(["sleep"], 4, {"seconds": "0.2"})
    run_ = Run(RunConfig(wl, backend, workers=2, warm=True)).start()
    time.sleep(0.05)  # the workers are still starting
    asked = time.perf_counter()
    run_.cancel()
    result = run_.result(timeout=30)
    assert result.cancelled and time.perf_counter() - asked < 10  # generous: ~0.2 s here
