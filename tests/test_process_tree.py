"""The sampler finds a run's worker processes from a kept process tree, as psutil would.

Each sample lists the processes descended from the engine (the per-worker CPU lines and memory
figures come from them). ``ProcessTree`` reads only the new pids' parents at each sample; these
tests check against real processes that it finds the same ones psutil does, children of
children included, drops one that ended, picks up one started since, and reads a busy one's
CPU and memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import psutil
import pytest

from engine.run.sampler import ProcessTree

# A child that starts a grandchild and sleeps: both are the engine's descendants.
PARENT = ("import subprocess, sys, time; "
          "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
          "print(p.pid, flush=True); time.sleep(30)")
BUSY = "import time\nend = time.time() + 30\nwhile time.time() < end: pass"


@pytest.fixture
def started():
    procs: list[subprocess.Popen[str]] = []

    def start(code: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
        proc.kill()
        proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _psutil_view() -> set[int]:
    return {c.pid for c in psutil.Process().children(recursive=True)}


def test_it_finds_children_and_grandchildren_and_follows_starts_and_ends(started) -> None:
    tree = ProcessTree(os.getpid())
    parent = started(PARENT)
    assert parent.stdout is not None
    grandchild = int(parent.stdout.readline())
    assert {parent.pid, grandchild} <= set(tree.descendants())
    assert set(tree.descendants()) == _psutil_view()
    later = started("import time; time.sleep(30)")
    assert later.pid in tree.descendants()  # started after the tree was first read
    later.kill()
    later.wait()
    assert later.pid not in tree.descendants()
    assert set(tree.descendants()) == _psutil_view()


def test_a_busy_child_shows_its_cpu_seconds_and_memory(started) -> None:
    tree = ProcessTree(os.getpid())
    busy = started(BUSY)
    first = tree.times()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and tree.times().get(busy.pid, 0.0) < 0.2:
        time.sleep(0.05)
    grown = tree.times()[busy.pid] - first.get(busy.pid, 0.0)
    assert grown > 0.1, "a process spinning a core for a while gained no CPU seconds"
    memory: dict[int, float] = {}
    tree.times(memory=memory)
    expected = psutil.Process(busy.pid).memory_info().rss / 2**20
    assert memory[busy.pid] == pytest.approx(expected, rel=0.2)
    assert os.getpid() not in tree.times(), "the root is not its own descendant"
    assert busy.pid not in tree.times(exclude=busy.pid)
