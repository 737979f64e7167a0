"""Lessons: a presenter's ready-made comparisons, one JSON file each (``resources/lessons/``).

The public face of the lesson modules: import from here.

    list_lessons() ──► [Lesson | LessonError, ...]   in the order of the files' leading numbers
    find_lesson("gil") / load_lesson(path) ──► Lesson   (engine.files.lesson_read: never runs code)
    lesson.unavailable() ──► None, or why it cannot run here (Python too old, backend missing)
    lesson.workload() ──► Workload                   (imports the lesson's own .py, if it has one)
    engine.run.lesson_plan.configs(lesson) ──► [RunConfig]   one per backend, or a sweep's plan
    lesson_from_setup(...) ──► save_lesson(path, lesson)     "Save current setup as lesson…"

JSON rather than TOML: Python 3.10, which the project supports, has no TOML reader in its
standard library. The format is documented in docs/lessons.md.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Sequence
from typing import Any

from engine.files.export import check_writable, write_json
from engine.files.lesson_fields import Fields, LessonError, ParamValue
from engine.files.lesson_model import (
    FORMAT,
    LEADING_NUMBER,
    PAGES,
    VERSION,
    Lesson,
    LessonRow,
    LessonSweep,
    is_file_target,
    split_custom,
)
from engine.files.lesson_read import lesson_from_data, load_lesson, parse_lesson
from engine.tasks import BUILTIN_TASKS
from engine.tasks.custom import parse_value
from engine.workload import Workload

__all__ = [
    "FORMAT", "PAGES", "VERSION", "Lesson", "LessonError", "LessonRow", "LessonSweep",
    "ParamValue", "find_lesson", "lesson_from_setup", "lessons_dir", "list_lessons",
    "load_lesson", "parse_lesson", "save_lesson", "suggest_path",
]


def lessons_dir() -> str:
    """The lessons shipped with CoreScope: ``resources/lessons`` beside ``engine/``."""
    engine_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(os.path.dirname(engine_dir), "resources", "lessons")


def _order(file_name: str) -> tuple[int, int, str]:
    match = LEADING_NUMBER.match(file_name)
    if match is None:  # unnumbered files follow the numbered ones, by name
        return (1, 0, file_name.lower())
    return (0, int(match.group(1)), file_name.lower())


def list_lessons(folder: str | None = None) -> list[Lesson | LessonError]:
    """Every ``*.json`` in ``folder`` (default: the shipped lessons), ordered by the leading
    numbers of the file names so a talk runs in the folder's order. A file that cannot be
    read stands in its place as its one-line ``LessonError`` (``.path`` names the file).

    Raises:
        LessonError: the folder itself cannot be listed.
    """
    folder = lessons_dir() if folder is None else folder
    try:
        names = [n for n in os.listdir(folder) if n.lower().endswith(".json")]
    except OSError as exc:
        raise LessonError(f"cannot list lessons in {folder}: {exc.strerror or exc}") from None
    out: list[Lesson | LessonError] = []
    for file_name in sorted(names, key=_order):
        try:
            out.append(load_lesson(os.path.join(folder, file_name)))
        except LessonError as exc:
            out.append(exc)
    return out


def find_lesson(name: str, folder: str | None = None) -> Lesson:
    """A lesson by its name ("01-gil"), short name ("gil") or file name; a path to a
    ``.json`` file is loaded as it is (``gui --lesson my/own.json``).

    Raises:
        LessonError: no such lesson (the message lists the valid names), or its file's own.
    """
    if name.lower().endswith(".json") and (os.sep in name or "/" in name):
        return load_lesson(name)
    found = list_lessons(folder)
    for entry in found:
        stem = os.path.basename(entry.path or "")[:-5]
        if name in (stem, stem + ".json", LEADING_NUMBER.sub("", stem)):
            if isinstance(entry, LessonError):
                raise entry
            return entry
    valid = [e.short_name for e in found if isinstance(e, Lesson)]
    raise LessonError(f"unknown lesson {name!r} (valid: {', '.join(valid) or 'none'})")


def _relocated(row: LessonRow, old: str, new: str) -> LessonRow:
    """A row's file path as seen from the folder the lesson is saved into."""
    if row.task in BUILTIN_TASKS or ":" not in row.task:
        return row
    target, func = split_custom(row.task)
    if not is_file_target(target):
        return row
    full = os.path.normpath(os.path.join(old, target))
    try:
        rel = os.path.relpath(full, new)
    except ValueError:  # another drive: no relative path exists
        rel = full
    return LessonRow(f"{rel.replace(os.sep, '/')}:{func}", row.params, row.count)


