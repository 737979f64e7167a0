"""Reading a lesson file: strict, bounded, and never running code.

    path ──► read_bounded: a regular file, under MAX_BYTES ──► UTF-8 ──► JSON ──► lesson_from_data:
    every field typed and bounded (engine.files.lesson_fields); built-in parameters parsed by
    their ParamSpec; a custom task's file found beside the lesson but not imported ──► Lesson

A FIFO, a device or a folder is refused before it is opened, so a menu built from a folder
never hangs on one. Any problem is a ``LessonError`` of one line that names the file and the
field (``rows[1].count``).
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from engine.backends.registry import BACKENDS
from engine.backends.start_methods import split_entry
from engine.files.lesson_fields import (
    MAX_BYTES,
    MAX_COUNT,
    MAX_PARAMS,
    MAX_ROWS,
    MAX_SWEEP_VALUES,
    MAX_TEXT,
    MAX_TIMEOUT_S,
    MAX_TITLE,
    MAX_VALUE,
    MAX_WORKERS,
    Fields,
    LessonError,
    python_requirement,
    show,
)
from engine.files.lesson_model import (
    FORMAT,
    PAGES,
    VERSION,
    Lesson,
    LessonRow,
    LessonSweep,
    is_file_target,
    split_custom,
)
from engine.tasks import BUILTIN_TASKS, ParamError
from engine.workload import MAX_INSTANCES, setting_text

# fork is never offered: it can deadlock a process that runs threads (Qt's, the sampler's).
START_METHODS = ("spawn", "forkserver")
_REQUIRED = ("format", "version", "title", "talking_point", "notice", "rows", "backends", "page")
_OPTIONAL = ("workers", "sweep", "start_method", "requires", "timeout_s", "warm")


def read_bounded(path: str) -> bytes:
    """The bytes of a regular file under MAX_BYTES; anything else is a LessonError."""
    name = os.path.basename(path) or path
    not_regular = f"{name} is not a regular file (a device, pipe or socket)"
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise LessonError(f"{name} is a folder, not a lesson file", path)
        if not stat.S_ISREG(info.st_mode):
            raise LessonError(not_regular, path)
        if info.st_size > MAX_BYTES:
            raise LessonError(f"{name} is {info.st_size // 1024} KiB, larger than a lesson "
                              f"may be ({MAX_BYTES // 1024} KiB)", path)
        # Non-blocking: a path swapped for a FIFO after the stat still opens at once, and the
        # fstat below refuses it.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(path, flags), "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise LessonError(not_regular, path)
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise LessonError(f"cannot read {name}: {exc.strerror or exc}", path) from None
    if len(data) > MAX_BYTES:
        raise LessonError(f"{name} is larger than a lesson may be ({MAX_BYTES // 1024} KiB)",
                          path)
    return data


def load_lesson(path: str) -> Lesson:
    """Read a lesson file; every problem is a ``LessonError`` of one line naming the file."""
    data = read_bounded(path)
    name = os.path.basename(path)
    try:
        text = data.decode("utf-8-sig")  # a BOM from an editor is harmless
    except UnicodeDecodeError as exc:
        raise LessonError(f"{name} is not a text file (byte {exc.start} is not UTF-8)",
                          path) from None
    return parse_lesson(text, name, os.path.dirname(os.path.abspath(path)), path)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_lesson(text: str, name: str, folder: str, path: str | None = None) -> Lesson:
    """A lesson from its JSON text. ``name`` is the file name messages show; ``folder`` is
    where a row's ``file.py`` is looked for."""
    fields = Fields(name, path)
    if not text.strip():
        raise fields.fail("", "is empty")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise fields.fail("", f"is not valid JSON: {exc.msg} at line {exc.lineno}, column "
                              f"{exc.colno}") from None
    except RecursionError:
        raise fields.fail("", "is not a lesson (nested too deeply)") from None
    except ValueError as exc:  # NaN, or a number with thousands of digits
        raise fields.fail("", f"is not valid JSON ({str(exc)[:80]})") from None
    stem = name[:-5] if name.lower().endswith(".json") else name
    return lesson_from_data(fields, data, stem, folder, path)


