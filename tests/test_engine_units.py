"""Unit tests of the engine's pure parts: stats math, lanes, trace, monitor, parameters."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.figures.lanes import assign_lanes
from engine.figures.result import RunResult
from engine.files.trace import chrome_trace
from engine.records import CpuSample, MachineInfo, TaskRecord, TaskStatus, WorkerId
from engine.run.monitor import CpuMonitor
from engine.tasks import ParamError
from engine.tasks.params import ParamSpec
from engine.workload import build_workload

W1, W2 = WorkerId(10, 11, "w1"), WorkerId(10, 12, "w2")
MACHINE = MachineInfo(4, 2, 4, "3.11.7", "CPython", "Linux", False, True)


def rec(i, start, end, worker=W1, cpu=None, status=TaskStatus.OK):
    return TaskRecord(i, "t", 0.0, start, end, worker,
                      (end - start) if cpu is None else cpu, status)


def result(records, t0=0.0, t1=1.0, workers=2, samples=(), baseline=None):
    return RunResult("thread-pool", {"tasks": [{"name": "t"}]}, "t", workers, workers, None,
                     t0, t1, tuple(records), tuple(samples), 0.1, MACHINE,
                     baseline_wall_s=baseline)


def test_stats_of_a_perfectly_parallel_run():
    s = result([rec(0, 0, 1, W1), rec(1, 0, 1, W2)], t1=1.0, baseline=2.0).stats
    assert s.wall_s == 1.0 and s.speedup == 2.0 and s.efficiency == 1.0
    assert s.parallelism == 2.0 and s.overhead_share == 0.0 and s.cpu_per_wall == 1.0


def test_stats_efficiency_is_against_min_of_workers_and_cores():
    # 8 workers on a 4-core machine: the ideal is 4×, so a 3× speedup is 75 % efficient.
    s = result([rec(0, 0, 1)], t1=1.0, workers=8, baseline=3.0).stats
    assert s.efficiency == pytest.approx(0.75)


def test_stats_overhead_and_gil_shaped_cpu():
    # Two tasks each inside half the run, each getting half a core: GIL-bound threads.
    s = result([rec(0, 0.5, 1.0, W1, cpu=0.25), rec(1, 0.5, 1.0, W2, cpu=0.25)]).stats
    assert s.overhead_share == pytest.approx(0.5)
    assert s.cpu_per_wall == pytest.approx(0.5)
    assert s.speedup is None and s.efficiency is None


def test_stats_counts_and_cpu_util_window():
    records = [rec(0, 0, 1), rec(1, 0, 1, status=TaskStatus.ERROR),
               rec(2, 0, 1, status=TaskStatus.LOST), rec(3, 0, 1, status=TaskStatus.CANCELLED)]
    samples = [CpuSample(0.5, (100.0, 0.0)), CpuSample(0.9, (100.0, 100.0)),
               CpuSample(5.0, (0.0, 0.0))]  # outside the run: ignored
    s = result(records, samples=samples).stats
    assert (s.ok, s.failed, s.lost, s.cancelled) == (1, 1, 1, 1)
    assert s.cpu_util == pytest.approx(75.0)


def test_other_programs_are_the_machine_minus_corescopes_processes_and_threads():
    from engine.figures.stats import busy_machine_note, other_cpu, own_cpu

    # 4 cores at 50 % = 200 % of one core busy; a worker process at 90 % and two engine
    # threads at 30 % + 20 % are ours (140 %), so the other 60 % of a core is someone else's.
    mixed = CpuSample(0.5, (50.0, 50.0, 50.0, 50.0), {4001: 90.0}, {11: 30.0, 12: 20.0})
    assert own_cpu(mixed) == pytest.approx(35.0)
    assert other_cpu(mixed) == pytest.approx(15.0)
    # Our counters read a few ms apart from the cores': ours may exceed the total, others ≥ 0.
    assert other_cpu(CpuSample(0.6, (10.0, 10.0), {4001: 60.0})) == 0.0
    assert own_cpu(CpuSample(0.7, (100.0,), {4001: 250.0})) == 100.0
    assert other_cpu(CpuSample(0.8, ())) == 0.0

    idle_others = [CpuSample(0.5, (100.0, 0.0), {4001: 100.0}),
                   CpuSample(0.9, (100.0, 100.0), {4001: 100.0, 4002: 100.0})]
    s = result([rec(0, 0, 1)], samples=idle_others).stats
    assert s.other_util == pytest.approx(0.0) and busy_machine_note(s) is None

    busy = [CpuSample(0.5, (100.0, 100.0), {4001: 100.0}),  # another program has a core
            CpuSample(0.9, (100.0, 60.0), {4001: 100.0}, {11: 10.0}),
            CpuSample(5.0, (100.0, 100.0))]  # outside the run: ignored
    s = result([rec(0, 0, 1)], samples=busy).stats
    assert s.other_util == pytest.approx((50.0 + 25.0) / 2)
    assert busy_machine_note(s) == ("other programs used 38 % of the machine during this run: "
                                    "timings may be slower than on an idle machine")
    # At most 10 % is the noise of any desktop: no caveat.
    quiet = [CpuSample(0.5, (30.0, 0.0), {4001: 10.0})]  # 15 % busy, 5 % ours: 10 % others
    assert busy_machine_note(result([rec(0, 0, 1)], samples=quiet).stats) is None


def test_lanes_split_overlapping_tasks_on_one_thread_and_reuse_free_slots():
    records = [rec(0, 0.0, 1.0), rec(1, 0.5, 1.5), rec(2, 1.0, 2.0), rec(3, 0.0, 1.0, W2)]
    lanes = assign_lanes(records)
    assert lanes.lane_of[0] != lanes.lane_of[1]
    assert lanes.lane_of[2] == lanes.lane_of[0]  # slot freed at 1.0, reused at 1.0
    assert len(lanes.lanes) == 3
    assert lanes.lanes[lanes.lane_of[1]].label == "w1 · slot 2"


def test_chrome_trace_structure():
    r = result([rec(0, 0.1, 0.4, W1), rec(1, 0.2, 0.3, W1), rec(2, 0.1, 0.5, W2)],
               samples=[CpuSample(0.5, (10.0, 20.0))])
    events = chrome_trace([r])["traceEvents"]
    json.dumps(events)  # serialisable
    xs = [e for e in events if e["ph"] == "X"]
    assert len(xs) == 3
    assert all({"pid", "tid", "ts", "dur", "name"} <= set(e) for e in xs)
    named = {(e["pid"], e["tid"]) for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert {(e["pid"], e["tid"]) for e in xs} <= named
    assert any(e["ph"] == "M" and e["name"] == "process_name" for e in events)
    # overlapping tasks on one thread never share a trace thread
    assert xs[0]["tid"] != xs[1]["tid"]
    counters = [e for e in events if e["ph"] == "C"]
    assert counters[0]["args"] == {"core 0": 10.0, "core 1": 20.0}
    assert xs[0]["ts"] == pytest.approx(100_000) and xs[0]["dur"] == pytest.approx(300_000)


def test_monitor_computes_percentages_from_counter_deltas():
    t = [0.0]
    cores = [[(0.0, 0.0), (0.0, 0.0)]]
    procs = [{}]
    threads = [{}]
    mon = CpuMonitor(0.1, clock=lambda: t[0], read_cores=lambda: cores[0],
                     read_processes=lambda: procs[0], read_threads=lambda: threads[0])
    t[0] = 1.0
    cores[0] = [(0.5, 1.0), (1.0, 1.0)]
    procs[0] = {4242: 0.0}
    threads[0] = {7: 0.0}
    s1 = mon.sample_once()
    assert s1.per_core == (50.0, 100.0) and s1.total == 75.0
    t[0] = 2.0
    cores[0] = [(0.5, 2.0), (2.0, 2.0)]
    procs[0] = {4242: 1.5, 999: 3.0}  # a process seen for the first time has no rate yet
    threads[0] = {7: 0.25}
    s2 = mon.sample_once()
    assert s2.per_core == (0.0, 100.0)
    assert s2.processes == {4242: 150.0}
    assert s2.threads == {7: 25.0}
    assert mon.samples() == [s1, s2]


def test_monitor_thread_samples_at_its_interval_and_stops():
    with CpuMonitor(0.02) as mon:
        import time

        time.sleep(0.3)
    n = len(mon.samples())
    assert 5 <= n <= 20
    assert all(0 <= c <= 100 for s in mon.samples() for c in s.per_core)


def test_monitor_detaches_a_failing_consumer_and_keeps_sampling():
    def bad(_):
        raise RuntimeError("consumer bug")

    mon = CpuMonitor(0.05, bad)
    mon.sample_once()
    mon.sample_once()
    assert len(mon.samples()) == 2


@pytest.mark.parametrize("raw,ok", [("5", 5), ("1_000", 1000), (7, 7), ("x", None),
                                    ("2.5", None), (True, None), ("0", None), ("1001", None)])
def test_int_param_parsing(raw, ok):
    spec = ParamSpec("n", int, 1, "", minimum=1, maximum=1000)
    if ok is None:
        with pytest.raises(ParamError):
            spec.parse(raw)
    else:
        assert spec.parse(raw) == ok


def test_workload_settings_scope_to_one_task_with_a_prefix():
    wl = build_workload(["primes", "mixed"], 2, {"primes.n": "10", "seconds": "0.1"})
    assert wl.items[0].params == {"n": 10}
    assert wl.items[1].params == {"n": 150_000, "seconds": 0.1}
    assert wl.n_tasks == 4


def test_engine_imports_without_qt():
    code = (
        "import importlib, pkgutil, sys, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in "
        "('PySide6', 'pyqtgraph', 'shiboken6', 'gui')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_sampler_process_keeps_its_rate_while_threads_fight_over_the_gil():
    """The regression that moved sampling out of process: four GIL-bound threads used to
    starve an in-process sampler down to about one sample a second."""
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    result = execute(RunConfig(build_workload(["primes"], 4, {"n": "200000"}), "threads",
                               sample_interval_s=0.05))
    expected = result.wall_s / 0.05
    # The in-process sampler this guards against reached ~1 sample a second, 5 % of this
    # rate. A fresh-clone CI beside two busy loops (the GIL probe's dumps and four threads as
    # well: about twice the work the two cores can do) gave the sampler process 9 of 19.
    assert len(result.samples) >= 0.35 * expected
    # Four threads, one core's worth of CPU between them (the GIL), seen per thread. Thread
    # CPU counters tick every 10 ms, so one 50 ms sample can read 20 % high or low: judge the
    # mean over the run. The lower bound is generous: with two busy loops beside the suite
    # (a shared CI machine) the four threads got about 56 % of a core between them.
    busy = [sum(s.threads.values()) for s in result.samples if sum(s.threads.values()) > 30]
    assert len(busy) >= 5
    assert 35 < sum(busy) / len(busy) < 130


class _Starts:
    """A run context that only notes which starts reached it, in order."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def started(self, event: object) -> None:
        self.seen.append(event.id)  # type: ignore[attr-defined]


