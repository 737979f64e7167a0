"""Lessons: the shipped ones load and run on their backends; a bad file gets one line naming the
file and the field; the window's "save setup as lesson" reads back as it was; the CLI lists and
refuses them as a user would see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.files.lessons import (
    Lesson,
    LessonError,
    find_lesson,
    lesson_from_setup,
    lessons_dir,
    list_lessons,
    load_lesson,
    save_lesson,
)
from engine.records import TaskStatus
from engine.run.lesson_plan import configs, panel_config
from engine.run.runner import execute
from engine.workload import build_workload

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [e for e in list_lessons() if isinstance(e, Lesson)]


def test_at_least_eight_lessons_ship_and_every_file_reads():
    found = list_lessons()
    assert all(isinstance(e, Lesson) for e in found), [str(e) for e in found]
    assert len(found) >= 8
    names = [e.short_name for e in SHIPPED]
    # A talk's order: the files' leading numbers, the classic guide's topics.
    assert names[0] == "two-file-operations"
    for topic in ("the-gil", "io-threads-vs-processes", "c-code-releases-the-gil",
                  "asyncio-for-io", "task-granularity", "amdahl", "subinterpreters"):
        assert topic in names
    for lesson in SHIPPED:
        assert lesson.title and lesson.talking_point and lesson.notice


def test_the_tutorial_lesson_is_the_two_functions_from_one_file_once_each():
    lesson = find_lesson("two-file-operations")
    workload = lesson.workload()
    assert [(i.spec.name.rsplit(":", 1)[1], i.count) for i in workload.items] == [
        ("file_operation_1", 1), ("file_operation_2", 1)]
    assert lesson.backends == ("sequential", "processes")


@pytest.mark.parametrize("lesson", SHIPPED, ids=[e.short_name for e in SHIPPED])
def test_every_shipped_lesson_runs_on_its_backends_at_a_rehearsal_size(lesson):
    if lesson.unavailable():
        pytest.skip(f"{lesson.short_name}: {lesson.unavailable()}")
    small = lesson.scaled(0.05)
    planned = configs(small)
    assert {c.backend for c in planned} >= set(lesson.backends)
    for config in planned:
        result = execute(config)
        crashed = [r for r in result.records if r.name == "crash"]
        others = [r for r in result.records if r.name != "crash"]
        assert all(r.status is not TaskStatus.OK for r in crashed)
        if crashed and config.backend == "process-pool":
            continue  # a broken pool loses what had not finished: the lesson's very point
        assert all(r.status is TaskStatus.OK for r in others), (config.backend, result.records)
        assert result.wall_s < 30


def test_a_rehearsal_scales_the_work_down_not_the_shape():
    gil = find_lesson("the-gil")
    small = gil.scaled(0.1)
    assert small.backends == gil.backends and small.workers == gil.workers
    assert dict(small.rows[0].params)["n"] == 60000
    tutorial = find_lesson("two-file-operations").scaled(0.1)
    assert [dict(r.params)["seconds"] for r in tutorial.rows] == [0.1, 0.1]


def write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def good(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "format": "corescope-lesson", "version": 1, "title": "t", "talking_point": "p",
        "notice": "n", "rows": [{"task": "sleep", "params": {"seconds": 0.01}, "count": 2}],
        "backends": ["sequential", "threads"], "page": "compare"}
    data.update(changes)
    return data


BAD = [
    ("not json", "{", "is not valid JSON"),
    ("empty", "", "is empty"),
    ("not a lesson", {"title": "x"}, "is not a CoreScope lesson"),
    ("newer version", good(version=99), "version: 99"),
    ("typo in a key", {**good(), "talkingpoint": "x"}, "talkingpoint"),
    ("unknown backend", good(backends=["sequential", "warp"]), "backends[1]: unknown backend"),
    ("unknown task", good(rows=[{"task": "nosuch", "count": 1}]), "rows[0].task: unknown task"),
    ("bad parameter", good(rows=[{"task": "sleep", "params": {"seconds": "soon"}, "count": 1}]),
     "rows[0].params.seconds"),
    ("count zero", good(rows=[{"task": "sleep", "count": 0}]), "rows[0].count"),
    ("missing file", good(rows=[{"task": "gone.py:f", "count": 1}]), "rows[0].task: file"),
    ("bad page", good(page="slides"), "page"),
    ("sweep without knob", good(page="sweep"), "sweep: missing"),
    ("fork", good(backends=["processes"], start_method="fork"), "start_method: fork"),
    ("live with two", good(page="live"), 'backends: page "live" shows one run'),
    ("@ on threads", good(backends=["threads@spawn"]), "backends[0]: 'threads' takes no start"),
    ("@ unknown method", good(backends=["processes@clone"]), "backends[0]: unknown start method"),
    ("@ fork", good(backends=["processes", "processes@fork"]), "backends[1]: processes@fork: fork"),
    ("@ off compare", good(backends=["processes@spawn"], page="live"),
     'are for page "compare", not \'live\''),
]


@pytest.mark.parametrize("name,content,expected", BAD, ids=[b[0] for b in BAD])
def test_a_bad_lesson_file_gets_one_line_naming_the_file_and_the_field(tmp_path, name, content,
                                                                      expected):
    path = write(tmp_path, "07-broken.json", content)
    with pytest.raises(LessonError) as caught:
        load_lesson(str(path))
    message = str(caught.value)
    assert "\n" not in message and message.startswith("07-broken.json: ")
    assert expected in message


def test_a_broken_file_stands_in_its_place_and_the_others_still_load(tmp_path):
    write(tmp_path, "01-fine.json", good(title="fine"))
    write(tmp_path, "02-broken.json", "{")
    write(tmp_path, "03-also-fine.json", good(title="also fine"))
    found = list_lessons(str(tmp_path))
    assert [type(e).__name__ for e in found] == ["Lesson", "LessonError", "Lesson"]
    assert "02-broken.json" in str(found[1])
    with pytest.raises(LessonError, match="02-broken.json"):
        find_lesson("broken", str(tmp_path))


def test_a_saved_setup_reads_back_as_the_same_lesson(tmp_path):
    (tmp_path / "demo.py").write_text("def work(seconds=0.1, label='a,b'):\n    return label\n",
                                      encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        workload = build_workload(["primes", "demo.py:work"], 2,
                                  {"primes.n": "5000", "demo.py:work.label": "x,y"})
    finally:
        os.chdir(cwd)
    lesson = lesson_from_setup(workload, ["sequential", "thread-pool"], "compare",
                               title="My demo", talking_point="say this", notice="see that",
                               workers=2, folder=str(tmp_path))
    out = tmp_path / "lessons"
    out.mkdir()
    saved = save_lesson(str(out / "10-my-demo.json"), lesson)
    back = load_lesson(str(out / "10-my-demo.json"))
    assert back == saved
    assert (back.title, back.workers) == ("My demo", 2)
    assert back.backends == ("sequential", "thread-pool")
    # The custom file is found from the lesson's new folder, and the comma survives.
    assert back.rows[1].task == "../demo.py:work"
    items = back.workload().items
    assert items[0].params == {"n": 5000} and items[1].params["label"] == "x,y"
    with pytest.raises(FileExistsError):
        save_lesson(str(out / "10-my-demo.json"), lesson)


def test_a_comparison_of_start_methods_runs_each_entry_under_its_own(tmp_path):
    path = write(tmp_path, "08-methods.json",
                 good(backends=["process-pool", "process-pool@forkserver"], start_method="spawn"))
    lesson = load_lesson(str(path))
    assert lesson.backends == ("process-pool", "process-pool@forkserver")
    assert [(c.backend, c.start_method) for c in configs(lesson)] == [
        ("process-pool", "spawn"), ("process-pool", "forkserver")]
    assert json.loads(path.read_text())["backends"] == list(lesson.as_dict()["backends"])


def test_the_panel_shows_every_row_on_the_first_backend():
    config = panel_config(find_lesson("when-a-worker-dies"))
    assert config.backend == "process-pool" and config.workers == 2
    assert [i.spec.name for i in config.workload.items] == ["primes", "crash"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, timeout=60, env=env, cwd=ROOT)


def test_the_cli_lists_the_lessons_in_order_and_says_which_cannot_run():
    out = cli("list", "--lessons")
    assert out.returncode == 0, out.stderr
    for n, lesson in enumerate(SHIPPED, 1):
        assert f"{n:>2}. {lesson.short_name}" in out.stdout and lesson.title in out.stdout
    for lesson in SHIPPED:  # one that cannot run here says why, under its name
        reason = lesson.unavailable()
        if reason:
            assert f"[unavailable here: {reason}]" in out.stdout
    listed = json.loads(cli("list", "--lessons", "--json").stdout)["lessons"]
    assert [e["name"] for e in listed] == [e.short_name for e in SHIPPED]


@pytest.mark.parametrize("args,expected", [
    (["--lesson", "nosuch"], "unknown lesson 'nosuch' (valid: two-file-operations"),
    (["--lesson", "the-gil", "--task", "primes"], "drop --task"),
    (["--lesson", "missing/dir/x.json"], "x.json"),
])
def test_gui_refuses_a_bad_lesson_in_one_line_before_any_window(args, expected):
    out = cli("gui", *args)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and expected in out.stderr
    assert "Traceback" not in out.stderr


def test_the_lessons_folder_is_the_shipped_one():
    assert Path(lessons_dir()) == ROOT / "resources" / "lessons"