def lesson_from_data(fields: Fields, data: Any, stem: str, folder: str,
                     path: str | None) -> Lesson:
    """Check parsed JSON field by field and build the Lesson."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise fields.fail("", f'is not a CoreScope lesson (no "format": "{FORMAT}")')
    version = fields.integer("version", data.get("version"), 1, 2**31)
    if version > VERSION:
        raise fields.fail("version", f"{version}: written by a newer CoreScope (this one "
                                     f"reads version {VERSION})")
    fields.obj("", data, _REQUIRED, _OPTIONAL)
    rows = tuple(_row(fields, i, raw, folder) for i, raw in
                 enumerate(fields.items("rows", data["rows"], 1, MAX_ROWS)))
    total = sum(r.count for r in rows)
    if total > MAX_INSTANCES:
        raise fields.fail("rows", f"{total} task instances is above the limit {MAX_INSTANCES}")
    backends = _backends(fields, data["backends"])
    page = fields.choice("page", data["page"], PAGES)
    sweep = _sweep(fields, data.get("sweep"), rows)
    if page == "sweep" and sweep is None:
        raise fields.fail("sweep", 'missing: page "sweep" needs a knob and its values')
    if page != "sweep" and sweep is not None:
        raise fields.fail("sweep", f'is for page "sweep", not {page!r}')
    if page != "compare" and any("@" in b for b in backends):
        raise fields.fail("backends", f'entries under a start method of their own (name@method) '
                                      f'are for page "compare", not {page!r}')
    if page == "live" and len(backends) != 1:
        raise fields.fail("backends", f'page "live" shows one run: give one backend, '
                                      f"not {len(backends)}")
    workers, timeout, warm = data.get("workers"), data.get("timeout_s"), data.get("warm", False)
    if not isinstance(warm, bool):
        raise fields.fail("warm", f"should be true or false, found {warm!r}"[:200])
    return Lesson(
        name=stem, title=fields.text("title", data["title"], MAX_TITLE, one_line=True),
        talking_point=_prose(fields, "talking_point", data["talking_point"]),
        notice=_prose(fields, "notice", data["notice"]), rows=rows, backends=backends,
        page=page, sweep=sweep, start_method=_start_method(fields, data, backends),
        requires_python=_requires(fields, data.get("requires")),
        workers=None if workers is None else fields.integer("workers", workers, 1, MAX_WORKERS),
        timeout_s=None if timeout is None else fields.number("timeout_s", timeout, 0,
                                                             MAX_TIMEOUT_S),
        warm=warm, folder=folder, path=os.path.abspath(path) if path else None)


def _prose(fields: Fields, field: str, value: Any) -> str:
    # May be empty: a setup saved from the window starts without one.
    return "" if value == "" else fields.text(field, value, MAX_TEXT)


def _start_method(fields: Fields, data: dict[str, Any], backends: tuple[str, ...]) -> str | None:
    value = data.get("start_method")
    if value is None:
        return None
    if value == "fork":
        raise fields.fail("start_method", "fork is not offered (it can deadlock a process "
                                          "with threads); use spawn or forkserver")
    method = fields.choice("start_method", value, START_METHODS)
    if not any(BACKENDS[split_entry(b)[0]].uses_processes for b in backends):
        raise fields.fail("start_method", "applies to process backends, and none of backends "
                                          "is one")
    return method


def _requires(fields: Fields, value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    req = fields.obj("requires", value, (), ("python",))
    return python_requirement(fields, "requires.python", req["python"]) if "python" in req \
        else None


def _row(fields: Fields, i: int, raw: Any, folder: str) -> LessonRow:
    where = f"rows[{i}]"
    row = fields.obj(where, raw, ("task", "count"), ("params",))
    task = fields.text(f"{where}.task", row["task"], MAX_VALUE, one_line=True).strip()
    count = fields.integer(f"{where}.count", row["count"], 1, MAX_COUNT)
    given = row.get("params") or {}
    if not isinstance(given, dict):
        raise fields.fail(f"{where}.params", "must be an object of name: value")
    if len(given) > MAX_PARAMS:
        raise fields.fail(f"{where}.params", f"holds {len(given)} parameters (at most "
                                             f"{MAX_PARAMS})")
    params = tuple((str(k), fields.value(f"{where}.params.{str(k)[:40]}", v))
                   for k, v in given.items())
    spec = BUILTIN_TASKS.get(task)
    if spec is None:
        _check_custom(fields, f"{where}.task", task, folder)
        for key, _ in params:
            if not key.isidentifier():
                raise fields.fail(f"{where}.params.{key[:40]}", "is not a parameter name")
        return LessonRow(task, params, count)
    by_name = {p.name: p for p in spec.params}
    for key, value in params:
        field = f"{where}.params.{key[:40]}"
        if key not in by_name:
            raise fields.fail(field, f"{task} has no parameter {show(key)} (valid: "
                                     f"{', '.join(by_name) or 'none'})")
        try:
            by_name[key].parse(setting_text(value))  # the text build_workload will parse
        except ParamError as exc:
            raise fields.fail(field, str(exc).removeprefix(f"{key}: ")) from None
    return LessonRow(task, params, count)


def _check_custom(fields: Fields, field: str, task: str, folder: str) -> None:
    """The spec's shape and its file, without importing anything."""
    if ":" not in task:
        raise fields.fail(field, f"unknown task {show(task)} (valid: {', '.join(BUILTIN_TASKS)}, "
                                 "module:function or file.py:function)")
    target, func = split_custom(task)
    if not target or not func.isidentifier():
        raise fields.fail(field, f"{show(task)} must look like module:function or "
                                 "file.py:function")
    if not is_file_target(target):
        if not all(part.isidentifier() for part in target.split(".")):
            raise fields.fail(field, f"{show(target)} is not a module name")
        return
    if not os.path.isfile(os.path.join(folder, target)):  # a FIFO or folder is not a file
        raise fields.fail(field, f"file {show(target)} not found beside the lesson")


