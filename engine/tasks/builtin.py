"""The built-in demo workloads.

Each is a top-level function (so it pickles by reference under spawn) that does its work in
small chunks and calls ``checkpoint()`` between them. Work is counted in units — numbers tested,
megabytes hashed, files written — never "spin for 100 ms": a time-based busy loop finishes on time
no matter how long it waited for the GIL, which would hide exactly what CoreScope exists to show.

asyncio, urllib, ctypes and hashlib are imported inside the tasks that use them: every spawned
worker imports this module, and those alone add ~60 ms to each process start.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time

from engine.tasks.context import checkpoint, current

# Chunk sizes are chosen so one chunk takes a few milliseconds on a laptop core: cancel latency
# stays far under the 1 s target while checkpoint() costs well under 1 % of the work.
_PRIMES_CHUNK = 2_000
_SLEEP_CHUNK_S = 0.05
_HASH_CHUNK = 1 << 20


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def primes(n: int = 300_000) -> int:
    """Count the primes below ``n`` by trial division: pure Python, holds the GIL throughout."""
    count = 0
    for lo in range(0, n, _PRIMES_CHUNK):
        checkpoint()
        count += sum(1 for k in range(lo, min(lo + _PRIMES_CHUNK, n)) if _is_prime(k))
    return count


_BUFFER = bytes(range(256)) * (_HASH_CHUNK // 256)


def hash_data(mb: int = 768) -> str:
    """SHA-256 over ``mb`` MiB. hashlib drops the GIL for large updates, so threads scale here."""
    import hashlib  # imported once per worker, by the first hash task (~3 ms) — not by all

    h = hashlib.sha256()
    for _ in range(mb):
        checkpoint()
        h.update(_BUFFER)
    return h.hexdigest()[:16]


def sleep(seconds: float = 0.5) -> float:
    """Wait without using the CPU, like a program waiting on a disk or a network."""
    end = time.perf_counter() + seconds
    while (left := end - time.perf_counter()) > 0:
        checkpoint()
        time.sleep(min(left, _SLEEP_CHUNK_S))
    return seconds


async def sleep_async(seconds: float = 0.5) -> float:
    import asyncio

    await asyncio.sleep(seconds)
    return seconds


def files(root: str, count: int = 600, size_kb: int = 4) -> int:
    """Make a directory of its own under ``root``, write ``count`` files, return how many exist."""
    mine = tempfile.mkdtemp(prefix="task-", dir=root)
    payload = b"x" * (size_kb * 1024)
    for i in range(count):
        checkpoint()
        with open(os.path.join(mine, f"file_{i:05d}.txt"), "wb") as fh:
            fh.write(payload)
    return len(os.listdir(mine))


def _query(size_kb: int, latency_ms: int) -> str:
    return f"/data?size={size_kb * 1024}&delay_ms={latency_ms}"


def http(url: str, requests: int = 5, size_kb: int = 64, latency_ms: int = 100) -> int:
    """Fetch from the run's local HTTP server ``requests`` times; return the bytes received."""
    import urllib.request

    total = 0
    for _ in range(requests):
        checkpoint()
        with urllib.request.urlopen(url + _query(size_kb, latency_ms), timeout=30) as resp:
            total += len(resp.read())
    return total


async def http_async(url: str, requests: int = 5, size_kb: int = 64, latency_ms: int = 100) -> int:
    """The same fetches over asyncio streams: one loop thread overlaps every request's wait."""
    import asyncio
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    total = 0
    for _ in range(requests):
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            request = f"GET {_query(size_kb, latency_ms)} HTTP/1.0\r\nHost: {parts.netloc}\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
            await writer.wait_closed()
        total += len(raw.partition(b"\r\n\r\n")[2])
    return total


# The table every ``memory`` task of this process reads, with how many tasks hold it. Threads of
# one process share one copy; each worker process builds its own.
_TABLE_LOCK = threading.Lock()
_TABLES: dict[int, tuple[bytes, int]] = {}


def _take_table(mb: int) -> bytes:
    with _TABLE_LOCK:  # a thread that arrives while another builds it waits for that copy
        table, users = _TABLES.get(mb) or (b"\x01" * (mb << 20), 0)
        _TABLES[mb] = (table, users + 1)
    return table


def _drop_table(mb: int) -> None:
    with _TABLE_LOCK:
        table, users = _TABLES[mb]
        if users > 1:
            _TABLES[mb] = (table, users - 1)
        else:  # the last holder: the memory goes back to the system now, not at exit
            del _TABLES[mb]


def memory(mb: int = 100, seconds: float = 0.4) -> int:
    """Hold an ``mb`` MiB table and read it for ``seconds``; return the MiB held.

    The table is built once per process and shared by every task running there at the time, as
    threads share a loaded dataset or model; a worker process has to build its own copy. It is
    filled with ones (not zeros), so every page is really resident rather than mapped on demand.
    """
    table = _take_table(mb)
    try:
        step = 1 << 20
        end = time.perf_counter() + seconds
        read = 0
        while (left := end - time.perf_counter()) > 0:
            checkpoint()
            read += sum(table[i] for i in range(0, len(table), step))  # a byte per MiB
            time.sleep(min(left, _SLEEP_CHUNK_S))
        return len(table) >> 20
    finally:
        _drop_table(mb)


def mixed(n: int = 150_000, seconds: float = 0.3) -> int:
    """Part CPU (count primes below ``n``), part wait (sleep ``seconds``)."""
    found = primes(n)
    sleep(seconds)
    return found


def fail(every: int = 2, n: int = 300_000) -> int:
    """Do some CPU work, then raise in every ``every``-th instance of this task."""
    found = primes(n)
    ctx = current()
    index = ctx.index if ctx is not None else 0
    if index % every == every - 1:
        raise ValueError(f"instance {index} failed on purpose (one in every {every} fails)")
    return found


def crash(after_s: float = 0.3, how: str = "exit") -> None:
    """Kill the worker process that runs it: os._exit, SIGKILL or a segfault."""
    sleep(after_s)
    if how == "exit":
        os._exit(3)
    elif how == "kill":
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
    else:
        import ctypes

        ctypes.string_at(0)  # reads address 0: a real segmentation fault
