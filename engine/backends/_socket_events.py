"""Live events from worker processes we did not start ourselves (loky's, for joblib).

Pools we create get a pipe at process start (``_child``). Workers started by another library
cannot inherit one, so the engine listens on a local socket instead — a Unix socket where the
platform has one, else 127.0.0.1 — and each worker process connects once, on its first task, and
keeps the connection. Events are one-way writes (no round trip), and one connection per process
keeps each worker's events in order, like the pipe.

    engine: EventListener ── accept ──► one connection per worker process ──► ctx callbacks
    worker: send(address, key, item) — connects lazily, cached for the life of the process

POSIX only as written (the reader waits on a self-pipe beside the connections).
"""

from __future__ import annotations

import os
import pickle
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener, wait
from typing import Any

from engine.records import TaskRecord, TaskStarted

_connections: dict[str, Connection] = {}  # worker side: address -> connection


def send(address: str, authkey: bytes, item: TaskStarted | TaskRecord) -> None:
    conn = _connections.get(address)
    if conn is None:
        family = "AF_UNIX" if not address.startswith("127.0.0.1:") else "AF_INET"
        target: Any = address if family == "AF_UNIX" else ("127.0.0.1",
                                                            int(address.split(":")[1]))
        conn = _connections[address] = Client(target, family=family, authkey=authkey)
    conn.send_bytes(pickle.dumps(item))


class EventListener:
    """Engine side: accepts worker connections and forwards their events until closed."""

    def __init__(self, on_started: Callable[[TaskStarted], None],
                 on_record: Callable[[TaskRecord], object]) -> None:
        self.authkey = secrets.token_bytes(16)
        self._tmpdir = None
        if sys.platform != "win32":
            self._tmpdir = tempfile.mkdtemp(prefix="corescope-ev-")
            self._listener = Listener(os.path.join(self._tmpdir, "s"), family="AF_UNIX",
                                      authkey=self.authkey)
            self.address = str(self._listener.address)
        else:
            self._listener = Listener(("127.0.0.1", 0), family="AF_INET", authkey=self.authkey)
            self.address = f"127.0.0.1:{self._listener.address[1]}"
        self._on_started, self._on_record = on_started, on_record
        self._conns: list[Connection] = []
        self._lock = threading.Lock()
        self._closing = False
        self._accepter = threading.Thread(target=self._accept, name="corescope-ev-accept",
                                          daemon=True)
        self._reader = threading.Thread(target=self._read, name="corescope-ev-read",
                                        daemon=True)
        self._wake_r, self._wake_w = os.pipe()
        self._accepter.start()
        self._reader.start()

    def _accept(self) -> None:
        while not self._closing:
            try:
                conn = self._listener.accept()
            except (OSError, EOFError):
                if self._closing:
                    return
                continue  # a bad handshake from something else: ignore it
            if self._closing:
                conn.close()
                return
            with self._lock:
                self._conns.append(conn)
            os.write(self._wake_w, b"x")  # let the reader wait on the new connection too

    def _read(self) -> None:
        while True:
            with self._lock:
                conns = list(self._conns)
            for ready in wait([*conns, self._wake_r]):
                if ready == self._wake_r:
                    os.read(self._wake_r, 64)
                    if self._closing:
                        return
                    continue
                assert isinstance(ready, Connection)
                try:
                    item = pickle.loads(ready.recv_bytes())
                except (EOFError, OSError):
                    with self._lock:
                        self._conns.remove(ready)
                    ready.close()
                    continue
                if isinstance(item, TaskStarted):
                    self._on_started(item)
                else:
                    self._on_record(item)

    def close(self, drain_s: float = 2.0) -> None:
        """Stop once the workers are gone: every connection read to its end (bounded wait)."""
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._conns:
                    break
            time.sleep(0.01)
        self._closing = True
        # accept() does not return when its socket is closed from another thread: connect once
        # to wake it.
        try:
            family = "AF_UNIX" if self._tmpdir is not None else "AF_INET"
            target: Any = self.address if family == "AF_UNIX" else ("127.0.0.1",
                                                                   self._listener.address[1])
            Client(target, family=family, authkey=self.authkey).close()
        except OSError:
            pass
        self._accepter.join(timeout=5)
        self._listener.close()
        os.write(self._wake_w, b"x")
        self._reader.join(timeout=5)
        for conn in self._conns:
            conn.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        if self._tmpdir is not None:
            import shutil

            shutil.rmtree(self._tmpdir, ignore_errors=True)
