"""Events from worker processes: the tuple codec (``engine.wire``) and the listener reading it.

What a user would notice if these broke: bars that never end, a task shown with another's
worker or error, a run that waits for ever for a record that arrived garbled, or a listener
that stops hearing every worker after one was killed.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import socket
import struct
import threading
import time
import zlib

import pytest

from engine import values, wire
from engine.backends._child import process_run_ended, process_run_started
from engine.backends._socket_events import EventListener, EventSink, _Frames
from engine.records import TaskError, TaskRecord, TaskStarted, TaskStatus, WorkerId
from engine.tasks import TaskRef
from engine.workload import TaskInstance

WHO = WorkerId(4121, 4125, "pid 4121 · thread 4125", "node-2")


@pytest.mark.parametrize("status", list(TaskStatus))
def test_every_record_survives_the_wire(status: TaskStatus) -> None:
    error = None if status is TaskStatus.OK else TaskError("ValueError", "bad n", "Traceback…")
    record = TaskRecord(7, "primes", 1.5, 2.25, 3.125, WHO, 0.875, status, "9,592 primes",
                        error, mode="executor")
    assert wire.decode(wire.encode(record)) == record


def test_a_record_that_never_started_survives_the_wire() -> None:
    record = TaskRecord(3, "sleep", 1.0, None, None, None, 0.0, TaskStatus.CANCELLED,
                        error=TaskError("Cancelled", "the run was cancelled"))
    assert wire.decode(wire.encode(record)) == record


def test_a_started_event_survives_the_wire() -> None:
    event = TaskStarted(11, "hash", 5.5, WHO)
    assert wire.decode(wire.encode(event)) == event


def test_the_wire_carries_built_ins_only() -> None:
    """A message names no class: reading it imports nothing and runs no user code."""
    record = TaskRecord(1, "x", 0.0, 0.0, 1.0, WHO, 0.1, TaskStatus.ERROR, "",
                        TaskError("E", "m"), "")
    for item in (record, TaskStarted(1, "x", 0.0, WHO)):
        data = wire.encode(item)
        assert b"engine" not in data and b"TaskRecord" not in data
        assert len(data) < len(pickle.dumps(item))


def test_bytes_that_are_not_an_event_raise() -> None:
    for junk in (b"", b"not a pickle", pickle.dumps((1, 2)), pickle.dumps((9, "x"))):
        with pytest.raises(Exception):  # noqa: B017 — the reader drops the connection on any
            wire.decode(junk)


def test_stamped_carries_every_field_of_the_instance() -> None:
    """``stamped`` is built field by field for speed: one added later must not be dropped."""
    inst = TaskInstance(5, "primes", 2, TaskRef("primes"), {"n": 10}, 0.0, timeout_s=3.5)
    assert inst.stamped(42.0) == values.replace(inst, submitted=42.0)
    assert list(values.fields(TaskInstance)) == [
        "id", "name", "index", "ref", "params", "submitted", "timeout_s"], (
        "a new TaskInstance field: carry it over in TaskInstance.stamped")


def test_a_pickled_instance_comes_back_whole() -> None:
    """Instances travel to worker processes flat (``TaskInstance.__reduce__``): every field,
    the custom reference included, must survive, without the TaskRef's class path."""
    inst = TaskInstance(5, "mine", 2, TaskRef("mine", "pkg.mod:work"), {"n": 10}, 7.25,
                        timeout_s=3.5)
    back = pickle.loads(pickle.dumps(inst, pickle.HIGHEST_PROTOCOL))
    assert back == inst and back.ref.custom == "pkg.mod:work"
    assert type(back.ref) is TaskRef
    assert b"TaskRef" not in pickle.dumps(inst, pickle.HIGHEST_PROTOCOL)


def _end(procs: list[multiprocessing.process.BaseProcess],
         listener: EventListener) -> str | None:
    """What a backend does at a run's end: its workers ended (killed if need be), then the
    listener closed, then multiprocessing's helpers stopped. The listener's problem, if any."""
    for proc in procs:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    problem = listener.close()
    process_run_ended()
    return problem


