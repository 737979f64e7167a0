"""Every backend by name. Adding one = a new module in this package + one line below."""

from __future__ import annotations

from engine.backends.asyncio_loop import AsyncioBackend
from engine.backends.base import Backend
from engine.backends.dask_cluster import DaskBackend
from engine.backends.interpreters import InterpreterPoolBackend
from engine.backends.joblib_loky import JoblibBackend
from engine.backends.mp_pool import MpPoolBackend
from engine.backends.process_pool import ProcessPoolBackend
from engine.backends.processes import ProcessPerTaskBackend
from engine.backends.sequential import SequentialBackend
from engine.backends.thread_pool import ThreadPoolBackend
from engine.backends.threads import ThreadPerTaskBackend

BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls
    for cls in (
        SequentialBackend,
        ThreadPerTaskBackend,
        ProcessPerTaskBackend,
        ThreadPoolBackend,
        ProcessPoolBackend,
        MpPoolBackend,
        AsyncioBackend,
        InterpreterPoolBackend,
        DaskBackend,
        JoblibBackend,
    )
}


class UnknownBackendError(ValueError):
    """A backend name that is not registered; the message lists the valid ones."""


def get_backend(name: str) -> type[Backend]:
    """The backend class for ``name``; an unknown name lists the valid ones."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise UnknownBackendError(
            f"unknown backend {name!r} (valid: {', '.join(BACKENDS)})"
        ) from None


def available_backends() -> list[str]:
    """The registered backends that can run here (interpreters needs Python 3.14, say)."""
    return [name for name, cls in BACKENDS.items() if cls.availability().ok]
