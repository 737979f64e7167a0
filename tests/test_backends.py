"""One behaviour suite, run against every backend in the registry.

A backend is tested the moment it is registered (CPython's test_concurrent_futures does the same
with per-executor mixins); process backends run it under each start method (loky's tests add a
file per start method), and a backend that cannot run here is listed as skipped with its reason.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

import pytest
from backend_matrix import START_METHODS, BackendCase, backend_matrix

from engine.backends.registry import BACKENDS
from engine.figures.lanes import assign_lanes
from engine.records import CpuSample, TaskFinished, TaskStarted, TaskStatus
from engine.run.runner import Run, execute
from engine.workload import build_workload

EVERY = backend_matrix(start_methods=START_METHODS)
PROCESS = backend_matrix(processes=True, start_methods=START_METHODS)


def run(tasks, case, count=4, workers=2, **sets):
    case = BackendCase(case) if isinstance(case, str) else case
    wl = build_workload(tasks, count, {k: str(v) for k, v in sets.items()})
    return execute(case.config(wl, workers=workers, sample_interval_s=0.05))


def test_the_matrix_lists_every_registered_backend_and_says_why_one_is_skipped():
    # interpreters used to vanish from the report on Pythons before 3.14.
    cases = {p.values[0].name: p for p in backend_matrix()}
    assert list(cases) == list(BACKENDS)
    for name, param in cases.items():
        avail = BACKENDS[name].availability()
        reasons = [m.kwargs["reason"] for m in param.marks if m.name == "skip"]
        assert reasons == ([] if avail.ok else [f"{name} is unavailable here: {avail.reason}"])
    crossed = [p.id for p in PROCESS if p.values[0].name == "process-pool"]
    assert crossed == [f"process-pool-{m}" for m in START_METHODS]


@pytest.mark.parametrize("case", EVERY)
def test_every_task_recorded_once_inside_the_run_window(case):
    result = run(["primes", "sleep"], case, count=3, n=20_000, seconds=0.05)
    ids = [r.id for r in result.records]
    assert sorted(ids) == list(range(6))
    assert result.ok and result.stats.ok == 6
    for r in result.records:
        assert result.t0 <= r.submitted <= r.started <= r.finished <= result.t_end
        assert r.worker is not None
        if case.uses_processes:
            assert r.worker.pid != os.getpid()
        else:
            assert r.worker.pid == os.getpid()
    assert [r.result for r in result.records if r.name == "primes"] == ["2262"] * 3


@pytest.mark.parametrize("case", EVERY)
def test_lanes_never_hold_overlapping_tasks(case):
    result = run(["sleep"], case, count=6, seconds=0.05)
    lanes = assign_lanes(result.records)
    by_lane = defaultdict(list)
    for r in result.records:
        by_lane[lanes.lane_of[r.id]].append((r.started, r.finished))
    for spans in by_lane.values():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert start >= end
    labels = [lane.label for lane in lanes.lanes]
    assert len(set(labels)) == len(labels)


def live_events(case, tasks, count, **sets):
    """Every event of a run, drained while it runs as the window's bridge does."""
    wl = build_workload(tasks, count, {k: str(v) for k, v in sets.items()})
    live = Run(case.config(wl, workers=2, sample_interval_s=0.05)).start()
    events = []
    while not live.wait(0.01):
        events += live.drain_events()
    return events + live.drain_events()


@pytest.mark.parametrize("case", EVERY)
def test_live_events_arrive_in_order_one_each(case):
    events = live_events(case, ["primes"], 4, n=20000)
    started = [e.id for e in events if isinstance(e, TaskStarted)]
    finished = [e.record.id for e in events if isinstance(e, TaskFinished)]
    assert sorted(started) == sorted(finished) == [0, 1, 2, 3]
    for task_id in started:
        pos_start = next(i for i, e in enumerate(events)
                         if isinstance(e, TaskStarted) and e.id == task_id)
        pos_end = next(i for i, e in enumerate(events)
                       if isinstance(e, TaskFinished) and e.record.id == task_id)
        assert pos_start < pos_end
    assert any(isinstance(e, CpuSample) for e in events)


