"""Damaged session files: every one is refused with one line naming the file and the field,
quickly, and never hangs, crashes or reaches a view. One row per damaged file.

Devices and FIFOs are opened in a child process (with a memory cap where the OS has one), so
a loader that regressed to reading ``/dev/zero`` or waiting on a FIFO fails its row instead
of hanging or swelling the test run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from sample_results import MACHINE, compare_document, result

from engine.figures.explain import explain, ran_in_processes
from engine.figures.result import RunResult
from engine.files import session
from engine.files.export import document

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Generous: a refusal takes milliseconds; a shared CI machine may be slow to start a child.
LOAD_BOUND_S = 20.0


def put(*path_and_value: object) -> Callable[[dict], dict]:
    """A damage: set the field at ``path`` (keys and indexes) to ``value``."""
    *path, value = path_and_value

    def damage(doc: dict) -> dict:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc
    return damage


def literal(*path: object, token: str) -> Callable[[dict], str]:
    """A damage written as JSON text: the field at ``path`` holds ``token`` (NaN, 1e400 …),
    which json.dumps would never write."""
    def damage(doc: dict) -> str:
        return json.dumps(put(*path, "@TOKEN@")(doc)).replace('"@TOKEN@"', token)
    return damage


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def sweep_point(value: object) -> Callable[[dict], dict]:
    def damage(doc: dict) -> dict:
        doc["kind"] = "sweep"
        doc["sweep"] = {"knob": "workers", "points": [{"value": value}, {"value": "2"}]}
        return doc
    return damage


SAMPLE = ["runs", 1, "cpu", "samples", 0]
TASK = ["runs", 1, "tasks", 0]

# (row, damage, words the message must hold). A damage is a function of a valid document
# (returning the document or its text), raw bytes, or the name of a special file to make.
ROWS: list[tuple[str, object, str]] = [
    # From the issue: numbers that reached pyqtgraph.
    ("sample at t = -1e308", put(*SAMPLE, "t_s", -1e308), "'t_s'"),
    ("sample at t = 1e308", put(*SAMPLE, "t_s", 1e308), "'t_s'"),
    ("wall_s = 1e308", put("runs", 1, "wall_s", 1e308), "'wall_s'"),
    ("task id 2**63", put(*TASK, "id", 2**63), "'id'"),
    ("logical_cores 10**400", put("machine", "logical_cores", 10**400), "'logical_cores'"),
    ("cluster_cores 10**400", put("runs", 1, "cluster_cores", 10**400), "'cluster_cores'"),
    ("a sample with 1,000,000 cores", put(*SAMPLE, "per_core", [1.0] * 1_000_000),
     "'per_core'"),
    ("workload.tasks = null", put("runs", 1, "workload", "tasks", None), "'tasks' is null"),
    # Numbers no run produces.
    ("negative wall time", put("runs", 1, "wall_s", -0.5), "'wall_s'"),
    ("started after finished", put(*TASK, "start_s", 0.3), "ends before it starts"),
    ("negative CPU time", put(*TASK, "cpu_s", -1.0), "'cpu_s'"),
    ("task ends a day after the run", put(*TASK, "end_s", 86_400.0), "'end_s'"),
    ("pid 2**40", put(*TASK, "pid", 2**40), "'pid'"),
    ("thread id 2**40 in a sample", put(*SAMPLE, "threads", {str(2**40): 1.0}), "'threads'"),
    ("thread id in other digits", put(*SAMPLE, "threads", {"४२": 1.0}), "'threads'"),
    ("no cores usable", put("machine", "usable_cores", 0), "'usable_cores'"),
    ("sampled every 0 s", put("runs", 1, "cpu", "interval_s", 0), "'interval_s'"),
    ("a core at 1e9 %", put(*SAMPLE, "per_core", [1e9, 0.0]), "per_core"),
    ("the same task twice", put("runs", 1, "tasks", 1, "id", 0), "appears twice"),
    ("2,000 runs", put("runs", [{}] * 2000), "'runs' holds 2000 items"),
    ("a backend name of 10,000 characters", put("runs", 1, "backend", "x" * 10_000),
     "'backend'"),
    ("a workload nested 100 deep", put("runs", 1, "workload", "tasks", 0, "params", "n",
                                       nested(100)), "nested more than"),
    ("a sweep point at NaN", sweep_point("nan"), "sweep point 1: 'value'"),
    ("a sweep point at 1e308", sweep_point(1e308), "sweep point 1: 'value'"),
    # JSON that json.dumps never writes.
    ("NaN literal", literal(*SAMPLE, "t_s", token="NaN"), "'t_s' is not a finite number"),
    ("Infinity literal", literal("runs", 1, "wall_s", token="Infinity"), "'wall_s'"),
    ("-Infinity in per_core", literal(*SAMPLE, "per_core", token="[-Infinity, 1]"),
     "per_core"),
    ("1e400 (overflows to infinity)", literal(*SAMPLE, "t_s", token="1e400"), "'t_s'"),
    ("a 5,000-digit number", literal("schema", token="9" * 5000), "not a CoreScope session"),
    ("nested 100,000 deep", lambda doc: "[" * 100_000, "nested too deeply"),
    ("truncated", lambda doc: json.dumps(doc)[:300], "truncated"),
    # Not JSON text at all, or not a file.
    ("non-UTF-8 bytes", b'{"app": "corescope", "\xff\xfe": 1}', "not a text file"),
    ("an empty file", b"", "is empty"),
    ("only spaces", b"   \n", "is empty"),
    ("a directory", "directory", "is a folder"),
    ("a FIFO with no writer", "fifo", "not a regular file"),
    ("/dev/zero", "/dev/zero", "not a regular file"),
    ("/dev/urandom", "/dev/urandom", "not a regular file"),
    ("a link to /dev/zero", "link", "not a regular file"),
    ("over the size limit", "large", "larger than any session"),
    ("a file that is not there", "missing", "cannot read"),
]

_CHILD = """
import sys
from engine.files import session
try:
    import resource  # a regression that reads /dev/zero stops at 1 GB, not at the machine's end
    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))
