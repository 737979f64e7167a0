"""Nothing outlives a run: a task's own processes, a worker killed mid-event, a dead app's dirs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import psutil
import pytest

from engine.backends.registry import BACKENDS, available_backends
from engine.leftovers import sweep_dead_temp_dirs
from engine.records import TaskStatus
from engine.run import Run, RunConfig
from engine.workload import build_workload

ALL = available_backends()
PROCESS = [b for b in ALL if BACKENDS[b].uses_processes and b != "dask"]

TASKS = textwrap.dedent('''
    import os, subprocess, sys

    def start_a_sleeper():
        """Start a process and return without waiting for it."""
        return subprocess.Popen(["sleep", "45"]).pid

    def die_mid_event():
        """Die while sending an event: holding the channel's lock, or half a message sent."""
        from engine.backends import _child
        sink = _child._events
        lock = getattr(sink, "_wlock", None)  # a queue shared by every worker has one
        if lock is not None:
            lock.acquire()
        else:
            from engine.backends import _socket_events
            conn = _socket_events._connect(sink.address, sink.authkey)
            conn._send(b"\\x00\\x00\\x10\\x00" + b"cut short")
        os._exit(3)
''')


@pytest.fixture
def tasks_file(tmp_path):
    path = tmp_path / "leavers.py"
    path.write_text(TASKS)
    return str(path)


@pytest.mark.parametrize("backend", [b for b in ALL if b != "interpreters"])
def test_processes_a_task_left_running_are_ended_with_the_run(backend, tasks_file):
    wl = build_workload([f"{tasks_file}:start_a_sleeper"], 2)
    result = Run(RunConfig(wl, backend, workers=2)).start().result(timeout=120)
    assert result.ok, [r.error for r in result.records]
    pids = [int(r.result) for r in result.records]
    for pid in pids:
        alive = psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        assert not alive, f"the task's sleep {pid} outlived the run"
    assert any("ended 2 process(es) that tasks started" in n for n in result.notes), result.notes


@pytest.mark.parametrize("backend", PROCESS)
def test_a_worker_killed_while_sending_an_event_cannot_hang_the_run(backend, tasks_file):
    """The Stop that hung: a worker died holding the event queue's write lock, and the engine
    waited for that lock for ever. Each worker now has a channel of its own."""
    wl = build_workload([f"{tasks_file}:die_mid_event", "sleep"], 1, {"sleep.seconds": "0.2"})
    run = Run(RunConfig(wl, backend, workers=2)).start()
    assert run.wait(30), "the run did not end after a worker died mid-event"
    result = run.result()
    by_name = {r.name.split(":")[-1].split("(")[0]: r for r in result.records}
    assert by_name["die_mid_event"].status is TaskStatus.LOST
    assert by_name["sleep"].status in (TaskStatus.OK, TaskStatus.LOST)


def test_temp_dirs_of_dead_corescope_processes_are_swept(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    mine, alive = os.getpid(), os.getppid()
    for name in (f"corescope-ev-{gone.pid}-abc", f"corescope-files-{gone.pid}-def",
                 f"corescope-ev-{mine}-ghi", f"corescope-files-{alive}-jkl",
                 "corescope-ev-notapid", "someone-else-123"):
        (tmp_path / name).mkdir()
    removed = sweep_dead_temp_dirs(str(tmp_path))
    assert sorted(removed) == [f"corescope-ev-{gone.pid}-abc", f"corescope-files-{gone.pid}-def"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"corescope-ev-{mine}-ghi", f"corescope-files-{alive}-jkl", "corescope-ev-notapid",
         "someone-else-123"])
