"""Chrome Trace Event JSON, for Perfetto (ui.perfetto.dev) and chrome://tracing.

Layout: one trace "process" per run (a backend in a comparison), one "thread" per lane, one
complete ("X") event per task that started, and a counter ("C") track per core — plus one per
cluster host when a Dask run sampled its hosts. Lanes come from
``engine.figures.lanes``, so overlapping coroutines get their own rows: the format requires complete
events on one thread to nest, and overlapping ones render garbled.
Timestamps are microseconds since the first run's start; runs in a comparison are laid end to
end on that axis, as they ran.

Ids, and why (Perfetto's JSON importer, as built into ui.perfetto.dev):

- pid = the run's number, 1, 2, 3 … in run order. The UI ignores ``process_sort_index`` and
  orders process groups by pid or by name, so the name starts with the number too
  ("1 · sequential — …", zero-padded from ten runs on); the sort index stays for
  chrome://tracing.
- tid = pid × stride + lane + 1, stride 1000 (a larger power of ten when a run has more lanes
  or there are more runs). A tid equal to its pid is what Perfetto calls the "main thread",
  which it labels so and sorts first; this scheme never makes one, and since its tids are
  unique across the whole trace, a ``thread_name`` (which Perfetto applies by tid alone)
  never renames another run's lane. Run 2's third lane reads as tid 2003.
- tid = pid × stride (no lane) carries the run's process metadata and counters: Perfetto
  attributes every event to a thread, and tid 0 is the idle ("swapper") thread in its model.
- A run with measured GIL samples (``RunResult.gil_samples``) has one more "thread", "GIL
  held by", after its lanes: one complete event per stretch of samples with the same holder,
  named by the holder's worker label ("free" when no thread held it). Each task's event then
  carries ``gil_held`` in its args: the share of its running time its thread held the GIL.
- A run with memory readings has a "Memory MiB per process" counter track: one series per
  worker process (the engine's own process on an in-process backend), resident MiB.
- A warm run has a "workers starting" complete event on its process row, from the pool's
  creation to t0 (so it lies before the run's first task, earlier than the run's 0).
- Perfetto holds a counter at its last value until the end of the trace, so each run's
  counters drop to 0 at the run's end instead of reading into the runs after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from engine.figures.gil import gil_share
from engine.figures.lanes import assign_lanes
from engine.figures.memory import worker_memory, worker_pids
from engine.figures.result import RunResult
from engine.records import CpuSample, GilSample, HostCpuSample

_MIN_STRIDE = 1000
_CORES_TRACK = "CPU % per core"
MEMORY_TRACK = "Memory MiB per process"
GIL_TRACK = "GIL held by"


def _us(seconds: float) -> float:
    return round(seconds * 1e6, 3)


def _stride(results: Sequence[RunResult], lane_counts: Sequence[int]) -> int:
    """The smallest power of ten ≥ 1000 above every run's lane count and the number of runs."""
    need = max([len(results), *lane_counts])
    stride = _MIN_STRIDE
    while stride <= need:
        stride *= 10
    return stride


def _per_core(sample: CpuSample | HostCpuSample) -> dict[str, float]:
    return {f"core {i}": round(v, 1) for i, v in enumerate(sample.per_core)}


def _memory_of(result: RunResult) -> Callable[[CpuSample | HostCpuSample], dict[str, float]]:
    pids = worker_pids(result)

    def values(sample: CpuSample | HostCpuSample) -> dict[str, float]:
        reading = sample.memory if isinstance(sample, CpuSample) else {}
        return {f"pid {k}": v for k, v in worker_memory(result, reading, pids).items()}
    return values


def _counter_track(name: str, pid: int, tid: int, origin: float, t_end: float,
                   samples: Iterable[CpuSample | HostCpuSample],
                   values: Callable[[CpuSample | HostCpuSample], dict[str, float]] = _per_core,
                   ) -> list[dict[str, Any]]:
    """One counter series: its samples up to the run's end, then every value (a core's %, a
    process's MiB) at 0 at the end.

    A sample taken after the run ended (the monitor stops a moment later) is dropped, so no
    counter of a run reaches past it.
    """
    events: list[dict[str, Any]] = []
    cores: dict[str, None] = {}  # every key the series used, in order
    for sample in samples:
        if sample.t > t_end:
            continue
        now = values(sample)
        if not now:
            continue
        cores.update(dict.fromkeys(now))
        # A series missing from a reading (a worker process that has ended) drops to 0;
        # Perfetto would hold its last value.
        args = {**dict.fromkeys(cores, 0.0), **now}
        events.append({"ph": "C", "name": name, "pid": pid, "tid": tid,
                       "ts": _us(sample.t - origin), "args": args})
    if events:
        events.append({"ph": "C", "name": name, "pid": pid, "tid": tid,
                       "ts": _us(t_end - origin), "args": dict.fromkeys(cores, 0.0)})
    return events


