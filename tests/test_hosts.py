"""Cluster host CPU (``engine.hosts``): readings from workers become per-host samples, and they
travel through results, session files, traces and explanations like the local CPU does."""

from __future__ import annotations

import dataclasses
import os
import threading

import psutil
import pytest

from engine import session
from engine.explain import explain
from engine.hosts import HostCpuTracker, HostReading, HostSampler, read_host
from engine.records import HostCpuSample, MachineInfo, TaskRecord, TaskStatus, WorkerId
from engine.result import RunResult
from engine.stats import mean_host_cores
from engine.trace import chrome_trace

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
    assert set(by_host) == {"node-a", "here (this machine)"}
    a = by_host["node-a"]
    assert a.per_core == pytest.approx((50.0, 100.0))
    assert a.processes == pytest.approx({7: 90.0, 8: 0.0})
    assert by_host["here (this machine)"].per_core == pytest.approx((25.0,))


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


def test_sampler_keeps_sampling_past_failed_rounds_and_closes_with_a_last_round():
    calls = []
    got: list[HostCpuSample] = []
    rounds_seen = threading.Event()

    def read_round():
        calls.append(1)
        n = len(calls)
        if n == 2:
            raise OSError("worker left")  # skipped, not fatal
        if n >= 4:
            rounds_seen.set()
        return {"w": reading("h", float(n), (n * 0.5,))}

    sampler = HostSampler(read_round, got.append, HostCpuTracker(local_host="x"),
                          interval_s=0.01).start()
    assert rounds_seen.wait(5)
    sampler.stop()
    after = len(calls)
    assert not any(t.name == "corescope-host-cpu" for t in threading.enumerate())
    assert len(got) >= 2 and all(s.per_core == pytest.approx((50.0,)) for s in got)
    assert len(calls) == after  # nothing runs after stop() returned


def _cluster_result():
    rec = TaskRecord(0, "primes", 0.0, 0.1, 1.1, WorkerId(50, 51, "dask far:1 · pid 50"), 1.0,
                     TaskStatus.OK)
    hosts = (HostCpuSample(0.5, "far", (100.0, 100.0, 0.0, 0.0), {50: 99.0}),
             HostCpuSample(1.0, "far", (100.0, 100.0, 0.0, 0.0), {50: 98.0}),
             HostCpuSample(1.0, "near", (50.0,), {60: 1.0}))
    return RunResult("dask", {"tasks": [{"name": "primes"}]}, "primes", 2, 1, "spawn", 0.0,
                     1.2, (rec,), (), 0.1, MACHINE, host_samples=hosts,
                     scheduler="tcp://127.0.0.1:8786", cluster_cores=5)


def test_cluster_cores_set_the_ideal_and_the_explanation_reads_the_hosts():
    r = _cluster_result()
    # 2 cores busy on "far", half of one on "near".
    assert mean_host_cores(r.host_samples, r.t0, r.t_end) == pytest.approx(2.5)
    assert r.cores == 5 and r.ideal == 1  # one worker in use, five cores on the cluster
    assert r.stats.cpu_util == pytest.approx(50.0)  # the hosts' cores, not this machine's
    # A cluster run too short for a host sample has no CPU figure rather than a wrong one.
    assert dataclasses.replace(r, host_samples=()).stats.cpu_util is None
    text = " ".join(explain(r))
    assert "CPU on the cluster's hosts reached 2.5 of 5 cores" in text
    assert "connected to a running cluster" in text


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
