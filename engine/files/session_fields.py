"""The fields of a session file, each typed and bounded to what a real run can produce.

``engine.files.session`` reads the file; this module turns its JSON into records. Every number gets
a range, because the views hand them to pyqtgraph, numpy and Qt: a CPU sample at t = -1e308
crashed the window (a segfault), a task id of 2**63 overflowed a numpy array, and a sample
claiming a million cores asked for a 134 GB image. The limits below are far beyond any real
run, and far below what breaks a plot.
"""

from __future__ import annotations

import math
from typing import Any

from engine.backends.registry import BACKENDS
from engine.figures.result import RunResult
from engine.files.session_reader import MAX_TEXT, Reader, SessionError, show_value
from engine.records import (
    CpuSample,
    GilSample,
    HostCpuSample,
    MachineInfo,
    TaskError,
    TaskRecord,
    TaskStatus,
    WorkerId,
)
from engine.workload import MAX_INSTANCES

# Logical cores of one machine. The largest single systems today have under 2,000; Linux
# builds for at most 8,192.
MAX_CORES = 4096
# All the cores of a cluster's hosts together, and how many hosts one run may sample.
MAX_CLUSTER_CORES = 65536
MAX_HOSTS = 1024
# Task ids are positions in a workload (under MAX_INSTANCES); pids and thread ids are the OS's
# (Windows's are 32-bit unsigned, Linux's under 2**22).
MAX_TASK_ID = 2**31 - 1
MAX_OS_ID = 2**32 - 1
# 100,000 tasks of about a minute each, one after another, take 70 days; 10**7 s is 115.
MAX_WALL_S = 1e7
# The CPU monitor starts before the backend prepares (a cluster may take a while to come up)
# and takes a last sample after the run: samples may lie this far outside it.
TIME_SLACK_S = 3600.0
# % of one core: a core's reading is at most 100 (room is left for rounding); a process's can
# be 100 × its threads.
MAX_CORE_PERCENT = 1000.0
MAX_PERCENT = 1e6
# Resident memory of one process, MiB: 2**30 MiB is a petabyte, beyond any machine's RAM.
MAX_MEMORY_MIB = float(2**30)
# Distinct pids or thread ids one run's samples may report (every one becomes a plot series).
MAX_TRACKED_IDS = 65536
# GIL readings of one run: the probe's 10 Hz for eleven days.
MAX_GIL_SAMPLES = 10**7
# Runs in one file: a sweep is at most 50 points × every backend (and its baselines); a
# comparison has a row per backend.
MAX_RUNS = 1024
MAX_COMPARED = 64
# Nesting of the parts kept as written (a workload's params, a sweep's points).
MAX_DEPTH = 16
# A sweep point's value, when it is a number: the sweep view draws it on an axis.
MAX_POINT_VALUE = 1e15


