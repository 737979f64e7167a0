"""One process backend under several start methods, side by side: in a comparison
(``process-pool@spawn,process-pool@forkserver``) and as a sweep's knob (``start_method``)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import pytest
from sample_results import result

from engine.backends.start_methods import valid_start_methods
from engine.figures import sweep
from engine.figures.result import entry_names

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytestmark = pytest.mark.skipif("forkserver" not in valid_start_methods(),
                                reason="needs forkserver (Linux, macOS)")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, os.path.join(ROOT, "main.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_entries_are_named_by_start_method_only_where_a_backend_repeats():
    spawn = dataclasses.replace(result("process-pool"), start_method="spawn")
    fork_server = dataclasses.replace(spawn, start_method="forkserver")
    alone = dataclasses.replace(result("mp-pool"), start_method="spawn")
    assert entry_names([result("sequential"), spawn, fork_server, alone]) == [
        "sequential", "process-pool@spawn", "process-pool@forkserver", "mp-pool"]


def test_compare_runs_one_backend_under_two_start_methods(tmp_path):
    out_json = tmp_path / "c.json"
    out = cli("compare", "--task", "primes", "--set", "n=5000", "--tasks", "2", "--workers", "2",
              "--backends", "sequential,process-pool@spawn,process-pool@forkserver",
              "--json", str(out_json), "-q")
    assert out.returncode == 0, out.stderr
    assert "process-pool@spawn" in out.stdout and "process-pool@forkserver" in out.stdout
    runs = json.loads(out_json.read_text())["runs"]
    assert [(r["backend"], r["start_method"]) for r in runs] == [
        ("sequential", None), ("process-pool", "spawn"), ("process-pool", "forkserver")]


@pytest.mark.parametrize("backends,expected", [
    ("process-pool@", "name a start method after @"),
    ("threads@spawn", "process backends only"),
    ("process-pool@spawn,process-pool@spawn", "listed twice"),
    ("process-pool@teleport", "unknown start method 'teleport'"),
])
def test_a_bad_entry_is_one_line_and_exit_2(backends, expected):
    out = cli("compare", "--task", "sleep", "--backends", backends)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and expected in out.stderr


def test_a_sweep_over_start_methods_has_one_baseline_and_a_point_per_method():
    points = sweep.plan(["primes"], 2, {"n": "5000"}, ["process-pool"], "start_method",
                        ["spawn", "forkserver"], workers=2)
    assert [(p.value, p.config.backend, p.config.start_method, p.baseline_only)
            for p in points] == [("spawn", "sequential", None, True),
                                 ("spawn", "process-pool", "spawn", False),
                                 ("forkserver", "process-pool", "forkserver", False)]
    with pytest.raises(ValueError, match="starts no processes"):
        sweep.plan(["primes"], 2, {}, ["threads"], "start_method", ["spawn"])
