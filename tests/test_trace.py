"""The Chrome trace as a viewer reads the file: names, process/thread ids, order, counters.

Perfetto's JSON importer shows ``\\u2014`` escapes literally, calls a thread whose tid equals its
pid the "main thread" (and sorts it first), ignores ``process_sort_index`` (ordering runs by pid
or name instead) and holds a counter's last value to the end of the trace. Each test reads the
file that ``write_json`` wrote, as a viewer would.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from engine.figures.result import RunResult
from engine.files import session
from engine.files.export import write_json
from engine.files.trace import GIL_TRACK, chrome_trace
from engine.records import (
    CpuSample,
    HostCpuSample,
    MachineInfo,
    TaskRecord,
    TaskStatus,
    WorkerId,
)
from engine.run.runner import RunConfig, execute
from engine.workload import build_workload

# Alphabetical order differs from run order on purpose: "threads" sorts after "sequential".
RUN_ORDER = ("threads", "sequential")
MACHINE = MachineInfo(4, 2, 4, "3.11.7", "CPython", "Linux", False, True)


@pytest.fixture(scope="module")
def results() -> list[RunResult]:
    """Two real runs, one after the other as a comparison runs them, sampled every 20 ms."""
    wl = build_workload(["sleep"], 2, {"seconds": "0.15"})
    return [execute(RunConfig(wl, backend, workers=2, sample_interval_s=0.02))
            for backend in RUN_ORDER]


def written(tmp_path: Path, results: list[RunResult]) -> tuple[bytes, list[dict[str, Any]]]:
    path = tmp_path / "runs.trace.json"
    write_json(str(path), chrome_trace(results))
    raw = path.read_bytes()
    return raw, json.loads(raw.decode("utf-8"))["traceEvents"]


def by_name(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["ph"] == "M" and e["name"] == name]


def test_names_are_written_as_characters_not_escapes(tmp_path, results):
    raw, events = written(tmp_path, results)
    assert b"\\u" not in raw
    for char in ("—", "×", "·"):  # run names: "1 · threads — 2 × sleep(seconds=0.15)"
        assert char.encode("utf-8") in raw
    names = [e["args"]["name"] for e in by_name(events, "process_name")]
    assert names == ["1 · threads — 2 × sleep(seconds=0.15)",
                     "2 · sequential — 2 × sleep(seconds=0.15)"]


def test_no_lane_is_a_main_thread_and_lanes_sort_by_lane(tmp_path, results):
    _, events = written(tmp_path, results)
    pids = {e["pid"] for e in events}
    for e in events:
        assert e["tid"] != e["pid"], e  # Perfetto would call it the "main thread"
    lanes = by_name(events, "thread_name")
    tasks = [e for e in lanes if e["args"]["name"] != GIL_TRACK]  # that row comes with py-spy
    assert len(tasks) == 2 + 1  # threads: one lane per task; sequential: one for both
    tids = [e["tid"] for e in lanes]
    assert len(set(tids)) == len(tids) and not set(tids) & pids  # unique across the trace
    named = {(e["pid"], e["tid"]) for e in lanes}
    assert {(e["pid"], e["tid"]) for e in events if e["ph"] == "X"} <= named
    order: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for e in by_name(events, "thread_sort_index"):
        order[e["pid"]].append((e["args"]["sort_index"], e["tid"]))
    assert sorted(order) == sorted(pids)
    for pairs in order.values():  # lane order, by sort index and by tid alike
        assert pairs == sorted(pairs) and [t for _, t in pairs] == sorted(t for _, t in pairs)


def test_runs_sort_in_run_order_by_pid_name_and_sort_index(tmp_path, results):
    _, events = written(tmp_path, results)
    procs = by_name(events, "process_name")
    assert [e["pid"] for e in procs] == sorted(e["pid"] for e in procs)
    names = [e["args"]["name"] for e in procs]
    assert all(backend in name for backend, name in zip(RUN_ORDER, names, strict=True))
    assert names == sorted(names)
    sort_index = {e["pid"]: e["args"]["sort_index"] for e in by_name(events,
                                                                      "process_sort_index")}
    assert [sort_index[e["pid"]] for e in procs] == sorted(sort_index.values())


def test_ten_or_more_runs_are_zero_padded_so_names_still_sort(tmp_path, results):
    many = [dataclasses.replace(results[i % 2]) for i in range(11)]
    _, events = written(tmp_path, many)
    names = [e["args"]["name"] for e in by_name(events, "process_name")]
    assert names[0].startswith("01 · ") and names[10].startswith("11 · ")
    assert names == sorted(names)
    assert all(e["tid"] != e["pid"] for e in events)


def counter_series(events: list[dict[str, Any]]) -> dict[tuple[int, str, str], list[tuple]]:
    """(pid, track, core) -> [(ts, value)] in file order, as Perfetto splits counter args."""
    series: dict[tuple[int, str, str], list[tuple]] = defaultdict(list)
    for e in events:
        if e["ph"] == "C":
            for key, value in e["args"].items():
                series[(e["pid"], e["name"], key)].append((e["ts"], value))
    return series


def run_ends_us(runs: list[RunResult]) -> dict[int, float]:
    origin = min(r.t0 for r in runs)
    return {pid: round((r.t_end - origin) * 1e6, 3) for pid, r in enumerate(runs, start=1)}


def test_every_cpu_counter_drops_to_zero_at_its_runs_end(tmp_path, results):
    _, events = written(tmp_path, results)
    ends = run_ends_us(results)
    series = counter_series(events)
    assert {pid for pid, _, _ in series} == set(ends)  # both runs were sampled
    for (pid, _, _), points in series.items():
        assert len(points) >= 2
        assert points[-1] == (ends[pid], 0)
        assert all(ts <= ends[pid] for ts, _ in points)
    # The first run's counters stop before the second run starts: none reads into it.
    first_task_of_run_2 = min(e["ts"] for e in events if e["ph"] == "X" and e["pid"] == 2)
    assert max(ts for (pid, _, _), pts in series.items() if pid == 1 for ts, _ in pts) \
        <= first_task_of_run_2


def test_host_counters_end_too_and_late_samples_are_dropped(tmp_path):
    w = WorkerId(10, 11, "w1")
    rec = TaskRecord(0, "t", 10.0, 10.1, 10.9, w, 0.8, TaskStatus.OK)
    run = RunResult("dask", {"tasks": []}, "1 × t", 1, 1, None, 10.0, 11.0, (rec,),
                    (CpuSample(10.5, (80.0, 90.0)), CpuSample(11.05, (100.0, 100.0))), 0.1,
                    MACHINE,
                    host_samples=(HostCpuSample(10.5, "far", (50.0,)),
                                  HostCpuSample(10.6, "near", (20.0, 30.0), this_machine=True),
                                  HostCpuSample(11.2, "far", (70.0,))))
    later = dataclasses.replace(run, t0=12.0, t_end=13.0, samples=(CpuSample(12.5, (5.0, 5.0)),),
                                host_samples=())
    _, events = written(tmp_path, [run, later])
    series = counter_series(events)
    assert series[(1, "CPU % per core", "core 1")] == [(500_000, 90.0), (1_000_000, 0)]
    assert series[(1, "CPU % per core · far", "core 0")] == [(500_000, 50.0), (1_000_000, 0)]
    assert series[(1, "CPU % per core · near", "core 1")] == [(600_000, 30.0), (1_000_000, 0)]
    assert series[(2, "CPU % per core", "core 0")] == [(2_500_000, 5.0), (3_000_000, 0)]
    assert len(series) == 2 + 1 + 2 + 2


def test_a_run_without_samples_has_no_counter_track(tmp_path, results):
    _, events = written(tmp_path, [dataclasses.replace(results[0], samples=())])
    assert not [e for e in events if e["ph"] == "C"]


def test_session_and_json_files_are_utf8_and_open_again(tmp_path, results):
    path = tmp_path / "runs.json"
    session.save(str(path), results, kind="compare")
    raw = path.read_bytes()
    assert b"\\u00d7" not in raw and "×".encode() in raw
    back = session.load(str(path))
    assert [r.workload_label for r in back.runs] == [r.workload_label for r in results]
