"""The task registry: built-in demo workloads by name, and how a worker finds a task's code.

A ``TaskSpec`` (``engine.tasks.spec``) tells everything the CLI, the GUI and the backends need
to know about a task without running it. Workers never receive functions, only a ``TaskRef``
(a name or a spec string) that they resolve here: that keeps a custom function loaded from a
file usable under spawn, where the file is not importable as a module in the child. Custom
functions are loaded by ``engine.tasks.custom``, imported only when a ref names one.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.tasks import builtin
from engine.tasks.params import ParamSpec
from engine.tasks.spec import CoroutineFunction, TaskFunction, TaskKind, TaskRef, TaskSpec

# typing.TYPE_CHECKING's value, without importing typing (~3 ms for every spawned worker).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BUILTIN_TASKS", "TaskFunction", "TaskKind", "TaskRef", "TaskSpec",
           "resolve_coroutine", "resolve_function"]


def _p(name: str, type_: type, default: Any, help_: str, lo: float | None = None,
       hi: float | None = None, unit: str = "", choices: tuple[str, ...] = ()) -> ParamSpec:
    return ParamSpec(name, type_, default, help_, lo, hi, choices, unit)


#: Where each built-in's "about N s" comes from: one instance alone, at its defaults, timed by
#: bench/task_defaults.py (docs/benchmarks.md has the table). The defaults aim at about 0.5 s
#: there, inside 0.3–1 s: long enough that a timeline is worth watching and start-up costs do
#: not swamp the work, short enough that 8 of them on a slower machine still keep a demo moving.
MEASURED_ON = "a 2-core laptop-class machine"


def _about(what: str, seconds: float) -> str:
    return (f"{what} — about {seconds:g} s each at the defaults on {MEASURED_ON} "
            "(bench/task_defaults.py)")


# Upper limits keep a single instance under roughly a minute and a few hundred MB; bigger values
# are almost always a typo, and a runaway demo in front of an audience is worse than a refusal.
BUILTIN_TASKS: Mapping[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec("primes", TaskKind.CPU,
                 _about("count primes by trial division (pure Python)", 0.5),
                 builtin.primes,
                 (_p("n", int, 300_000, "count primes below this number", 1, 20_000_000),)),
        TaskSpec("hash", TaskKind.C_CODE,
                 _about("SHA-256 over a buffer (hashlib releases the GIL)", 0.5),
                 builtin.hash_data,
                 (_p("mb", int, 768, "MiB to hash", 1, 20_000, "MiB"),)),
        TaskSpec("sleep", TaskKind.WAIT,
                 _about("wait without CPU, like a slow disk or network", 0.5),
                 builtin.sleep,
                 (_p("seconds", float, 0.5, "how long to wait", 0, 600, "s"),),
                 coroutine=builtin.sleep_async),
        TaskSpec("files", TaskKind.FILE_IO,
                 _about("write K files into a fresh directory, then count them", 0.3)
                 + "; disks vary most (0.03–2 s there, shared)",
                 builtin.files,
                 (_p("count", int, 600, "files per task", 1, 100_000),
                  _p("size_kb", int, 4, "size of each file", 0, 10_240, "KiB")),
                 fixtures=("root",)),
        TaskSpec("http", TaskKind.NET_IO,
                 _about("fetch from a local HTTP server on 127.0.0.1", 0.5),
                 builtin.http,
                 (_p("requests", int, 5, "requests per task", 1, 10_000),
                  _p("size_kb", int, 64, "response size", 0, 102_400, "KiB"),
                  _p("latency_ms", int, 100, "server delay before each response", 0, 60_000, "ms")),
                 coroutine=builtin.http_async, fixtures=("url",)),
        TaskSpec("mixed", TaskKind.MIXED,
                 _about("count primes, then wait", 0.5),
                 builtin.mixed,
                 (_p("n", int, 150_000, "count primes below this number", 1, 20_000_000),
                  _p("seconds", float, 0.3, "then wait this long", 0, 600, "s"))),
        TaskSpec("memory", TaskKind.MEMORY,
                 _about("hold an M MiB table and read it; threads share one copy, every "
                        "worker process builds its own", 0.5),
                 builtin.memory,
                 (_p("mb", int, 100, "size of the table", 1, 4096, "MiB"),
                  _p("seconds", float, 0.4, "how long to hold it", 0, 600, "s"))),
        TaskSpec("fail", TaskKind.FAULT,
                 _about("some CPU work, then every k-th instance raises", 0.5),
                 builtin.fail,
                 (_p("every", int, 2, "every k-th instance raises", 1, 1_000),
                  _p("n", int, 300_000, "count primes below this number first", 1, 20_000_000))),
        TaskSpec("crash", TaskKind.FAULT,
                 "hard-exits its worker process (process backends only); it waits after_s "
                 "(0.3 s) at the defaults, then its worker dies at once: dying is its point, "
                 "so bench/task_defaults.py does not time it",
                 builtin.crash,
                 (_p("after_s", float, 0.3, "run this long before dying", 0, 600, "s"),
                  _p("how", str, "exit", "os._exit, SIGKILL or segfault",
                     choices=("exit", "kill", "segfault"))),
                 process_only=True, default_count=2),
    )
}

def resolve_function(ref: TaskRef) -> TaskFunction:
    if ref.custom is None:
        return BUILTIN_TASKS[ref.name].function
    from engine.tasks.custom import load_function

    return load_function(ref.custom)


def resolve_coroutine(ref: TaskRef) -> CoroutineFunction | None:
    """The task's native coroutine form: a built-in's ``coroutine``, or a custom ``async def``
    itself. Called only where an event loop runs (asyncio imports inspect anyway)."""
    if ref.custom is None:
        return BUILTIN_TASKS[ref.name].coroutine
    import inspect

    func = resolve_function(ref)
    return func if inspect.iscoroutinefunction(func) else None
