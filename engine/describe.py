"""Text for a record from objects the user made: a task's result or exception.

A record must be written whatever the task returned or raised, and it must travel to the
engine (pickled, from a worker process) whatever the user's classes are. So everything here:

* calls user code (``__str__``, ``__repr__``, a metaclass's ``__name__``) only inside a guard
  that catches ``BaseException`` — a ``__str__`` that raises ``SystemExit`` included — and says
  "could not be shown" instead;
* returns plain ``str`` only (never a user's ``str`` subclass, whose methods are user code and
  whose class a parent process may not be able to import);
* bounds time and size by type before calling ``repr``: a ten-million-item list is summarised
  from its first items, not turned into 70 MB of text first.

Hanging user code (a ``__str__`` that never returns) is out of reach: nothing in-process can
stop it.
"""

from __future__ import annotations

from engine.records import TaskError

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RESULT_CHARS = 80
MESSAGE_CHARS = 500
TRACEBACK_CHARS = 50_000
_NAME_CHARS = 100
_DEPTH = 4  # nesting shown inside a result before "…"
_INT_BITS = 4_000  # ~1,200 digits: repr stays fast, well under int's 4,300-digit str limit
_SHORT_INT_BITS = 256  # at most 78 digits and a sign: within RESULT_CHARS as it is

# type.__name__ read through type's own descriptor: a metaclass's __name__ property is user
# code, this is not.
_TYPE_NAME: Any = type.__dict__["__name__"]

_BRACKETS: dict[type, tuple[str, str]] = {
    list: ("[", "]"), tuple: ("(", ")"), set: ("{", "}"), frozenset: ("frozenset({", "})"),
    dict: ("{", "}"),
}
_EMPTY: dict[type, str] = {set: "set()", frozenset: "frozenset()"}


def plain(text: object) -> str:
    """``text`` as an exact ``str``; a ``str`` subclass is copied through ``str``'s own slot."""
    if type(text) is str:
        return text
    if issubclass(type(text), str):  # type(), not isinstance(): __class__ may be a property
        return str.__str__(text)  # type: ignore[arg-type]
    raise TypeError(f"expected text, got {type_name(text)}")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """Line breaks folded into spaces, at most ``limit`` characters."""
    text = text[: 4 * limit]
    if "\n" in text or "\r" in text:
        text = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return clip(text, limit)


def type_name(obj: object) -> str:
    """The class name of ``obj``, on one line; never raises."""
    try:
        name = one_line(plain(_TYPE_NAME.__get__(type(obj))), _NAME_CHARS)
    except BaseException:  # noqa: BLE001 — a name is a courtesy; the record matters
        return "object"
    return name or "object"


def _brief(exc: BaseException) -> str:
    """``Type: message`` of an exception raised while showing another one (no recursion)."""
    name = type_name(exc)
    try:
        text = one_line(plain(str(exc)), 200)
    except BaseException:  # noqa: BLE001
        return name
    return f"{name}: {text}" if text else name


def exception_message(exc: BaseException) -> str:
    """``str(exc)`` on one line, or why it could not be had."""
    try:
        text = plain(str(exc))
    except BaseException as why:  # noqa: BLE001 — SystemExit from a __str__ included
        return f"exception could not be shown: {_brief(why)}"
    return one_line(text, MESSAGE_CHARS)


def _bounded_text(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = limit // 10
    left_out = len(text) - limit
    return f"{text[:head]}\n… {left_out:,} characters left out …\n{text[-(limit - head):]}"


def exception_traceback(exc: BaseException, name: str, message: str) -> str:
    """The formatted traceback; if formatting fails, the frames that can be formatted."""
    import traceback  # here: every worker imports this module, few of them format a traceback

    try:
        return _bounded_text(plain("".join(
            traceback.format_exception(type(exc), exc, exc.__traceback__))), TRACEBACK_CHARS)
    except BaseException as why:  # noqa: BLE001 — e.g. __notes__ whose iteration raises
        failure = _brief(why)
    try:
        frames = "".join(traceback.format_tb(exc.__traceback__))
    except BaseException:  # noqa: BLE001
        frames = ""
    return _bounded_text("Traceback (most recent call last):\n" + frames + f"{name}: {message}\n"
                         f"(the rest could not be formatted: {failure})\n", TRACEBACK_CHARS)


def describe_error(exc: BaseException) -> TaskError:
    """A ``TaskError`` of plain strings for ``exc``; never raises, never pickles ``exc``."""
    try:
        name = type_name(exc)
        message = exception_message(exc)
        return TaskError(name, message, exception_traceback(exc, name, message))
    except BaseException:  # noqa: BLE001 — only if the guards above have a hole
        return TaskError("exception", "exception could not be shown")


def _short(value: Any, budget: int, depth: int) -> str:
    """``repr(value)``, except that built-in containers and texts are cut once ``budget``
    characters are shown: the time spent is bounded by what is shown, not by the size."""
    kind = type(value)
    budget = max(budget, 0)
    if kind is str or kind is bytes or kind is bytearray:
        return repr(value[: budget + 1])
    if kind is int and value.bit_length() > _INT_BITS:
        return f"<int of {value.bit_length():,} bits>"
    brackets = _BRACKETS.get(kind)
    if brackets is None:
        return plain(repr(value))  # anything else: the user's own repr (guarded by the caller)
    opening, closing = brackets
    if not value:
        return _EMPTY.get(kind, opening + closing)
    if depth >= _DEPTH:
        return f"{opening}…{closing}"
    parts: list[str] = []
    used = len(opening)
    for item in value.items() if kind is dict else value:
        if used > budget:
            break
        if kind is dict:
            key = _short(item[0], budget - used, depth + 1)
            text = f"{key}: {_short(item[1], budget - used - len(key), depth + 1)}"
        else:
            text = _short(item, budget - used, depth + 1)
        parts.append(text)
        used += len(text) + 2
    body = ", ".join(parts)
    if len(parts) < len(value):
        body += ", …"
    elif kind is tuple and len(parts) == 1:
        body += ","
    return opening + body + closing


def summarize(value: Any) -> str:
    """A short text for a result: results stay in the worker, only this travels back.

    Small values read exactly as ``repr``; a large built-in container says what it is
    ("list of 10,000,000 items: [0, 1, …"); a ``__repr__`` that fails says so.
    """
    kind = type(value)
    if kind is float or kind is bool or value is None or (
            kind is int and value.bit_length() <= _SHORT_INT_BITS):
        return repr(value)  # the usual result, quickly: a worker summarizes one per task
    try:
        text = _short(value, RESULT_CHARS, 0)
        if kind in _BRACKETS and len(text) > RESULT_CHARS:
            text = f"{kind.__name__} of {len(value):,} items: {text}"
    except BaseException as why:  # noqa: BLE001 — SystemExit from a __repr__ included
        text = f"<{type_name(value)} that could not be shown: {_brief(why)}>"
    return clip(one_line(text, 4 * RESULT_CHARS), RESULT_CHARS)
