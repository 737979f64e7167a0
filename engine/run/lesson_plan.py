"""A lesson's runs: one ``RunConfig`` per backend, or a sweep's plan, checked before any starts.

    Lesson ──► unavailable()? ──► LessonError (the window greys the lesson out)
           ──► page "live" / "compare": workload() ──► RunConfig per backend ──► check_config
           ──► page "sweep": point(value) per value ──► SweepPoint per backend (+ sequential)

Here rather than in ``engine.files``: that layer never imports the run thread, and
``RunConfig`` / ``check_config`` live beside it. A sweep plan follows
``engine.figures.sweep.plan`` exactly (a sequential baseline for each point when the lesson
does not list one, run once when the knob is ``workers``), but builds each point from the
lesson's rows, so rows may differ in count and parameters; the points it returns work with
``sweep.apply_baselines``, ``sweep.table`` and ``sweep.session_extra`` unchanged.
"""

from __future__ import annotations

import dataclasses

from engine.backends.registry import BACKENDS
from engine.backends.start_methods import split_entry
from engine.figures.sweep import SweepPoint
from engine.files.lessons import Lesson, LessonError
from engine.run.config import ConfigError, RunConfig, check_config
from engine.workload import Workload, setting_text

__all__ = ["configs", "panel_config", "sweep_points"]


def _config(lesson: Lesson, workload: Workload, entry: str, workers: int | None,
            interval: float, field: str) -> RunConfig:
    # "process-pool@forkserver": that backend under its own start method, else the lesson's.
    backend, method = split_entry(entry)
    cls = BACKENDS[backend]
    config = RunConfig(workload, backend, workers,
                       (method or lesson.start_method) if cls.uses_processes else None,
                       interval, warm=lesson.warm and cls.warms)
    try:
        check_config(config)
    except ConfigError as exc:
        raise lesson.fail(field, str(exc)) from None
    return config


def _check_available(lesson: Lesson) -> None:
    reason = lesson.unavailable()
    if reason is not None:
        raise lesson.fail("", f"unavailable here: {reason}")


def configs(lesson: Lesson, interval: float = 0.1) -> list[RunConfig]:
    """Every run the lesson asks for, in order, each already through ``check_config``.

    For a sweep lesson, the configs of ``sweep_points`` (baselines included).

    Raises:
        LessonError: one line naming the lesson's file and the field (or why it is
            unavailable here).
    """
    if lesson.sweep is not None:
        return [p.config for p in sweep_points(lesson, interval)]
    _check_available(lesson)
    workload = lesson.workload()
    return [_config(lesson, workload, b, lesson.workers, interval, f"backends[{j}]")
            for j, b in enumerate(lesson.backends)]


def panel_config(lesson: Lesson, interval: float = 0.1) -> RunConfig:
    """What the window's workload panel shows for ``lesson``: its workload (every row) on its
    first backend, with its workers and start method; checked like every run.

    Raises:
        LessonError: as ``configs``.
    """
    _check_available(lesson)
    config = _config(lesson, lesson.workload(), lesson.backends[0], lesson.workers, interval,
                     "backends[0]")
    return dataclasses.replace(config, warm=lesson.warm)  # the panel's box, whatever backend


def sweep_points(lesson: Lesson, interval: float = 0.1) -> list[SweepPoint]:
    """A sweep lesson's plan, as ``engine.figures.sweep.plan`` makes it for the CLI.

    Raises:
        LessonError: as ``configs``; also when the lesson has no sweep.
    """
    if lesson.sweep is None:
        raise lesson.fail("sweep", "this lesson has no sweep")
    _check_available(lesson)
    knob = lesson.sweep_knob()
    need_baseline = "sequential" not in lesson.backends
    points: list[SweepPoint] = []
    for k, raw in enumerate(lesson.sweep.values):
        value = setting_text(raw)
        workload, workers = lesson.point(raw)
        field = f"sweep.values[{k}]"
        if need_baseline and (knob != "workers" or not points):
            points.append(SweepPoint(value, _config(lesson, workload, "sequential", None,
                                                    interval, field), baseline_only=True))
        points.extend(SweepPoint(value, _config(lesson, workload, b, workers, interval, field))
                      for b in lesson.backends)
    return points


__all__ += ["LessonError"]  # what both functions raise, for callers importing only this