def test_process_pool_holds_a_workers_next_start_until_its_previous_task_ended():
    """process-pool's starts and records travel different paths (event connection, pool
    result); the timeline must still never see one worker running two tasks."""
    from engine.backends.process_pool import InOrder
    from engine.records import TaskStarted

    ctx = _Starts()
    order = InOrder(ctx)  # type: ignore[arg-type]
    a, b = WorkerId(10, 10, "a"), WorkerId(20, 20, "b")
    order.started(TaskStarted(0, "t", 0.0, a))
    order.started(TaskStarted(1, "t", 1.0, a))  # read before task 0's record: held
    order.started(TaskStarted(2, "t", 1.0, b))  # another worker is not held up
    assert ctx.seen == [0, 2]
    order.ended(0)
    assert ctx.seen == [0, 2, 1]
    order.ended(3)  # a record before its own start: RunState made the start from it
    order.started(TaskStarted(3, "t", 2.0, b))
    assert ctx.seen == [0, 2, 1]
    order.started(TaskStarted(4, "t", 3.0, b))  # task 2 never reported (the run ended)
    assert ctx.seen == [0, 2, 1]
    order.release_all()
    assert ctx.seen == [0, 2, 1, 4]


def test_process_pool_sends_each_workload_item_once_and_a_task_as_numbers(monkeypatch):
    """A two-function workload reaches the worker as two templates; each task, sent as its
    template's number, id, index and submit time, is run as the very instance it stands for
    and comes back with its own name, result and submit time."""
    from engine import wire
    from engine.backends import _child
    from engine.worker import run_task

    wl = build_workload(["sleep", "primes"], 3, {"sleep.seconds": "0", "primes.n": "50"})
    tasks = wl.instances()
    templates, keys = _child.templates_of(tasks)
    assert [t[0] for t in templates] == ["sleep", "primes"]
    assert keys == [0, 0, 0, 1, 1, 1]

    started = []
    monkeypatch.setattr(_child, "_events", type("Sink", (), {"put": started.append})())
    monkeypatch.setattr(_child, "_templates", templates)
    for inst, key in zip(tasks, keys):
        stamped = inst.stamped(100.0 + inst.id)
        record = wire.unpack(_child.run_template(key, inst.id, inst.index, stamped.submitted))
        assert (record.id, record.name, record.submitted) == (inst.id, inst.name, 100.0 + inst.id)
        assert record.status is TaskStatus.OK, record.error
        assert record.result == run_task(stamped).result
    assert [e.id for e in started] == [t.id for t in tasks], "each task reported its start"


