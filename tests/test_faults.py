"""Faults the engine must survive on every backend: hung tasks, stuck cancels."""

from __future__ import annotations

import time

import pytest

from engine.backends.registry import BACKENDS, available_backends
from engine.records import TaskStatus
from engine.run.runner import Run, RunConfig, execute
from engine.workload import build_workload

ALL = available_backends()
PROCESS = [b for b in ALL if BACKENDS[b].uses_processes]
IN_PROCESS = [b for b in ALL if not BACKENDS[b].uses_processes]


@pytest.mark.parametrize("backend", ALL)
def test_a_builtin_task_past_its_timeout_is_marked_and_the_run_continues(backend):
    wl = build_workload(["sleep", "primes"], 1, {"seconds": "30", "n": "1000"}, timeout_s=0.3)
    t = time.monotonic()
    result = execute(RunConfig(wl, backend, workers=2))
    # The whole run far under the 30 s sleep; the task itself ended near its 0.3 s timeout
    # (timed on its own, since a LocalCluster's start and close took ~5 s beside two busy
    # loops in CI).
    assert time.monotonic() - t < 20
    hung, quick = result.records
    assert hung.status is TaskStatus.TIMEOUT
    assert hung.finished - hung.started < 2.5
    assert quick.status is TaskStatus.OK
    assert result.stats.failed == 1


@pytest.mark.parametrize("backend", ["mp-pool", "processes"])
def test_a_hung_custom_task_in_a_process_is_killed_at_its_timeout(backend):
    wl = build_workload(["tests.tasks_for_tests:uninterruptible", "primes"], 1,
                        {"seconds": "60", "n": "1000"}, timeout_s=0.3)
    t = time.monotonic()
    result = execute(RunConfig(wl, backend, workers=2))
    assert time.monotonic() - t < 5
    hung, quick = result.records
    assert hung.status is TaskStatus.TIMEOUT and "worker process was ended" in hung.error.message
    assert quick.status is TaskStatus.OK


def test_a_hung_custom_task_on_a_thread_is_marked_and_left_to_finish():
    wl = build_workload(["tests.tasks_for_tests:uninterruptible"], 1, {"seconds": "1.5"},
                        timeout_s=0.2)
    t = time.monotonic()
    result = execute(RunConfig(wl, "thread-pool", workers=1))
    assert time.monotonic() - t < 1.2  # the run did not wait for the 1.5 s sleep
    assert result.records[0].status is TaskStatus.TIMEOUT
    assert "runs on in the background" in result.records[0].error.message
    # (the leftover-thread check waits for the sleeping thread to end)


@pytest.mark.parametrize("backend", IN_PROCESS)
def test_a_cancel_that_custom_code_ignores_can_be_abandoned(backend):
    wl = build_workload(["tests.tasks_for_tests:uninterruptible"], 2, {"seconds": "1.5"})
    run = Run(RunConfig(wl, backend, workers=2)).start()
    deadline = time.monotonic() + 5
    while run.still_running == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    run.cancel()
    assert not run.wait(0.3), "an uninterruptible task cannot have stopped yet"
    assert run.still_running >= 1  # what the UI reports as "waiting for N tasks"
    run.abandon()
    assert run.wait(1.0)
    result = run.result()
    assert result.cancelled
    assert {r.status for r in result.records} == {TaskStatus.CANCELLED}


def test_a_failure_in_the_runs_own_machinery_still_ends_with_a_result(monkeypatch):
    import engine.run.runner

    def broken() -> None:
        raise RuntimeError("helper stop failed")

    monkeypatch.setattr(engine.run.runner, "process_run_ended", broken)
    wl = build_workload(["primes"], 2, {"n": "100"})
    run = Run(RunConfig(wl, "process-pool", workers=1)).start()
    assert run.wait(30), "the caller must never wait forever"
    result = run.result()
    assert not result.ok and "helper stop failed" in result.problems[0]
    assert {r.status for r in result.records} == {TaskStatus.LOST}
    from engine.backends._child import process_run_ended

    process_run_ended()  # what the broken stand-in skipped: stop mp's helper processes


@pytest.mark.parametrize("backend", PROCESS)
def test_the_files_root_and_http_server_are_gone_after_a_crash(backend):
    import psutil

    wl = build_workload(["crash", "files", "http"], 1,
                        {"after_s": "0.05", "count": "50", "requests": "3", "latency_ms": "50"})
    result = execute(RunConfig(wl, backend, workers=3))
    assert result.records[0].status is TaskStatus.LOST
    # (the autouse fixture checks the files root is gone)
    ports = [c.laddr.port for c in psutil.Process().net_connections("tcp")
             if c.status == "LISTEN"]
    assert not ports, f"a server is still listening on {ports}"


def _is_worker(p) -> bool:
    import psutil

    try:
        return "spawn_main" in " ".join(p.cmdline())
    except psutil.Error:  # exited meanwhile
        return False


def test_mp_pool_ends_even_when_an_idle_worker_is_killed_from_outside():
    """An idle multiprocessing.Pool worker holds the task queue's lock while it waits; killed
    then (by a task manager, say), it would hang Pool.terminate() forever."""
    import os
    import signal

    import psutil

    wl = build_workload(["sleep", "primes"], 1, {"seconds": "1.5", "n": "100"})
    run = Run(RunConfig(wl, "mp-pool", workers=2)).start()
    deadline = time.monotonic() + 20
    while run.still_running == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    busy = run._state.running()[0]  # the sleep; the other worker's primes is over at once
    idle: list = []
    while not idle:  # the other worker, once started, waits for work holding the queue lock
        assert time.monotonic() < deadline
        idle = [p for p in psutil.Process().children() if p.pid != busy and _is_worker(p)]
        time.sleep(0.05)
    time.sleep(0.3)
    os.kill(idle[0].pid, signal.SIGKILL)
    assert run.wait(15), "the run must end"
    assert [r.status for r in run.result().records] == [TaskStatus.OK, TaskStatus.OK]
