"""Getting to a Dask cluster reached by address: its scheduler within a bound, CoreScope's code
onto its workers.

    run thread                           scheduler                    each worker
    reach_scheduler ── identity? ──────► (answers in ms)
      (own event loop; 10 s, or cancel)
    Client(address)
    ship: register_plugin(UploadFile) ─► keeps the plugin ──────────► writes the engine zip into
      engine zip, the tasks' .py files     (for workers joining        its own scratch directory
                                           later too)                  and puts it on sys.path
    … the run …
    unship: unregister the plugins ────► forgets them                 (keeps what it imported)

Nothing of CoreScope needs installing on the cluster: the functions the scheduler and nannies
unpickle travel by value (``engine.backends.dask_remote``); the code a task runs is the zip.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import socket
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from typing import Any

import engine
from engine import describe
from engine.describe import exception_message, type_name
from engine.workload import TaskInstance

log = logging.getLogger(__name__)


def one_line(exc: BaseException, limit: int = 200) -> str:
    """``Type: message`` on one line, at most ``limit`` characters (never raises: the
    exception may carry a user's object, and ``describe`` reads it guardedly)."""
    message = exception_message(exc)
    return describe.one_line(f"{type_name(exc)}: {message}" if message else type_name(exc),
                             limit)


def unreachable(address: str, timeout_s: float, why: str) -> str:
    return f"could not reach the Dask scheduler at {address} within {timeout_s:g} s: {why}"


def reach_scheduler(address: str, cancel: threading.Event, timeout_s: float) -> str | None:
    """Ask whatever listens at ``address`` who it is, within ``timeout_s`` or until ``cancel``.

    distributed's ``connect`` retries a refused connection within its timeout, but then waits
    for the peer's handshake with no limit: a port that accepts and never speaks holds
    ``Client()`` for ever, and nothing reaches it to cancel it. This question runs on an event
    loop of its own, in the calling thread, and is dropped at the deadline or on cancel (it
    polls every 50 ms); the caller makes its Client only once a scheduler answered.

    Returns None when a scheduler answered, "" when cancelled, else one line saying why not.
    """
    import asyncio

    from distributed.comm.core import CommClosedError, connect
    from distributed.security import Security

    # TLS settings from the Dask config, as Client() would use them.
    tls_args = Security().get_connection_args("client")  # type: ignore[no-untyped-call]

    async def identity() -> Any:
        # A shorter limit for the connection itself, so that a refused port is reported as
        # refused rather than as the outer deadline.
        comm = await connect(address, timeout=0.8 * timeout_s,  # type: ignore[no-untyped-call]
                             **tls_args)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def race() -> str | None:
        asking = asyncio.ensure_future(identity())
        deadline = time.monotonic() + timeout_s
        while not asking.done() and not cancel.is_set() and time.monotonic() < deadline:
            await asyncio.wait({asking}, timeout=0.05)
        if cancel.is_set() or not asking.done():
            asking.cancel()
            await asyncio.gather(asking, return_exceptions=True)
            return "" if cancel.is_set() else (
                "something accepted the connection but never answered as a Dask scheduler "
                "does (is this the scheduler's port?)")
        exc = asking.exception()
        if exc is None:
            answer = asking.result()
            kind = answer.get("type") if isinstance(answer, dict) else None
            return None if kind == "Scheduler" else f"it is a Dask {kind}, not the scheduler"
        chain = [exc]  # connect wraps the last attempt's error (which wraps the OS's)
        while chain[-1].__cause__ is not None and len(chain) < 10:
            chain.append(chain[-1].__cause__)
        for err in chain:
            if isinstance(err, ConnectionRefusedError):
                return "connection refused (is the scheduler running, and on this port?)"
            if isinstance(err, socket.gaierror):
                return f"the host name is unknown ({err.strerror or err})"
        if isinstance(exc, CommClosedError):  # raised by the handshake itself
            return ("the other side closed the connection without a Dask handshake (is this "
                    "the scheduler's port? an HTTP server, such as the dashboard, does this)")
        # The deepest error that says something (a timeout's cancellation says nothing).
        told = [e for e in chain if str(e) and not isinstance(e, asyncio.CancelledError)]
        return one_line(told[-1] if told else exc)

    why = asyncio.run(race())
    return unreachable(address, timeout_s, why) if why else why


@functools.lru_cache(maxsize=1)
def engine_zip() -> tuple[str, bytes]:
    """CoreScope's ``engine`` package (its .py files, no caches) as a zip named by its content,
    so that a worker can tell which engine it holds."""
    package = os.path.dirname(os.path.abspath(engine.__file__))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for folder, dirs, files in os.walk(package):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(f for f in files if f.endswith(".py")):
                path = os.path.join(folder, name)
                arcname = os.path.relpath(path, os.path.dirname(package)).replace(os.sep, "/")
                with open(path, "rb") as f:  # a fixed date: the same files make the same zip
                    z.writestr(zipfile.ZipInfo(arcname, (1980, 1, 1, 0, 0, 0)), f.read(),
                               zipfile.ZIP_DEFLATED)
    data = buf.getvalue()
    return f"corescope-engine-{hashlib.sha256(data).hexdigest()[:12]}.zip", data


def task_file(inst: TaskInstance) -> str | None:
    """The file part of a ``path/to/file.py:function`` task, as written (by the rule that
    ``engine.tasks.custom.load_function`` follows); None for every other task."""
    if inst.ref.custom is None:
        return None
    target = inst.ref.custom.rpartition(":")[0]
    return target if target.endswith(".py") or os.sep in target or "/" in target else None


@dataclass(frozen=True)
class Shipment:
    """What a run sent to the workers of a cluster reached by address."""

    zip_name: str
    files: dict[str, str]  # a task's file as written -> its name in each worker's directory


def ship(client: Any, tasks: list[TaskInstance], registered: list[str]) -> Shipment:
    """Send the engine and the tasks' files to every worker, present and joining later.

    Each goes as an UploadFile plugin: a worker writes it into its own scratch directory; the
    engine zip is also put first on its sys.path. A task's file is not imported until the
    task runs, so its errors are the task's. Appends the name of each plugin registered to
    ``registered``, also when a later one fails: the caller unregisters them.
    """
    from distributed.diagnostics.plugin import UploadFile

    zip_name, zip_data = engine_zip()
    uploads = {zip_name: (zip_data, True)}
    files: dict[str, str] = {}
    for inst in tasks:
        target = task_file(inst)
        if target is None or target in files:
            continue
        with open(os.path.abspath(target), "rb") as f:
            source = f.read()
        digest = hashlib.sha256(source).hexdigest()[:12]
        files[target] = f"corescope_task_{digest}_{os.path.basename(target)}"
        uploads[files[target]] = (source, False)
    with tempfile.TemporaryDirectory(prefix="corescope-dask-") as folder:
        for name, (data, load) in uploads.items():
            path = os.path.join(folder, name)
            with open(path, "wb") as f:
                f.write(data)
            plugin = UploadFile(path, load=load)  # reads the file now
            client.register_plugin(plugin, name=f"corescope-{name}")
            registered.append(f"corescope-{name}")
    return Shipment(zip_name, files)


def unship(client: Any, registered: list[str]) -> None:
    """Unregister the run's plugins, so that workers joining later get nothing of CoreScope.
    What the workers hold stays until they exit (the files in their own scratch directories,
    which distributed removes then, and the code they imported)."""
    for name in registered:
        if client.status != "running":
            return
        try:
            client.unregister_worker_plugin(name)
        except Exception:  # noqa: BLE001 — a worker that left meanwhile: nothing to undo there
            log.debug("could not unregister %s", name, exc_info=True)
