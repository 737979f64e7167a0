"""Demo defaults worth watching: each built-in's defaults say how long one takes, and asyncio
runs every coroutine at once (the workers setting limits only its thread executor)."""

from __future__ import annotations

import inspect
import re

from engine.run.runner import RunConfig, execute
from engine.tasks.registry import BUILTIN_TASKS
from engine.workload import build_workload

ABOUT = re.compile(r"about (\d+(?:\.\d+)?) s each at the defaults")


def run_asyncio(task: str, count: int, workers: int, **sets: object):
    wl = build_workload([task], count, {k: str(v) for k, v in sets.items()})
    return execute(RunConfig(wl, "asyncio", workers=workers, sample_interval_s=0.05))


def most_at_once(records) -> int:
    """The largest number of records whose start–end intervals overlap at one moment."""
    moments = sorted([(r.started, 1) for r in records] + [(r.finished, -1) for r in records])
    peak = now = 0
    for _, step in moments:  # an end sorts before a start at a tie (-1 < 1)
        now += step
        peak = max(peak, now)
    return peak


def test_asyncio_runs_every_coroutine_at_once_whatever_the_workers_setting():
    result = run_asyncio("sleep", 8, 2, seconds=0.3)
    assert result.ok and len(result.records) == 8
    assert {r.mode for r in result.records} == {"coroutine"}
    # Capped at 2 workers this took 4 × 0.3 = 1.2 s; all at once it takes one wait.
    assert result.wall_s < 1.0, result.wall_s
    assert max(r.started for r in result.records) < min(r.finished for r in result.records)
    assert most_at_once(result.records) == 8


def test_asyncio_says_all_coroutines_were_in_flight_and_what_workers_limits():
    result = run_asyncio("sleep", 8, 2, seconds=0.05)
    said = " | ".join(result.notes)
    assert "all 8 tasks with a coroutine form ran as coroutines, in flight at once" in said
    assert "workers (2) limits only the thread executor for plain functions" in said


def test_asyncio_still_limits_plain_functions_to_the_workers_setting():
    # mixed has no coroutine form: it goes through loop.run_in_executor on `workers` threads.
    result = run_asyncio("mixed", 4, 2, n=1, seconds=0.2)
    assert result.ok
    assert {r.mode for r in result.records} == {"executor"}
    assert most_at_once(result.records) == 2
    assert len({r.worker.tid for r in result.records}) == 2
    assert result.wall_s >= 0.4  # two rounds of two 0.2 s waits
    assert any("none of the 4 tasks has a coroutine form" in n and "on 2 threads" in n
               for n in result.notes), result.notes


def test_each_builtin_declares_its_defaults_and_says_how_long_they_take():
    for name, spec in BUILTIN_TASKS.items():
        signature = inspect.signature(spec.function).parameters
        for p in spec.params:
            # What the GUI and `main.py list` show is what a direct call does.
            assert signature[p.name].default == p.default, (name, p.name)
        assert "bench/task_defaults.py" in spec.description, name
        if name == "crash":  # it ends its worker: its point, not a duration to watch
            assert "not time" in spec.description and "0.3 s" in spec.description
            continue
        found = ABOUT.search(spec.description)
        assert found, f"{name}: {spec.description!r}"
        assert 0.3 <= float(found.group(1)) <= 1.0, name
