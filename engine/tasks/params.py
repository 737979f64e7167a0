"""Typed, range-checked task parameters.

Every built-in task declares its parameters as ``ParamSpec`` values. The CLI's ``--set k=v``,
the GUI's generated editors and saved files all go through ``ParamSpec.parse`` so a bad value is
refused the same way everywhere, with a message that states the allowed range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.values import frozen

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class ParamError(ValueError):
    """A parameter value that cannot be used; the message is one line meant for the user."""


@frozen
class ParamSpec:
    """One parameter of a task: its type, default, allowed range and meaning."""

    name: str
    type: type  # int, float or str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""

    def parse(self, raw: object) -> Any:
        """Convert ``raw`` (a string from the CLI or GUI, or a value) and check its range."""
        if self.type is str:
            value: Any = str(raw)
        elif isinstance(raw, bool):
            raise ParamError(f"{self.name}: expected a number, got {raw!r}")
        elif isinstance(raw, (int, float)) and self.type is float:
            value = float(raw)
        elif isinstance(raw, int) and self.type is int:
            value = raw
        else:
            text = str(raw).strip().replace("_", "")
            try:
                value = self.type(text)
            except ValueError:
                kind = "a whole number" if self.type is int else "a number"
                raise ParamError(f"{self.name}: expected {kind}, got {raw!r}") from None
        if self.type is float and value != value:  # NaN compares unequal to itself
            raise ParamError(f"{self.name}: expected a number, got {raw!r}")
        if self.choices and value not in self.choices:
            raise ParamError(f"{self.name}: {value!r} is not one of {', '.join(self.choices)}")
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"{self.name}: {value} is below the minimum {self._fmt(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(
                f"{self.name}: {value} is above the limit {self._fmt(self.maximum)}"
                " (larger runs would take too long or exhaust memory)"
            )
        return value

    def _fmt(self, bound: float) -> str:
        text = f"{bound:g}" if isinstance(bound, float) else f"{bound}"
        return f"{text} {self.unit}".rstrip()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "help": self.help,
            "min": self.minimum,
            "max": self.maximum,
            "choices": list(self.choices),
            "unit": self.unit,
        }


def resolve_params(specs: Sequence[ParamSpec], given: Mapping[str, object]) -> dict[str, Any]:
    """Defaults overlaid with ``given``, every value parsed; unknown names are refused."""
    by_name = {p.name: p for p in specs}
    unknown = sorted(set(given) - set(by_name))
    if unknown:
        valid = ", ".join(by_name) or "none"
        raise ParamError(f"unknown parameter {unknown[0]!r} (valid: {valid})")
    return {p.name: p.parse(given[p.name]) if p.name in given else p.default for p in specs}