def test_process_pool_sends_whole_instances_when_a_workload_has_too_many_items():
    from engine.backends import _child
    from engine.tasks import TaskRef
    from engine.workload import TaskInstance

    ref = TaskRef("sleep", None)
    tasks = [TaskInstance(i, "sleep", 0, ref, {"seconds": 0}) for i in
             range(_child.MAX_TEMPLATES + 1)]  # every instance its own parameters
    assert _child.templates_of(tasks) == ((), None)
    assert len(_child.templates_of(tasks[:-1])[0]) == _child.MAX_TEMPLATES


def test_process_pool_holds_a_board_start_until_the_task_before_it_on_that_worker_ended():
    """A board shows a worker's latest start only: start 3, posted after task 0 on the same
    worker, can be the first the engine sees of that worker. It waits for task 0's record,
    even though task 0's own start was never read."""
    from engine.backends.process_pool import InOrder
    from engine.records import TaskStarted

    ctx = _Starts()
    order = InOrder(ctx)  # type: ignore[arg-type]
    a = WorkerId(10, 10, "a")
    order.started(TaskStarted(3, "t", 3.0, a), after=0)
    assert ctx.seen == []
    order.started(TaskStarted(5, "t", 5.0, a), after=3)  # task 3 ended too, its record unread
    assert ctx.seen == []
    order.ended(0)
    assert ctx.seen == [3]
    order.ended(3)
    assert ctx.seen == [3, 5]
    order.started(TaskStarted(6, "t", 6.0, a), after=5)
    assert ctx.seen == [3, 5]
    order.ended(5)
    assert ctx.seen == [3, 5, 6]