except (ImportError, ValueError, OSError):
    pass
try:
    session.load(sys.argv[1])
except session.SessionError as exc:
    print("REFUSED", exc)
else:
    print("LOADED")
"""


def _load_in_child(path: str) -> str:
    try:
        out = subprocess.run([sys.executable, "-c", _CHILD, path], cwd=ROOT, text=True,
                             capture_output=True, timeout=LOAD_BOUND_S)
    except subprocess.TimeoutExpired:  # (run() has killed and reaped the child)
        pytest.fail(f"loading {path} hung for {LOAD_BOUND_S} s")
    assert out.stdout.startswith("REFUSED "), out.stdout + out.stderr[-2000:]
    return out.stdout[len("REFUSED "):].rstrip("\n")


def _make(tmp_path, damage: object, monkeypatch) -> tuple[str, bool]:
    """The damaged file's path, and whether it must be opened in a child process."""
    path = tmp_path / "damaged.json"
    if isinstance(damage, bytes):
        path.write_bytes(damage)
    elif callable(damage):
        made = damage(compare_document())
        path.write_text(made if isinstance(made, str) else json.dumps(made), encoding="utf-8")
    elif damage == "directory":
        path.mkdir()
    elif damage == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this platform")
        os.mkfifo(path)
        return str(path), True
    elif damage == "link":
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero here")
        path.symlink_to("/dev/zero")
        return str(path), True
    elif damage == "large":
        monkeypatch.setattr(session, "MAX_BYTES", 1000)
        path.write_text(json.dumps(compare_document()))
    elif damage == "missing":
        pass
    else:  # a device of the system's
        if not os.path.exists(str(damage)):
            pytest.skip(f"no {damage} here")
        return str(damage), True
    return str(path), False


