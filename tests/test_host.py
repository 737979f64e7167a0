"""A run in a host process (``engine.run.host``): what the window uses for thread backends,
so their tasks never share a GIL with its drawing. The same events, result, cancel and
abandon as an in-process ``Run``; nothing left behind however it ends."""

from __future__ import annotations

import os
import signal
import time

import psutil
import pytest

from engine.records import TaskFinished, TaskStarted, TaskStatus
from engine.run.host import HOSTED, HostedRun, window_run
from engine.run.runner import ConfigError, Run, RunConfig
from engine.workload import build_workload


def hosted(tasks, count, backend="thread-pool", workers=2, **sets):
    wl = build_workload(tasks, count, {k: str(v) for k, v in sets.items()})
    return HostedRun(RunConfig(wl, backend, workers=workers, sample_interval_s=0.05)).start()


def no_children() -> bool:
    return psutil.Process().children(recursive=True) == []


def wait_for_children_gone(timeout=5.0):
    deadline = time.monotonic() + timeout
    while not no_children():
        assert time.monotonic() < deadline, psutil.Process().children(recursive=True)
        time.sleep(0.05)


def wait_until_running(run, count, timeout=15.0):
    deadline = time.monotonic() + timeout
    while run.still_running < count:
        assert time.monotonic() < deadline, "tasks did not start"
        time.sleep(0.02)


def test_the_window_hosts_thread_backends_and_keeps_process_backends_here():
    wl = build_workload(["sleep"], 1)
    assert HOSTED >= {"threads", "thread-pool", "asyncio", "sequential"}
    assert isinstance(window_run(RunConfig(wl, "threads")), HostedRun)
    assert isinstance(window_run(RunConfig(wl, "process-pool")), Run)
    with pytest.raises(ConfigError):  # refused before any process starts
        window_run(RunConfig(wl, "threads", workers=-1))
    assert no_children()


def test_a_hosted_run_streams_events_and_gives_the_same_result_as_here():
    run = hosted(["primes"], 4, backend="threads", workers=4, n=100_000)
    events, seen_while_running = [], 0
    while not run.wait(0.02):
        fresh = run.drain_events()
        events += fresh
        seen_while_running += sum(isinstance(e, TaskStarted) for e in fresh)
    events += run.drain_events()
    result = run.result()
    assert result.ok and result.backend == "threads" and len(result.records) == 4
    assert seen_while_running >= 1, "no task start arrived before the run ended"
    assert sorted(e.record.id for e in events if isinstance(e, TaskFinished)) == [0, 1, 2, 3]
    # The tasks ran in the host, not here: their worker is another process's thread.
    assert {r.worker.pid for r in result.records} != {os.getpid()}
    assert run.done_count == 4 and result.samples
    wait_for_children_gone()


def test_cancel_stops_a_hosted_run_promptly_and_the_host_exits():
    run = hosted(["sleep"], 6, seconds=20)
    deadline = time.monotonic() + 15
    while run.done_count == 0 and not any(isinstance(e, TaskStarted)
                                          for e in run.drain_events()):
        assert time.monotonic() < deadline, "no task started"
        time.sleep(0.02)
    t = time.monotonic()
    run.cancel()
    assert run.wait(5), "run did not end after cancel"
    assert time.monotonic() - t < 2.0
    result = run.result()
    assert result.cancelled and result.stats.ok == 0
    wait_for_children_gone()


def test_abandoned_threads_end_with_their_host():
    # In the window's own process such threads ran on unseen until their code returned; in a
    # host they end when it exits, a moment after the result.
    run = hosted(["tests.tasks_for_tests:uninterruptible"], 2, seconds=30)
    wait_until_running(run, 2)
    run.cancel()
    assert not run.wait(0.3), "an uninterruptible task cannot have stopped yet"
    t = time.monotonic()
    run.abandon()
    assert run.wait(5)
    assert time.monotonic() - t < 3.0
    records = run.result().records
    assert {r.status for r in records} == {TaskStatus.CANCELLED}
    assert all("ended with the run's host process" in r.error.message for r in records)
    wait_for_children_gone()


def test_a_window_that_goes_away_stops_its_hosted_run():
    run = hosted(["tests.tasks_for_tests:uninterruptible"], 2, seconds=30)
    wait_until_running(run, 2)
    run._commands.close()  # what a killed window leaves: its end of the pipe closed
    assert run.wait(5)
    wait_for_children_gone()


def test_a_killed_host_ends_the_run_with_a_problem_not_a_hang():
    run = hosted(["sleep"], 2, seconds=20)
    wait_until_running(run, 1)
    os.kill(run._proc.pid, signal.SIGKILL)
    assert run.wait(10)
    result = run.result()
    assert not result.ok and any("host process ended" in p for p in result.problems)
    wait_for_children_gone()


def test_what_tasks_print_does_not_reach_the_runs_pipes(capfd):
    run = hosted(["tests.tasks_for_tests:talky"], 2, lines=300)
    result = run.result(timeout=60)
    assert result.ok and [r.result for r in result.records] == ["300", "300"]
    out, err = capfd.readouterr()
    assert out.count("line 299 " * 20) == 2 and err.count("err 299\n") == 2
    wait_for_children_gone()


def test_a_ptrace_refusal_in_one_host_is_not_asked_again_in_the_next(monkeypatch, tmp_path):
    # Each run's host is a new process; without the window passing on what py-spy was
    # refused, every run would pay for asking again (its probe's first tries, ~1 s of CPU).
    fake = tmp_path / "py-spy"
    fake.write_text("#!/bin/sh\necho 'Error: Permission Denied: try sudo' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CORESCOPE_PY_SPY", str(fake))  # the hosts inherit the environment
    first = hosted(["sleep"], 2, backend="threads", seconds=0.5).result(timeout=30)
    notes = [n for n in first.notes if "GIL" in n]
    assert first.ok and len(notes) == 1 and "ptrace" in notes[0], first.notes
    fake.write_text(f"#!/bin/sh\ntouch {tmp_path / 'asked'}\nexit 1\n")
    again = hosted(["sleep"], 2, backend="threads", seconds=0.2).result(timeout=30)
    notes = [n for n in again.notes if "GIL" in n]
    assert again.ok and len(notes) == 1 and "Restart" in notes[0], again.notes
    assert not (tmp_path / "asked").exists()
    wait_for_children_gone()