@pytest.mark.parametrize("value", [0, -7, 364, 2**255, -(2**256) + 1, 2**256, 2**300, 1.5,
                                   float("nan"), True, None])
def test_a_number_result_reads_as_its_repr_and_a_long_one_is_cut(value):
    """Small numbers (the usual result) take a short way; the text is what it always was:
    exactly ``repr`` within the 80 characters a result may have, cut with "…" beyond."""
    from engine.describe import RESULT_CHARS, summarize

    text = repr(value)
    expected = text if len(text) <= RESULT_CHARS else text[:RESULT_CHARS - 1] + "…"
    assert summarize(value) == expected


def _ids_in_a_forked_child(folder: str, out: object) -> None:
    from engine.backends._start_boards import board_of
    from engine.worker import worker_id

    board = board_of(folder)
    out.send((os.getpid(), worker_id().pid, board.who.pid if board else None))  # type: ignore[attr-defined]


def test_a_thread_keeps_its_worker_id_and_board_and_a_forked_child_gets_its_own(tmp_path):
    """The worker id and the start board are kept per thread (a worker asks at every task);
    another thread, or a child forked from this one, must never be given this thread's."""
    import multiprocessing
    import threading

    from engine.backends._start_boards import board_of
    from engine.worker import worker_id

    here, board = worker_id(), board_of(str(tmp_path))
    assert board is not None and board_of(str(tmp_path)) is board and worker_id() is here
    assert board.who is here, "a board holds the starts of the thread that made it"
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.extend([worker_id(), board_of(str(tmp_path))]))
    thread.start()
    thread.join()
    assert other[0] is not here and other[1] is not board
    theirs, mine = multiprocessing.get_context("fork").Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_ids_in_a_forked_child,
                                                        args=(str(tmp_path), mine))
    child.start()
    try:
        assert theirs.poll(30)
        pid, worker_pid, board_pid = theirs.recv()
    finally:
        child.join(30)
    assert pid == child.pid and worker_pid == pid and board_pid == pid
    for made in (board, other[1]):
        made.map.close()  # type: ignore[union-attr]


def test_thread_cpu_read_from_proc_matches_psutil():
    import threading

    import psutil

    from engine.run.sampler import read_thread_times

    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        sum(range(3_000_000))  # some CPU on this thread
        ours = read_thread_times(os.getpid())
        theirs = {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(ours) >= {t.native_id for t in threads} | {threading.get_native_id()}
    assert set(ours) == set(theirs)
    for tid, cpu in ours.items():
        assert abs(cpu - theirs[tid]) <= 0.05, "the same ticks, read a moment apart"
