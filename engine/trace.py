"""Chrome Trace Event JSON, for Perfetto (ui.perfetto.dev) and chrome://tracing.

Layout: one trace "process" per run (a backend in a comparison), one "thread" per lane, one
complete ("X") event per task that started, and a counter ("C") track per core — plus one per
cluster host when a Dask run sampled its hosts. Lanes come from
``engine.lanes``, so overlapping coroutines get their own rows: the format requires complete
events on one thread to nest, and overlapping ones render garbled.
Timestamps are microseconds since the first run's start; runs in a comparison are laid end to
end on that axis, as they ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.lanes import assign_lanes
from engine.result import RunResult

_CPU_TID = 0  # counter tracks live on their own row


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 3)


def trace_events(results: Sequence[RunResult]) -> list[dict[str, Any]]:
    if not results:
        return []
    origin = min(r.t0 for r in results)
    events: list[dict[str, Any]] = []
    for pid, result in enumerate(results, start=1):
        name = f"{result.backend} — {result.workload_label}"
        events.append({"ph": "M", "name": "process_name", "pid": pid, "tid": _CPU_TID,
                       "args": {"name": name}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": _CPU_TID,
                       "args": {"sort_index": pid}})
        lanes = assign_lanes(result.records)
        for lane in lanes.lanes:
            tid = lane.index + 1
            events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                           "args": {"name": lane.label}})
            events.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                           "args": {"sort_index": tid}})
        for r in result.records:
            if r.started is None or r.id not in lanes.lane_of:
                continue
            end = r.finished if r.finished is not None else r.started
            args: dict[str, Any] = {"id": r.id, "status": r.status.value,
                                    "cpu_s": round(r.cpu_s, 6), "result": r.result}
            if r.error is not None:
                args["error"] = r.error.one_line()
            events.append({"ph": "X", "name": r.name, "cat": r.status.value, "pid": pid,
                           "tid": lanes.lane_of[r.id] + 1, "ts": _us(r.started - origin),
                           "dur": _us(end - r.started), "args": args})
        for sample in result.samples:
            events.append({"ph": "C", "name": "CPU % per core", "pid": pid, "tid": _CPU_TID,
                           "ts": _us(sample.t - origin),
                           "args": {f"core {i}": round(v, 1)
                                    for i, v in enumerate(sample.per_core)}})
        for host in result.host_samples:
            events.append({"ph": "C", "name": f"CPU % per core · {host.host}", "pid": pid,
                           "tid": _CPU_TID, "ts": _us(host.t - origin),
                           "args": {f"core {i}": round(v, 1)
                                    for i, v in enumerate(host.per_core)}})
    return events


def chrome_trace(results: Sequence[RunResult]) -> dict[str, Any]:
    return {"traceEvents": trace_events(results), "displayTimeUnit": "ms"}
