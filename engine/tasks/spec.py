"""What a task is, apart from where tasks come from: ``TaskSpec``, ``TaskKind``, ``TaskRef``.

Its own module so that the registry of built-ins (``registry``) and the loader of custom
functions (``custom``) can both build specs without importing each other.
"""

from __future__ import annotations

from engine.tasks.params import ParamSpec
from engine.values import frozen

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker): the
# aliases are for the type checker only and are plain strings when the code runs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any, TypeAlias

TaskFunction: TypeAlias = "Callable[..., Any]"
CoroutineFunction: TypeAlias = "Callable[..., Coroutine[Any, Any, Any]]"


class TaskKind:
    CPU = "cpu (holds the GIL)"
    C_CODE = "cpu (C code, releases the GIL)"
    WAIT = "i/o wait"
    FILE_IO = "file i/o"
    NET_IO = "socket i/o"
    MIXED = "cpu + wait"
    MEMORY = "memory (holds a table)"
    FAULT = "fault demo"
    CUSTOM = "custom"


@frozen
class TaskSpec:
    """One kind of task the user can pick."""

    name: str
    kind: str
    description: str
    function: TaskFunction
    params: tuple[ParamSpec, ...] = ()
    coroutine: CoroutineFunction | None = None  # native asyncio form, if the task has one
    fixtures: tuple[str, ...] = ()  # run-level resources injected as parameters ("root", "url")
    process_only: bool = False  # would take the app down with it in-process
    builtin: bool = True
    default_count: int = 8

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "params": [p.as_dict() for p in self.params],
            "has_coroutine": self.coroutine is not None,
            "process_only": self.process_only,
            "default_count": self.default_count,
        }


@frozen
class TaskRef:
    """How a worker finds a task's code: a built-in name, or a custom spec string."""

    name: str
    custom: str | None = None  # "module:function" or "path/to/file.py:function"
