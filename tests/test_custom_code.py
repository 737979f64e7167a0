"""Custom code as users write it: hostile exceptions and results, async def, generators, and
``os._exit``. Every run waits with a timeout, so a regression fails instead of hanging.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from engine.backends.registry import BACKENDS, available_backends
from engine.figures.result import RunResult
from engine.records import TaskRecord, TaskStatus
from engine.run.runner import Run, RunConfig
from engine.tasks import TaskLoadError
from engine.workload import build_workload

ROOT = Path(__file__).resolve().parent.parent
ALL = available_backends()
FAST = [b for b in ALL if b != "dask"]  # a LocalCluster costs seconds per run
THREADS = [b for b in ALL if not BACKENDS[b].uses_processes]

WAIT_S = 60  # far beyond any of these runs; only a hang reaches it

HOSTILE = '''
import sys


class Weird(Exception):
    def __str__(self):
        raise ValueError("no str for you")


class ExitingStr(Exception):
    def __str__(self):
        raise SystemExit(5)


class NotText(Exception):
    def __str__(self):
        return 42


class Fancy(str):
    def split(self, *args):
        raise RuntimeError("user code")


class FancyStr(Exception):
    def __str__(self):
        return Fancy("fancy message")


class Meta(type):
    @property
    def __name__(cls):
        raise KeyboardInterrupt


class BadName(Exception, metaclass=Meta):
    pass


class Notes(list):
    def __iter__(self):
        raise KeyboardInterrupt


def unprintable():
    raise Weird("x")


def str_exits():
    raise ExitingStr()


def str_not_text():
    raise NotText()


def str_subclass():
    raise FancyStr()


def metaclass_name():
    raise BadName("named")


def odd_class_name():
    raise type("two\\nlines " + "long " * 50, (Exception,), {})("odd")


def notes_that_raise():
    exc = ValueError("noted")
    exc.__notes__ = Notes(["a note"])
    raise exc


def exits():
    sys.exit(4)


def interrupts():
    raise KeyboardInterrupt("pressed")


def fine():
    return "still ran"
'''


def write(tmp_path: Path, source: str, name: str = "custom_mod.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def run_funcs(path: Path, funcs: list[str], backend: str, workers: int = 2,
              settings: dict[str, str] | None = None, count: int = 1,
              timeout_s: float | None = None) -> RunResult:
    wl = build_workload([f"{path}:{f}" for f in funcs], count, settings or {}, timeout_s)
    return Run(RunConfig(wl, backend, workers=workers)).start().result(timeout=WAIT_S)


def by_func(result: RunResult) -> dict[str, TaskRecord]:
    return {r.name.rsplit(":", 1)[1]: r for r in result.records}


def assert_plain(record: TaskRecord) -> None:
    """Records cross process boundaries: exact str only, never a user's str subclass."""
    assert type(record.result) is str
    if record.error is not None:
        for text in (record.error.type, record.error.message, record.error.traceback):
            assert type(text) is str


@pytest.mark.parametrize("backend", ALL)
def test_an_exception_that_cannot_be_shown_is_recorded_and_the_run_ends(tmp_path, backend):
    path = write(tmp_path, HOSTILE)
    result = run_funcs(path, ["unprintable", "fine"], backend)
    bad, fine = result.records
    assert bad.status is TaskStatus.ERROR
    assert bad.error.type == "Weird"
    assert bad.error.message == "exception could not be shown: ValueError: no str for you"
    assert "Traceback" in bad.error.traceback and "unprintable" in bad.error.traceback
    assert fine.status is TaskStatus.OK and fine.result == "'still ran'"
    assert_plain(bad)


@pytest.mark.parametrize("backend", FAST)
def test_exceptions_that_fight_back_are_recorded_in_plain_text(tmp_path, backend):
    path = write(tmp_path, HOSTILE)
    funcs = ["str_exits", "str_not_text", "str_subclass", "metaclass_name", "odd_class_name",
             "notes_that_raise", "exits", "interrupts"]
    records = by_func(run_funcs(path, funcs, backend))
    assert {f: r.status for f, r in records.items()} == dict.fromkeys(funcs, TaskStatus.ERROR)
    for record in records.values():
        assert_plain(record)
        assert "\n" not in record.error.one_line()
    assert records["str_exits"].error.message == \
        "exception could not be shown: SystemExit: 5"
    assert records["str_not_text"].error.message.startswith(
        "exception could not be shown: TypeError: __str__ returned non-string")
    assert records["str_subclass"].error.message == "fancy message"
    assert records["metaclass_name"].error.type == "BadName"  # read past the metaclass
    assert records["metaclass_name"].error.message == "named"
    assert records["odd_class_name"].error.type.startswith("two lines long long")
    assert len(records["odd_class_name"].error.type) <= 100
    noted = records["notes_that_raise"].error
    assert noted.one_line() == "ValueError: noted"
    assert "notes_that_raise" in noted.traceback  # the frames that could be formatted
    assert records["exits"].error.one_line() == "SystemExit: 4"
    assert records["interrupts"].error.one_line() == "KeyboardInterrupt: pressed"


