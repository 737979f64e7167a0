"""Session files: a run, a comparison or a sweep saved as JSON, reopened without re-running.

The format is the ``--json`` document (``engine.files.export``) with ``"app": "corescope"``, a
schema version and a kind. Loading is strict and never executes anything: the file is parsed as JSON
and every field is checked, so a corrupt, truncated, foreign or newer file is refused with one
line that names the file and the field, and nothing half-loaded reaches a view.

    path ──► _read: a regular file, under MAX_BYTES, UTF-8 ──► parse: JSON ──► _session:
    every field typed and bounded (engine.files.session_fields) ──► Session ──► the views

Every number is bounded to what a real run can produce (``engine.files.session_fields`` names the
limits): the views hand these numbers to pyqtgraph and numpy, where a time of -1e308 crashed
the window outright and a sample claiming a million cores asked for a 134 GB array.

A backend name this install does not know is accepted: a file from a newer CoreScope with a new
backend still opens (``RunResult.backend_known`` is False), and ``engine.figures.explain`` says
so and explains it from what it recorded. Each run records how its backend ran its workers
(``uses_processes``, ``worker_per_task``); in a file written before those were recorded they
come from this install's backend of that name, if it has one.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.figures.result import RunResult
from engine.files.export import SCHEMA_VERSION, check_writable, document, write_json
from engine.files.session_fields import (
    MAX_COMPARED,
    MAX_RUNS,
    check_extra,
    read_machine,
    read_run,
)
from engine.files.session_reader import Reader, SessionError
from engine.records import MachineInfo

__all__ = ["KINDS", "MAX_BYTES", "Session", "SessionError", "load", "parse", "save"]

KINDS = ("run", "compare", "sweep")
# The largest session CoreScope writes is a comparison of every backend at the task limit
# (10 runs × 100,000 tasks × ~500 bytes); anything larger is not one of ours.
MAX_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Session:
    kind: str
    machine: MachineInfo
    runs: tuple[RunResult, ...]
    extra: dict[str, Any]


def save(path: str, results: Sequence[RunResult], kind: str = "run",
         extra: dict[str, Any] | None = None, overwrite: bool = False) -> None:
    """Write a session. Refuses to replace an existing file unless ``overwrite`` is given."""
    if kind not in KINDS:
        raise ValueError(f"unknown session kind {kind!r}")
    if not results:
        raise ValueError("nothing to save: no runs")
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} already exists (choose another name or overwrite)")
    check_writable(path)
    write_json(path, document(results, results[0].machine, kind, extra))


def parse(text: str, name: str = "file") -> Session:
    """A session from its JSON text; ``name`` is the file's name for messages.

    Raises:
        SessionError: one line naming the file and, where there is one, the field.
    """
    if not text.strip():
        raise SessionError(f"{name} is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # A string left open runs to the end of the file as well: the error points at its start.
        cut = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        hint = " (the file looks truncated)" if cut else ""
        raise SessionError(f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}{hint}") from None
    except RecursionError:  # "[" * 100_000: no session nests more than a few levels
        raise SessionError(f"{name} is not a CoreScope session (nested too deeply)") from None
    except ValueError as exc:  # a 5,000-digit number
        raise SessionError(f"{name} is not a CoreScope session ({str(exc)[:80]})") from None
    try:
        return _session(data, name)
    except SessionError as exc:
        raise SessionError(_one_line(str(exc))) from None
    except (TypeError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
        # The field checks name a problem precisely; this is the net under them, so a damaged
        # file is a message, never a traceback.
        raise SessionError(f"{name} is damaged ({type(exc).__name__}: "
                           f"{_one_line(str(exc))[:80]})") from None


def _one_line(text: str) -> str:
    # Field values quoted in a message (a backend name, a host) may carry newlines.
    return " ".join(text.split())


def _session(data: Any, name: str) -> Session:
    if not isinstance(data, dict) or data.get("app") != "corescope" and "runs" not in data:
        raise SessionError(f"{name} is not a CoreScope session (no 'app': 'corescope')")
    top = Reader(name, data)
    schema = top.integer("schema", -(2**31), 2**31)
    if schema > SCHEMA_VERSION:
        raise SessionError(f"{name} was written by a newer CoreScope (schema {schema}; this "
                           f"version reads up to {SCHEMA_VERSION})")
    if schema < 1:
        raise SessionError(f"{name}: schema {schema} is not a valid version")
    kind = top.maybe_text("kind", 20) or "run"
    if kind not in KINDS:
        raise SessionError(f"{name}: unknown session kind {kind!r}")
    machine = read_machine(Reader(f"{name}, machine", top.obj("machine")))
    runs = top.items("runs", MAX_COMPARED if kind == "compare" else MAX_RUNS)
    if not runs:
        raise SessionError(f"{name} holds no runs")
    known = {"app", "schema", "kind", "machine", "runs"}
    extra = {k: v for k, v in data.items() if k not in known}
    check_extra(name, extra)
    return Session(kind, machine,
                   tuple(read_run(f"{name}, run {i + 1}", r, machine)
                         for i, r in enumerate(runs)), extra)


def _read(path: str) -> bytes:
    """The bytes of a regular file under ``MAX_BYTES``; anything else is a SessionError.

    A device (``/dev/zero`` never ends), a FIFO (blocks until a writer comes) or a folder is
    refused before reading, and the read itself is bounded in case the file grows meanwhile.
    """
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise SessionError(f"{path} is a folder, not a session file")
        if not stat.S_ISREG(info.st_mode):
            raise SessionError(f"{path} is not a regular file (a device, pipe or socket)")
        if info.st_size > MAX_BYTES:
            raise SessionError(f"{path} is {info.st_size // 2**20} MB, larger than any session "
                               f"CoreScope writes ({MAX_BYTES // 2**20} MB)")
        # Non-blocking: if the path became a FIFO since the stat, open returns at once rather
        # than waiting for a writer; the fstat below then refuses it.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        with os.fdopen(os.open(path, flags), "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise SessionError(f"{path} is not a regular file (a device, pipe or socket)")
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SessionError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise SessionError(f"{path} is larger than any session CoreScope writes "
                           f"({MAX_BYTES // 2**20} MB)")
    return data


def load(path: str) -> Session:
    """Open a session file; every problem is a ``SessionError`` with one line."""
    data = _read(path)
    try:
        text = data.decode("utf-8-sig")  # a BOM from an editor is harmless
    except UnicodeDecodeError as exc:
        raise SessionError(f"{path} is not a text file (byte {exc.start} is not UTF-8)") from None
    return parse(text, os.path.basename(path) or path)
