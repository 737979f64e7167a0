"""Cluster host CPU (``engine.hosts``): readings from workers become per-host samples, and they
travel through results, session files, traces and explanations like the local CPU does."""

from __future__ import annotations

import dataclasses
import os
import threading

import psutil
import pytest

from engine.figures.explain import explain
from engine.figures.result import RunResult
from engine.figures.stats import mean_host_cores
from engine.files import session
from engine.files.trace import chrome_trace
from engine.hosts import HostCpuTracker, HostReading, HostSampler, read_host
from engine.records import HostCpuSample, MachineInfo, TaskRecord, TaskStatus, WorkerId

MACHINE = MachineInfo(2, 1, 2, "3.11.7", "CPython", "Linux", False, True)


def reading(host, t, busy, pid=100, cpu_s=0.0, total_per_core=None):
    """A worker's reading with cumulative (busy, total) seconds for each core."""
    total = total_per_core if total_per_core is not None else t
    return HostReading(host, t, tuple((b, total) for b in busy), pid, cpu_s)


def test_read_host_reports_this_machine_as_seen_by_psutil():
    r = read_host()
    assert r.pid == os.getpid()
    assert len(r.cores) == psutil.cpu_count(logical=True)
    assert all(0 <= busy <= total for busy, total in r.cores)
    assert r.cpu_s > 0


def test_tracker_turns_counter_deltas_into_percentages_per_host_and_worker():
    tracker = HostCpuTracker(local_host="here")
    # The first round is only the baseline: rates need two readings.
    assert tracker.update({"tcp://a:1": reading("node-a", 10.0, (1.0, 2.0), 7, cpu_s=1.0),
                           "tcp://a:2": reading("node-a", 10.0, (1.0, 2.0), 8, cpu_s=5.0),
                           "tcp://b:1": reading("here", 10.0, (0.0,), 9)}) == []
    # One second later: node-a's core 0 was busy 0.5 s, core 1 the whole second; worker 7
    # used 0.9 s of CPU and worker 8 none.
    samples = tracker.update({"tcp://a:1": reading("node-a", 11.0, (1.5, 3.0), 7, cpu_s=1.9),
                              "tcp://a:2": reading("node-a", 11.0, (1.5, 3.0), 8, cpu_s=5.0),
                              "tcp://b:1": reading("here", 11.0, (0.25,), 9)})
    by_host = {s.host: s for s in samples}
    assert set(by_host) == {"node-a", "here"}
    a = by_host["node-a"]
    assert a.per_core == pytest.approx((50.0, 100.0))
    assert a.processes == pytest.approx({7: 90.0, 8: 0.0})
    assert by_host["here"].per_core == pytest.approx((25.0,))
    assert by_host["here"].this_machine and not a.this_machine


def test_tracker_moves_a_remote_workers_times_onto_our_clock():
    # The worker's clock reads 1000 s ahead of ours.
    tracker = HostCpuTracker({"tcp://far:1": 1000.0}, local_host="here")
    tracker.update({"tcp://far:1": reading("far", 1010.0, (0.0,))})
    (sample,) = tracker.update({"tcp://far:1": reading("far", 1010.5, (0.5,))})
    assert sample.t == pytest.approx(10.5)
    assert sample.per_core == pytest.approx((100.0,))


def test_a_worker_that_joins_late_starts_its_own_baseline():
    tracker = HostCpuTracker(local_host="here")
    tracker.update({"w1": reading("h", 1.0, (0.0,), pid=1)})
    (s,) = tracker.update({"w1": reading("h", 2.0, (1.0,), pid=1, cpu_s=1.0),
                           "w2": reading("h", 2.0, (1.0,), pid=2, cpu_s=3.0)})
    assert set(s.processes) == {1}  # the newcomer has no interval yet
    (s,) = tracker.update({"w1": reading("h", 3.0, (2.0,), pid=1, cpu_s=2.0),
                           "w2": reading("h", 3.0, (2.0,), pid=2, cpu_s=3.5)})
    assert s.processes == pytest.approx({1: 100.0, 2: 50.0})


