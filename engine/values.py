"""``@frozen``: an immutable record class, like ``@dataclass(frozen=True)`` but cheap to define.

Why not dataclasses: every spawned worker imports the engine's records, its task instances and
the task specs before its first task, and that start is part of what CoreScope shows (issue 14:
"the start cost should be Python's, not CoreScope's"). Importing ``dataclasses`` pulls in
``inspect``, ``ast``, ``dis`` and ``tokenize`` (about 10 ms on this 2-core machine), and each
frozen dataclass then compiles six methods (another 0.7–1.5 ms a class): some 25 ms of a
spawned worker's start went there (``bench/bench_start.py``). ``@frozen`` compiles only
``__init__``; the other methods are shared functions that read the field names the decorator
stored on the class.

What a ``@frozen`` class has, as a frozen dataclass would: an ``__init__`` taking the annotated
fields in order (defaults allowed after the required ones), ``==`` and ``hash`` over the fields
(same class only), a readable ``repr``, ``__match_args__``, pickling and copying by its fields,
and attributes that cannot be set after ``__init__`` (``FrozenError``). ``replace(obj, **new)``
and ``fields(cls)`` stand in for their ``dataclasses`` namesakes. Mutable defaults are not
offered: a mapping field defaults to ``EMPTY``, an empty read-only mapping.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from operator import attrgetter

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    from typing_extensions import dataclass_transform

    V = TypeVar("V")
    T = TypeVar("T", bound=type)
else:
    def dataclass_transform(**_: object) -> object:
        return lambda decorator: decorator

__all__ = ["EMPTY", "FrozenError", "fields", "frozen", "replace"]


class _Empty(Mapping):  # type: ignore[type-arg]
    """The default for a mapping field: one shared, read-only, empty mapping that pickles as
    itself (a ``MappingProxyType`` would not pickle at all)."""

    __slots__ = ()

    def __getitem__(self, key: object) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "EMPTY"

    def __reduce__(self) -> str:
        return "EMPTY"  # pickle and copy: the module's one instance, by name


EMPTY: Mapping[Any, Any] = _Empty()


class FrozenError(AttributeError):
    """Setting or deleting an attribute of a ``@frozen`` instance."""


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return self.__frozen_key__(self) == self.__frozen_key__(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__frozen_key__(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__frozen_fields__)
    return f"{type(self).__qualname__}({shown})"


def _reduce(self: Any) -> tuple[type, tuple[Any, ...]]:
    return type(self), self.__frozen_key__(self)


def _frozen(self: Any, name: str, *_: object) -> None:
    raise FrozenError(f"cannot set {name!r}: {type(self).__name__} is immutable")


def _key(names: tuple[str, ...]) -> Any:
    """A C-speed function from an instance to the tuple of its fields' values."""
    if len(names) == 1:
        (one,) = names
        return lambda obj: (getattr(obj, one),)
    return attrgetter(*names) if names else (lambda obj: ())


def _init_source(names: tuple[str, ...], defaults: dict[str, object]) -> str:
    params = ", ".join(f"{n}=_default_{n}" if n in defaults else n for n in names)
    # One call that gives the instance its whole attribute dict, not one ``__setattr__`` per
    # field: a worker makes a record and a start per task, and each call there runs on caches
    # the task just emptied (docs/benchmarks.md, stop 26).
    fields = ", ".join(f"{n!r}: {n}" for n in names)
    return f"def __init__(self, {params}):\n    _set(self, '__dict__', {{{fields}}})\n"


@dataclass_transform(frozen_default=True)
def frozen(cls: T) -> T:
    """Make ``cls`` an immutable record of its annotated fields (see the module's docstring)."""
    names = tuple(n for n, kind in cls.__dict__.get("__annotations__", {}).items()
                  if not str(kind).startswith(("ClassVar", "typing.ClassVar")))
    defaults = {n: cls.__dict__[n] for n in names if n in cls.__dict__}
    seen_default = False
    for n in names:
        if n in defaults:
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__name__}: field {n!r} without a default follows one with")
    namespace: dict[str, Any] = {"_set": object.__setattr__}
    namespace.update((f"_default_{n}", d) for n, d in defaults.items())
    exec(_init_source(names, defaults), namespace)  # noqa: S102 — our own source, as dataclasses
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    members = {
        "__init__": init, "__eq__": _eq, "__hash__": _hash, "__repr__": _repr,
        "__reduce__": _reduce, "__setattr__": _frozen, "__delattr__": _frozen,
        "__match_args__": names, "__frozen_fields__": names,
        "__frozen_key__": staticmethod(_key(names)),
    }
    for name, member in members.items():
        if name not in cls.__dict__:  # a method the class wrote itself stays, as in dataclasses
            setattr(cls, name, member)
    return cls


def fields(cls_or_obj: Any) -> tuple[str, ...]:
    """The field names of a ``@frozen`` class or instance, in ``__init__`` order."""
    return cls_or_obj.__frozen_fields__  # type: ignore[no-any-return]


def replace(obj: V, **changes: Any) -> V:
    """A copy of ``obj`` with some fields changed, as ``dataclasses.replace`` makes."""
    names = fields(obj)
    unknown = set(changes).difference(names)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {', '.join(sorted(unknown))}")
    return type(obj)(**{n: changes[n] if n in changes else getattr(obj, n) for n in names})
