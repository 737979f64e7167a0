"""The GIL probe: asks py-spy, over and over, which thread of a process holds its GIL.

Run as a script by ``engine.run.gil`` (standard library only, so it starts in ~30 ms and never
imports the engine it watches)::

    python engine/run/gil_probe.py PY_SPY PID INTERVAL_S

Each round runs ``py-spy dump --pid PID --nonblocking --json``: py-spy reads the target's
memory from outside (process_vm_readv) without stopping it, so the reading needs nothing from
the GIL it measures. One line per round goes to stdout as soon as the dump returns (the
engine reads the pipe as the run goes, so the window draws the lane live)::

    <t> <holder>      t: time.perf_counter() when the dump returned; holder: the native
                      thread id that owned the GIL, 0 when no thread did
    !<message>        the first FIRST_TRIES dumps all failed (no permission, not a Python
                      process): why

Why ``dump`` rounds and not ``py-spy record``: record's outputs carry no per-sample time of
the holder. Its chrometrace merges a thread's samples into one span for as long as its stack
is unchanged (two threads taking turns on the GIL show as two overlapping 5 s spans); its
speedscope and raw outputs are per-thread sample counts without timestamps. A dump costs
~15 ms of CPU, so rounds are paced at INTERVAL_S (10 Hz by default).

SIGTERM (sent to the probe's whole process group) ends it; a dump in flight dies with it.
Not SIGINT: a process started by a shell's ``cmd &`` (a script, a CI job) has SIGINT ignored,
everything it starts inherits that, and Python then leaves it ignored — so a SIGINT-stopped
probe outlived every thread-backend run by the engine's whole 2 s wait before its SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

DUMP_TIMEOUT_S = 5.0
FIRST_TRIES = 5


def _holder(text: str) -> int:
    for thread in json.loads(text):
        if thread.get("owns_gil"):
            return int(thread.get("os_thread_id") or 0)
    return 0


def _dump(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """One dump, always reaped. (``subprocess.run`` gives up waiting 0.25 s after a Ctrl-C and
    leaves the child unreaped; py-spy finishes its dump on a signal, so it outlived the probe.)"""
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        return subprocess.CompletedProcess(cmd, 1, "", str(exc))
    try:
        out, err = proc.communicate(timeout=DUMP_TIMEOUT_S)
    except BaseException as exc:
        proc.kill()
        proc.wait()
        if not isinstance(exc, subprocess.TimeoutExpired):
            raise
        return subprocess.CompletedProcess(cmd, 1, "", "py-spy dump timed out")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # the same way out as Ctrl-C: the dump in flight is reaped


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop)
    # Inherited as blocked from a thread that had it blocked, it would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    py_spy, pid, interval = argv[0], int(argv[1]), float(argv[2])
    cmd = [py_spy, "dump", "--pid", str(pid), "--nonblocking", "--json"]
    first, failures = True, 0
    # Line-buffered: each reading reaches the engine when it is taken, not when a block fills.
    with open(sys.stdout.fileno(), "w", encoding="utf-8", buffering=1, closefd=False) as fh:
        try:
            next_round = time.perf_counter()
            while True:
                done = _dump(cmd)
                t = time.perf_counter()
                if done.returncode == 0:
                    try:
                        fh.write(f"{t:.6f} {_holder(done.stdout)}\n")
                        first = False
                    except (ValueError, TypeError, AttributeError):
                        pass  # a dump cut short; the next round reads again
                elif not _alive(pid):
                    return 0
                elif first:
                    # A dump can fail now and then without --nonblocking's pause (a thread
                    # starting or ending under it); one that never once works cannot work.
                    failures += 1
                    if failures >= FIRST_TRIES:
                        why = (done.stderr or "").strip().splitlines() or ["py-spy failed"]
                        fh.write("!" + why[0][:300] + "\n")
                        return 1
                    continue  # at once: the note should come before a short run ends
                next_round += interval
                time.sleep(max(0.0, next_round - time.perf_counter()))
                next_round = max(next_round, time.perf_counter() - interval)
        except KeyboardInterrupt:
            return 0
        except BrokenPipeError:
            return 0  # the engine stopped reading: its run is over


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
