"""Live events from worker processes to the engine: one connection per worker process.

    engine process                                   worker processes (ours, loky's, …)
    ┌──────────────────────────────────┐            ┌────────────────────────────────┐
    │ EventListener                    │  connect   │ EventSink.put(TaskStarted)     │
    │   accept thread ◄────────────────┼────────────┼─ (once per process, at start)  │
    │   read thread: select(conns) ◄──┼─ own conn ─┼─ run_task(inst)                │
    │     ├► on_started(event)         │            │ EventSink.put(TaskRecord)      │
    │     └► on_record(record)         │  own conn  │                                │
    │                                  │ ◄──────────┼─ (another worker)              │
    └──────────────────────────────────┘            └────────────────────────────────┘

Why one connection per worker, not one queue for all: a ``multiprocessing`` queue shared by
every worker has a write lock in shared memory, and a worker killed while writing (by a cancel,
a timeout or a crash) dies holding it. Whoever writes next then waits for ever — the engine
included, which used to write the pump's closing sentinel into that queue (a Stop that hung
about once in a hundred). Here a killed worker only ends its own connection: the reader sees
end-of-file (also mid-message) and drops it, and nothing the engine waits on can be held by a
worker. The engine never writes to a worker's connection at all.

Each event is one synchronous write (a few µs, no round trip), so a worker that dies right
after sending ("started", then the ``crash`` task) has already delivered it; and one connection
per process keeps that worker's events in order: its "finished" always arrives before its next
"started". Workers connect when they start (the pools' initializer), or on their first event.
Events travel as tuples of built-ins (``engine.wire``), a third of a pickled dataclass's cost.

The socket is a Unix socket in a temp dir named by the engine's pid (``corescope-ev-PID-…``),
so a killed app's dirs can be told apart and swept at the next start; 127.0.0.1 where there is
no Unix socket. POSIX only as written (the reader waits on a self-pipe beside the connections).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

from engine import wire
from engine.records import TaskRecord, TaskStarted

# Every worker process imports this module (for ``EventSink``), so what only the engine's side
# uses is imported where it is used: ``secrets`` (the authkey), ``selectors`` (the reader) and
# ``logging`` (a failing consumer) would add several ms to each spawned worker's start.

#: After a wake-up the reader waits this long before reading, so that events arriving together
#: (two workers finishing 1 ms tasks) are read in one pass rather than one wake-up each: on 2
#: cores every wake-up of the engine is taken from a worker. 2 ms is far below what anyone sees
#: (the window draws at most every 33 ms) and keeps each worker's events in order.
BATCH_S = 0.002

_connections: dict[str, Connection] = {}  # worker side: address -> connection
TEMP_PREFIX = "corescope-ev-"


def _connect(address: str, authkey: bytes) -> Connection:
    conn = _connections.get(address)
    if conn is None:
        family = "AF_UNIX" if not address.startswith("127.0.0.1:") else "AF_INET"
        target: Any = address if family == "AF_UNIX" else ("127.0.0.1",
                                                            int(address.split(":")[1]))
        conn = _connections[address] = Client(target, family=family, authkey=authkey)
    return conn


def send(address: str, authkey: bytes, item: TaskStarted | TaskRecord) -> None:
    _connect(address, authkey).send_bytes(wire.encode(item))


@dataclass(frozen=True)
class EventSink:
    """The worker's end: where to send events (picklable; handed to every worker)."""

    address: str
    authkey: bytes

    def connect(self) -> None:
        """Connect now rather than on the first event, so a task's start is not delayed."""
        _connect(self.address, self.authkey)

    def put(self, item: TaskStarted | TaskRecord) -> None:
        send(self.address, self.authkey, item)


