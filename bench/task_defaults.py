"""How long one instance of each built-in task takes at its default parameters.

    python bench/task_defaults.py [--reps N] [--set name=value ...]

Each task runs alone, one after another in this process (no backend, no other task beside it),
once to warm up and then ``--reps`` times; the table shows the wall time's median and spread,
and the median of the wall time less the time the thread waited for a core ("with a free
core"): on a shared machine other programs can make a CPU-bound task take several times its own
cost, and the defaults are chosen by what a task costs, not by the neighbours' load. The
defaults are meant to take 0.3–1 s each that way: long enough that a timeline of 8 of them is
worth watching and that start-up costs do not swamp the work, short enough that a demo never
keeps an audience waiting. A task with a coroutine form (``sleep``, ``http``) is also timed
that way, on an event loop of its own. Record a run's table in docs/benchmarks.md.

``crash`` is not timed: it ends the process that runs it (that is its point); its default waits
``after_s`` (0.3 s) first. ``--set`` overrides a parameter of every task that takes it, as the
CLI's does, to try out candidate defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.run.fixtures import open_fixtures  # noqa: E402 — after the path insert above
from engine.tasks.registry import BUILTIN_TASKS  # noqa: E402
from engine.tasks.spec import TaskSpec  # noqa: E402

NOT_TIMED = {"crash": "not timed: it ends the process that runs it, after after_s (0.3 s)"}
LOW_S, HIGH_S = 0.3, 1.0  # the band every default should land in on this kind of machine


def _params(spec: TaskSpec, overrides: dict[str, str], fixtures: dict[str, str]) -> dict[str, Any]:
    params = {p.name: p.parse(overrides[p.name]) if p.name in overrides else p.default
              for p in spec.params}
    params.update({name: fixtures[name] for name in spec.fixtures})
    return params


_SCHEDSTAT = "/proc/thread-self/schedstat"


def _core_wait_s() -> float:
    """Seconds this thread has spent runnable but waiting for a core (Linux; 0 elsewhere).

    On a shared machine other programs' load makes a CPU-bound task's wall time several
    times its own cost; wall time minus this wait is what the task takes with a core to itself,
    which is what a default should be chosen by. Waits for a disk or a socket are not in it.
    """
    try:
        with open(_SCHEDSTAT) as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _timed(call: Callable[[], object], reps: int) -> tuple[list[float], list[float]]:
    """Wall seconds of each of ``reps`` calls, and the same less the time spent waiting for
    a core (``_core_wait_s``)."""
    walls, free = [], []
    for _ in range(reps):
        t, q = time.perf_counter(), _core_wait_s()
        call()
        wall = time.perf_counter() - t
        walls.append(wall)
        free.append(wall - (_core_wait_s() - q))
    return walls, free


def _run_async(make: Callable[[], Coroutine[Any, Any, Any]]) -> object:
    return asyncio.run(make())


def _load() -> str:
    """The 1-minute load average: on a shared machine, what explains a slow row."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "n/a"


def _shown(spec: TaskSpec, params: dict[str, Any]) -> str:
    return ", ".join(f"{p.name}={params[p.name]}" for p in spec.params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)

    print(f"python {platform.python_version()} · {os.cpu_count()} logical cores · "
          f"median of {args.reps} runs, one task at a time in this process · "
          f"load average {_load()} before\n")
    print("| task | defaults | wall median | wall min–max | with a free core | in 0.3–1 s |")
    print("|---|---|---|---|---|---|")
    with contextlib.ExitStack() as stack:
        needed = frozenset(f for spec in BUILTIN_TASKS.values() for f in spec.fixtures)
        fixtures = open_fixtures(stack, needed)
        for name, spec in BUILTIN_TASKS.items():
            if name in NOT_TIMED:
                shown = _shown(spec, _params(spec, overrides, fixtures))
                print(f"| {name} | {shown} | — | — | — | {NOT_TIMED[name]} |")
                continue
            params = _params(spec, overrides, fixtures)
            forms: list[tuple[str, Callable[[], object]]] = [
                (name, functools.partial(spec.function, **params))]
            if spec.coroutine is not None:
                make = functools.partial(spec.coroutine, **params)
                forms.append((f"{name} (coroutine)", functools.partial(_run_async, make)))
            for label, call in forms:
                call()  # warm-up: first imports, page cache, the server's first connection
                walls, free = _timed(call, args.reps)
                wall, own = statistics.median(walls), statistics.median(free)
                ok = "yes" if LOW_S <= own <= HIGH_S else "**no**"  # judged with a free core
                print(f"| {label} | {_shown(spec, params)} | {wall:.3f} s | "
                      f"{min(walls):.3f}–{max(walls):.3f} s | {own:.3f} s | {ok} |")
    print(f"\nload average {_load()} after")

if __name__ == "__main__":
    main()
