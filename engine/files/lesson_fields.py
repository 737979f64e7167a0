"""The fields of a lesson file, each typed and bounded; a problem names the file and the field.

``engine.files.lessons`` reads the file and builds the ``Lesson``; this module only checks
values. Every message is one line, ``01-gil.json: rows[1].count: must be an integer
1..10000``, so the window can show it beside the lesson's name and carry on.
Field paths follow JSON's own shape, rows counted from 0.
"""

from __future__ import annotations

import math
import re
from typing import Any, Union

# A parameter as a lesson writes it: the text the CLI's --set would get, or a JSON number.
ParamValue = Union[str, int, float]

# A lesson is a page of text; a file this large is not one of ours.
MAX_BYTES = 256 * 1024
# Rows and counts: a lesson is shown to a room, so each comparison stays short; these are far
# above what a live demo runs and far below what would swamp the timeline.
MAX_ROWS = 20
MAX_COUNT = 10_000
MAX_PARAMS = 32
MAX_TITLE = 120
MAX_TEXT = 2_000
MAX_VALUE = 1_000  # characters of a parameter value or a task spec
MAX_NUMBER = 10**15  # a parameter or sweep value given as a number
MAX_WORKERS = 1024
MAX_TIMEOUT_S = 86_400.0
MAX_SWEEP_VALUES = 50  # as engine.figures.sweep.MAX_POINTS


class LessonError(ValueError):
    """A lesson that cannot be used as written; the message is one line meant for the user.

    Attributes:
        path: the lesson file, when the problem belongs to one (the window greys it out).
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(" ".join(message.split()))  # quoted values may carry newlines
        self.path = path


def show(value: Any) -> str:
    """A value quoted in a message: short, and never a 4,000-digit number."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        return "a huge number"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def kind_of(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a text", bool: "true/false",
             int: "a number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


class Fields:
    """Checks for one file; ``where`` is the file's name as messages show it."""

    def __init__(self, where: str, path: str | None = None) -> None:
        self.where, self.path = where, path

    def fail(self, field: str, problem: str) -> LessonError:
        return LessonError(f"{self.where}: {field}: {problem}" if field else
                           f"{self.where}: {problem}", self.path)

    def obj(self, field: str, value: Any, required: tuple[str, ...],
            optional: tuple[str, ...]) -> dict[str, Any]:
        """An object with exactly these keys allowed: a typo ("talkingpoint") is refused
        rather than silently ignored."""
        if not isinstance(value, dict):
            raise self.fail(field, f"must be an object, found {kind_of(value)}")
        prefix = f"{field}." if field else ""
        for key in value:
            if key not in required and key not in optional:
                valid = ", ".join((*required, *optional))
                raise self.fail(f"{prefix}{str(key)[:40]}", f"unknown field (valid: {valid})")
        for key in required:
            if key not in value:
                raise self.fail(f"{prefix}{key}", "missing")
        return value

    def items(self, field: str, value: Any, lo: int, hi: int) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(field, f"must be a list, found {kind_of(value)}")
        if not lo <= len(value) <= hi:
            raise self.fail(field, f"must hold {lo}..{hi} items, found {len(value)}")
        return value

    def text(self, field: str, value: Any, limit: int, one_line: bool = False) -> str:
        if not isinstance(value, str):
            raise self.fail(field, f"must be a text, found {kind_of(value)}")
        if not value.strip():
            raise self.fail(field, "is empty")
        if len(value) > limit:
            raise self.fail(field, f"is {len(value)} characters long (at most {limit})")
        if one_line and ("\n" in value or "\r" in value):
            raise self.fail(field, "must be one line")
        return value

    def integer(self, field: str, value: Any, lo: int, hi: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            found = show(value) if isinstance(value, (int, float)) else kind_of(value)
            raise self.fail(field, f"must be an integer {lo}..{hi}, found {found}")
        return value

    def number(self, field: str, value: Any, lo: float, hi: float) -> float:
        """A number in (lo, hi]: a timeout of 0 would end every task at once."""
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or not lo < value <= hi:
            found = show(value) if ok else kind_of(value)
            raise self.fail(field, f"must be a number above {lo:g} and at most {hi:g}, "
                                   f"found {found}")
        return float(value)

    def choice(self, field: str, value: Any, choices: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.fail(field, f"must be one of {', '.join(choices)}, found {show(value)}")
        return value

    def value(self, field: str, value: Any) -> ParamValue:
        """A parameter or sweep value: a text, or a finite number of sane size."""
        if isinstance(value, str):
            if len(value) > MAX_VALUE:
                raise self.fail(field, f"is {len(value)} characters long (at most {MAX_VALUE})")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field, f"must be a text or a number, found {kind_of(value)}")
        if not math.isfinite(value) or abs(value) > MAX_NUMBER:
            raise self.fail(field, f"{show(value)} is outside ±{MAX_NUMBER:.0e}")
        return value


_VERSION = re.compile(r">=\s*(\d{1,3})\.(\d{1,3})(?:\.(\d{1,3}))?")


def python_requirement(fields: Fields, field: str, value: Any) -> tuple[int, ...]:
    """``">=3.14"`` → (3, 14). Only a lower bound: a lesson needs a feature that arrived."""
    text = fields.text(field, value, 20, one_line=True)
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        raise fields.fail(field, f"must look like \">=3.14\", found {show(text)}")
    return tuple(int(g) for g in match.groups() if g is not None)
