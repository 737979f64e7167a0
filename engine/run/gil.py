"""The measured GIL lane: which thread of the engine process held the GIL, over a run.

    engine process                               GIL probe process           py-spy dump
    ──────────────                               ─────────────────           ───────────
    GilSampler.start() ── Popen, own session ─►  engine/run/gil_probe.py ──► reads this
                                                 every 100 ms: one dump       process's memory
    reader thread ◄── pipe, "<t> <tid>" lines ◄─ a line per dump ◄────────── holder's tid
      ├► on_sample(GilSample)  (the run's EventBuffer: the window draws the lane live)
      └► samples()             (the result's, once stopped)
    stop() ── SIGTERM to the probe's group, bounded wait, then SIGKILL; the reader sees EOF

Only for backends whose workers are threads of this process (``GIL_BACKENDS``): there the
CPU ÷ wall figure can only hint at the GIL; this measures it. The probe runs in a process of
its own and py-spy reads memory without stopping us, so the measurement never needs the GIL
it measures (a sampler thread here would have to wait for it).

Clock: the probe stamps each reading with ``time.perf_counter()`` in its own process. That is
``engine.clock.now``'s clock, and on Linux it reads CLOCK_MONOTONIC, which every process on
the machine shares, so a stamp needs no mapping onto the engine's clock. A stamp is taken when
the dump returns; py-spy reads the GIL state near the end of a dump (after finding the
interpreter), so a stamp is late by at most one dump's run time (18 ms measured here with the
machine quiet, 50–60 ms with it loaded).

Live latency: a reading reaches ``on_sample`` as soon as its dump returns (the pipe is
line-buffered), so the window draws it at its next tick (33 ms): a holder shows up on screen
within about one round (100 ms) plus one dump (18–60 ms) of holding the GIL. The reader thread
needs this process's GIL for a few microseconds per line; it wakes 10 times a second.

Thread ids: py-spy's ``os_thread_id`` is the native thread id, the ``tid`` of a ``WorkerId``.

Where it cannot run (py-spy missing, ptrace refused, not Linux) the run goes on and ``note``
says why, once. Without a GIL (a free-threaded run) or with ``CORESCOPE_GIL_LANE=0`` it does
not start, and says nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import IO

from engine.records import GilSample

GIL_BACKENDS = frozenset({"threads", "thread-pool", "asyncio", "sequential"})
# A dump costs ~15 ms of CPU (py-spy finds the interpreter afresh each time), so 10 Hz takes
# 0.15 of a core; bench/bench_gil.py measures what that costs a run (docs/benchmarks.md).
INTERVAL_S = 0.1
# A probe that has not ended this long after SIGTERM is killed. Stopping normally takes a few
# ms; a dump in flight dies with the probe (same process group).
STOP_WAIT_S = 2.0
# 10 Hz for two days and more; a longer run keeps its first samples.
MAX_SAMPLES = 2_000_000
_PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gil_probe.py")
_ENABLE = "pip install py-spy"
_PR_SET_PTRACER = 0x59616D61


def find_py_spy() -> str | None:
    """The py-spy executable: beside this Python first (a venv's bin/, often not on PATH)."""
    chosen = os.environ.get("CORESCOPE_PY_SPY")  # e.g. a copy given CAP_SYS_PTRACE (setcap)
    if chosen and os.path.isfile(chosen) and os.access(chosen, os.X_OK):
        return chosen
    name = "py-spy.exe" if os.name == "nt" else "py-spy"
    beside = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    return shutil.which("py-spy")


def wanted(backend: str) -> bool:
    """Whether a run on ``backend`` gets a GIL lane (off by ``CORESCOPE_GIL_LANE=0``)."""
    return backend in GIL_BACKENDS and os.environ.get("CORESCOPE_GIL_LANE", "1") != "0"


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def _allow_probe(pid: int) -> None:
    """Let the probe (and py-spy, its child) read this process under Yama ptrace_scope 1,
    which otherwise allows only a process's ancestors to read it; harmless elsewhere."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PTRACER, pid, 0, 0, 0)


#: py-spy executable -> the note of a probe it could not read its process with. Keyed by the
#: executable alone: ptrace rights (Yama's scope, a container's capabilities) are the same for
#: every process of this user, so a refusal in one run's host process holds for the next one's.
_refused: dict[str, str] = {}


def refusals() -> dict[str, str]:
    """What py-spy was refused so far in this process (for ``remember_refusals`` elsewhere)."""
    return dict(_refused)


def remember_refusals(known: dict[str, str]) -> None:
    """Take refusals learnt in another process: the window passes them to each run's host,
    which would otherwise pay for asking again (about 1 s of CPU) in every run."""
    _refused.update(known)


class GilSampler:
    """Samples this process's GIL holder from a probe process while a run is measured.

    Example:
        gil = GilSampler(gil_enabled=machine.gil_enabled)
        gil.start()
        ... the run ...
        gil.stop()
        samples, note = gil.samples(t0, t_end), gil.note
    """

    def __init__(self, gil_enabled: bool = True, interval_s: float | None = None,
                 pid: int | None = None,
                 on_sample: Callable[[GilSample], None] | None = None) -> None:
        self.interval_s = INTERVAL_S if interval_s is None else interval_s
        self.pid = os.getpid() if pid is None else pid
        self._gil_enabled = gil_enabled
        self._on_sample = on_sample
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._samples: list[GilSample] = []
        #: One line for the run's notes when the lane could not be measured; else None.
        self.note: str | None = None
        #: CPU seconds the probe and its py-spy dumps used (read at ``stop``).
        self.cpu_s = 0.0
        self._py_spy = ""

    def start(self) -> bool:
        """Start the probe; False (and ``note`` set) where it cannot run."""
        if not self._gil_enabled:
            return False  # a free-threaded run: explain already says there is no GIL
        self.note = self._why_not()
        if self.note is not None:
            return False
        py_spy = find_py_spy()
        assert py_spy is not None  # _why_not checked
        refused = _refused.get(py_spy)
        if refused is not None:
            # Asking again would cost every run the probe's first tries (~1 s of CPU) for the
            # same answer: ptrace rights do not change under a running process.
            self.note = refused + " (Restart CoreScope once it is allowed.)"
            return False
        self._py_spy = py_spy
        try:
            # A session of its own: a Ctrl-C in the terminal is the engine's to answer, and
            # stop() signals the probe and its py-spy together through the group.
            self._proc = subprocess.Popen(
                [sys.executable, _PROBE, py_spy, str(self.pid), repr(self.interval_s)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                start_new_session=True)
        except OSError as exc:
            self.note = f"GIL lane off: could not start its probe ({exc})."
            return False
        _allow_probe(self._proc.pid)
        assert self._proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self._proc.stdout,),
                                        name="corescope-gil-reader", daemon=True)
        self._reader.start()
        return True

    def _why_not(self) -> str | None:
        if not sys.platform.startswith("linux"):
            return (f"GIL lane off: it is measured with py-spy on Linux only (this is "
                    f"{sys.platform}); the GIL is inferred from CPU ÷ wall instead.")
        if find_py_spy() is None:
            return (f"GIL lane off: py-spy is not installed ({_ENABLE}); the GIL is inferred "
                    "from CPU ÷ wall instead.")
        return None

    def stop(self) -> None:
        """End the probe (bounded: SIGTERM, then SIGKILL) and read its samples. Idempotent.

        SIGTERM, not SIGINT: an engine started by a shell's ``cmd &`` has SIGINT ignored, and
        so would its probe (engine/run/gil_probe.py)."""
        import psutil

        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            probe = psutil.Process(proc.pid)
            kids = probe.children(recursive=True)
            # The measurement's own cost (the probe and every dump it has reaped), so the
            # run's "other programs" figure does not count it against the machine.
            t = probe.cpu_times()
            self.cpu_s = t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            kids = []
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(STOP_WAIT_S)
        # A py-spy the probe left is re-parented to this process (a run adopts orphans): end
        # and reap it, or the run's sweep would report it as a task's leftover. That includes
        # one the probe was forking as the stop came (not yet in ``kids``, still named
        # "python"): everything the probe started is in its process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(psutil.Error):
            kids += [p for p in psutil.Process().children()
                     if p not in kids and _group_of(p.pid) == proc.pid]
        for kid in kids:
            with contextlib.suppress(psutil.Error):
                kid.kill()
        psutil.wait_procs(kids, timeout=STOP_WAIT_S)
        # The probe is gone, so its pipe is at end-of-file: the reader has the last line.
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.join(STOP_WAIT_S)
        if proc.stdout is not None:
            proc.stdout.close()

    def _read(self, stream: IO[bytes]) -> None:
        """The reader thread: each line of the probe's, as it comes, until end-of-file."""
        with contextlib.suppress(OSError, ValueError):  # ValueError: closed under us
            for raw in stream:
                if not self._take(raw.decode("utf-8", errors="replace")):
                    return

    def _take(self, line: str) -> bool:
        """One line of the probe's; False once it says py-spy cannot read this process."""
        if line.startswith("!"):
            self.note = (f"GIL lane off: py-spy could not read this process "
                         f"({line[1:].strip()}). Allow ptrace for your user (sudo sysctl "
                         "kernel.yama.ptrace_scope=0) or give py-spy CAP_SYS_PTRACE; the "
                         "GIL is inferred from CPU ÷ wall instead.")
            _refused[self._py_spy] = self.note
            return False
        parts = line.split()
        if len(parts) != 2 or len(self._samples) >= MAX_SAMPLES:
            return True  # a line cut short when the probe was stopped mid-write
        try:
            sample = GilSample(float(parts[0]), int(parts[1]))
        except ValueError:
            return True
        self._samples.append(sample)
        if self._on_sample is not None:
            self._on_sample(sample)
        return True

    def samples(self, t0: float | None = None, t_end: float | None = None) -> tuple[GilSample,
                                                                                   ...]:
        """The readings taken (after ``stop``), those between ``t0`` and ``t_end`` if given."""
        lo = float("-inf") if t0 is None else t0
        hi = float("inf") if t_end is None else t_end
        return tuple(s for s in self._samples if lo <= s.t <= hi)