def _send_events(sink: EventSink, first_id: int, count: int, then_hang: bool) -> None:
    who = WorkerId(multiprocessing.current_process().pid or 0, 0, "w")
    for task_id in range(first_id, first_id + count):
        sink.put(TaskStarted(task_id, "t", float(task_id), who))
        sink.put(TaskRecord(task_id, "t", 0.0, float(task_id), float(task_id) + 0.5, who, 0.0,
                            TaskStatus.OK, str(task_id)))
    if then_hang:
        time.sleep(60)  # killed by the test


def test_frames_are_split_however_the_bytes_arrive() -> None:
    """The reader takes whatever the socket holds; a message split across reads, several in
    one read, the long-length form, and a message cut off by a killed writer all come out
    right — the last not at all, as it was never a whole event."""
    from multiprocessing.connection import Connection

    ours, theirs = socket.socketpair()
    frames = _Frames(Connection(ours.detach()))
    writer = Connection(theirs.detach())
    try:
        os.set_blocking(frames.conn.fileno(), False)
        with pytest.raises(BlockingIOError):
            frames.read()  # nothing sent yet
        events = [wire.encode(TaskStarted(i, "primes", float(i), WHO)) for i in range(3)]
        for e in events[:2]:
            writer.send_bytes(e)
        cut = struct.pack("!i", len(events[2])) + events[2]
        os.write(writer.fileno(), cut[:7])  # a message half-written
        assert frames.read() == (events[:2], True)
        os.write(writer.fileno(), cut[7:])
        big = struct.pack("!i", -1) + struct.pack("!Q", 3) + b"abc"  # the >2 GiB form
        os.write(writer.fileno(), big)
        assert frames.read() == ([events[2], b"abc"], True)
        os.write(writer.fileno(), cut[:9])  # killed mid-write: then end-of-file
        writer.close()
        # The short read that drained the socket comes first; the next wake sees the end.
        assert frames.read() == ([], True)
        assert frames.read() == ([], False)
    finally:
        frames.conn.close()
        if not writer.closed:
            writer.close()


