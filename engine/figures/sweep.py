"""Sweeps: one workload, one knob varied over values, several backends — speedup per point.

The knob is ``workers``, ``start_method`` (process backends), ``tasks`` (instances per task), or
a task parameter (``n``, ``seconds`` …; ``size`` means the first task's first parameter). Every
point is compared with a ``sequential`` run of the same point, which the plan adds when the user
did not ask for it (run once when the knob is ``workers`` or ``start_method``, which do not
change a sequential run).

Planning needs only a run's settings and their checks (``engine.run.config``), never the run
thread; the points are run by whoever holds them (the CLI, the window's sequence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.backends.registry import get_backend
from engine.figures.result import RunResult
from engine.run.config import RunConfig, check_config
from engine.tasks import ParamError
from engine.workload import build_workload

MAX_POINTS = 50


@dataclass(frozen=True)
class SweepPoint:
    value: str
    config: RunConfig
    baseline_only: bool = False  # a sequential run added for the speedup, not asked for


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``"n=1000,10000"`` → ("n", ["1000", "10000"])."""
    knob, sep, values = text.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if not sep or not knob.strip() or not items:
        raise ParamError(f"--vary {text!r}: expected KNOB=V1,V2,... (workers, tasks, size or a "
                         "task parameter)")
    if len(items) > MAX_POINTS:
        raise ParamError(f"--vary: {len(items)} values is above the limit {MAX_POINTS}")
    return knob.strip(), items


def plan(names: Sequence[str], count: int | None, settings: Mapping[str, str],
         backends: Sequence[str], knob: str, values: Sequence[str], *,
         workers: int | None = None, start_method: str | None = None,
         interval: float = 0.1, timeout_s: float | None = None,
         scheduler: str | None = None, warm: bool = False) -> list[SweepPoint]:
    """Every run of the sweep, validated before any starts (raises ValueError subclasses)."""
    if knob == "size":
        first = build_workload(names, count, settings, timeout_s).items[0].spec
        if not first.params:
            raise ParamError(f"--vary size: task {first.name!r} has no size parameter")
        knob = first.params[0].name
    points: list[SweepPoint] = []
    need_baseline = "sequential" not in backends
    for value in values:
        point_workers, point_count, point_settings = workers, count, dict(settings)
        point_method = start_method
        try:
            if knob == "start_method":  # the start cost is the lesson: one point per method
                point_method = value
            elif knob == "workers":
                point_workers = int(value)
            elif knob == "tasks":
                point_count = int(value)
            else:
                point_settings[knob] = value
        except ValueError:
            raise ParamError(f"--vary {knob}: {value!r} is not a whole number") from None
        workload = build_workload(names, point_count, point_settings, timeout_s)
        if need_baseline and (knob not in ("workers", "start_method") or not points):
            points.append(SweepPoint(value, RunConfig(workload, "sequential", None, None,
                                                      interval), baseline_only=True))
        for backend in backends:
            cls = get_backend(backend)
            if knob == "start_method" and not cls.uses_processes:
                raise ParamError(f"--vary start_method: {backend!r} starts no processes")
            config = RunConfig(workload, backend, point_workers,
                               point_method if cls.uses_processes else None, interval,
                               scheduler=scheduler if cls.accepts_scheduler else None,
                               warm=warm and cls.warms)
            check_config(config)
            points.append(SweepPoint(value, config))
    return points


def apply_baselines(points: Sequence[SweepPoint], results: Sequence[RunResult],
                    knob: str) -> list[RunResult]:
    """Each result with the wall time of its point's sequential run as the baseline."""
    base: dict[str, float] = {}
    shared = knob in ("workers", "start_method")  # one sequential run serves every point
    for p, r in zip(points, results):
        if p.config.backend == "sequential":
            base["*" if shared else p.value] = r.wall_s
    return [r.with_baseline(base.get("*" if shared else p.value))
            for p, r in zip(points, results)]


SWEEP_HEADER_TAIL = ["backend", "workers", "wall s", "speedup", "efficiency %"]


def rows(knob: str, points: Sequence[SweepPoint], results: Sequence[RunResult],
         ) -> list[list[str]]:
    out = []
    for p, r in zip(points, results):
        if p.baseline_only:
            continue
        s = r.stats
        out.append([p.value, r.backend, str(r.workers), f"{s.wall_s:.3f}",
                    "" if s.speedup is None else f"{s.speedup:.2f}",
                    "" if s.efficiency is None else f"{s.efficiency * 100:.0f}"])
    return out


def session_extra(knob: str, points: Sequence[SweepPoint]) -> dict[str, Any]:
    """What a sweep session stores beside its runs: the knob and each run's point."""
    return {"sweep": {"knob": knob, "values": list(dict.fromkeys(p.value for p in points)),
                      "points": [{"value": p.value, "baseline_only": p.baseline_only}
                                 for p in points]}}
