"""A workload: which tasks, with which parameters, how many instances of each.

Built once from user input (CLI flags, GUI fields, a saved file) and validated completely
before anything runs, so bad input costs nothing and never leaves a half-started pool behind.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from engine.tasks import ParamError, TaskRef, TaskSpec, get_task
from engine.tasks.custom import accepted_names, check_call, parse_value
from engine.tasks.params import resolve_params
from engine.values import frozen

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# A run of more instances than this is almost certainly a typo, and each instance costs a record
# in memory and a bar on screen.
MAX_INSTANCES = 100_000


@frozen
class TaskInstance:
    """One unit of work as a worker receives it (picklable: a reference, not a function)."""

    id: int
    name: str
    index: int  # among instances of the same task, 0-based
    ref: TaskRef
    params: Mapping[str, Any]
    submitted: float = 0.0
    timeout_s: float | None = None

    def stamped(self, submitted: float) -> TaskInstance:
        """This instance as handed to a worker at clock reading ``submitted``.

        Built directly rather than with ``engine.values.replace`` (10 µs a task, which walks the
        fields by name): ``tests/test_workload.py`` checks that every field is carried over.
        """
        return TaskInstance(self.id, self.name, self.index, self.ref, self.params, submitted,
                            self.timeout_s)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # One instance is pickled per task on its way to a worker process (by the pool's feeder
        # thread in the engine; unpickled by the worker). Flat, its TaskRef's two fields
        # inline: 6 µs against 11 µs to pickle a call item, and 40 bytes smaller.
        ref = self.ref
        return _instance, (self.id, self.name, self.index, ref.name, ref.custom, self.params,
                           self.submitted, self.timeout_s)


def _instance(task_id: int, name: str, index: int, ref: str, custom: str | None,
              params: Mapping[str, Any], submitted: float,
              timeout_s: float | None) -> TaskInstance:
    """A pickled ``TaskInstance``, rebuilt (see ``TaskInstance.__reduce__``)."""
    return TaskInstance(task_id, name, index, TaskRef(ref, custom), params, submitted, timeout_s)


@frozen
class WorkItem:
    spec: TaskSpec
    params: Mapping[str, Any]
    count: int

    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.count} × {self.spec.name}({shown})"


@frozen
class Workload:
    items: tuple[WorkItem, ...]
    timeout_s: float | None = None

    @property
    def n_tasks(self) -> int:
        return sum(item.count for item in self.items)

    @property
    def task_names(self) -> tuple[str, ...]:
        return tuple(item.spec.name for item in self.items)

    @property
    def fixtures(self) -> frozenset[str]:
        return frozenset(f for item in self.items for f in item.spec.fixtures)

    @property
    def process_only(self) -> tuple[str, ...]:
        return tuple(item.spec.name for item in self.items if item.spec.process_only)

    def label(self) -> str:
        return " + ".join(item.label() for item in self.items)

    def instances(self, fixtures: Mapping[str, Any] = {}) -> list[TaskInstance]:
        out: list[TaskInstance] = []
        for item in self.items:
            ref = TaskRef(item.spec.name, None if item.spec.builtin else item.spec.name)
            # One mapping shared by the item's instances (none changes it): a backend that
            # sends each worker the item once (process-pool) tells them apart by it.
            params = {**item.params, **{k: fixtures[k] for k in item.spec.fixtures}}
            for index in range(item.count):
                out.append(TaskInstance(len(out), item.spec.name, index, ref, params,
                                        timeout_s=self.timeout_s))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"tasks": [{"name": i.spec.name, "params": dict(i.params), "count": i.count}
                          for i in self.items], "timeout_s": self.timeout_s}


class _Settings:
    """``--set`` values: ``key=value`` applies to every task that accepts ``key``;
    ``task.key=value`` to that one task only. ``used``: the keys some task took."""

    def __init__(self, raw: Mapping[str, str], task_names: Sequence[str]) -> None:
        self.raw = raw
        self.task_names = task_names
        self.used: set[str] = set()

    def _target(self, key: str) -> tuple[str | None, str]:
        scope, dot, short = key.rpartition(".")
        return (scope, short) if dot and scope in self.task_names else (None, key)

    def for_task(self, spec: TaskSpec, accepts: Sequence[str] | None) -> dict[str, Any]:
        picked: dict[str, Any] = {}
        for key, value in self.raw.items():
            scope, name = self._target(key)
            if scope not in (None, spec.name):
                continue
            if accepts is None or name in accepts:
                picked[name] = value if spec.builtin else parse_value(value)
                self.used.add(key)
        return picked


def setting_text(value: Any) -> str:
    """A parameter value as the text ``build_workload`` parses back to it (what ``--set``
    would carry): floats by ``repr`` so they round-trip exactly. Never split on commas: a
    value such as "a,b" reaches the task whole."""
    return repr(value) if isinstance(value, float) else str(value)


def parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    """``["n=1000", "primes.n=5"]`` → dict; a pair without ``=`` is refused."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ParamError(f"--set {pair!r}: expected key=value")
        out[key.strip()] = value.strip()
    return out