@pytest.mark.parametrize("case", EVERY)
def test_each_worker_ends_a_task_before_it_starts_the_next(case):
    # Many tiny tasks make a race between a worker's "finished" and its next "started" likely;
    # the live timeline relies on that order to keep one lane per worker.
    events = live_events(case, ["primes"], 24, n=300)
    busy: dict[tuple[int, int], int] = {}
    for e in events:
        if isinstance(e, TaskStarted):
            key = (e.worker.pid, e.worker.tid)
            assert key not in busy, f"{key} started task {e.id} while running {busy.get(key)}"
            busy[key] = e.id
        elif isinstance(e, TaskFinished):
            w = e.record.worker
            assert busy.pop((w.pid, w.tid)) == e.record.id
    assert not busy


@pytest.mark.parametrize("case", EVERY)
def test_a_raising_task_is_recorded_and_the_rest_still_run(case):
    result = run(["fail"], case, count=4, every=2, n=1000)
    failed = [r for r in result.records if r.status is TaskStatus.ERROR]
    assert [r.id for r in failed] == [1, 3]
    assert all(r.error.type == "ValueError" and "Traceback" in r.error.traceback
               for r in failed)
    assert result.stats.ok == 2 and not result.ok


@pytest.mark.parametrize("case", EVERY)
def test_cancel_drops_pending_and_stops_running_within_a_second(case):
    wl = build_workload(["sleep"], 6, {"seconds": "20"})
    live = Run(case.config(wl, workers=2)).start()
    deadline = time.monotonic() + 15
    while live.done_count == 0 and not any(isinstance(e, TaskStarted)
                                           for e in live.drain_events()):
        assert time.monotonic() < deadline, "no task started"
        time.sleep(0.02)
    t = time.monotonic()
    live.cancel()
    assert live.wait(5), "run did not end after cancel"
    assert time.monotonic() - t < 2.0
    result = live.result()
    assert result.cancelled
    assert {r.status for r in result.records} == {TaskStatus.CANCELLED}


@pytest.mark.parametrize("case", EVERY)
def test_a_run_stopped_before_it_started_runs_nothing_and_ends_at_once(case):
    # A Stop pressed while the run is still being set up: no backend starts (joblib's prepare
    # alone starts and waits for loky's tracker, ~0.3 s), every task ends cancelled.
    live = Run(case.config(build_workload(["sleep"], 4, {"seconds": "5"}), workers=2))
    live.cancel()
    t = time.monotonic()
    result = live.start().result(timeout=10)
    assert time.monotonic() - t < 2.0
    assert result.cancelled
    assert {r.status for r in result.records} == {TaskStatus.CANCELLED}
    assert all(r.started is None for r in result.records)


@pytest.mark.parametrize("case", EVERY)
def test_files_task_writes_then_its_root_is_removed(case):
    wl = build_workload(["files"], 3, {"count": "20"})
    result = execute(case.config(wl, workers=2))
    assert [r.result for r in result.records] == ["20"] * 3
    # the autouse fixture asserts the temp root is gone


@pytest.mark.parametrize("case", EVERY)
def test_http_task_fetches_from_the_local_server(case):
    result = run(["http"], case, count=3, requests=2, size_kb=8, latency_ms=10)
    assert result.ok, [r.error for r in result.records]
    assert [r.result for r in result.records] == [str(2 * 8 * 1024)] * 3


@pytest.mark.parametrize("case", backend_matrix(only=("threads", "thread-pool")))
def test_threads_on_pure_python_cpu_show_the_gil(case):
    result = run(["primes"], case, count=4, workers=2, n=60_000)
    # Two threads share one GIL: each task gets about half a core while it runs.
    assert result.stats.cpu_per_wall < 0.75


