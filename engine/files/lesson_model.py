"""``Lesson``: one lesson as its file states it, and the workloads it stands for.

Reading and checking a file is ``engine.files.lesson_read``'s job; this module holds the
checked values and turns them into engine objects: ``Lesson.workload()`` builds each row
through ``engine.workload.build_workload``, exactly as the CLI's ``--task``/``--set`` would,
so a lesson and a hand-typed run are validated alike. RunConfigs are made in
``engine.run.lesson_plan`` (this layer never imports the run thread).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.backends.registry import BACKENDS
from engine.backends.start_methods import split_entry, valid_start_methods
from engine.files.lesson_fields import Fields, LessonError, ParamValue
from engine.tasks import BUILTIN_TASKS, ParamError, ParamSpec, TaskSpec
from engine.tasks.custom import accepted_names
from engine.workload import MAX_INSTANCES, WorkItem, Workload, build_workload, setting_text

FORMAT = "corescope-lesson"
VERSION = 1
PAGES = ("live", "compare", "sweep")
LEADING_NUMBER = re.compile(r"^(\d+)[-_ ]*")


@dataclass(frozen=True)
class LessonRow:
    """One row of the workload: a task, its parameters as written, how many instances.

    ``task`` is a built-in name, ``module:function``, or ``file.py:function`` with the file's
    path relative to the lesson's folder (``/`` as separator on every platform).
    """

    task: str
    params: tuple[tuple[str, ParamValue], ...] = ()
    count: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "params": dict(self.params), "count": self.count}


@dataclass(frozen=True)
class LessonSweep:
    knob: str  # "workers", "tasks", "size" (the first row's first parameter) or a parameter
    values: tuple[ParamValue, ...]


@dataclass(frozen=True)
class Lesson:
    """One lesson. Runs are planned with ``engine.run.lesson_plan.configs(lesson)``."""

    name: str  # the file name without ".json"; its leading number orders the talk
    title: str
    talking_point: str
    notice: str  # what the audience should notice
    rows: tuple[LessonRow, ...]
    backends: tuple[str, ...]  # in the order the page shows them
    page: str  # one of PAGES
    workers: int | None = None
    sweep: LessonSweep | None = None
    start_method: str | None = None
    requires_python: tuple[int, ...] | None = None
    timeout_s: float | None = None
    warm: bool = False  # start the pools' workers before the clock (engine.backends.warm)
    folder: str = "."  # where a row's file.py is found: the lesson file's folder
    path: str | None = None  # the file it was loaded from

    @property
    def short_name(self) -> str:
        """The name without its ordering number: "01-gil" → "gil"."""
        return LEADING_NUMBER.sub("", self.name) or self.name

    @property
    def where(self) -> str:
        """How messages name this lesson: its file name."""
        return os.path.basename(self.path) if self.path else f"lesson {self.name!r}"

    def fail(self, field: str, problem: str) -> LessonError:
        return Fields(self.where, self.path).fail(field, problem)

    def as_dict(self) -> dict[str, Any]:
        """The file's content: ``save_lesson`` writes it, the loader reads it back."""
        out: dict[str, Any] = {
            "format": FORMAT, "version": VERSION, "title": self.title,
            "talking_point": self.talking_point, "notice": self.notice,
            "rows": [r.as_dict() for r in self.rows], "backends": list(self.backends),
            "page": self.page,
        }
        if self.workers is not None:
            out["workers"] = self.workers
        if self.sweep is not None:
            out["sweep"] = {"knob": self.sweep.knob, "values": list(self.sweep.values)}
        if self.start_method is not None:
            out["start_method"] = self.start_method
        if self.requires_python is not None:
            out["requires"] = {"python": ">=" + ".".join(map(str, self.requires_python))}
        if self.timeout_s is not None:
            out["timeout_s"] = self.timeout_s
        if self.warm:
            out["warm"] = True
        return out

    def unavailable(self) -> str | None:
        """Why this lesson cannot run on this install (listed greyed out, not broken)."""
        if self.requires_python is not None and sys.version_info < self.requires_python:
            need = ".".join(map(str, self.requires_python))
            return f"needs Python {need}+; this is {sys.version.split()[0]}"
        for entry in self.backends:
            name, method = split_entry(entry)
            avail = BACKENDS[name].availability()
            if not avail.ok:
                return f"backend {name!r} is unavailable: {avail.reason}"
            if method and method not in valid_start_methods():
                return f"start method {method!r} ({entry}) is not offered on this platform"
        if self.start_method is not None and self.start_method not in valid_start_methods():
            return f"start method {self.start_method!r} is not offered on this platform"
        return None

    # -- workloads -----------------------------------------------------------------------------
    def workload(self) -> Workload:
        """The lesson's workload, validated by the engine (imports a custom task's file).

        Raises:
            LessonError: naming the row, e.g. a custom function that takes no such parameter.
        """
        return self._build(self.rows)

    def sweep_knob(self) -> str:
        """The sweep's knob, "size" resolved to the first row's first parameter."""
        if self.sweep is None:
            raise self.fail("sweep", "this lesson has no sweep")
        if self.sweep.knob != "size":
            return self.sweep.knob
        return BUILTIN_TASKS[self.rows[0].task].params[0].name  # the loader made sure

    def point(self, value: ParamValue) -> tuple[Workload, int | None]:
        """One sweep point: the workload and workers with the knob set to ``value``."""
        knob = self.sweep_knob()
        if knob == "workers":
            return self.workload(), int(value)
        if knob == "tasks":
            rows = [dataclasses.replace(r, count=int(value)) for r in self.rows]
            return self._build(rows), self.workers
        takes = [_accepts(item.spec, knob) for item in self.workload().items]
        if not any(takes):
            raise self.fail("sweep.knob", f"no task in this lesson takes {knob!r}")
        rows = [_with_param(r, knob, value) if t else r for r, t in zip(self.rows, takes)]
        return self._build(rows), self.workers

    def _build(self, rows: Sequence[LessonRow]) -> Workload:
        items: list[WorkItem] = []
        for i, row in enumerate(rows):
            settings = {k: setting_text(v) for k, v in row.params}
            try:
                built = build_workload([_runnable(row.task, self.folder)], row.count, settings,
                                       self.timeout_s)
            except ParamError as exc:
                raise self.fail(f"rows[{i}].params", str(exc)) from None
            except ValueError as exc:  # TaskLoadError, UnknownTaskError: the task itself
                raise self.fail(f"rows[{i}].task", str(exc)) from None
            items.extend(built.items)
        workload = Workload(tuple(items), self.timeout_s)
        if workload.n_tasks > MAX_INSTANCES:
            raise self.fail("rows", f"{workload.n_tasks} task instances is above the limit "
                                    f"{MAX_INSTANCES}")
        return workload

    # -- rehearsal size ------------------------------------------------------------------------
    def scaled(self, factor: float) -> Lesson:
        """The same lesson, smaller: for a rehearsal, or a test that runs every lesson.

        Multiplies by ``factor`` every row's count, each built-in task's size (its first
        parameter, the sweep's "size"), a custom task's given ``seconds``, and the values of
        a sweep over tasks or over one of those sizes. Whole numbers stay at least 1.
        """
        if not 0 < factor <= 1:
            raise ValueError(f"scale {factor} is outside (0, 1]")
        rows = tuple(_scaled_row(r, factor) for r in self.rows)
        sweep = self.sweep
        if sweep is not None:
            knob = self.sweep_knob()
            sizes = {size: r for r in self.rows if (size := _size_param(r)) is not None}
            if knob == "tasks":
                sweep = LessonSweep(sweep.knob, tuple(_scale(v, factor, None, whole=True)
                                                      for v in sweep.values))
            elif knob in sizes:
                param = _param_spec(sizes[knob], knob)
                sweep = LessonSweep(sweep.knob, tuple(_scale(v, factor, param)
                                                      for v in sweep.values))
        return dataclasses.replace(self, rows=rows, sweep=sweep)



