"""Memory per worker: resident memory sampled with the CPU, and the ``memory`` task that shows
worker processes each holding their own copy of data that threads share.

Real runs: the sampler process reads /proc for the engine and its children, and the task
really fills its table (ones, not zeros, so the pages are resident).
"""

from __future__ import annotations

import json

import pytest

from engine.figures.explain import explain
from engine.figures.memory import memory_line, memory_reading, worker_memory
from engine.files import session
from engine.files.export import document
from engine.files.trace import MEMORY_TRACK, chrome_trace
from engine.run.runner import RunConfig, execute
from engine.workload import build_workload

MB = 150


def run_memory(backend: str, count: int, workers: int):
    wl = build_workload(["memory"], count, {"mb": str(MB), "seconds": "0.8"})
    return execute(RunConfig(wl, backend, workers=workers, sample_interval_s=0.1))


@pytest.fixture(scope="module")
def on_threads():
    return run_memory("threads", 4, 4)


@pytest.fixture(scope="module")
def on_processes():
    return run_memory("process-pool", 2, 2)


def test_threads_share_one_copy_of_the_table(on_threads):
    result = on_threads
    assert result.ok
    m = memory_reading(result)
    assert m is not None and m.in_process and m.processes == 1
    readings = [sum(s.memory.values()) for s in result.samples if s.memory]
    # The engine process grew by about one table while four tasks held it: one copy, not four
    # (which would be 600 MiB).
    growth = max(readings) - min(readings)
    assert 0.8 * MB < growth < 2.5 * MB, readings
    assert "share" in memory_line(result)
    assert any("held once" in line for line in explain(result))


def test_each_worker_process_holds_its_own_copy(on_processes):
    result = on_processes
    assert result.ok
    m = memory_reading(result)
    assert m is not None and not m.in_process
    # Both workers ran a task, and each built the table in its own memory.
    assert m.processes == 2
    assert m.least_peak > 0.9 * MB
    assert m.peak_total > 1.8 * MB
    # The resource tracker (a child process too) is not counted as a worker.
    workers = {r.worker.pid for r in result.records}
    assert all(set(worker_memory(result, s.memory)) <= workers for s in result.samples)
    assert "2 worker processes" in memory_line(result)
    assert any("its own copy" in line for line in explain(result))


def test_memory_readings_survive_a_session_file_json_and_the_trace(on_processes, tmp_path):
    result = on_processes
    path = str(tmp_path / "run.corescope.json")
    session.save(path, [result])
    back = session.load(path).runs[0]
    assert [s.memory for s in back.samples] == [s.memory for s in result.samples]
    assert memory_line(back) == memory_line(result)

    doc = document([result], result.machine)
    assert any("memory_mib" in s for s in doc["runs"][0]["cpu"]["samples"])

    events = [e for e in chrome_trace([result])["traceEvents"] if e["name"] == MEMORY_TRACK]
    workers = {f"pid {r.worker.pid}" for r in result.records}
    assert events and set(events[-1]["args"]) == workers
    assert max(max(e["args"].values()) for e in events) > 0.9 * MB
    assert all(v == 0 for v in events[-1]["args"].values())  # drops to 0 at the run's end


@pytest.mark.parametrize("bad", [-5, "12", float("nan"), 1e300])
def test_a_damaged_memory_reading_is_refused_in_one_line(on_threads, tmp_path, bad):
    path = tmp_path / "run.corescope.json"
    session.save(str(path), [on_threads])
    raw = json.loads(path.read_text())
    sample = next(s for s in raw["runs"][0]["cpu"]["samples"] if "memory_mib" in s)
    pid = next(iter(sample["memory_mib"]))
    sample["memory_mib"][pid] = bad
    path.write_text(json.dumps(raw))
    with pytest.raises(session.SessionError) as err:
        session.load(str(path))
    assert "memory_mib" in str(err.value) and "\n" not in str(err.value)
