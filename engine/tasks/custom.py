"""Custom tasks: the user's own ``module:function`` or ``path/to/file.py:function``.

Custom code runs only when the user names it. Loading is checked up front (the module imports,
the name exists and is callable, the given parameters fit its signature) so a typo is reported
before any worker starts, in one line, instead of as a traceback from inside a pool.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Mapping

from engine.describe import exception_message, type_name
from engine.tasks.exit_guard import custom_code
from engine.tasks.params import ParamError
from engine.tasks.spec import TaskFunction, TaskKind, TaskSpec

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class TaskLoadError(ValueError):
    """A custom task spec that cannot be used; the message is one line meant for the user."""


def looks_custom(name: str) -> bool:
    return ":" in name


def _split(spec: str) -> tuple[str, str]:
    target, sep, func_name = spec.rpartition(":")
    if not sep or not target or not func_name.isidentifier():
        raise TaskLoadError(
            f"custom task {spec!r} must look like module:function or path/to/file.py:function"
        )
    return target, func_name


_loaded: dict[str, TaskFunction] = {}


def _import_file(path: str) -> Any:
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise TaskLoadError(f"custom task file {path!r} does not exist")
    # A stable, unique module name per file so two files named tasks.py do not collide and the
    # same file loads once per process. crc32, not hashlib: a spawned worker that loads a file
    # task would otherwise import hashlib (~3 ms) for a name.
    import zlib

    digest = f"{zlib.crc32(full.encode()):08x}"
    mod_name = f"corescope_custom_{os.path.splitext(os.path.basename(full))[0]}_{digest}"
    if mod_name in sys.modules:
        return sys.modules[mod_name]
    spec = importlib.util.spec_from_file_location(mod_name, full)
    if spec is None or spec.loader is None:
        raise TaskLoadError(f"custom task file {path!r} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[mod_name]
        raise
    return module


def load_function(spec: str) -> TaskFunction:
    """Import ``spec`` and return its function (cached per process)."""
    if spec in _loaded:
        return _loaded[spec]
    target, func_name = _split(spec)
    try:
        with custom_code(f"while importing {target} (custom task {spec})"):
            if target.endswith(".py") or os.sep in target or "/" in target:
                module = _import_file(target)
            else:
                module = importlib.import_module(target)
            func = getattr(module, func_name, None)  # a module __getattr__ is user code too
    except TaskLoadError:
        raise
    except BaseException as exc:  # SystemExit or KeyboardInterrupt in user code included
        raise TaskLoadError(
            f"custom task {spec!r} failed to import: {type_name(exc)}: "
            f"{exception_message(exc)}".rstrip(": ")
        ) from None
    if func is None:
        raise TaskLoadError(f"custom task {spec!r}: {target!r} has no attribute {func_name!r}")
    if not callable(func):
        raise TaskLoadError(f"custom task {spec!r}: {func_name!r} is not callable")
    _loaded[spec] = func
    return func  # type: ignore[no-any-return]


def parse_value(text: str) -> Any:
    """A ``--set`` value for a custom task: a Python literal if it is one, else the string."""
    import ast  # here, not at the top: workers never parse values, and ast costs them ~2 ms

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def accepted_names(func: TaskFunction) -> list[str] | None:
    """Keyword names ``func`` takes, or None when it takes ``**kwargs`` or has no signature."""
    import inspect  # ~10 ms; workers never need it

    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return [p.name for p in params if p.kind is not inspect.Parameter.POSITIONAL_ONLY]


def check_call(spec: str, func: TaskFunction, params: Mapping[str, Any]) -> None:
    """Refuse parameters that do not fit the function's signature."""
    import inspect

    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return  # builtins without a signature: let the call decide
    try:
        sig.bind(**params)
    except TypeError as exc:
        raise ParamError(f"custom task {spec!r}: {exc}") from None


def async_generator_refusal(spec: str) -> str:
    return (f"custom task {spec!r} is an async generator (async def with yield), which has no "
            "single end to wait for; make the task an async def that consumes it")


def custom_task_spec(spec: str) -> TaskSpec:
    """Load and check ``spec``. Coroutine functions get a coroutine form (the asyncio backend
    awaits them on its loop; other backends run them with ``asyncio.run`` in the worker).
    Generator functions are drained by the worker (see ``engine.worker``); async generators
    are refused here, before anything starts."""
    import inspect

    func = load_function(spec)
    if inspect.isasyncgenfunction(func):
        raise TaskLoadError(async_generator_refusal(spec))
    doc = (inspect.getdoc(func) or "").strip().splitlines()
    return TaskSpec(
        name=spec,
        kind=TaskKind.CUSTOM,
        description=doc[0] if doc else f"your function {spec}",
        function=func,
        coroutine=func if inspect.iscoroutinefunction(func) else None,
        builtin=False,
        default_count=1,
    )
