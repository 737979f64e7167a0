"""What a run records: plain, immutable values shared by the CLI, the GUI and the tests.

Times inside a ``TaskRecord`` are raw readings of ``engine.clock.now`` (seconds, one clock for
every process on the machine). ``RunResult`` converts them to seconds since the run started when
it is written out, because that is the axis every view draws.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from engine.values import EMPTY, frozen

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class TaskStatus(str, enum.Enum):
    """How a task instance ended."""

    OK = "ok"
    ERROR = "error"  # the task raised
    LOST = "lost"  # its worker process died under it (crash, kill, segfault)
    CANCELLED = "cancelled"  # the run was stopped before or while it ran
    TIMEOUT = "timeout"  # it ran past the per-task timeout


@frozen
class WorkerId:
    """The worker that ran a task: an OS process and one of its threads."""

    pid: int
    tid: int  # native thread id, as psutil and the OS report it
    label: str  # readable lane label, e.g. "pid 4121 · thread 4125"
    #: The host name of a cluster worker's machine; "" for this machine. Pids and thread ids
    #: are only unique per machine (containers on different hosts often share small pids).
    host: str = ""


_workers: dict[tuple[int, int, str, str], WorkerId] = {}


def default_lane(pid: int, tid: int) -> str:
    """A worker's lane label where its backend gives none."""
    return f"pid {pid} · thread {tid}"


def shared_worker(pid: int, tid: int, label: str, host: str = "") -> WorkerId:
    """The one ``WorkerId`` with these fields in this process (immutable, so shareable).

    A run's few workers run thousands of tasks each: built once, a worker's id costs each
    task's events a dict look-up instead of ~1 µs, and a session's records share one object
    per worker (in the worker that makes them and in the engine that reads them). Bounded:
    thread ids are reused, and one process sees the workers of every run it makes.
    """
    key = (pid, tid, label, host)
    found = _workers.get(key)
    if found is None:
        if len(_workers) >= 4096:
            _workers.clear()
        found = _workers[key] = WorkerId(pid, tid, label, host)
    return found


@frozen
class TaskError:
    """Why a task did not end ok."""

    type: str
    message: str
    traceback: str = ""

    def one_line(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type


@frozen
class TaskRecord:
    """One task instance from submission to its end."""

    id: int
    name: str
    submitted: float
    started: float | None
    finished: float | None
    worker: WorkerId | None
    cpu_s: float  # CPU time the task itself consumed (its thread's CPU, not its process's)
    status: TaskStatus
    result: str = ""  # short repr of the return value
    error: TaskError | None = None
    mode: str = ""  # how the backend ran it, e.g. "coroutine" or "executor" on asyncio

    @property
    def ok(self) -> bool:
        return self.status is TaskStatus.OK

    @property
    def duration(self) -> float:
        if self.started is None or self.finished is None:
            return 0.0
        return self.finished - self.started


@frozen
class TaskStarted:
    """Live event: a worker began a task."""

    id: int
    name: str
    started: float
    worker: WorkerId


@frozen
class TaskFinished:
    """Live event: a task ended (in any status)."""

    record: TaskRecord


@frozen
class CpuSample:
    """One reading of the CPU monitor.

    ``per_core`` is percent of each core (0–100). ``processes`` maps worker pid to percent of one
    core (may exceed 100 for a multi-threaded process); ``threads`` maps native thread id of the
    engine process to percent of one core. ``memory`` maps pid to resident memory (RSS) in MiB:
    each worker process on a process backend, the engine's own process (whose threads are the
    workers, and share it) on an in-process one.
    """

    t: float
    per_core: tuple[float, ...]
    processes: Mapping[int, float] = EMPTY
    threads: Mapping[int, float] = EMPTY
    memory: Mapping[int, float] = EMPTY

    @property
    def total(self) -> float:
        """Whole-machine busy percent (0–100)."""
        return sum(self.per_core) / len(self.per_core) if self.per_core else 0.0


@frozen
class GilSample:
    """Which thread of the engine process held the GIL at one instant (``engine.run.gil``).

    ``t`` is an ``engine.clock`` reading; ``holder`` is the native thread id of the holder (the
    ``tid`` of a ``WorkerId``), 0 when no thread held it.
    """

    t: float
    holder: int


@frozen
class HostCpuSample:
    """One reading of a cluster host's CPU, taken by psutil on a worker there (``engine.hosts``).

    ``t`` is already on this machine's clock (a remote worker's offset is subtracted).
    ``per_core`` is percent of each of that host's cores; ``processes`` maps the pid of each
    worker process on the host to its percent of one core.
    """

    t: float
    host: str  # the host's name, as the workers there report it
    per_core: tuple[float, ...]
    processes: Mapping[int, float] = EMPTY
    this_machine: bool = False  # the host is the one CoreScope runs on

    @property
    def total(self) -> float:
        return sum(self.per_core) / len(self.per_core) if self.per_core else 0.0


@frozen
class MachineInfo:
    """What the run ran on; saved with every result so a file explains itself."""

    logical_cores: int
    physical_cores: int | None
    usable_cores: int  # CPUs this process may use (affinity), the default worker count
    python: str
    implementation: str
    platform: str
    free_threaded_build: bool
    gil_enabled: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "logical_cores": self.logical_cores,
            "physical_cores": self.physical_cores,
            "usable_cores": self.usable_cores,
            "python": self.python,
            "implementation": self.implementation,
            "platform": self.platform,
            "free_threaded_build": self.free_threaded_build,
            "gil_enabled": self.gil_enabled,
        }
