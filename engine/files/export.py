"""Results as plain data: the ``--json`` file format (a contract other tools rely on).

    {"schema": 1, "machine": {...},
     "runs": [{"backend", "task", "workers", "n_tasks", "wall_s", "speedup", "efficiency",
               "cpu_util", "ok", "error", "tasks": [{"id", "name", "worker", "pid", "tid",
               "start_s", "end_s", "cpu_s", "ok", "error", ...}],
               "cpu": {"interval_s", "samples": [{"t_s", "per_core": [...]}],
                       "hosts": [{"host", "this_machine", "t_s", "per_core": [...],
                                  "processes"}]}}]}

A task's "host" names the machine of a worker on a cluster (absent: this machine).

A run's "uses_processes" and "worker_per_task" say how its backend ran its workers (separate
processes or threads of this one; one worker per task or a pool); they are null or absent in
files written before they were recorded.

A run's "gil" holds who held the GIL, measured by py-spy on an in-process backend
(``engine.run.gil``): ``{"samples": [[t_s, tid], ...]}``, tid the native thread id of the
holder (a task's "tid") or 0 when no thread held it. Absent where nothing was measured.
A task measured that way has "gil_held": the share (0–1) of the samples taken while it ran in
which its thread held the GIL; absent where too few samples fell inside it to say.

A warm run (its workers started before the clock) has "warm": {"start_s": seconds from
creating the pool to its last worker's first empty task, "from_s": when the pool was created,
as a negative time before t0}. Absent for a cold run.

A CPU sample's "memory_mib" maps pid to resident memory (RSS, MiB): each worker process on a
process backend, the engine's own process (its threads are the workers) on an in-process one.
Absent from files written before it was recorded.

``cpu.hosts`` holds a cluster's per-host samples (a Dask run by scheduler address); it is absent
from runs that have none, and from files written before it existed.

Times are seconds from the run's start. JSON only: a saved file never executes code when read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from engine.figures.explain import explain
from engine.figures.gil import gil_share
from engine.figures.lanes import assign_lanes
from engine.figures.result import RunResult
from engine.records import MachineInfo, TaskRecord

SCHEMA_VERSION = 1


def _r(x: float | None, nd: int = 6) -> float | None:
    return None if x is None else round(x, nd)


def task_to_dict(result: RunResult, r: TaskRecord, lane: int | None) -> dict[str, Any]:
    return {
        "id": r.id, "name": r.name,
        "worker": r.worker.label if r.worker else None,
        "pid": r.worker.pid if r.worker else None,
        "tid": r.worker.tid if r.worker else None,
        **({"host": r.worker.host} if r.worker and r.worker.host else {}),
        "lane": lane,
        # Raw measurements are written unrounded so a saved session reloads bit-identical.
        "submitted_s": result.rel(r.submitted),
        "start_s": result.rel(r.started), "end_s": result.rel(r.finished),
        "cpu_s": r.cpu_s, "ok": r.ok, "status": r.status.value,
        "error": r.error.one_line() if r.error else None,
        "error_type": r.error.type if r.error else None,
        "error_message": r.error.message if r.error else None,
        "traceback": r.error.traceback if r.error and r.error.traceback else None,
        "result": r.result, "mode": r.mode or None,
        # Derived, not reread: the share is recounted from the run's "gil" samples on load.
        **({"gil_held": round(share, 4)} if (share := gil_share(result, r)) is not None else {}),
    }


def run_to_dict(result: RunResult) -> dict[str, Any]:
    s = result.stats
    lanes = assign_lanes(result.records)
    return {
        "backend": result.backend,
        "task": ", ".join(t["name"] for t in result.workload["tasks"]),
        "workload": result.workload,
        "workers": result.workers, "requested_workers": result.requested_workers,
        "scheduler": result.scheduler, "cluster_cores": result.cluster_cores,
        "start_method": result.start_method,
        "uses_processes": result.uses_processes, "worker_per_task": result.worker_per_task,
        "workload_label": result.workload_label,
        "n_tasks": s.n_tasks, "wall_s": s.wall_s, "baseline_wall_s": result.baseline_wall_s,
        "speedup": _r(s.speedup, 4), "efficiency": _r(s.efficiency, 4),
        "cpu_util": _r(s.cpu_util, 2), "parallelism": _r(s.parallelism, 4),
        "overhead_share": _r(s.overhead_share, 4), "cpu_per_wall": _r(s.cpu_per_wall, 4),
        "ok": s.ok, "error": s.failed + s.lost + s.cancelled,
        "failed": s.failed, "lost": s.lost, "cancelled": s.cancelled,
        "cancelled_run": result.cancelled, "abandoned": result.abandoned,
        "problems": list(result.problems),
        "notes": list(result.notes), "explanation": explain(result),
        "lanes": [{"index": ln.index, "label": ln.label, "pid": ln.pid, "tid": ln.tid,
                   **({"host": ln.host} if ln.host else {})}
                  for ln in lanes.lanes],
        "tasks": [task_to_dict(result, r, lanes.lane_of.get(r.id)) for r in result.records],
        "cpu": {
            "interval_s": result.sample_interval_s,
            "samples": [{"t_s": result.rel(c.t), "per_core": list(c.per_core),
                         "processes": {str(k): v for k, v in c.processes.items()},
                         "threads": {str(k): v for k, v in c.threads.items()},
                         **({"memory_mib": {str(k): v for k, v in c.memory.items()}}
                            if c.memory else {})}
                        for c in result.samples],
            **({"hosts": [{"host": h.host, "this_machine": h.this_machine,
                           "t_s": result.rel(h.t), "per_core": list(h.per_core),
                           "processes": {str(k): v for k, v in h.processes.items()}}
                          for h in result.host_samples]} if result.host_samples else {}),
        },
        **({"warm": {"start_s": round(result.warm_start_s, 6),
                     "from_s": round(min(0.0, result.rel(result.warmed_from) or 0.0), 6)}}
           if result.warm_start_s is not None else {}),
        **({"gil": {"samples": [[result.rel(g.t), g.holder] for g in result.gil_samples],
                    "probe_cpu_s": round(result.probe_cpu_s, 6)}}
           if result.gil_samples else {}),
    }


def document(results: Sequence[RunResult], machine: MachineInfo, kind: str = "run",
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole file: also a CoreScope session that ``engine.files.session.load`` reopens.

    Args:
        kind: "run", "compare" or "sweep" — tells the window which view to rebuild.
        extra: kind-specific keys (a sweep's knob and values).
    """
    return {"app": "corescope", "schema": SCHEMA_VERSION, "kind": kind,
            "machine": machine.as_dict(), **(extra or {}),
            "runs": [run_to_dict(r) for r in results]}


def check_writable(path: str) -> None:
    """Refuse an output path before the run starts, so no run is wasted on a typo.

    Raises:
        OSError: with a one-line reason.
    """
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise OSError(f"{path} is a directory")
    if not os.path.isdir(folder):
        raise OSError(f"folder {folder} does not exist")
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise OSError(f"{path} is not writable")
    if not os.access(folder, os.W_OK):
        raise OSError(f"folder {folder} is not writable")


def write_json(path: str, data: Any) -> None:
    """Write atomically: a crash mid-write never leaves a truncated file in place.

    The file is UTF-8 with its characters as they are (``ensure_ascii=False``): viewers such
    as Perfetto show a ``\\u2014`` escape in a name literally instead of the "—" it stands for.
    Only regular files are replaced by rename; a device or pipe (``/dev/stdout``, a FIFO) is
    written in place — renaming over ``/dev/null`` would replace the device with a file.
    """
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
        return
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