# One start method: how a worker started does not change what it computes once running.
@pytest.mark.parametrize("case", backend_matrix(processes=True))
def test_processes_on_pure_python_cpu_are_not_throttled(case):
    # Alone in its own interpreter with nothing to wait for, a task spends its running time
    # computing. A generous bound: a shared CI machine may give any process well under a
    # core (two busy loops beside the suite gave 0.5); the side-by-side measure of processes
    # against threads is bench/bench_engine.py's speedup table.
    result = run(["primes"], case, count=1, workers=1, n=150_000)
    assert result.stats.cpu_per_wall > 0.3, result.stats.cpu_per_wall


def test_sleep_tasks_use_almost_no_cpu():
    result = run(["sleep"], "thread-pool", count=2, seconds=0.2)
    assert all(r.cpu_s < 0.05 for r in result.records)


def test_asyncio_says_which_tasks_ran_as_coroutines():
    result = run(["sleep", "primes"], "asyncio", count=2, seconds=0.05, n=1000)
    modes = {r.name: r.mode for r in result.records}
    assert modes == {"sleep": "coroutine", "primes": "executor"}
    assert any("coroutines" in n for n in result.notes)
    assert any("run_in_executor" in n for n in result.notes)


def test_asyncio_overlaps_coroutines_on_one_thread_in_separate_lanes():
    result = run(["sleep"], "asyncio", count=4, workers=4, seconds=0.2)
    assert len({r.worker.tid for r in result.records}) == 1
    assert len(assign_lanes(result.records).lanes) == 4
    assert result.wall_s < 0.6  # four 0.2 s waits overlapped


@pytest.mark.parametrize("case", PROCESS)
@pytest.mark.parametrize("how", ["exit", "kill", "segfault"])
def test_a_dying_worker_marks_its_task_lost_and_the_next_run_works(case, how):
    wl = build_workload(["crash", "sleep"], 1, {"how": how, "after_s": "0.1", "seconds": "0.05"})
    result = execute(case.config(wl, workers=2))
    crash = result.records[0]
    assert crash.status is TaskStatus.LOST
    assert "died" in crash.error.message
    # Its bar runs from its start to its worker's death, wherever its start was read from.
    assert crash.started is not None and crash.started < crash.finished
    assert result.problems and not result.ok
    again = run(["primes"], case, count=2, n=1000)
    assert again.ok


def test_a_task_that_kills_its_pool_worker_at_once_keeps_its_bar():
    """process-pool reads starts from boards every 20 ms; a worker dead 0 ms into its task
    breaks the pool before that. Its start is read when the death is reported."""
    for _ in range(3):
        result = run(["crash"], "process-pool", count=1, how="exit", after_s=0)
        crash = result.records[0]
        assert crash.status is TaskStatus.LOST
        assert crash.started is not None and crash.worker is not None


def test_process_pool_live_lanes_are_the_saved_run_s_lanes():
    """The window lays lanes out as workers first appear in the live events; a saved run
    (``assign_lanes``) by their first starts. process-pool reads starts from boards that show
    only a worker's latest start, so a worker's first start must still come first."""
    from engine.figures.lanes import LaneAssigner

    for _ in range(3):
        wl = build_workload(["primes"], 12, {"n": "3000"})
        live = Run(BackendCase("process-pool").config(wl, workers=2)).start()
        lanes = LaneAssigner()
        while True:
            ended = live.wait(0.01)
            for e in live.drain_events():
                if isinstance(e, TaskStarted):
                    lanes.start(e.id, e.worker)
                elif isinstance(e, TaskFinished):
                    lanes.finish(e.record.id)
            if ended:
                break
        result = live.result()
        assert result.ok
        assert [lane.label for lane in lanes.lanes] == \
            [lane.label for lane in assign_lanes(result.records).lanes]


def test_interpreters_backend_is_listed_with_a_reason_when_unavailable():
    # Runs on 3.14's own executor or on 3.13 with the backport; otherwise says what it needs.
    avail = BACKENDS["interpreters"].availability()
    if not avail.ok:
        assert "3.14" in avail.reason
        import sys

        if sys.version_info < (3, 14):
            assert "interpreters-pep-734" in avail.reason