def test_listener_hears_every_worker_in_order_and_outlives_a_killed_one() -> None:
    seen: list[tuple[str, int, int]] = []  # (kind, task id, sender pid)
    lock = threading.Lock()

    def started(event: TaskStarted) -> None:
        with lock:
            seen.append(("started", event.id, event.worker.pid))

    def finished(record: TaskRecord) -> None:
        with lock:
            seen.append(("finished", record.id, record.worker.pid if record.worker else 0))

    process_run_started("spawn")  # as a backend does: its helpers end with the run
    listener = EventListener(started, finished)
    mp = multiprocessing.get_context("spawn")
    count = 300
    procs = [mp.Process(target=_send_events, args=(listener.sink, i * 1000, count, i == 0))
             for i in range(3)]
    try:
        for proc in procs:
            proc.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                if len(seen) == 3 * 2 * count:
                    break
            time.sleep(0.02)
        procs[0].kill()  # one worker dies with its connection open
        for proc in procs:
            proc.join(10)
        late = mp.Process(target=_send_events, args=(listener.sink, 5000, 5, False))
        late.start()  # a worker that starts after another died is still heard
        late.join(30)
        procs.append(late)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with lock:
                if len(seen) == 3 * 2 * count + 10:
                    break
            time.sleep(0.02)
    finally:
        problem = _end(procs, listener)
    assert problem is None
    assert len(seen) == 3 * 2 * count + 10
    for proc in procs:
        mine = [(kind, task_id) for kind, task_id, pid in seen if pid == proc.pid]
        first = mine[0][1]
        expected = [(kind, task_id) for task_id in range(first, first + len(mine) // 2)
                    for kind in ("started", "finished")]
        assert mine == expected, "one worker's events must arrive in the order it sent them"


# -- start boards ---------------------------------------------------------------------------


def _post_starts(sink: EventSink, ids: list[int], then_die: bool) -> None:
    """A worker that posts its starts on its board, as ``run_task`` does, and may be killed
    (or die) while its last task runs."""
    from engine.worker import worker_id

    for task_id in ids:
        sink.put(TaskStarted(task_id, f"task {task_id}", float(task_id), worker_id()))
        time.sleep(0.05)
    if then_die:
        os._exit(3)


def _wait_for(check: object, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_a_worker_s_start_reaches_the_engine_through_its_board_and_wakes_no_one() -> None:
    """A start posted on a board arrives whole, with its worker, when the backend reads the
    boards; nothing went down the connection; and once the listener is closed its folder,
    boards included, is gone."""
    starts: list[tuple[TaskStarted, int | None]] = []
    sent: list[object] = []
    process_run_started("spawn")
    listener = EventListener(sent.append, sent.append,
                             on_board=lambda event, after: starts.append((event, after)))
    folder = listener.sink.boards
    assert folder is not None and os.path.isdir(folder)
    proc = multiprocessing.get_context("spawn").Process(
        target=_post_starts, args=(listener.sink, [41, 42], False))
    try:
        proc.start()

        def read() -> bool:
            listener.read_boards()
            return bool(starts) and starts[-1][0].id == 42

        assert _wait_for(read), "the start on the board never reached the engine"
        proc.join(10)
    finally:
        problem = _end([proc], listener)
    assert problem is None
    last, after = starts[-1]
    assert last == TaskStarted(42, "task 42", 42.0, last.worker)
    assert last.worker.pid == proc.pid
    assert after == 41, "a start says which task its thread started before it"
    assert [s.id for s, _ in starts] in ([41, 42], [42]), "each start once, in order"
    assert not sent, "a start posted on a board is not sent as well"
    assert not os.path.exists(folder), "the boards are removed with the listener"


def test_a_killed_worker_s_last_start_is_read_when_the_listener_closes() -> None:
    """The task a worker died in keeps its bar: its start, never read during the run, is
    passed on by close(), so the run can close that task as lost from its start."""
    starts: list[TaskStarted] = []
    process_run_started("spawn")
    listener = EventListener(starts.append, lambda record: None,
                             on_board=lambda event, after: starts.append(event))
    proc = multiprocessing.get_context("spawn").Process(
        target=_post_starts, args=(listener.sink, [7], True))
    try:
        proc.start()
        proc.join(30)
        assert proc.exitcode == 3
        assert not starts, "nothing is read until the backend or close() reads the boards"
    finally:
        _end([proc], listener)
    assert [s.id for s in starts] == [7]


def test_a_board_caught_mid_write_is_read_next_time_and_junk_never() -> None:
    """Nothing is locked between a worker and the engine, so a reader can catch a board
    half-written (or a worker killed mid-write): the CRC check skips it until it is whole."""
    from engine.backends import _start_boards as events

    starts: list[TaskStarted] = []
    listener = EventListener(starts.append, lambda record: None,
                             on_board=lambda event, after: starts.append(event))
    try:
        folder = listener.sink.boards
        assert folder is not None
        # The worker is the board's, from its file name: pid 4121, thread 4125.
        who = events._worker_of(4121, 4125)
        payload = events._START.pack(5, 1.5, -1) + b"sleep"
        path = os.path.join(folder, "b-4121-4125")
        with open(path, "wb") as f:
            f.write(events._HEAD.pack(len(payload), zlib.crc32(payload) ^ 1) + payload)
            f.write(bytes(events.BOARD_SIZE - events._HEAD.size - len(payload)))
        listener.read_boards()
        assert not starts, "a board whose bytes do not match its CRC is not read"
        with open(path, "r+b") as f:
            f.write(events._HEAD.pack(len(payload), zlib.crc32(payload)))
        listener.read_boards()
        listener.read_boards()  # the same start is passed on once
        assert starts == [TaskStarted(5, "sleep", 1.5, who)]
        assert starts[0].worker.label == "pid 4121 · thread 4125"
        junk = b"not a start"  # shorter than a start's numbers, with a matching CRC
        with open(path, "r+b") as f:
            f.write(events._HEAD.pack(len(junk), zlib.crc32(junk)) + junk)
        with open(os.path.join(folder, "b-short"), "wb") as f:
            f.write(b"too short to map")
        with open(os.path.join(folder, "b-not-ours"), "wb") as f:
            f.write(bytes(events.BOARD_SIZE))
        listener.read_boards()
        assert len(starts) == 1
    finally:
        assert listener.close() is None


def test_a_start_a_board_cannot_hold_goes_by_the_connection() -> None:
    """A board holds its own thread's starts, named in a few bytes. A start too long for it,
    or another worker's (a lane or a host of its own), still arrives, by the connection."""
    from engine.backends import _start_boards as events
    from engine.worker import worker_id

    starts: list[TaskStarted] = []
    listener = EventListener(starts.append, lambda record: None,
                             on_board=lambda event, after: starts.append(event))
    sink = listener.sink
    try:
        long_name = "x" * events.BOARD_SIZE
        sent = [TaskStarted(9, long_name, 2.0, worker_id()),  # this process plays the worker
                TaskStarted(10, "sleep", 2.5, WHO)]
        for event in sent:
            sink.put(event)
        assert _wait_for(lambda: len(starts) == 2, 10)
        assert starts == sent
        listener.read_boards()
        assert starts == sent, "nothing of them went on a board"
    finally:
        # A worker's connection and board last as long as it does; this test's must not.
        from engine.backends import _socket_events

        conn = _socket_events._connections.pop(sink.address, None)
        if conn is not None:
            conn.close()
        for key in [k for k in events._boards if k[0] == sink.boards]:
            board = events._boards.pop(key)
            if board is not None:
                board.map.close()
        assert listener.close() is None


def test_one_worker_s_records_share_one_worker_id() -> None:
    """A 100,000-task session holds 100,000 records from a handful of workers: each worker's
    id is one object, in the worker that makes it and in the engine that reads it."""
    from engine.worker import worker_id

    here = worker_id()
    assert worker_id() is here
    other: list[WorkerId] = []
    thread = threading.Thread(target=lambda: other.append(worker_id()))
    thread.start()
    thread.join()
    assert other[0] != here and other[0].pid == here.pid
    a, b = (wire.unpack(wire.pack(TaskRecord(i, "t", 0.0, 1.0, 2.0, WHO, 0.1, TaskStatus.OK)))
            for i in range(2))
    assert a.worker == WHO and a.worker is b.worker


def test_each_worker_s_first_start_is_read_and_starts_come_in_time_order() -> None:
    """The window gives lanes in the order workers first appear; a saved run in the order of
    their first starts. A worker whose first tasks were over before the engine looked must
    still appear by its first start, before a worker that started later."""
    from engine.backends import _start_boards as events

    seen: list[tuple[int, int | None]] = []
    listener = EventListener(lambda event: None, lambda record: None,
                             on_board=lambda event, after: seen.append((event.id, after)))
    try:
        folder = listener.sink.boards
        assert folder is not None
        a, b = events._Board(folder, 101, 1), events._Board(folder, 202, 2)
        a_who, b_who = a.who, b.who
        a.post(TaskStarted(0, "t", 1.0, a_who))
        a.post(TaskStarted(1, "t", 1.5, a_who))
        b.post(TaskStarted(2, "t", 1.2, b_who))
        a.post(TaskStarted(3, "t", 2.0, a_who))
        listener.read_boards()
        assert seen == [(0, None), (2, None), (3, 1)]
        listener.read_boards()
        assert len(seen) == 3, "nothing new: nothing passed on"
        b.post(TaskStarted(4, "t", 2.5, b_who))
        listener.read_boards()
        assert seen[3:] == [(4, 2)]
        for board in (a, b):
            board.map.close()
    finally:
        assert listener.close() is None
