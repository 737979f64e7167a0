"""Typed, bounded access to the JSON objects of a session file (``engine.files.session_fields``
reads runs with it): every problem is one ``SessionError`` line naming the file, the path to the
object and the field."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MAX_NAME", "MAX_TEXT", "Reader", "SessionError", "show_value"]

# Characters of a name (backend, task, host, worker label) and of a longer text (a label, a
# note); tracebacks and results are bounded only by the file size.
MAX_NAME = 1000
MAX_TEXT = 100_000


class SessionError(ValueError):
    """A file that cannot be opened as a session; the message is one line for the user."""


def show_value(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**20 else "a huge number"
    return text if len(text) <= 40 else text[:37] + "..."


class Reader:
    """Typed, bounded access to one JSON object; every problem is a SessionError naming
    ``where`` (the file and the path to the object) and the field."""

    _MISSING = object()

    def __init__(self, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise SessionError(f"{where}: expected an object, found {type(data).__name__}")
        self.where, self.data = where, data

    def fail(self, key: str, problem: str) -> SessionError:
        return SessionError(f"{self.where}: {key!r} {problem}")

    def _get(self, key: str, optional: bool) -> Any:
        value = self.data.get(key, self._MISSING)
        if value is self._MISSING or value is None:
            if optional:
                return self._MISSING
            raise SessionError(f"{self.where}: missing {key!r}" if value is self._MISSING
                               else f"{self.where}: {key!r} is null")
        return value

    def _typed(self, key: str, value: Any, kind: type | tuple[type, ...], name: str) -> Any:
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise self.fail(key, f"should be {name}, found {type(value).__name__}")
        return value

    # -- numbers ---------------------------------------------------------------------------------
    def _integer(self, key: str, value: Any, lo: int, hi: int) -> int:
        number: int = self._typed(key, value, int, "int")
        if not lo <= number <= hi:
            raise self.fail(key, f"is {show_value(number)}, outside {lo}..{hi}")
        return number

    def integer(self, key: str, lo: int, hi: int) -> int:
        return self._integer(key, self._get(key, False), lo, hi)

    def maybe_integer(self, key: str, lo: int, hi: int) -> int | None:
        value = self._get(key, True)
        return None if value is self._MISSING else self._integer(key, value, lo, hi)

    def _number(self, key: str, value: Any, lo: float, hi: float) -> float:
        self._typed(key, value, (int, float), "float")
        try:
            number = float(value)
        except OverflowError:
            raise self.fail(key, "is too large a number") from None
        if not math.isfinite(number):
            raise self.fail(key, "is not a finite number")
        if not lo <= number <= hi:
            raise self.fail(key, f"is {show_value(number)}, outside {lo:g}..{hi:g}")
        return number

    def number(self, key: str, lo: float, hi: float) -> float:
        return self._number(key, self._get(key, False), lo, hi)

    def maybe_number(self, key: str, lo: float, hi: float) -> float | None:
        value = self._get(key, True)
        return None if value is self._MISSING else self._number(key, value, lo, hi)

    # -- everything else -------------------------------------------------------------------------
    def _text(self, key: str, value: Any, limit: int) -> str:
        text: str = self._typed(key, value, str, "str")
        if len(text) > limit:
            raise self.fail(key, f"is {len(text)} characters long (at most {limit})")
        return text

    def text(self, key: str, limit: int = MAX_NAME) -> str:
        return self._text(key, self._get(key, False), limit)

    def maybe_text(self, key: str, limit: int = MAX_NAME) -> str | None:
        value = self._get(key, True)
        return None if value is self._MISSING else self._text(key, value, limit)

    def boolean(self, key: str) -> bool:
        return bool(self._typed(key, self._get(key, False), bool, "bool"))

    def maybe_boolean(self, key: str) -> bool | None:
        """An optional bool, None when absent (a file written before the field existed)."""
        value = self._get(key, True)
        return None if value is self._MISSING else bool(self._typed(key, value, bool, "bool"))

    def flag(self, key: str) -> bool:
        """An optional bool, False when absent."""
        value = self._get(key, True)
        return False if value is self._MISSING else bool(self._typed(key, value, bool, "bool"))

    def obj(self, key: str) -> dict[str, Any]:
        value: dict[str, Any] = self._typed(key, self._get(key, False), dict, "object")
        return value

    def items(self, key: str, limit: int, optional: bool = False) -> list[Any]:
        value = self._get(key, optional)
        if value is self._MISSING:
            return []
        found: list[Any] = self._typed(key, value, list, "list")
        if len(found) > limit:
            raise self.fail(key, f"holds {len(found)} items (at most {limit})")
        return found

    def texts(self, key: str) -> tuple[str, ...]:
        """An optional list of strings (notes, problems)."""
        found = self.items(key, 10_000, optional=True)
        if not all(isinstance(t, str) and len(t) <= MAX_TEXT for t in found):
            raise self.fail(key, "should hold texts")
        return tuple(found)