# The start of the next ``key=value`` pair: a comma only separates pairs when one follows, so a
# value may hold commas of its own ("a,b", [1, 2]) without quoting.
_NEXT_KEY = re.compile(r"\s*[A-Za-z_][\w.]*\s*=(?!=)")


def split_pairs(text: str) -> list[str]:
    """``"text=a,b, n=3"`` → ``["text=a,b", "n=3"]``: one line of pairs, as the window takes them.

    A comma splits only outside quotes and brackets and only before another ``key=``.
    """
    text = text.rstrip().rstrip(",")  # "a=1, b=2," is two pairs, not a tuple at the end
    pairs: list[str] = []
    start, depth, quote = 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0 and _NEXT_KEY.match(text, i + 1):
            pairs.append(text[start:i])
            start = i + 1
    pairs.append(text[start:])
    return [p.strip() for p in pairs if p.strip()]


def pairs_text(params: Mapping[str, Any]) -> str:
    """The inverse of ``split_pairs`` + ``parse_value``: parameters as one editable line."""
    def shown(value: Any) -> str:
        plain = (isinstance(value, str) and value == value.strip() and parse_value(value) == value
                 and split_pairs(f"k={value}") == [f"k={value}"])
        return value if plain else repr(value)
    return ", ".join(f"{k}={shown(v)}" for k, v in params.items())


def build_workload(names: Sequence[str], count: int | None = None,
                   settings: Mapping[str, str] = {}, timeout_s: float | None = None) -> Workload:
    """Validate everything the user gave and return the workload, or raise a one-line error.

    Args:
        names: built-in task names or custom ``module:function`` specs, in run order.
        count: instances per named task; ``None`` uses each task's default (8 built-in, 1 custom).
        settings: ``--set`` values, unparsed.
        timeout_s: optional per-task timeout.
    """
    if not names:
        raise ParamError("no task given (use --task NAME)")
    if count is not None and not 1 <= count <= MAX_INSTANCES:
        raise ParamError(f"task count {count} is out of range 1..{MAX_INSTANCES}")
    if timeout_s is not None and not 0 < timeout_s <= 86_400:
        raise ParamError(f"timeout {timeout_s} s is out of range (0, 86400]")
    sets = _Settings(settings, names)
    items = []
    for name in names:
        spec = get_task(name)
        if spec.builtin:
            accepts: list[str] | None = [p.name for p in spec.params]
            params = resolve_params(spec.params, sets.for_task(spec, accepts))
        else:
            params = sets.for_task(spec, accepted_names(spec.function))
            check_call(spec.name, spec.function, params)
        items.append(WorkItem(spec, params, count if count is not None else spec.default_count))
    unused = [k for k in settings if k not in sets.used]
    if unused:
        raise ParamError(f"--set {unused[0]}: no task in this workload takes that parameter")
    workload = Workload(tuple(items), timeout_s)
    if workload.n_tasks > MAX_INSTANCES:
        raise ParamError(f"{workload.n_tasks} task instances is above the limit {MAX_INSTANCES}")
    return workload