def check_plain(where: str, value: Any, depth: int = 0) -> None:
    """A part of the file kept as written (a workload, a sweep's points): plain JSON with
    finite numbers, nested no deeper than MAX_DEPTH (it is written out again on save)."""
    if depth > MAX_DEPTH:
        raise SessionError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, float) and not math.isfinite(value):
        raise SessionError(f"{where}: holds {value}, not a finite number")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise SessionError(f"{where}: holds a number too large for any run")
    if isinstance(value, dict):
        for k, v in value.items():
            check_plain(f"{where}.{str(k)[:40]}", v, depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            check_plain(f"{where}[{i}]", v, depth + 1)


def check_extra(name: str, extra: dict[str, Any]) -> None:
    """Keys beside the runs: kept as written; a sweep's points are drawn on an axis."""
    for key, value in extra.items():
        check_plain(f"{name}: {str(key)[:40]!r}", value)
    if "sweep" not in extra:
        return
    sweep = Reader(f"{name}, sweep", extra["sweep"])
    sweep.maybe_text("knob")
    for i, raw in enumerate(sweep.items("points", MAX_RUNS, optional=True)):
        point = Reader(f"{name}, sweep point {i + 1}", raw)
        value = point.data.get("value")
        if value is not None and not isinstance(value, (str, int, float)):
            raise point.fail("value", f"should be a number or text, found {type(value).__name__}")
        point.flag("baseline_only")
        try:
            number = float(str(value).strip()) if value is not None else 0.0
        except ValueError:  # a text value ("fast"): drawn as a category
            continue
        if not math.isfinite(number) or abs(number) > MAX_POINT_VALUE:
            raise point.fail("value", f"is {show_value(value)}, not a value a sweep can have")


def read_machine(m: Reader) -> MachineInfo:
    return MachineInfo(
        logical_cores=m.integer("logical_cores", 1, MAX_CORES),
        physical_cores=m.maybe_integer("physical_cores", 1, MAX_CORES),
        usable_cores=m.integer("usable_cores", 1, MAX_CORES),
        python=m.text("python"), implementation=m.text("implementation"),
        platform=m.text("platform"), free_threaded_build=m.boolean("free_threaded_build"),
        gil_enabled=m.boolean("gil_enabled"))


class _Window:
    """The times one run's records may hold: the run, with TIME_SLACK_S either side."""

    def __init__(self, wall_s: float) -> None:
        self.lo, self.hi = -TIME_SLACK_S, wall_s + TIME_SLACK_S

    def time(self, r: Reader, key: str) -> float:
        return r.number(key, self.lo, self.hi)

    def maybe_time(self, r: Reader, key: str) -> float | None:
        return r.maybe_number(key, self.lo, self.hi)


def _task(r: Reader, window: _Window) -> TaskRecord:
    status_text = r.text("status", 40)
    try:
        status = TaskStatus(status_text)
    except ValueError:
        raise SessionError(f"{r.where}: unknown status {status_text!r}") from None
    pid, tid = r.maybe_integer("pid", 0, MAX_OS_ID), r.maybe_integer("tid", 0, MAX_OS_ID)
    label, host = r.maybe_text("worker"), r.maybe_text("host", 255)
    worker = (WorkerId(pid, tid, label or "", host or "")
              if pid is not None and tid is not None else None)
    error = None
    if r.maybe_text("error", MAX_TEXT) is not None:
        error = TaskError(r.maybe_text("error_type") or "Error",
                          r.maybe_text("error_message", MAX_TEXT) or r.text("error", MAX_TEXT),
                          r.maybe_text("traceback", 10**7) or "")
    start, end = window.maybe_time(r, "start_s"), window.maybe_time(r, "end_s")
    if start is not None and end is not None and end < start:
        raise SessionError(f"{r.where}: ends before it starts")
    # A task's CPU is its thread's: never more than the whole run on every core.
    most_cpu = (window.hi - window.lo) * MAX_CORES
    return TaskRecord(
        id=r.integer("id", 0, MAX_TASK_ID), name=r.text("name"),
        submitted=window.time(r, "submitted_s"), started=start, finished=end, worker=worker,
        cpu_s=r.number("cpu_s", 0.0, most_cpu), status=status,
        result=r.maybe_text("result", 10**7) or "", error=error,
        mode=r.maybe_text("mode") or "")


def _percent(value: Any, most: float) -> float | None:
    """A CPU percentage from a file, or None if it is not one (text, NaN, negative, huge)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and 0 <= number <= most else None


def _per_core(c: Reader) -> tuple[float, ...]:
    raw = c.items("per_core", MAX_CORES)
    values = [_percent(v, MAX_CORE_PERCENT) for v in raw]
    if any(v is None for v in values):
        raise SessionError(f"{c.where}: per_core must hold percentages (numbers from 0 to "
                           f"{MAX_CORE_PERCENT:g})")
    return tuple(v for v in values if v is not None)


def _by_id(c: Reader, key: str, seen: set[int], most: float = MAX_PERCENT,
           what: str = "percentages") -> dict[int, float]:
    """A sample's map of pid or thread id → % of one core (or MiB, with ``most`` and
    ``what``); ``seen`` collects the ids."""
    raw = c.data.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise c.fail(key, f"should be object, found {type(raw).__name__}")
    out = {}
    for k, v in raw.items():
        value = _percent(v, most)
        # isdecimal alone admits other scripts' digits, which int() reads differently.
        if value is None or not (k.isascii() and k.isdecimal()) or int(k) > MAX_OS_ID:
            raise SessionError(f"{c.where}: {key!r} must map ids to {what}")
        out[int(k)] = value
        seen.add(int(k))
    if len(seen) > MAX_TRACKED_IDS:
        raise SessionError(f"{c.where}: more than {MAX_TRACKED_IDS} different ids in {key!r}")
    return out


def _sample(c: Reader, window: _Window, seen: set[int]) -> CpuSample:
    return CpuSample(window.time(c, "t_s"), _per_core(c), _by_id(c, "processes", seen),
                     _by_id(c, "threads", seen),
                     _by_id(c, "memory_mib", seen, MAX_MEMORY_MIB, "MiB"))


def _host_sample(c: Reader, window: _Window, seen: set[int]) -> HostCpuSample:
    per_core = _per_core(c)
    if not per_core:
        raise SessionError(f"{c.where}: per_core is empty")
    return HostCpuSample(window.time(c, "t_s"), c.text("host", 255), per_core,
                         _by_id(c, "processes", seen), c.flag("this_machine"))


def _same_cores(where: str, samples: list[tuple[str, CpuSample | HostCpuSample]]) -> None:
    """One machine keeps its core count through a run; a file that says otherwise is damaged
    (and would draw rows that change meaning halfway)."""
    cores: dict[str, int] = {}
    for machine, s in samples:
        if cores.setdefault(machine, len(s.per_core)) != len(s.per_core):
            raise SessionError(f"{where}: CPU samples of {machine} disagree on its core count "
                               f"({cores[machine]} and {len(s.per_core)})")
    hosts = {m: n for m, n in cores.items() if m != "this machine"}
    if len(hosts) > MAX_HOSTS or sum(hosts.values()) > MAX_CLUSTER_CORES:
        raise SessionError(f"{where}: CPU samples of {len(hosts)} hosts with "
                           f"{sum(hosts.values())} cores: more than a run can sample")


def _gil_samples(r: Reader, window: _Window) -> tuple[tuple[GilSample, ...], float]:
    """The optional "gil" readings ([t_s, tid] pairs inside the run's window) and the CPU
    seconds the probe used."""
    if r.data.get("gil") is None:
        return (), 0.0  # a file written before the GIL lane, or a run it could not measure
    gil = Reader(f"{r.where}, gil", r.obj("gil"))
    probe_cpu = gil.maybe_number("probe_cpu_s", 0.0, MAX_WALL_S) or 0.0
    out = []
    for pair in gil.items("samples", MAX_GIL_SAMPLES):
        t, tid = pair if isinstance(pair, list) and len(pair) == 2 else (None, None)
        if (isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t)
                or not window.lo <= t <= window.hi or isinstance(tid, bool)
                or not isinstance(tid, int) or not 0 <= tid <= MAX_OS_ID):
            raise gil.fail("samples", "must hold [time, thread id] pairs inside the run")
        out.append(GilSample(float(t), tid))
    out.sort(key=lambda s: s.t)  # as taken; engine.figures.gil bisects them by time
    return tuple(out), probe_cpu


def _workload(r: Reader) -> dict[str, Any]:
    w = Reader(f"{r.where}, workload", r.obj("workload"))
    for i, raw in enumerate(w.items("tasks", MAX_INSTANCES)):
        item = Reader(f"{w.where}, task {i + 1}", raw)
        item.text("name")
        item.maybe_integer("count", 0, MAX_INSTANCES)
        if item.data.get("params") is not None:
            item.obj("params")
    w.maybe_number("timeout_s", 0.0, MAX_WALL_S)
    check_plain(w.where, w.data)
    return w.data


def _warm(r: Reader) -> tuple[float | None, float | None]:
    """A warm run's start cost and where its pool began (seconds before t0, as a negative
    time); (None, None) for a cold run or a file written before warm runs existed."""
    if r.data.get("warm") is None:
        return None, None
    warm = Reader(f"{r.where}, warm", r.obj("warm"))
    start = warm.number("start_s", 0.0, MAX_WALL_S)
    began = warm.number("from_s", -MAX_WALL_S, 0.0)
    return start, began


def read_run(where: str, data: Any, machine: MachineInfo) -> RunResult:
    r = Reader(where, data)
    wall = r.number("wall_s", 0.0, MAX_WALL_S)
    window = _Window(wall)
    workload = _workload(r)
    cpu = Reader(f"{where}, cpu", r.obj("cpu"))
    seen: set[int] = set()
    samples = tuple(_sample(Reader(f"{where}, cpu sample {i + 1}", s), window, seen)
                    for i, s in enumerate(cpu.items("samples", 10**8)))
    host_seen: set[int] = set()
    host_samples = tuple(
        _host_sample(Reader(f"{where}, host sample {i + 1}", s), window, host_seen)
        for i, s in enumerate(cpu.items("hosts", 10**8, optional=True)))
    _same_cores(where, [("this machine", s) for s in samples]
                + [(h.host, h) for h in host_samples])
    records = tuple(_task(Reader(f"{where}, task {i + 1}", t), window)
                    for i, t in enumerate(r.items("tasks", MAX_INSTANCES)))
    ids: set[int] = set()
    for rec in records:
        if rec.id in ids:
            raise SessionError(f"{where}: task id {rec.id} appears twice")
        ids.add(rec.id)
    workers = r.integer("workers", 0, MAX_INSTANCES)
    backend = r.text("backend", 100)
    # Files written before these were recorded: a backend this install has says it now; for
    # one it lacks they stay None, and explain reads what the records show.
    known = BACKENDS.get(backend)
    uses_processes = r.maybe_boolean("uses_processes")
    worker_per_task = r.maybe_boolean("worker_per_task")
    if known is not None:
        uses_processes = known.uses_processes if uses_processes is None else uses_processes
        worker_per_task = known.worker_per_task if worker_per_task is None else worker_per_task
    gil_samples, probe_cpu_s = _gil_samples(r, window)
    warm_start_s, warmed_from = _warm(r)
    return RunResult(
        backend=backend, workload=workload,
        workload_label=r.maybe_text("workload_label") or r.text("task"),
        requested_workers=r.maybe_integer("requested_workers", 0, MAX_INSTANCES) or workers,
        workers=workers, start_method=r.maybe_text("start_method", 100),
        t0=0.0, t_end=wall, records=records, samples=samples,
        sample_interval_s=cpu.number("interval_s", 0.001, 60.0), machine=machine,
        notes=r.texts("notes"), problems=r.texts("problems"),
        cancelled=r.flag("cancelled_run"),
        baseline_wall_s=r.maybe_number("baseline_wall_s", 0.0, MAX_WALL_S),
        abandoned=r.flag("abandoned"), scheduler=r.maybe_text("scheduler"),
        cluster_cores=r.maybe_integer("cluster_cores", 1, MAX_CLUSTER_CORES),
        host_samples=host_samples,
        uses_processes=uses_processes, worker_per_task=worker_per_task,
        gil_samples=gil_samples, probe_cpu_s=probe_cpu_s,
        warm_start_s=warm_start_s, warmed_from=warmed_from,
        # A name this install lacks (a file from a newer CoreScope) still opens; explain says so.
        backend_known=known is not None)