def _gil_track(result: RunResult, pid: int, tid: int, sort_index: int,
               origin: float) -> list[dict[str, Any]]:
    """The "GIL held by" row: a complete event per run of samples with one holder."""
    samples = [s for s in result.gil_samples if result.t0 <= s.t <= result.t_end]
    if not samples:
        return []
    names = {r.worker.tid: r.worker.label or f"thread {r.worker.tid}"
             for r in result.records if r.worker is not None}
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": GIL_TRACK}},
        {"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
         "args": {"sort_index": sort_index}}]
    stretch: list[GilSample] = []
    for s, after in zip(samples, [*samples[1:], None]):
        stretch.append(s)
        if after is not None and after.holder == s.holder:
            continue
        # A stretch lasts from its first reading to the next holder's (the run's end last).
        end = result.t_end if after is None else after.t
        holder = s.holder
        events.append({"ph": "X", "name": "free" if holder == 0 else
                       names.get(holder, f"thread {holder}"), "cat": "gil", "pid": pid,
                       "tid": tid, "ts": _us(stretch[0].t - origin),
                       "dur": _us(end - stretch[0].t),
                       "args": {"tid": holder, "samples": len(stretch)}})
        stretch = []
    return events


def trace_events(results: Sequence[RunResult]) -> list[dict[str, Any]]:
    """Every trace event of ``results``, one trace process per run in the order given."""
    if not results:
        return []
    origin = min(r.t0 for r in results)
    all_lanes = [assign_lanes(r.records) for r in results]
    # + 1: the GIL row after the lanes.
    stride = _stride(results, [len(lanes.lanes) + 1 for lanes in all_lanes])
    width = len(str(len(results)))
    events: list[dict[str, Any]] = []
    for pid, (result, lanes) in enumerate(zip(results, all_lanes), start=1):
        run_tid = pid * stride
        name = f"{pid:0{width}d} · {result.backend} — {result.workload_label}"
        events.append({"ph": "M", "name": "process_name", "pid": pid, "tid": run_tid,
                       "args": {"name": name}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": run_tid,
                       "args": {"sort_index": pid}})
        for lane in lanes.lanes:
            tid = run_tid + lane.index + 1
            events.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid,
                           "args": {"name": lane.label}})
            events.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid,
                           "args": {"sort_index": lane.index + 1}})
        for r in result.records:
            if r.started is None or r.id not in lanes.lane_of:
                continue
            end = r.finished if r.finished is not None else r.started
            args: dict[str, Any] = {"id": r.id, "status": r.status.value,
                                    "cpu_s": round(r.cpu_s, 6), "result": r.result}
            if r.error is not None:
                args["error"] = r.error.one_line()
            if (share := gil_share(result, r)) is not None:
                args["gil_held"] = round(share, 4)
            events.append({"ph": "X", "name": r.name, "cat": r.status.value, "pid": pid,
                           "tid": run_tid + lanes.lane_of[r.id] + 1,
                           "ts": _us(r.started - origin), "dur": _us(end - r.started),
                           "args": args})
        if result.warm_start_s is not None and result.warmed_from is not None:
            # A warm run's workers started before its clock: shown before its first task.
            events.append({"ph": "X", "name": "workers starting (warm, not in wall)",
                           "cat": "warm", "pid": pid, "tid": run_tid,
                           "ts": _us(result.warmed_from - origin),
                           "dur": _us(result.t0 - result.warmed_from),
                           "args": {"start_s": round(result.warm_start_s, 6)}})
        n_lanes = len(lanes.lanes)
        events += _gil_track(result, pid, run_tid + n_lanes + 1, n_lanes + 1, origin)
        events += _counter_track(_CORES_TRACK, pid, run_tid, origin, result.t_end,
                                 result.samples)
        events += _counter_track(MEMORY_TRACK, pid, run_tid, origin, result.t_end,
                                 result.samples, _memory_of(result))
        hosts = dict.fromkeys(h.host for h in result.host_samples)
        for host in hosts:
            events += _counter_track(f"{_CORES_TRACK} · {host}", pid, run_tid, origin,
                                     result.t_end,
                                     (h for h in result.host_samples if h.host == host))
    return events


def chrome_trace(results: Sequence[RunResult]) -> dict[str, Any]:
    """The trace document of ``results`` (see the module docstring for its layout)."""
    return {"traceEvents": trace_events(results), "displayTimeUnit": "ms"}
