"""Start boards: a worker thread's "started" events in shared memory, read when the engine likes.

A "started" event need not wake anyone: the engine only has to learn it within a frame of the
window, and a task's record carries its start anyway (``RunState`` makes the start from it).
So where a backend asks for them (``on_board``), each worker thread writes its latest start
into a page of shared memory of its own, a "board" (a file in the listener's folder, mapped),
and the backend reads every board from the loop it runs anyway (``read_boards``). A message
per start had cost a send in the worker and, in the engine, a wake-up, a read and a decode,
all on the cores the workers need (docs/benchmarks.md, stop 25).

Nothing is locked, so a worker killed mid-write blocks no one: the board holds a length and
a CRC-32 before the bytes, the writer writes the bytes first, and a reader that catches a
write half-done sees a CRC that does not match and reads the board again next time. A board
is created under a temporary name and renamed, so the reader never maps a short file.

A board shows only the latest start, so the engine may never see some starts of short
tasks (their records make them). Each start therefore says which task its thread started
before it ("after"): the backend holds the start until that task's record is in, so the
timeline never shows one worker running two tasks (``process_pool.InOrder``). A board also
keeps its thread's first start, and each read passes starts on in time order: the window
gives lanes in the order workers first appear, and a saved run (``assign_lanes``) in the
order of their first starts; a worker first seen by a later start would swap them.

A board holds its own thread's starts only (the default lane, this machine: every
``process-pool`` worker's), so its file name says whose they are; a start of another worker,
or one too long for a slot, goes by the connection.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib

from engine.records import TaskStarted, WorkerId, default_lane, shared_worker
from engine.worker import thread_owned

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

BOARD_SIZE = 4096  # one page: two slots, the first start and the latest
_SLOT = BOARD_SIZE // 2  # a start is ~30 bytes; a longer one goes by the connection
_HEAD = struct.Struct("=II")  # payload length, its CRC-32
#: A start on a board: task id, start time, the task its thread started before (-1: none),
#: then the task's name in UTF-8. The worker is the board's own (its file is named after the
#: process and thread), so it is not written. Packed by hand rather than pickled: a worker
#: posts one per task, right after the task before emptied its caches, where a pickle cost
#: ~40 µs against a few µs packed (docs/benchmarks.md, stop 26).
_START = struct.Struct("=qdq")
_BOARD_PREFIX = "b-"


def _worker_of(pid: int, tid: int) -> WorkerId:
    """The worker whose starts a board may hold: a thread with the default lane, here."""
    return shared_worker(pid, tid, default_lane(pid, tid))


class _Board:
    """A worker thread's board, its writing end."""

    def __init__(self, folder: str, pid: int, tid: int) -> None:
        import mmap  # here, not at the top: only a worker that posts starts needs it

        name = f"{pid}-{tid}"
        temp = os.path.join(folder, f"new-{name}")
        fd = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, BOARD_SIZE)
            self.map = mmap.mmap(fd, BOARD_SIZE)
        finally:
            os.close(fd)
        os.rename(temp, os.path.join(folder, _BOARD_PREFIX + name))
        self.who = _worker_of(pid, tid)
        self.last: int | None = None  # the task this thread started last

    def post(self, item: TaskStarted) -> bool:
        """Write ``item`` on the board; False if it must go by the connection instead: it is
        another worker's (a lane or host of its own), or too long for a slot."""
        who = item.worker
        if who is not self.who and who != self.who:
            return False
        after, self.last = self.last, item.id
        payload = (_START.pack(item.id, item.started, -1 if after is None else after)
                   + item.name.encode("utf-8", "surrogatepass"))
        if len(payload) > _SLOT - _HEAD.size:
            return False
        for at in ((0, _SLOT) if after is None else (_SLOT,)):  # the first start: both slots
            self.map[at + _HEAD.size:at + _HEAD.size + len(payload)] = payload
            _HEAD.pack_into(self.map, at, len(payload), zlib.crc32(payload))
        return True