def test_a_round_too_soon_after_the_last_is_skipped_not_drawn_as_noise():
    tracker = HostCpuTracker(local_host="x")
    tracker.update({"w": reading("h", 1.0, (0.0,))})
    # 20 ms later: too short to be a rate (CPU counters tick every 10 ms).
    assert tracker.update({"w": reading("h", 1.02, (0.02,))}) == []
    (s,) = tracker.update({"w": reading("h", 1.5, (0.25,))})
    assert s.per_core == pytest.approx((50.0,))  # measured over the whole 0.5 s


def test_sampler_skips_a_failed_round_and_goes_on_sampling():
    tracker = HostCpuTracker(local_host="x")
    tracker.update({"w": reading("h", 0.0, (0.0,))})  # the caller's baseline round
    busy = {"s": 0.0}  # cumulative busy seconds of the one core
    lock = threading.Lock()
    failures = []
    got: list[HostCpuSample] = []
    three = threading.Event()

    def read_round():
        with lock:
            n = len(got) + len(failures)
            if n == 1:
                failures.append(n)
                raise OSError("worker left")  # skipped, not fatal
            busy["s"] += 0.5
            return {"w": reading("h", busy["s"] * 2, (busy["s"],))}

    def on_sample(s):
        with lock:
            got.append(s)
        if len(got) >= 3:
            three.set()

    sampler = HostSampler(read_round, on_sample, tracker, interval_s=0.01).start()
    assert three.wait(30)
    sampler.stop(final_round=False)
    assert not any(t.name == "corescope-host-cpu" for t in threading.enumerate())
    assert failures == [1]
    assert all(s.per_core == pytest.approx((50.0,)) for s in got)


@pytest.mark.parametrize("final_round", [True, False])
def test_stop_takes_one_closing_round_unless_cancelled(final_round):
    # An interval no test outlives: the only round is the one stop() may ask for, however
    # busy the machine.
    tracker = HostCpuTracker(local_host="x")
    tracker.update({"w": reading("h", 0.0, (0.0,))})
    rounds = []
    got: list[HostCpuSample] = []

    def read_round():
        rounds.append(1)
        return {"w": reading("h", 1.0, (0.25,))}

    sampler = HostSampler(read_round, got.append, tracker, interval_s=3600).start()
    sampler.stop(final_round=final_round)
    assert not any(t.name == "corescope-host-cpu" for t in threading.enumerate())
    if final_round:  # the run's last interval is closed, so a short run still has data
        assert len(rounds) == 1
        assert [s.per_core for s in got] == [pytest.approx((25.0,))]
    else:  # after a cancel, Stop does not wait on the cluster
        assert rounds == [] and got == []


def _cluster_result():
    rec = TaskRecord(0, "primes", 0.0, 0.1, 1.1, WorkerId(50, 51, "dask far:1 · pid 50"), 1.0,
                     TaskStatus.OK)
    hosts = (HostCpuSample(0.5, "far", (100.0, 100.0, 0.0, 0.0), {50: 99.0}),
             HostCpuSample(1.0, "far", (100.0, 100.0, 0.0, 0.0), {50: 98.0}),
             HostCpuSample(1.0, "near", (50.0,), {60: 1.0}, this_machine=True))
    return RunResult("dask", {"tasks": [{"name": "primes"}]}, "primes", 2, 1, "spawn", 0.0,
                     1.2, (rec,), (), 0.1, MACHINE, host_samples=hosts,
                     scheduler="tcp://127.0.0.1:8786", cluster_cores=5)


def test_cluster_cores_set_the_ideal_and_the_explanation_reads_the_hosts():
    r = _cluster_result()
    # 2 cores busy on "far", half of one on "near".
    assert mean_host_cores(r.host_samples, r.t0, r.t_end) == pytest.approx(2.5)
    # Each sample counts for the interval it measured: 0.9 s idle, then a 0.1 s burst.
    weighted = (HostCpuSample(0.9, "h", (0.0,)), HostCpuSample(1.0, "h", (100.0,)))
    assert mean_host_cores(weighted, 0.0, 1.0) == pytest.approx(0.1)
    assert r.cores == 5 and r.ideal == 1  # one worker in use, five cores on the cluster
    assert r.stats.cpu_util == pytest.approx(50.0)  # the hosts' cores, not this machine's
    # A cluster run too short for a host sample has no CPU figure rather than a wrong one.
    assert dataclasses.replace(r, host_samples=()).stats.cpu_util is None
    text = " ".join(explain(r))
    assert "CPU on the cluster's hosts reached 2.5 of 5 cores" in text
    assert "connected to a running cluster" in text


