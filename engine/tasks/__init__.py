"""Demo workloads and custom tasks.

``spec`` (what a task is), ``registry`` (the built-ins by name), ``custom`` (your own
``module:function``), ``params`` (typed parameters), ``context`` (the cancel/timeout checkpoint),
``builtin`` (the demo functions), ``exit_guard`` (custom code that calls ``os._exit``).
"""

from engine.tasks.context import TaskCancelled, TaskTimedOut, checkpoint
from engine.tasks.custom import TaskLoadError, custom_task_spec, looks_custom
from engine.tasks.params import ParamError, ParamSpec
from engine.tasks.registry import BUILTIN_TASKS
from engine.tasks.spec import TaskKind, TaskRef, TaskSpec


class UnknownTaskError(ValueError):
    """A task name that is neither built in nor a ``module:function`` spec."""


def get_task(name: str) -> TaskSpec:
    """The spec for a built-in name or a custom ``module:function`` / ``file.py:function``."""
    if name in BUILTIN_TASKS:
        return BUILTIN_TASKS[name]
    if looks_custom(name):
        return custom_task_spec(name)
    raise UnknownTaskError(
        f"unknown task {name!r} (valid: {', '.join(BUILTIN_TASKS)}, or module:function)"
    )


__all__ = [
    "BUILTIN_TASKS", "ParamError", "ParamSpec", "TaskCancelled", "TaskKind", "TaskLoadError",
    "TaskRef", "TaskSpec", "TaskTimedOut", "UnknownTaskError", "checkpoint", "get_task",
]