_boards: dict[tuple[str, int, int], _Board | None] = {}  # (folder, pid, thread id) -> board
_mine = thread_owned()  # .board: (folder, board) this thread posted on last


def board_of(folder: str) -> _Board | None:
    """This thread's board in ``folder``, made on first use; None if none can be made.

    The board a thread used last is kept with the thread: a worker posts at every task, and
    the process and thread ids are two system calls (~6 µs a task here)."""
    last = getattr(_mine, "board", None)
    if last is not None and last[0] == folder:
        return last[1]  # type: ignore[no-any-return]
    key = (folder, os.getpid(), threading.get_native_id())
    if key not in _boards:
        try:
            _boards[key] = _Board(folder, key[1], key[2])
        except (OSError, ValueError):  # the folder is gone (the run ended) or no mmap here
            _boards[key] = None
    board = _boards[key]
    _mine.board = (folder, board)
    return board


def post(folder: str, item: TaskStarted) -> bool:
    """Write ``item`` on this thread's board in ``folder``; False if it must go by the
    connection instead (no board could be made, or the event does not fit)."""
    board = board_of(folder)
    return board is not None and board.post(item)


class Boards:
    """The engine's side of the start boards: every worker thread's board, read on demand."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self._maps: dict[str, Any] = {}  # file name -> read-only mmap
        self._who: dict[str, WorkerId] = {}  # file name -> the worker whose board it is
        self._first: dict[str, bytes] = {}  # file name -> the head of its first start
        self._last: dict[str, bytes] = {}  # file name -> the head of the latest passed on

    def read(self) -> list[tuple[TaskStarted, int | None]]:
        """The starts posted since the last read, in time order, each with the task its thread
        started before it: a board's first start once, then its latest when it changes."""
        import mmap

        try:
            names = os.listdir(self.folder)
        except OSError:
            names = []
        for name in names:
            if name.startswith(_BOARD_PREFIX) and name not in self._maps:
                try:
                    pid, tid = map(int, name[len(_BOARD_PREFIX):].split("-"))
                except ValueError:
                    continue  # not a board of ours
                try:
                    fd = os.open(os.path.join(self.folder, name), os.O_RDONLY)
                    try:
                        self._maps[name] = mmap.mmap(fd, BOARD_SIZE, access=mmap.ACCESS_READ)
                    finally:
                        os.close(fd)
                except (OSError, ValueError):
                    continue  # not a board of ours: skipped, tried again next time
                self._who[name] = _worker_of(pid, tid)
        out: list[tuple[TaskStarted, int | None]] = []
        for name, board in self._maps.items():
            who = self._who[name]
            if name not in self._first:  # until the thread's first start has been read
                first = self._slot(board, 0, None, who)
                if first is not None:
                    self._first[name] = first[0]
                    out.append(first[1])
            if name in self._first:
                latest = self._slot(board, _SLOT, self._last.get(name, self._first[name]), who)
                if latest is not None:
                    self._last[name] = latest[0]
                    out.append(latest[1])
        out.sort(key=lambda start: start[0].started)
        return out

    @staticmethod
    def _slot(board: Any, at: int, seen: bytes | None, who: WorkerId
              ) -> tuple[bytes, tuple[TaskStarted, int | None]] | None:
        """The start in the slot at ``at`` and its head, unless its head is ``seen``, it is
        empty, half-written or not a start."""
        head = board[at:at + _HEAD.size]
        if head == seen:
            return None
        size, crc = _HEAD.unpack(head)
        if not _START.size <= size <= _SLOT - _HEAD.size:
            return None
        payload = board[at + _HEAD.size:at + _HEAD.size + size]
        if zlib.crc32(payload) != crc:
            return None  # caught mid-write: read again next time
        task_id, started, after = _START.unpack_from(payload)
        try:
            name = payload[_START.size:].decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return None  # not a start: nothing to pass on
        return head, (TaskStarted(task_id, name, started, who), None if after < 0 else after)

    def close(self) -> None:
        for board in self._maps.values():
            board.close()
        self._maps.clear()
