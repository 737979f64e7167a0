"""Session files: a run, a comparison or a sweep saved as JSON, reopened without re-running.

The format is the ``--json`` document (``engine.export``) with ``"app": "corescope"``, a schema
version and a kind. Loading is strict and never executes anything: the file is parsed as JSON
and every field is checked, so a corrupt, truncated, foreign or newer file is refused with one
line that names the problem, and nothing half-loaded reaches a view.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.export import SCHEMA_VERSION, check_writable, document, write_json
from engine.records import (
    CpuSample,
    HostCpuSample,
    MachineInfo,
    TaskError,
    TaskRecord,
    TaskStatus,
    WorkerId,
)
from engine.result import RunResult

KINDS = ("run", "compare", "sweep")
# A session larger than this is not something CoreScope wrote for a person to look at.
MAX_BYTES = 512 * 1024 * 1024


class SessionError(ValueError):
    """A file that cannot be opened as a session; the message is one line for the user."""


@dataclass(frozen=True)
class Session:
    kind: str
    machine: MachineInfo
    runs: tuple[RunResult, ...]
    extra: dict[str, Any]


def save(path: str, results: Sequence[RunResult], kind: str = "run",
         extra: dict[str, Any] | None = None, overwrite: bool = False) -> None:
    """Write a session. Refuses to replace an existing file unless ``overwrite`` is given."""
    import os

    if kind not in KINDS:
        raise ValueError(f"unknown session kind {kind!r}")
    if not results:
        raise ValueError("nothing to save: no runs")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} already exists (choose another name or overwrite)")
    check_writable(path)
    write_json(path, document(results, results[0].machine, kind, extra))


class _Reader:
    """Typed field access that turns every shape problem into a SessionError with a path."""

    def __init__(self, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise SessionError(f"{where}: expected an object, found {type(data).__name__}")
        self.where, self.data = where, data

    def get(self, key: str, *types: type, optional: bool = False) -> Any:
        if key not in self.data:
            if optional:
                return None
            raise SessionError(f"{self.where}: missing {key!r}")
        value = self.data[key]
        if value is None and optional:
            return None
        if float in types and isinstance(value, int) and not isinstance(value, bool):
            try:
                value = float(value)
            except OverflowError:
                raise SessionError(f"{self.where}: {key!r} is too large a number") from None
        if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
            names = " or ".join(t.__name__ for t in types)
            raise SessionError(f"{self.where}: {key!r} should be {names}, "
                               f"found {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):
            raise SessionError(f"{self.where}: {key!r} is not a finite number")
        return value


def _machine(data: Any) -> MachineInfo:
    m = _Reader("machine", data)
    return MachineInfo(
        logical_cores=m.get("logical_cores", int), physical_cores=m.get(
            "physical_cores", int, optional=True),
        usable_cores=m.get("usable_cores", int), python=m.get("python", str),
        implementation=m.get("implementation", str), platform=m.get("platform", str),
        free_threaded_build=m.get("free_threaded_build", bool),
        gil_enabled=m.get("gil_enabled", bool))


def _task(where: str, data: Any) -> TaskRecord:
    t = _Reader(where, data)
    status_text = t.get("status", str)
    try:
        status = TaskStatus(status_text)
    except ValueError:
        raise SessionError(f"{where}: unknown status {status_text!r}") from None
    pid, tid, label = (t.get("pid", int, optional=True), t.get("tid", int, optional=True),
                       t.get("worker", str, optional=True))
    worker = (WorkerId(pid, tid, label or "", t.get("host", str, optional=True) or "")
              if pid is not None and tid is not None else None)
    error = None
    if t.get("error", str, optional=True) is not None:
        error = TaskError(t.get("error_type", str, optional=True) or "Error",
                          t.get("error_message", str, optional=True) or t.get("error", str),
                          t.get("traceback", str, optional=True) or "")
    start, end = t.get("start_s", float, optional=True), t.get("end_s", float, optional=True)
    if start is not None and end is not None and end < start:
        raise SessionError(f"{where}: ends before it starts")
    return TaskRecord(
        id=t.get("id", int), name=t.get("name", str), submitted=t.get("submitted_s", float),
        started=start, finished=end, worker=worker, cpu_s=t.get("cpu_s", float),
        status=status, result=t.get("result", str, optional=True) or "", error=error,
        mode=t.get("mode", str, optional=True) or "")


def _percent(value: Any) -> float | None:
    """A CPU percentage from a file, or None if it is not one (text, NaN, negative, huge)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and 0 <= number <= 1e6 else None


def _per_core(c: _Reader) -> tuple[float, ...]:
    values = [_percent(v) for v in c.get("per_core", list)]
    if any(v is None for v in values):
        raise SessionError(f"{c.where}: per_core must hold percentages (numbers from 0)")
    return tuple(v for v in values if v is not None)


def _by_id(c: _Reader, key: str) -> dict[int, float]:
    out = {}
    for k, v in (c.get(key, dict, optional=True) or {}).items():
        value = _percent(v)
        if value is None or not str(k).isdigit():
            raise SessionError(f"{c.where}: {key!r} must map ids to percentages")
        out[int(k)] = value
    return out