def split_custom(task: str) -> tuple[str, str]:
    target, _, func = task.rpartition(":")
    return target, func


def is_file_target(target: str) -> bool:
    # The same test engine.tasks.custom.load_function makes.
    return target.endswith(".py") or "/" in target or os.sep in target


def _runnable(task: str, folder: str) -> str:
    """The spec a worker loads: a lesson's file found from its folder, written relative to the
    working directory when it lies below it (as the window writes a file it was given)."""
    if task in BUILTIN_TASKS or ":" not in task:
        return task
    target, func = split_custom(task)
    if not is_file_target(target):
        return task
    full = os.path.normpath(os.path.join(folder, target))
    try:
        rel = os.path.relpath(full)
    except (ValueError, OSError):  # another drive, or the working directory is gone
        rel = full
    return f"{full if rel.startswith('..') else rel}:{func}"


def _accepts(spec: TaskSpec, knob: str) -> bool:
    if spec.builtin:
        return any(p.name == knob for p in spec.params)
    names = accepted_names(spec.function)
    return names is None or knob in names


def _with_param(row: LessonRow, key: str, value: ParamValue) -> LessonRow:
    params = dict(row.params)
    params[key] = value
    return dataclasses.replace(row, params=tuple(params.items()))


def _size_param(row: LessonRow) -> str | None:
    spec = BUILTIN_TASKS.get(row.task)
    if spec is None:
        return "seconds" if "seconds" in dict(row.params) else None
    first = spec.params[0] if spec.params else None
    return first.name if first is not None and first.type in (int, float) else None


def _param_spec(row: LessonRow, name: str) -> ParamSpec | None:
    spec = BUILTIN_TASKS.get(row.task)
    return None if spec is None else next((p for p in spec.params if p.name == name), None)


def _scale(value: ParamValue, factor: float, param: ParamSpec | None,
           whole: bool = False) -> ParamValue:
    if isinstance(value, str):
        try:
            number = float(value.replace("_", ""))
        except ValueError:
            return value  # not a number: left as written
    else:
        number = value
    low = param.minimum if param is not None and param.minimum is not None else None
    if whole or (param is not None and param.type is int):
        return max(int(low) if low is not None else 1, 1, round(number * factor))
    return max(float(low or 0.0), round(number * factor, 6))


def _scaled_row(row: LessonRow, factor: float) -> LessonRow:
    count = max(1, round(row.count * factor))
    size = _size_param(row)
    if size is None:
        return dataclasses.replace(row, count=count)
    params = dict(row.params)
    param = _param_spec(row, size)
    params[size] = _scale(params[size] if size in params else param.default if param else 1,
                          factor, param)
    return dataclasses.replace(row, params=tuple(params.items()), count=count)