RESULTS = '''
class Raises:
    def __repr__(self):
        raise KeyboardInterrupt


class NotText:
    def __repr__(self):
        return 42


class Fancy(str):
    def __len__(self):
        raise RuntimeError("user code")


class FancyRepr:
    def __repr__(self):
        return Fancy("fancy")


def repr_raises():
    return Raises()


def repr_not_text():
    return NotText()


def repr_subclass():
    return FancyRepr()


def huge_list():
    return list(range(1_000_000))


def huge_dict():
    return {i: [i] * 1000 for i in range(10_000)}


def small():
    return {"a": (1,), "b": [2.5, None]}
'''


@pytest.mark.parametrize("backend", FAST)
def test_results_that_cannot_be_shown_or_are_huge_are_summarised(tmp_path, backend):
    path = write(tmp_path, RESULTS)
    funcs = ["repr_raises", "repr_not_text", "repr_subclass", "huge_list", "huge_dict", "small"]
    records = by_func(run_funcs(path, funcs, backend))
    assert {f: r.status for f, r in records.items()} == dict.fromkeys(funcs, TaskStatus.OK)
    for record in records.values():
        assert_plain(record)
        assert len(record.result) <= 80
    assert records["repr_raises"].result == \
        "<Raises that could not be shown: KeyboardInterrupt>"
    assert records["repr_not_text"].result.startswith(
        "<NotText that could not be shown: TypeError: __repr__ returned non-string")
    assert records["repr_subclass"].result == "fancy"
    assert records["huge_list"].result.startswith("list of 1,000,000 items: [0, 1, 2, 3, ")
    assert records["huge_dict"].result.startswith("dict of 10,000 items: {0: [0, 0, ")
    assert records["small"].result == "{'a': (1,), 'b': [2.5, None]}"  # exactly its repr


def test_an_import_error_that_cannot_be_shown_is_one_line(tmp_path):
    path = write(tmp_path, '''
        class Weird(Exception):
            def __str__(self):
                raise ValueError("no str for you")

        raise Weird()
    ''')
    with pytest.raises(TaskLoadError, match="failed to import: Weird: exception could not "
                                            "be shown: ValueError: no str for you"):
        build_workload([f"{path}:f"])


ASYNC = '''
import asyncio
import os
import threading
import time


async def nap(seconds=0.3):
    await asyncio.sleep(seconds)
    return "slept"


async def fails():
    await asyncio.sleep(0)
    raise ValueError("after an await")


async def forever():
    await asyncio.sleep(60)


def produce(path, n=3):
    for i in range(n):
        with open(path, "a") as fh:
            fh.write(f"{i}\\n")
        yield i * i


def produce_then_return():
    yield 1
    return "done"


def endless():
    while True:
        time.sleep(0.01)
        yield


async def stream():
    yield 1
'''


@pytest.mark.parametrize("backend", FAST)
def test_an_async_def_task_is_awaited(tmp_path, backend):
    path = write(tmp_path, ASYNC)
    records = by_func(run_funcs(path, ["nap", "fails"], backend))
    nap, fails = records["nap"], records["fails"]
    assert nap.status is TaskStatus.OK and nap.result == "'slept'"
    assert nap.duration >= 0.25  # it really waited (asyncio.sleep never returns early)
    assert fails.status is TaskStatus.ERROR and fails.error.one_line() == \
        "ValueError: after an await"
    assert nap.mode == ("coroutine" if backend == "asyncio" else "asyncio.run")


def test_async_def_tasks_overlap_on_the_asyncio_loop_thread(tmp_path):
    path = write(tmp_path, ASYNC)
    result = run_funcs(path, ["nap"], "asyncio", workers=4, count=4,
                       settings={"seconds": "0.5"})
    assert result.ok
    assert {r.mode for r in result.records} == {"coroutine"}
    assert len({r.worker.tid for r in result.records}) == 1  # all on the loop thread
    assert max(r.started for r in result.records) < min(r.finished for r in result.records)
    assert any("ran as coroutines" in n for n in result.notes)


@pytest.mark.parametrize("backend", FAST)
def test_an_async_def_task_stops_at_its_timeout(tmp_path, backend):
    path = write(tmp_path, ASYNC)
    t = time.monotonic()
    result = run_funcs(path, ["forever"], backend, timeout_s=0.5)
    assert time.monotonic() - t < 15
    assert result.records[0].status is TaskStatus.TIMEOUT