def _sample(where: str, data: Any) -> CpuSample:
    c = _Reader(where, data)
    return CpuSample(c.get("t_s", float), _per_core(c), _by_id(c, "processes"),
                     _by_id(c, "threads"))


def _host_sample(where: str, data: Any) -> HostCpuSample:
    c = _Reader(where, data)
    per_core = _per_core(c)
    if not per_core:
        raise SessionError(f"{where}: per_core is empty")
    return HostCpuSample(c.get("t_s", float), c.get("host", str), per_core,
                         _by_id(c, "processes"),
                         bool(c.get("this_machine", bool, optional=True)))


def _positive(r: _Reader, key: str) -> int | None:
    value: int | None = r.get(key, int, optional=True)
    if value is not None and value < 1:
        raise SessionError(f"{r.where}: {key!r} must be at least 1")
    return value


def _same_cores(where: str, samples: list[tuple[str, CpuSample | HostCpuSample]]) -> None:
    """One machine keeps its core count through a run; a file that says otherwise is damaged
    (and would draw rows that change meaning halfway)."""
    cores: dict[str, int] = {}
    for machine, s in samples:
        if cores.setdefault(machine, len(s.per_core)) != len(s.per_core):
            raise SessionError(f"{where}: CPU samples of {machine} disagree on its core count "
                               f"({cores[machine]} and {len(s.per_core)})")


def _run(index: int, data: Any, machine: MachineInfo) -> RunResult:
    where = f"run {index + 1}"
    r = _Reader(where, data)
    tasks = r.get("tasks", list)
    cpu = _Reader(f"{where} cpu", r.get("cpu", dict))
    workload = r.get("workload", dict)
    samples = tuple(_sample(f"{where}, cpu sample {i + 1}", s)
                    for i, s in enumerate(cpu.get("samples", list)))
    host_samples = tuple(_host_sample(f"{where}, host sample {i + 1}", s)
                         for i, s in enumerate(cpu.get("hosts", list, optional=True) or ()))
    _same_cores(where, [("this machine", s) for s in samples]
                + [(h.host, h) for h in host_samples])
    return RunResult(
        backend=r.get("backend", str), workload=workload,
        workload_label=r.get("workload_label", str, optional=True) or r.get("task", str),
        requested_workers=r.get("requested_workers", int, optional=True) or r.get(
            "workers", int),
        workers=r.get("workers", int), start_method=r.get("start_method", str, optional=True),
        t0=0.0, t_end=r.get("wall_s", float),
        records=tuple(_task(f"{where}, task {i + 1}", t) for i, t in enumerate(tasks)),
        samples=samples,
        sample_interval_s=cpu.get("interval_s", float), machine=machine,
        notes=tuple(str(n) for n in r.get("notes", list, optional=True) or ()),
        problems=tuple(str(p) for p in r.get("problems", list, optional=True) or ()),
        cancelled=bool(r.get("cancelled_run", bool, optional=True)),
        baseline_wall_s=r.get("baseline_wall_s", float, optional=True),
        abandoned=bool(r.get("abandoned", bool, optional=True)),
        scheduler=r.get("scheduler", str, optional=True),
        cluster_cores=_positive(r, "cluster_cores"),
        host_samples=host_samples)


def parse(text: str, name: str = "file") -> Session:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) else ""
        raise SessionError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}{hint}") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting 100,000 deep
        raise SessionError(f"{name} is not a CoreScope session ({type(exc).__name__}: "
                           f"{str(exc)[:80]})") from None
    try:
        return _session(data, name)
    except SessionError:
        raise
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        # The field checks above name a problem precisely; this is the net under them, so a
        # damaged file is a message, never a traceback.
        raise SessionError(f"{name} is damaged ({type(exc).__name__}: {str(exc)[:80]})") from None


def _session(data: Any, name: str) -> Session:
    if not isinstance(data, dict) or data.get("app") != "corescope" and "runs" not in data:
        raise SessionError(f"{name} is not a CoreScope session (no 'app': 'corescope')")
    top = _Reader(name, data)
    schema = top.get("schema", int)
    if schema > SCHEMA_VERSION:
        raise SessionError(f"{name} was written by a newer CoreScope (schema {schema}; this "
                           f"version reads up to {SCHEMA_VERSION})")
    if schema < 1:
        raise SessionError(f"{name}: schema {schema} is not a valid version")
    kind = top.get("kind", str, optional=True) or "run"
    if kind not in KINDS:
        raise SessionError(f"{name}: unknown session kind {kind!r}")
    machine = _machine(top.get("machine", dict))
    runs = top.get("runs", list)
    if not runs:
        raise SessionError(f"{name} holds no runs")
    known = {"app", "schema", "kind", "machine", "runs"}
    return Session(kind, machine, tuple(_run(i, r, machine) for i, r in enumerate(runs)),
                   {k: v for k, v in data.items() if k not in known})


def load(path: str) -> Session:
    """Open a session file; every problem is a ``SessionError`` with one line."""
    import os

    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise SessionError(f"{path} is {size // 2**20} MB, larger than any session "
                               f"CoreScope writes ({MAX_BYTES // 2**20} MB)")
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise SessionError(f"{path} is not a text file") from None
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse(text, os.path.basename(path))
