"""CPU counters turned into percentages — in a thread, or in a small process of its own.

Why a separate process: a sampler thread inside the engine competes for the GIL. With four
threads running pure-Python work, every file read psutil makes hands the GIL back and waits up
to a switch interval (5 ms) to get it again; one sample took 0.4–5.6 s, so the monitor saw
about one sample a second, exactly in the run CoreScope exists to show. Run as a script, this
module samples from outside the engine's GIL and writes one JSON line per sample:

    python engine/run/sampler.py PARENT_PID INTERVAL_S WATCH_CHILDREN(0|1) [VIEWER_PID]
    → "ready"
    → {"t": …, "cores": […], "procs": {pid: %}, "threads": {tid: %},
       "mem": {pid: MiB}}                                              (every interval)
    stdin closed → one last sample, then exit. Exits too if the parent process is gone.

VIEWER_PID (the window, when the parent is a run's host process): its threads are read with
the parent's, so its drawing counts as CoreScope's, not as another program's.

It imports only the standard library and psutil (no ``engine``), so it starts in ~50 ms from
any working directory. Times are ``time.perf_counter()``: system-wide on every platform we
support, so they line up with the engine's task records.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence

import psutil

CoreTimes = Sequence[tuple[float, float]]  # per core: (busy seconds, total seconds)
TaskTimes = dict[int, float]  # pid or tid -> cumulative CPU seconds
Memory = dict[int, float]  # pid -> resident memory (RSS), MiB

_MIB = float(1 << 20)


def read_memory(pid: int) -> float | None:
    """Resident memory of process ``pid`` in MiB (one small /proc read on Linux)."""
    try:
        return round(float(psutil.Process(pid).memory_info().rss) / _MIB, 1)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def read_core_times() -> CoreTimes:
    out = []
    for t in psutil.cpu_times(percpu=True):
        total = sum(t)
        idle = t.idle + getattr(t, "iowait", 0.0)
        out.append((total - idle, total))
    return out


_PAGE_MIB = (os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096) / _MIB
_TICK_S = 1.0 / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)


_LINUX = os.path.isdir(f"/proc/{os.getpid()}/task")


def _proc_stat(pid: int, task: str = "") -> tuple[int, float, float] | None:
    """(parent pid, CPU seconds, resident MiB) of ``pid`` from Linux's /proc/PID/stat, or None
    if it is gone. One read, where psutil makes three (and a fourth to build the Process).
    ``task``: "task/TID/" for one of its threads (the CPU is then the thread's own).

    Read with ``os.open``/``os.read``: ``open()`` adds an fstat, an ioctl and a seek, and a
    system call costs ~5 µs on a VM like CI's (15 µs a file against 34)."""
    try:
        fd = os.open(f"/proc/{pid}/{task}stat", os.O_RDONLY)
        try:
            fields = os.read(fd, 4096).rpartition(b")")[2].split()
        finally:
            os.close(fd)
    except OSError:
        return None
    # After the name: state ppid … utime(12) stime(13) … rss(22), counted from state as 0.
    return (int(fields[1]), (int(fields[11]) + int(fields[12])) * _TICK_S,
            round(int(fields[21]) * _PAGE_MIB, 1))


class ProcessTree:
    """The processes descended from one pid, found again at every sample, cheaply.

    psutil's ``children(recursive=True)`` reads the parent of every process on the machine on
    every call: ~1 ms a sample for the 66 processes of a bare CI machine, several ms for the
    hundreds of a desktop, 10 times a second, on the cores the run is measured on. A pid's
    parent does not change while it lives (only an orphan's does, to a reaper), so this keeps
    what it has read: each sample lists /proc and reads the parent of new pids only. Where
    there is no /proc, psutil does it.
    """

    def __init__(self, root: int) -> None:
        self.root = root
        self._parent: dict[int, int] = {}

    def descendants(self) -> list[int]:
        if not _LINUX:
            try:
                return [c.pid for c in psutil.Process(self.root).children(recursive=True)]
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                return []
        known, parent = self._parent, {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            ppid = known.get(pid)
            if ppid is None:
                stat = _proc_stat(pid)
                if stat is None:
                    continue
                ppid = stat[0]
            parent[pid] = ppid
        self._parent = parent  # pids gone since the last sample drop out here
        children: dict[int, list[int]] = {}
        for pid, ppid in parent.items():
            children.setdefault(ppid, []).append(pid)
        out, todo = [], [self.root]
        while todo:
            for child in children.get(todo.pop(), ()):
                out.append(child)
                todo.append(child)
        return out

    def times(self, exclude: int = -1, memory: Memory | None = None) -> TaskTimes:
        """Cumulative CPU seconds of each descendant but ``exclude``; with ``memory``, each
        one's resident MiB goes there too."""
        out: TaskTimes = {}
        for pid in self.descendants():
            if pid == exclude:
                continue
            if _LINUX:
                stat = _proc_stat(pid)
                if stat is None:
                    continue
                if pid in self._parent:
                    self._parent[pid] = stat[0]  # an orphan's parent changes, once
                out[pid] = stat[1]
                if memory is not None:
                    memory[pid] = stat[2]
                continue
            try:
                proc = psutil.Process(pid)
                t = proc.cpu_times()
                out[pid] = t.user + t.system
                if memory is not None:
                    memory[pid] = round(proc.memory_info().rss / _MIB, 1)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return out


def read_thread_times(pid: int) -> TaskTimes:
    """Cumulative CPU of every thread of process ``pid``, by native thread id.

    On Linux, one read of /proc/PID/task/TID/stat a thread: psutil's ``threads()`` took
    ~450 µs for the engine's nine threads, 10 times a second, on the cores the run is measured
    on; this takes a fifth of that (the same ticks, from the same file)."""
    if _LINUX:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return {}
        out: TaskTimes = {}
        for tid in tids:
            stat = _proc_stat(pid, f"task/{tid}/")
            if stat is not None:
                out[int(tid)] = stat[1]
        return out
    try:
        return {t.id: t.user_time + t.system_time for t in psutil.Process(pid).threads()}
    except (psutil.AccessDenied, psutil.NoSuchProcess):
        return {}


def _rates(now: TaskTimes, before: TaskTimes, dt: float) -> dict[int, float]:
    if dt <= 0:
        return {}
    return {k: max(0.0, 100.0 * (v - before[k]) / dt) for k, v in now.items() if k in before}


class Counters:
    """Turns cumulative counters into percentages between consecutive readings.

    Each group of counters is timestamped right after it is read, and its rate uses its own
    interval: a reading delayed by a busy machine then shifts a sample, never distorts it.
    """

    def __init__(self, clock: Callable[[], float], read_cores: Callable[[], CoreTimes],
                 read_processes: Callable[[], TaskTimes] | None,
                 read_threads: Callable[[], TaskTimes]) -> None:
        self._clock = clock
        self._readers: list[Callable[[], object]] = [
            read_cores, read_processes or dict, read_threads]
        self._prev = self._read()

    def _read(self) -> list[tuple[float, object]]:
        out = []
        for read in self._readers:
            value = read()
            out.append((self._clock(), value))
        return out

    def sample(self) -> tuple[float, tuple[float, ...], dict[int, float], dict[int, float]]:
        """(time, per-core %, process % by pid, thread % by tid) since the previous call."""
        now = self._read()
        (t_c, cores), (t_p, procs), (t_t, threads) = now
        (t_c0, cores0), (t_p0, procs0), (t_t0, threads0) = self._prev
        self._prev = now
        per_core = tuple(
            min(100.0, max(0.0, 100.0 * (b - b0) / (tot - tot0))) if tot > tot0 else 0.0
            for (b, tot), (b0, tot0) in zip(cores, cores0)  # type: ignore[call-overload]
        )
        return (t_c, per_core, _rates(procs, procs0, t_p - t_p0),  # type: ignore[arg-type]
                _rates(threads, threads0, t_t - t_t0))  # type: ignore[arg-type]


def main(argv: Sequence[str]) -> int:
    parent, interval, watch_children = int(argv[0]), float(argv[1]), argv[2] == "1"
    viewer = int(argv[3]) if len(argv) > 3 else None
    me = os.getpid()
    memory: Memory = {}

    tree = ProcessTree(parent)

    def read_children() -> TaskTimes:
        memory.clear()
        return tree.times(exclude=me, memory=memory)

    counters = Counters(time.perf_counter, read_core_times,
                        read_children if watch_children else None,
                        lambda: {**read_thread_times(parent),
                                 **(read_thread_times(viewer) if viewer else {})})
    stop = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()  # returns at EOF: the engine closed our stdin
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    next_tick = time.perf_counter() + interval
    while True:
        stopping = stop.wait(max(0.0, next_tick - time.perf_counter()))
        # A steady rate, but no catching up after a late sample: a sample a few ms after the
        # last one sees no 10 ms counter tick and would draw every core at 0 %.
        next_tick = max(next_tick + interval, time.perf_counter() + interval / 2)
        if os.getppid() != parent or not psutil.pid_exists(parent):
            return 0
        t, cores, procs, threads = counters.sample()
        if not watch_children:
            # An in-process run's workers are the engine's threads: they share its memory,
            # and that one figure is the point (beside processes that each hold their own).
            memory.clear()
            if (own := read_memory(parent)) is not None:
                memory[parent] = own
        try:
            out.write(json.dumps({"t": t, "cores": cores, "procs": procs,
                                  "threads": threads, "mem": memory}) + "\n")
            out.flush()
        except (BrokenPipeError, OSError):
            return 0
        if stopping:
            return 0


if __name__ == "__main__":
    # The engine decides when sampling ends (it closes stdin). Started in a session of its own,
    # the sampler is outside the terminal's process group; this covers a SIGINT sent to it
    # some other way.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(main(sys.argv[1:]))