@pytest.mark.parametrize("backend", THREADS)
def test_an_async_def_task_on_a_thread_stops_at_cancel(tmp_path, backend):
    path = write(tmp_path, ASYNC)
    run = Run(RunConfig(build_workload([f"{path}:forever"]), backend, workers=1)).start()
    deadline = time.monotonic() + 10
    while run.still_running == 0:
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.02)
    t = time.monotonic()
    run.cancel()
    assert run.wait(5), "the coroutine did not stop at the cancel"
    assert time.monotonic() - t < 2
    assert run.result().records[0].status is TaskStatus.CANCELLED


@pytest.mark.parametrize("backend", FAST)
def test_a_generator_task_is_drained(tmp_path, backend):
    path = write(tmp_path, ASYNC)
    out = tmp_path / "items.txt"
    records = by_func(run_funcs(path, ["produce", "produce_then_return"], backend,
                                settings={"path": repr(str(out))}))
    assert records["produce"].status is TaskStatus.OK
    assert records["produce"].result == "yielded 3 items, last 4"
    assert out.read_text().split() == ["0", "1", "2"]  # every item's work was done
    assert records["produce_then_return"].result == "yielded 1 item, returned 'done'"


@pytest.mark.parametrize("backend", FAST)
def test_a_generator_task_stops_between_items_at_its_timeout(tmp_path, backend):
    path = write(tmp_path, ASYNC)
    t = time.monotonic()
    result = run_funcs(path, ["endless"], backend, timeout_s=0.5)
    assert time.monotonic() - t < 15
    record = result.records[0]
    assert record.status is TaskStatus.TIMEOUT
    assert record.error.type == "TaskTimedOut"  # the worker stopped it, not the watchdog


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python main.py ARGS``; then reaps what the CLI left to this process.

    A CLI ended by ``os._exit`` cannot stop its CPU sampler process, which ends a moment later
    at the EOF of its stdin. Once a run in this test process made it a child subreaper
    (``engine.run.leftovers``), that orphan is adopted here and must be waited for.
    """
    before = {p.pid for p in psutil.Process().children()}
    proc = subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=WAIT_S)
    for child in psutil.Process().children():
        if child.pid not in before:
            child.wait(timeout=10)  # raises if the orphan keeps running
    return proc


def test_an_async_generator_task_is_refused_in_one_line(tmp_path):
    path = write(tmp_path, ASYNC)
    proc = cli("run", "--task", f"{path}:stream", "--backend", "sequential")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "async generator" in lines[0]
    assert "Traceback" not in proc.stderr


def test_os_exit_in_a_thread_task_says_what_happened(tmp_path):
    path = write(tmp_path, '''
        import os

        def leave():
            os._exit(3)
    ''')
    proc = cli("run", "--task", f"{path}:leave", "--backend", "threads")
    assert proc.returncode == 3
    assert (f"corescope: custom code called os._exit(3) in task {path}:leave; "
            "CoreScope ends with it") in proc.stderr


def test_os_exit_while_a_custom_module_imports_says_what_happened(tmp_path):
    path = write(tmp_path, '''
        import os

        os._exit(0)

        def never():
            pass
    ''')
    proc = cli("run", "--task", f"{path}:never", "--backend", "threads")
    assert proc.returncode == 0
    assert f"corescope: custom code called os._exit(0) while importing {path}" in proc.stderr


def test_os_exit_from_a_thread_running_no_custom_code_stays_silent():
    # CoreScope's own os._exit calls (the CLI leaving abandoned threads, a worker's parent
    # watch) come from such threads, possibly while a task runs custom code elsewhere.
    script = ("import os, threading\n"
              "from engine.tasks.exit_guard import custom_code\n"
              "with custom_code('in task t'):\n"
              "    t = threading.Thread(target=os._exit, args=(7,))\n"
              "    t.start()\n"
              "    t.join()\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=WAIT_S)
    assert proc.returncode == 7
    assert proc.stderr == ""


def test_os_exit_is_put_back_after_the_last_thread_leaves_custom_code():
    from engine.tasks import exit_guard

    original = os._exit
    entered, leave = threading.Barrier(3), threading.Event()

    def task() -> None:
        with exit_guard.custom_code("in task t"):
            entered.wait()
            leave.wait()

    threads = [threading.Thread(target=task) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert os._exit is not original  # wrapped while custom code runs
    with exit_guard.custom_code(None):  # built-in tasks: a no-op
        pass
    leave.set()
    for t in threads:
        t.join()
    assert os._exit is original