def _backends(fields: Fields, value: Any) -> tuple[str, ...]:
    """Backend names, or ``name@method`` entries (a process backend under a start method of
    its own, as the compare page and ``--backends`` write them)."""
    names = fields.items("backends", value, 1, 2 * len(BACKENDS))
    seen: list[str] = []
    for j, name in enumerate(names):
        field = f"backends[{j}]"
        base, method = split_entry(name) if isinstance(name, str) else ("", None)
        if base not in BACKENDS:
            raise fields.fail(field, f"unknown backend {show(name)} (valid: "
                                     f"{', '.join(BACKENDS)})")
        if "@" in name:
            cls = BACKENDS[base]
            if not (cls.uses_processes and cls.takes_start_method):
                raise fields.fail(field, f"{base!r} takes no start method (its workers are "
                                         "not started by multiprocessing)")
            if method == "fork":  # as for start_method: a lesson may open in the window
                raise fields.fail(field, f"{name}: fork is not offered (it can deadlock a "
                                         "process with threads); use spawn or forkserver")
            if method not in START_METHODS:
                raise fields.fail(field, f"unknown start method {show(method)} after @ "
                                         f"(valid: {', '.join(START_METHODS)})")
        if name in seen:
            raise fields.fail(field, f"{name!r} is listed twice")
        seen.append(name)
    return tuple(seen)


def _sweep(fields: Fields, raw: Any, rows: tuple[LessonRow, ...]) -> LessonSweep | None:
    if raw is None:
        return None
    sweep = fields.obj("sweep", raw, ("knob", "values"), ())
    knob = fields.text("sweep.knob", sweep["knob"], 40, one_line=True).strip()
    values = fields.items("sweep.values", sweep["values"], 1, MAX_SWEEP_VALUES)
    checked = tuple(fields.value(f"sweep.values[{k}]", v) for k, v in enumerate(values))
    if knob in ("workers", "tasks"):
        hi = MAX_WORKERS if knob == "workers" else MAX_COUNT
        for k, v in enumerate(checked):
            fields.integer(f"sweep.values[{k}]", v, 1, hi)
        return LessonSweep(knob, checked)
    name = knob
    if knob == "size":
        first = BUILTIN_TASKS.get(rows[0].task)
        if first is None or not first.params:
            raise fields.fail("sweep.knob", '"size" is the first row\'s first parameter: that '
                                            "row needs a built-in task with parameters")
        name = first.params[0].name
    elif not knob.isidentifier():
        raise fields.fail("sweep.knob", f"{show(knob)} is not workers, tasks, size or a "
                                        "parameter name")
    builtin = [BUILTIN_TASKS[r.task] for r in rows if r.task in BUILTIN_TASKS]
    takers = [p for s in builtin for p in s.params if p.name == name]
    if not takers and len(builtin) == len(rows):  # a custom row may take it: checked on build
        raise fields.fail("sweep.knob", f"no task in this lesson takes {show(knob)}")
    for k, v in enumerate(checked):
        for param in takers:
            try:
                param.parse(setting_text(v))
            except ParamError as exc:
                raise fields.fail(f"sweep.values[{k}]",
                                  str(exc).removeprefix(f"{param.name}: ")) from None
    return LessonSweep(knob, checked)
