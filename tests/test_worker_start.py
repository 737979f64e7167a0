"""A worker process starts lean, and the run report says what its start cost.

Every spawned worker pays for each module it imports before its first task (docs/benchmarks.md,
"Worker start cost"): a worker must import what running a task needs and nothing of the app
around it. What a worker has loaded is read inside a real worker, by a task written to a file
of its own, so neither the test module nor pytest is imported there.
"""

from __future__ import annotations

import re
from statistics import mean

import pytest

from engine.figures.explain import explain, worker_start_s
from engine.run.runner import RunConfig, execute
from engine.workload import build_workload

# Heavy, and needed by no task: the CPU sampler's psutil, the CLI's argparse and json, the
# run thread and everything outside the worker's core, the window; typing (annotations only),
# hashlib and hmac (the event socket's handshake, a file task's module name: not any more);
# dataclasses with the inspect, ast and dis it imports (~10 ms: the records are
# ``engine.values.frozen`` classes) and traceback (formatted only for a task that failed).
HEAVY = ("psutil", "json", "asyncio", "argparse", "secrets", "http", "typing", "hashlib",
         "hmac", "dataclasses", "inspect", "engine.run",
         "engine.cli", "engine.figures", "engine.files", "engine.backends.base",
         "engine.backends.processes", "engine.backends.registry", "gui", "PySide6", "numpy")
# Heavy too, but imported by the pool itself where it is not listed: concurrent.futures imports
# logging and traceback, multiprocessing.pool traceback.
NOT_THE_POOLS = {"processes": ("logging", "traceback"), "mp-pool": ("logging",),
                 "process-pool": ()}

PROBE = '''
import sys

def heavy_loaded(names):
    """Which of ``names`` this process had imported when the task ran."""
    return " ".join(n for n in names.split(",") if n in sys.modules) or "none"
'''


def _run(tmp_path, backend, start_method, names):
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    wl = build_workload([f"{probe}:heavy_loaded"], 1, {"names": ",".join(names)})
    result = execute(RunConfig(wl, backend, workers=1, start_method=start_method))
    assert result.ok, (result.problems, [r.error for r in result.records])
    return result


@pytest.mark.parametrize("backend,start_method", [
    ("processes", "spawn"), ("mp-pool", "spawn"), ("process-pool", "spawn"),
    ("processes", "forkserver"),
])
def test_a_worker_imports_nothing_heavy_before_or_while_running_a_task(tmp_path, backend,
                                                                       start_method):
    names = (*HEAVY, *NOT_THE_POOLS[backend])
    result = _run(tmp_path, backend, start_method, names)
    assert [r.result for r in result.records] == ["'none'"]


def test_the_probe_sees_a_module_the_worker_did_import(tmp_path):
    # The probe itself can fail: the worker's own core is there.
    result = _run(tmp_path, "processes", "spawn", ("engine.worker", "psutil"))
    assert [r.result for r in result.records] == ["'engine.worker'"]


def test_the_report_says_what_the_start_cost_spans_and_gives_the_measured_figure():
    wl = build_workload(["sleep"], 2, {"seconds": "0"})
    result = execute(RunConfig(wl, "processes", workers=2, start_method="spawn"))
    assert result.ok
    # run start -> each worker's first task, averaged over workers: what bench/bench_start.py
    # compares with a bare pool's
    firsts = [r.started - result.t0 for r in result.records]
    assert len({r.worker.pid for r in result.records}) == 2  # one process per task
    assert worker_start_s(result) == pytest.approx(mean(firsts))
    line = next(x for x in explain(result) if "first task" in x)
    ms = re.search(r"(\d+) ms from the run's start to its first task \(([^)]*)\)", line)
    assert ms, line
    assert int(ms.group(1)) == round(mean(firsts) * 1000)
    assert ms.group(2) == "process and interpreter start, imports, connecting its event channel"