class EventListener:
    """Engine side: accepts worker connections and forwards their events until closed."""

    def __init__(self, on_started: Callable[[TaskStarted], None],
                 on_record: Callable[[TaskRecord], object]) -> None:
        import secrets

        self.authkey = secrets.token_bytes(16)
        self._tmpdir = None
        if sys.platform != "win32":
            self._tmpdir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
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

    @property
    def sink(self) -> EventSink:
        return EventSink(self.address, self.authkey)

    def _accept(self) -> None:
        while not self._closing:
            try:
                conn = self._listener.accept()
            except Exception:  # noqa: BLE001 — EOF, OSError, AuthenticationError: a worker
                # killed mid-handshake, or something else knocking; either way not an event
                if self._closing:
                    return
                continue
            if self._closing:
                conn.close()
                return
            with self._lock:
                self._conns.append(conn)
            os.write(self._wake_w, b"x")  # let the reader wait on the new connection too

    def _read(self) -> None:
        # One selector for the listener's life, not ``multiprocessing.connection.wait``: that
        # builds and fills a new selector on every call (most of the ~110 µs an event profiled).
        import selectors

        with selectors.DefaultSelector() as sel:
            sel.register(self._wake_r, selectors.EVENT_READ, None)
            watched: set[Connection] = set()
            while True:
                with self._lock:
                    for conn in self._conns:
                        if conn not in watched:
                            sel.register(conn, selectors.EVENT_READ, conn)
                            watched.add(conn)
                ready = sel.select()
                if BATCH_S:
                    time.sleep(BATCH_S)
                for key, _ in ready:
                    if key.data is None:  # the self-pipe
                        os.read(self._wake_r, 64)
                        if self._closing:
                            return
                        continue
                    conn = key.data  # the Connection, as registered
                    if not self._read_from(conn):  # that worker is gone
                        sel.unregister(conn)  # before close: a closed one has no fileno
                        watched.discard(conn)
                        with self._lock:
                            self._conns.remove(conn)
                        conn.close()

    def _read_from(self, conn: Connection) -> bool:
        """Read and deliver what ``conn`` has now; False once it has ended."""
        while True:
            try:
                item = wire.decode(conn.recv_bytes())
            except Exception:  # noqa: BLE001 — end of file, or a message cut short by a
                return False  # killed writer: that worker is gone, its connection with it
            try:
                if isinstance(item, TaskStarted):
                    self._on_started(item)
                else:
                    self._on_record(item)
            except Exception:  # noqa: BLE001 — a faulty consumer must not stop the events
                import logging

                logging.getLogger(__name__).exception("event consumer failed")
            try:
                if not conn.poll():  # the rest of a batch is already in the socket buffer
                    return True
            except OSError:
                continue  # the next recv_bytes sees the end and drops the connection

    def close(self, drain_s: float = 2.0) -> str | None:
        """Stop once the workers are gone: every connection read to its end (bounded wait).

        Returns a one-line problem if a thread of the listener did not stop in time (it is a
        daemon and holds nothing the run needs), else None. Never blocks longer than about
        ``drain_s`` + 10 s, whatever state a dead worker left its connection in.
        """
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._conns:
                    break
            time.sleep(0.01)
        self._closing = True
        # accept() does not return when its socket is closed from another thread: knock once
        # with a bare connection. Not a Client(): its handshake would wait for ever for an
        # accepter that has just seen ``_closing`` and gone.
        import socket

        try:
            if self._tmpdir is not None:
                with socket.socket(socket.AF_UNIX) as knock:
                    knock.settimeout(1)
                    knock.connect(self.address)
            else:
                with socket.create_connection(("127.0.0.1", self._listener.address[1]), 1):
                    pass
        except OSError:
            pass
        self._accepter.join(timeout=5)
        self._listener.close()
        os.write(self._wake_w, b"x")
        self._reader.join(timeout=5)
        stuck = [t.name for t in (self._accepter, self._reader) if t.is_alive()]
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        if not self._reader.is_alive():  # else it may still wait on them
            os.close(self._wake_r)
            os.close(self._wake_w)
        if self._tmpdir is not None:
            import shutil

            shutil.rmtree(self._tmpdir, ignore_errors=True)
        if stuck:
            return f"the event listener's {' and '.join(stuck)} did not stop within 5 s"
        return None