def save_lesson(path: str, lesson: Lesson, overwrite: bool = False) -> Lesson:
    """Write ``lesson`` to ``path``; returns it as loading that file gives it.

    A custom task's file is written relative to the new file's folder. The text is read
    back through the loader before it is written, so a file that would not load never is.

    Raises:
        LessonError: the lesson would not load from there (one line, naming the field).
        FileExistsError: ``path`` exists and ``overwrite`` is not given.
        OSError: the folder is missing or not writable.
    """
    name = os.path.basename(path)
    if not name.lower().endswith(".json"):
        raise LessonError(f"{name}: lesson files end in .json", path)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} already exists (choose another name or overwrite)")
    check_writable(path)
    folder = os.path.dirname(os.path.abspath(path))
    rows = tuple(_relocated(r, lesson.folder, folder) for r in lesson.rows)
    data = dataclasses.replace(lesson, rows=rows).as_dict()
    saved = parse_lesson(json.dumps(data, ensure_ascii=False), name, folder, path)
    write_json(path, data)
    return saved


def _file_value(value: Any) -> ParamValue:
    """A custom task's parameter as a lesson writes it, reading back to the same value
    (the loader hands text through ``parse_value``, as ``--set`` does)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and parse_value(value) == value:
        return value
    return repr(value)  # a list, None, True, or a text that reads as a number: a literal


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "lesson"


def lesson_from_setup(workload: Workload, backends: Sequence[str], page: str, *, title: str,
                      talking_point: str = "", notice: str = "", workers: int | None = None,
                      start_method: str | None = None,
                      sweep: tuple[str, Sequence[ParamValue]] | None = None,
                      folder: str | None = None, warm: bool = False) -> Lesson:
    """The window's current setup as a lesson, checked as a file would be.

    Built-in parameters left at their defaults are not written. ``folder`` is where a custom
    task's relative file path starts (default: the working directory, as the window's are).

    Raises:
        LessonError: the setup cannot be a lesson (one line, naming the field).
    """
    rows = []
    for item in workload.items:
        if item.spec.builtin:
            defaults = {p.name: p.default for p in item.spec.params}
            params = tuple((k, v) for k, v in item.params.items() if defaults.get(k) != v)
        else:
            params = tuple((k, _file_value(v)) for k, v in item.params.items())
        rows.append(LessonRow(item.spec.name, params, item.count))
    folder = os.getcwd() if folder is None else folder
    draft = Lesson(_slug(title), title, talking_point, notice, tuple(rows), tuple(backends),
                   page, workers,
                   None if sweep is None else LessonSweep(sweep[0], tuple(sweep[1])),
                   start_method, None, workload.timeout_s, warm, folder)
    return lesson_from_data(Fields(draft.where), draft.as_dict(), draft.name, folder, None)


def suggest_path(folder: str, title: str) -> str:
    """A free file name for a new lesson, numbered after the folder's last: "09-my-demo.json"."""
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    numbers = [int(m.group(1)) for n in names if (m := LEADING_NUMBER.match(n))]
    base = f"{max(numbers, default=0) + 1:02d}-{_slug(title)}"
    candidate, n = os.path.join(folder, base + ".json"), 2
    while os.path.exists(candidate):
        candidate, n = os.path.join(folder, f"{base}-{n}.json"), n + 1
    return candidate
