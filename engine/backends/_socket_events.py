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
Events travel as tuples of built-ins (``engine.wire``), a third of a pickled record's cost.
A backend may also have its workers post their starts on "start boards", pages of shared memory
it reads when it likes, which wake no one (``engine.backends._start_boards``; ``process-pool``
does).

The socket is a Unix socket in a temp dir named by the engine's pid (``corescope-ev-PID-…``),
so a killed app's dirs can be told apart and swept at the next start; 127.0.0.1 where there is
no Unix socket. POSIX only as written (the reader waits on a self-pipe beside the connections).
"""

from __future__ import annotations

import os
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Client, Connection, Listener

from engine import wire
from engine.backends._start_boards import Boards, board_of, post
from engine.records import TaskRecord, TaskStarted
from engine.values import frozen

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Every worker process imports this module (for ``EventSink``), so what only the engine's side
# uses is imported where it is used: ``secrets`` (the authkey), ``selectors`` (the reader) and
# ``logging`` (a failing consumer) would add several ms to each spawned worker's start.

#: After a wake-up the reader waits this long before reading, so that events arriving together
#: (two workers finishing 1 ms tasks) are read in one pass rather than one wake-up each: on 2
#: cores every wake-up of the engine is taken from a worker, and a wake costs more than the
#: events it reads (a sleep ~30 µs of CPU here, against ~12 µs to decode an event). Measured on
#: 2,000 × 1 ms tasks (4,000 events, process-pool, 2 workers), the reader's own CPU: 0.10–0.12 s
#: at 2 ms, 0.05–0.06 s at 10 ms, 0.04–0.05 s at 20 ms. 10 ms (at most 100 wakes a second) is
#: still far below what anyone sees: the window draws every 33 ms. Each worker's events stay
#: in order whatever the pause.
BATCH_S = 0.010

_connections: dict[str, Connection] = {}  # worker side: address -> connection
TEMP_PREFIX = "corescope-ev-"
_LEN, _BIG = struct.Struct("!i"), struct.Struct("!Q")  # multiprocessing's framing


def _connect(address: str, authkey: bytes | None) -> Connection:
    conn = _connections.get(address)
    if conn is None:
        family = "AF_UNIX" if not address.startswith("127.0.0.1:") else "AF_INET"
        target: Any = address if family == "AF_UNIX" else ("127.0.0.1",
                                                            int(address.split(":")[1]))
        conn = _connections[address] = Client(target, family=family, authkey=authkey)
    return conn


def send(address: str, authkey: bytes | None, item: TaskStarted | TaskRecord) -> None:
    _connect(address, authkey).send_bytes(wire.encode(item))


@frozen
class EventSink:
    """The worker's end: where to send events (picklable; handed to every worker)."""

    address: str
    authkey: bytes | None  # None on a Unix socket: its folder is the access control
    boards: str | None = None  # where starts are posted (``_start_boards``); None: sent

    def connect(self) -> None:
        """Connect now rather than on the first event, and make the calling thread's board,
        so that neither delays (or lengthens) its first task."""
        _connect(self.address, self.authkey)
        if self.boards is not None:
            board_of(self.boards)

    def put(self, item: TaskStarted | TaskRecord) -> None:
        if self.boards is not None and type(item) is TaskStarted and post(self.boards, item):
            return
        send(self.address, self.authkey, item)


class _Frames:
    """The messages in one worker's byte stream, as ``Connection.send_bytes`` framed them.

    A frame is a 4-byte big-endian signed length and that many bytes; a length of -1 is
    followed by an 8-byte one (messages over 2 GiB; never ours, read anyway). What ends
    mid-frame is kept for the next read, and dropped at end-of-file: a worker killed while
    writing leaves a message cut short, which was never an event.
    """

    _READ = 1 << 16

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._buf = bytearray()

    def read(self) -> tuple[list[bytes], bool]:
        """The whole frames now readable, and False once the stream has ended.

        Raises ``BlockingIOError`` when nothing was waiting (the fd is non-blocking).
        """
        alive, got = True, False
        while True:
            try:
                chunk = os.read(self.conn.fileno(), self._READ)
            except BlockingIOError:
                if not got:
                    raise
                break
            except OSError:  # reset by a killed peer: as good as end-of-file
                chunk = b""
            if not chunk:
                alive = False
                break
            got = True
            self._buf += chunk
            if len(chunk) < self._READ:
                break  # the socket is drained; a further read would only say so
        return self._split(), alive

    def _split(self) -> list[bytes]:
        buf, out, at = self._buf, [], 0
        while True:
            head = 4
            if len(buf) - at < head:
                break
            (size,) = _LEN.unpack_from(buf, at)
            if size == -1:
                head = 12
                if len(buf) - at < head:
                    break
                (size,) = _BIG.unpack_from(buf, at + 4)
            if len(buf) - at < head + size:
                break
            out.append(bytes(buf[at + head:at + head + size]))
            at += head + size
        del buf[:at]
        return out


def _consume(callback: Callable[..., object], *event: object) -> None:
    """Pass an event on; a faulty consumer is logged and must not stop the events."""
    try:
        callback(*event)
    except Exception:  # noqa: BLE001 — see the docstring
        import logging

        logging.getLogger(__name__).exception("event consumer failed")