def test_the_cli_report_has_a_line_per_cluster_host():
    from engine.cli.report import run_text

    text = run_text(_cluster_result())
    assert "CPU 50 % of cluster" in text
    assert "  host far: 1 worker(s), 4 cores, 2.0 busy on average" in text
    assert "  host near (this machine): 1 worker(s), 1 core, 0.5 busy on average" in text


def test_host_samples_survive_a_session_file_and_appear_in_the_trace(tmp_path):
    r = _cluster_result()
    path = str(tmp_path / "cluster.json")
    session.save(path, [r])
    back = session.load(path).runs[0]
    assert back.host_samples == r.host_samples  # t0 is 0, so relative times are the same
    assert (back.scheduler, back.cluster_cores) == (r.scheduler, r.cluster_cores)
    tracks = {e["name"] for e in chrome_trace([r])["traceEvents"] if e["ph"] == "C"}
    assert tracks == {"CPU % per core · far", "CPU % per core · near"}
    # A file written before host samples existed still opens, with none.
    old = dataclasses.replace(r, host_samples=(), scheduler=None, cluster_cores=None)
    session.save(str(tmp_path / "old.json"), [old])
    assert session.load(str(tmp_path / "old.json")).runs[0].host_samples == ()


def test_a_cluster_run_too_short_to_sample_explains_without_a_cpu_figure():
    r = dataclasses.replace(_cluster_result(), host_samples=())
    text = " ".join(explain(r))
    assert "Each worker process has its own interpreter and GIL." in text
    assert "this machine reached" not in text and "0.0 of 5" not in text


def test_workers_on_different_hosts_never_share_a_lane_even_with_equal_pids():
    from engine.figures.lanes import assign_lanes

    a, b = WorkerId(7, 8, "dask 10.0.0.1:1 · pid 7", "a"), WorkerId(7, 8, "dask 10.0.0.2:1", "b")
    lanes = assign_lanes([TaskRecord(0, "t", 0.0, 0.0, 1.0, a, 1.0, TaskStatus.OK),
                          TaskRecord(1, "t", 0.0, 0.0, 1.0, b, 1.0, TaskStatus.OK)])
    assert [(ln.host, ln.slot) for ln in lanes.lanes] == [("a", 0), ("b", 0)]


@pytest.mark.parametrize("field,value,expected", [
    ("per_core", [], "per_core is empty"),
    ("per_core", ["50"], "per_core must hold percentages"),
    ("per_core", [-1.0], "per_core must hold percentages"),
    ("per_core", [10 ** 400], "per_core must hold percentages"),
    ("processes", {"7": "nan"}, "must map ids to percentages"),
    ("processes", {"seven": 5.0}, "must map ids to percentages"),
    ("t_s", 10 ** 400, "too large a number"),
    ("host", None, "missing 'host'"),
    ("per_core", [1.0, 2.0, 3.0], "disagree on its core count (3 and 4)"),
])
def test_a_damaged_host_sample_is_refused_with_one_line(tmp_path, field, value, expected):
    import json

    from engine.files.export import document

    data = json.loads(json.dumps(document([_cluster_result()], MACHINE)))
    sample = data["runs"][0]["cpu"]["hosts"][0]
    if value is None:
        del sample[field]
    else:
        sample[field] = value
    with pytest.raises(session.SessionError) as err:
        session.parse(json.dumps(data), "f.json")
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_a_session_whose_numbers_break_json_is_refused_not_raised():
    for text in ('{"app": "corescope", "schema": ' + "9" * 5000 + "}", "[" * 100_000):
        with pytest.raises(session.SessionError):
            session.parse(text, "f.json")
    doc = {"app": "corescope", "schema": 1, "runs": [{"cluster_cores": -4}]}
    import json

    with pytest.raises(session.SessionError):
        session.parse(json.dumps(doc), "f.json")