@pytest.mark.parametrize("damage,expected", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_a_damaged_file_is_refused_in_one_line(tmp_path, monkeypatch, damage, expected):
    path, in_child = _make(tmp_path, damage, monkeypatch)
    started = time.monotonic()
    if in_child:
        message = _load_in_child(path)
    else:
        with pytest.raises(session.SessionError) as err:
            session.load(path)
        message = str(err.value)
    assert time.monotonic() - started < LOAD_BOUND_S
    assert expected in message
    assert os.path.basename(path) in message  # names the file ...
    assert "\n" not in message and len(message) < 400  # ... in one line


def test_the_valid_document_behind_the_table_loads(tmp_path):
    # Every row above damages this document; it must load, or the rows prove nothing.
    path = tmp_path / "good.json"
    path.write_text(json.dumps(compare_document()))
    opened = session.load(str(path))
    assert opened.kind == "compare" and len(opened.runs) == 2
    assert [len(r.records) for r in opened.runs] == [4, 4]


def test_numbers_a_real_run_produces_still_load():
    doc = compare_document()
    run = doc["runs"][1]
    # A sample taken while a cluster came up, before the run's start; one after its end.
    run["cpu"]["samples"][0]["t_s"] = -40.0
    run["cpu"]["samples"][-1]["t_s"] = run["wall_s"] + 0.2
    doc["machine"].update(logical_cores=1792, usable_cores=1792)  # the largest machines today
    run["tasks"][0]["pid"] = 2**31 + 5  # Windows ids are 32-bit unsigned
    run["workload"]["tasks"][0]["params"] = {"n": 10**12, "mode": {"nested": [1, [2, [3]]]}}
    back = session.parse(json.dumps(doc), "f.json")
    assert back.runs[1].samples[0].t == -40.0 and back.machine.logical_cores == 1792


def test_a_backend_this_install_lacks_opens_and_is_explained_from_the_records():
    for in_processes, pids, expected in ((True, (4100, 4200), "separate processes"),
                                         (False, (4100,), "threads of one process")):
        made = result("quantum-pool", pids=pids, in_processes=in_processes)
        doc = json.loads(json.dumps(document([made], MACHINE)))
        run = session.parse(json.dumps(doc), "new.json").runs[0]
        assert run.backend == "quantum-pool"
        assert ran_in_processes(run) is in_processes
        lines = explain(run)
        assert "not one this CoreScope knows" in lines[0] and expected in lines[0]


def loaded(run: RunResult, written_before_facts: bool = False) -> RunResult:
    """``run`` saved and opened again; ``written_before_facts``: as a file from before runs
    recorded how their backend ran its workers (no ``uses_processes``/``worker_per_task``)."""
    doc = json.loads(json.dumps(document([run], MACHINE)))
    if written_before_facts:
        for saved in doc["runs"]:
            del saved["uses_processes"], saved["worker_per_task"]
    return session.parse(json.dumps(doc), "f.json").runs[0]


def test_explain_stays_neutral_when_nothing_recorded_says_how_workers_ran():
    bare = loaded(dataclasses.replace(result("quantum-pool"), samples=()))
    assert ran_in_processes(bare) is None
    lines = explain(bare)
    assert "do not say whether" in lines[0]
    assert not any("GIL" in line or "process" in line.split("(")[0] for line in lines[1:])


def test_known_backends_are_explained_as_before():
    # A file from before runs recorded their backend's facts: the backend of that name still
    # speaks for the backends this install has, whatever the records show.
    threads = loaded(result("thread-pool"), written_before_facts=True)
    assert ran_in_processes(threads) is False
    assert ran_in_processes(loaded(dataclasses.replace(result("thread-pool"),
                                                       backend="process-pool"),
                                   written_before_facts=True)) is True
    assert not any("not one this CoreScope knows" in line for line in explain(threads))


def test_a_run_records_how_its_backend_ran_and_its_file_keeps_it():
    from engine.run.runner import RunConfig, execute
    from engine.workload import build_workload

    for backend, in_processes, per_task in (("thread-pool", False, False),
                                            ("processes", True, True)):
        run = execute(RunConfig(build_workload(["primes"], 1, {"n": "100"}), backend))
        assert (run.uses_processes, run.worker_per_task) == (in_processes, per_task)
        saved = document([run], run.machine)["runs"][0]
        assert (saved["uses_processes"], saved["worker_per_task"]) == (in_processes, per_task)
        back = loaded(run)
        assert (back.uses_processes, back.worker_per_task) == (in_processes, per_task)
        assert ran_in_processes(back) is in_processes and back.backend_known


def test_what_a_run_recorded_speaks_for_a_backend_this_install_lacks():
    # Its records look like threads, but the run said its workers were processes: a file from
    # a newer CoreScope is explained by what it recorded, and nothing is looked up.
    run = loaded(dataclasses.replace(result("quantum-pool"), uses_processes=True,
                                     worker_per_task=False))
    assert not run.backend_known and run.uses_processes is True
    assert ran_in_processes(run) is True
    assert "separate processes" in explain(run)[0]