class EventListener:
    """Engine side: accepts worker connections and forwards their events until closed."""

    def __init__(self, on_started: Callable[[TaskStarted], None],
                 on_record: Callable[[TaskRecord], object],
                 on_board: Callable[[TaskStarted, int | None], None] | None = None) -> None:
        """``on_board``: workers post their starts on boards (``_start_boards``) rather than
        send them, and ``read_boards`` passes each on with the task its thread started before
        it. A start too long for a board still comes by the connection, to ``on_started``."""
        self._tmpdir = None
        self.authkey: bytes | None = None
        if sys.platform != "win32":
            # No authkey on the Unix socket: mkdtemp makes its folder this user's alone, so
            # only this user's processes can connect (the ones that could ptrace the engine
            # anyway), and each worker is spared the handshake: hmac and hashlib imported
            # (~3 ms) and two round trips through the accept thread before its first task.
            self._tmpdir = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-")
            self._listener = Listener(os.path.join(self._tmpdir, "s"), family="AF_UNIX")
            self.address = str(self._listener.address)
        else:  # 127.0.0.1 is open to every local user: there the key is what keeps them out
            import secrets

            self.authkey = secrets.token_bytes(16)
            self._listener = Listener(("127.0.0.1", 0), family="AF_INET", authkey=self.authkey)
            self.address = f"127.0.0.1:{self._listener.address[1]}"
        self._on_started, self._on_record = on_started, on_record
        self._on_board = on_board
        self._boards = (Boards(self._tmpdir) if on_board is not None and self._tmpdir is not None
                        else None)
        self._conns: list[Connection] = []
        self._lock = threading.Lock()
        self._closing = False
        # Set by close(): from then on the reader reads at once, without the batching pause,
        # so that the run's end does not wait out BATCH_S for its workers' last bytes.
        self._hurry = threading.Event()
        self._accepter = threading.Thread(target=self._accept, name="corescope-ev-accept",
                                          daemon=True)
        self._reader = threading.Thread(target=self._read, name="corescope-ev-read",
                                        daemon=True)
        self._wake_r, self._wake_w = os.pipe()
        self._accepter.start()
        self._reader.start()

    @property
    def sink(self) -> EventSink:
        return EventSink(self.address, self.authkey,
                         None if self._boards is None else self._boards.folder)

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
                            os.set_blocking(conn.fileno(), False)  # see _read_from
                            sel.register(conn, selectors.EVENT_READ, _Frames(conn))
                            watched.add(conn)
                ready = sel.select()
                if BATCH_S:
                    self._hurry.wait(BATCH_S)
                for key, _ in ready:
                    if key.data is None:  # the self-pipe
                        os.read(self._wake_r, 64)
                        if self._closing:
                            return
                        continue
                    frames: _Frames = key.data
                    if not self._read_from(frames):  # that worker is gone
                        conn = frames.conn
                        sel.unregister(conn)  # before close: a closed one has no fileno
                        watched.discard(conn)
                        with self._lock:
                            self._conns.remove(conn)
                        conn.close()

    def _read_from(self, frames: _Frames) -> bool:
        """Read and deliver what the worker has sent so far; False once it has ended.

        One non-blocking read takes everything waiting in the socket (a batch of events) and
        ``_Frames`` splits it, instead of ``Connection.recv_bytes`` and ``poll`` per event:
        those cost two reads and a freshly built selector each: 10–12 µs of the engine's CPU
        per event against 3–4.5 µs this way, on 2 cores taken from the workers
        (docs/benchmarks.md).
        """
        try:
            payloads, alive = frames.read()
        except BlockingIOError:
            return True  # woken with nothing to read after all
        for payload in payloads:
            try:
                item = wire.decode(payload)
            except Exception:  # noqa: BLE001 — not an event: whatever wrote it is not a
                return False  # worker of ours, or it was cut off; drop the connection
            _consume(self._on_started if isinstance(item, TaskStarted) else self._on_record, item)
        return alive

    def read_boards(self) -> int:
        """Pass the starts posted on boards since the last call to ``on_board``; how many.

        Boards wake no one, and this listener does not wake to read them either: a timed
        wake-up costs 80–150 µs of CPU on this 2-core VM. The backend calls this from the
        loop it runs anyway, from one thread; ``close()`` reads the boards a last time.
        """
        if self._boards is None or self._on_board is None:
            return 0
        starts = self._boards.read()
        for event, after in starts:
            _consume(self._on_board, event, after)
        return len(starts)

    def close(self, drain_s: float = 2.0) -> str | None:
        """Stop once the workers are gone: every connection read to its end (bounded wait).

        Returns a one-line problem if a thread of the listener did not stop in time (it is a
        daemon and holds nothing the run needs), else None. Never blocks longer than about
        ``drain_s`` + 10 s, whatever state a dead worker left its connection in.
        """
        self._hurry.set()
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._conns:
                    break
            time.sleep(0.002)
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
        if self._boards is not None:
            # A killed worker's last start is still on its board: passed on, so that its task
            # keeps its bar when it is closed as lost.
            self.read_boards()
            self._boards.close()
        if self._tmpdir is not None:
            import shutil

            shutil.rmtree(self._tmpdir, ignore_errors=True)
        if stuck:
            return f"the event listener's {' and '.join(stuck)} did not stop within 5 s"
        return None
