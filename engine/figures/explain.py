"""Plain-language reasons for a run's numbers, chosen from what was measured.

Each rule looks at measured figures only (never at the backend's reputation), so when a result
surprises — threads that *do* scale on hashlib, a process pool that loses to sequential on tiny
tasks — the explanation follows the data. Sentences are short: they are read off a projector.

Whether the workers were processes is what the run recorded about its backend
(``RunResult.uses_processes``, set by the runner from the backend's class and saved with the
run); a file written before that was recorded is read from its records instead
(``ran_in_processes``). Nothing here looks the backend up: a session file from a newer
CoreScope, naming a backend this one lacks, is explained rather than refused.

Where py-spy measured who held the GIL (``RunResult.gil_samples``), a line reads it directly;
the CPU ÷ wall rules above it are then the inference and this the measurement.
"""

from __future__ import annotations

from statistics import mean

from engine.figures.gil import GilReading, gil_reading
from engine.figures.memory import memory_line
from engine.figures.result import RunResult
from engine.records import TaskStatus
from engine.tasks.registry import BUILTIN_TASKS, TaskKind

# Thresholds, in the units the stats use. Chosen from runs on 2- and 16-core machines: a
# GIL-bound thread run sits at 0.9–1.2 cores' worth of CPU; a start-cost-bound run has most of
# its worker time outside tasks.
_WAITING = 0.35  # task CPU / task wall below this: the task mostly waited
_ONE_CORE_SLACK = 1.35  # "near one core" means under this many cores' worth
_HIGH_OVERHEAD = 0.35
_FULL = 0.85  # the machine's cores were this busy on average: the CPU itself was the limit
_CLOSE = 0.85  # a speedup this share of its bound or more is "close to" it
_ABOVE = 1.1  # a computing run's speedup past this many times its ideal: the baseline was slow
# From bench/bench_backends.py (docs/benchmarks.md): Dask's scheduler adds a few ms per task,
# so below ~100 ms per task its overhead can be more than 10 % of the work.
DASK_CROSSOVER_S = 0.1


# What ``worker_start_s`` spans for a process worker, said beside the figure: the same span
# bench/bench_start.py compares with a bare pool's (docs/benchmarks.md, "Worker start cost").
_START_INCLUDES = "process and interpreter start, imports, connecting its event channel"


def worker_start_s(result: RunResult) -> float:
    """Mean time from run start to each worker's first task: what starting a worker costs.

    Measured per worker rather than per task because in a pool most of a task's wait is queueing
    behind other tasks, which says nothing about start-up cost.
    """
    first: dict[tuple[str, int, int], float] = {}
    for r in result.records:
        if r.worker is not None and r.started is not None:
            key = (r.worker.host, r.worker.pid, r.worker.tid)
            first[key] = min(first.get(key, r.started), r.started)
    return mean(t - result.t0 for t in first.values()) if first else 0.0


def warm_line(result: RunResult) -> str | None:
    """A warm run's start cost, said once for the report and the explanation."""
    if result.warm_start_s is None:
        return None
    what = "worker processes" if result.uses_processes else "worker threads"
    took = (f"{result.warm_start_s * 1000:.0f} ms" if result.warm_start_s < 0.1
            else f"{result.warm_start_s:.2f} s")
    return f"the {what} took {took} to start, before the clock (not counted in wall)"


def start_cap(n_tasks: int, task_s: float, start_s: float, workers: int,
              per_task: bool) -> float:
    """The best speedup a cold process run can reach when starting a worker costs ``start_s``
    and nothing else does: a pool starts its workers once (they start side by side), a
    worker-per-task backend once per task."""
    if per_task:
        return workers * task_s / (start_s + task_s)
    return n_tasks * task_s / (start_s + n_tasks * task_s / workers)


def _start_cap_line(result: RunResult, start_s: float,
                    ideal: int) -> tuple[float, str] | None:
    """For a run too short to amortise its workers' start: the cap that start alone sets, and
    the sentence that says so."""
    s = result.stats
    if not s.n_tasks or s.busy_s <= 0 or start_s <= 0:
        return None
    task_s = s.busy_s / s.n_tasks
    workers = min(ideal, result.workers)
    cap = start_cap(s.n_tasks, task_s, start_s, workers, bool(result.worker_per_task))
    if cap >= 0.9 * ideal:
        return None
    how = ("each task starts its own worker" if result.worker_per_task
           else f"{s.n_tasks} tasks on {workers} workers")
    return cap, (f"The workers' start alone caps this run: at {task_s * 1000:.0f} ms a task, "
                 f"with {start_s * 1000:.0f} ms to "
                 f"start a worker and {how}, even a run with no other cost reaches at most "
                 f"about {cap:.2f}× of the {ideal}× ideal. Longer tasks, or a warm start "
                 "(workers started before the clock), lift that cap.")


def ran_in_processes(result: RunResult) -> bool | None:
    """Whether the run's workers were processes of their own: what the run recorded from its
    backend's class; in a file written before that was recorded, what the records show. None
    when nothing recorded tells.

    The CPU monitor reports child processes only for process backends and the engine's own
    threads always, so a worker's pid among a sample's processes, or its thread id among the
    threads, settles it; a cluster's workers are processes on its hosts.
    """
    if result.uses_processes is not None:
        return result.uses_processes
    workers = {r.worker for r in result.records if r.worker is not None}
    if result.scheduler or result.host_samples or any(w.host for w in workers):
        return True
    pids, tids = {w.pid for w in workers}, {w.tid for w in workers}
    for sample in result.samples:
        if pids & sample.processes.keys():
            return True
        if tids & sample.threads.keys():
            return False
    return True if len(pids) > 1 else None


def _measured_cpu_share(result: RunResult) -> float | None:
    """CPU ÷ running time over the tasks that ran to an end of their own (ok or raised).

    A task whose worker died, or that was cancelled or timed out, carries no CPU reading
    (0 s) but a duration: counted, it would read as "mostly waited" — a crash run does not wait.
    """
    ran = [r for r in result.records
           if r.status in (TaskStatus.OK, TaskStatus.ERROR) and r.duration > 0]
    busy = sum(r.duration for r in ran)
    return sum(r.cpu_s for r in ran) / busy if busy > 0 else None


def _kinds(result: RunResult) -> list[str | None]:
    """The kind of each of the workload's tasks; None for one that is not a built-in."""
    items = result.workload.get("tasks") if isinstance(result.workload, dict) else None
    if not isinstance(items, list):
        return []
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    return [BUILTIN_TASKS[n].kind if isinstance(n, str) and n in BUILTIN_TASKS else None
            for n in names]


def _releases_gil(result: RunResult) -> bool:
    """Every task of the workload is a built-in known to run in C with the GIL released."""
    kinds = _kinds(result)
    return bool(kinds) and all(k == TaskKind.C_CODE for k in kinds)


def _memory_line(result: RunResult, processes: bool | None) -> str | None:
    """For a workload that holds memory: who held how much, read from the samples."""
    line = memory_line(result) if TaskKind.MEMORY in _kinds(result) else None
    if line is None:
        return None
    if processes:
        return (f"Memory: {line}. Each worker process has its own copy of the data (and its own "
                "interpreter); threads would share one.")
    return f"Memory: {line}. Threads share their process's memory: the data was held once."


def _gil_line(result: RunResult, g: GilReading) -> str:
    """What the measured GIL samples say, in one sentence."""
    held = 1 - g.free
    threads = len({r.worker.tid for r in result.records if r.worker is not None})
    if g.free >= 0.5:
        return (f"Measured with py-spy: the GIL was free {g.free:.0%} of the run — the work ran "
                "outside it (C code such as hashlib releases it)"
                + (", so the threads could run at once." if threads > 1 else "."))
    each = ""
    if g.task_share is not None:
        rest = ("" if g.task_share >= 0.9 else
                " and waited for it the rest" if g.free < 0.2 else " and did not hold it the rest")
        each = f"; each task held it about {g.task_share:.0%} of its running time{rest}"
    if g.holders > 1:
        return (f"Measured with py-spy: {g.holders} threads took turns on the GIL, one at a "
                f"time (it was held {held:.0%} of the run){each}.")
    return f"Measured with py-spy: the GIL was held {held:.0%} of the run{each}."


def explain(result: RunResult) -> list[str]:
    """Plain-language lines for ``result``; never raises for a backend this install lacks."""
    s = result.stats
    processes = ran_in_processes(result)
    cores = result.cores
    ideal = result.ideal
    lines: list[str] = []
    if result.cancelled:
        lines.append(f"Cancelled: {s.ok} of {s.n_tasks} tasks finished; figures cover the part "
                     "that ran.")
    for problem in result.problems:
        lines.append(f"Problem: {problem}.")
    if s.failed:
        lines.append(f"{s.failed} of {s.n_tasks} tasks raised; the others still ran.")
    if not result.backend_known:
        how = {True: "the measurements show its workers were separate processes",
               False: "the measurements show its workers were threads of one process",
               None: "the measurements do not say whether its workers were threads or "
                     "processes"}[processes]
        lines.append(f"Backend {result.backend!r} is not one this CoreScope knows (the file may "
                     f"come from a newer version); {how}.")
    free = not result.machine.gil_enabled
    if free:
        lines.append("GIL disabled (" + ("a free-threaded build" if
                                         result.machine.free_threaded_build else "turned off")
                     + "): threads can run Python in parallel, so threads are judged like "
                     "processes here.")
    if s.n_tasks == 0 or s.busy_s <= 0:
        return lines or ["No task ran."]

    # cpu_util is already the cluster hosts' figure when the work ran on a cluster (stats).
    where, total = (("the cluster's hosts", result.cluster_cores) if result.cluster_cores
                    else ("this machine", result.machine.logical_cores))
    cores_used = None if s.cpu_util is None else s.cpu_util / 100 * total
    # Cores' worth of CPU the tasks themselves consumed: unlike the machine-wide figure it is
    # blind to other programs, and it separates "waited on the GIL" (≈ 1 core in total, however
    # many threads) from "waited on I/O" (≈ 0).
    task_cores = s.task_cpu_s / s.wall_s if s.wall_s > 0 else 0.0
    share = _measured_cpu_share(result)
    # The whole machine was busy: slow tasks then queued for a core, whatever their kind.
    full = cores_used is not None and cores_used >= _FULL * total
    # Other programs' CPU, in cores: the monitor's own reckoning (whole machine minus
    # CoreScope's processes and threads, the GIL probe included) where it has one, so the
    # summary's "other programs used N %" and this sentence agree.
    if s.other_util is not None and not result.cluster_cores:
        others = s.other_util / 100 * total
    else:
        others = 0.0 if cores_used is None else max(0.0, cores_used - task_cores)
    in_c = _releases_gil(result)
    # Waiting, not computing: each task used little of a core, and not because other programs
    # took the cores (then the tasks, all of them, still used some): sleeps on a full machine
    # used 0 % of a core because they slept, not because it was busy.
    waited = share is not None and share < _WAITING and (not full or task_cores < _WAITING)
    threads_on_gil = (processes is False and result.machine.gil_enabled and ideal > 1
                      and result.backend != "interpreters"  # one GIL per interpreter
                      and s.parallelism > 1.3 and 0.5 < task_cores < _ONE_CORE_SLACK
                      and not in_c and not (full and others > 0.5))
    if result.backend == "sequential":
        lines.append("Baseline: one task at a time in one thread, so at most one core is busy.")
    elif share is None:
        lines.append("No task ran to its end, so there is no CPU reading to explain.")
    elif threads_on_gil:
        lines.append(
            f"{result.workers} threads, but total CPU stayed near one core "
            f"({task_cores:.1f} of {cores}): the GIL lets one thread run Python at a time.")
        lines.append(f"Each task got about {share:.0%} of a core while it ran.")
    elif share < _WAITING and full and processes and result.workers > cores \
            and task_cores >= 0.6 * cores:
        lines.append(
            f"{result.workers} worker processes took turns on {cores} cores: each task got "
            f"about {share:.0%} of a core while it ran. The cores were the limit (more workers "
            "than cores), not waiting.")
    elif share < _WAITING and full and not waited:
        lines.append(
            f"The machine was busy: other programs used about {others:.1f} of its {total} "
            f"cores, so each task got only {share:.0%} of a core while it ran.")
    elif share < _WAITING:
        lines.append(
            f"The tasks mostly waited (each used {share:.0%} of a core while it ran). "
            f"Waits overlap, so about {s.parallelism:.1f} tasks were in flight at once.")
    elif processes is False and ideal > 1 and (task_cores >= _ONE_CORE_SLACK or in_c):
        if result.backend == "interpreters":
            lines.append(f"{result.workers} subinterpreters used {task_cores:.1f} cores at once: "
                         "each has its own GIL, so Python code runs in parallel in one process.")
        elif task_cores >= _ONE_CORE_SLACK and free:
            lines.append(f"Threads used {task_cores:.1f} cores at once: with the GIL disabled "
                         "they run Python in parallel.")
        elif task_cores >= _ONE_CORE_SLACK:
            lines.append(
                f"Threads used {task_cores:.1f} cores at once: this work runs outside the GIL "
                "(C code such as hashlib releases it), so threads scale.")
        else:
            lines.append(
                f"hashlib releases the GIL while it hashes, so threads can share the cores; "
                f"here they used {task_cores:.1f} of {cores}"
                + (f" while other programs used about {others:.1f}" if others > 0.3 else
                   " — tasks this short spend much of their time in the Python around the "
                   "C call, and in starting") + ".")
    elif processes is False and ideal > 1 and task_cores < _ONE_CORE_SLACK and full:
        held = ("with the GIL disabled, the busy machine held them back" if free else
                "the GIL, a busy machine, or both held them back. A quieter machine tells "
                "them apart")
        lines.append(
            f"{result.workers} threads used {task_cores:.1f} of {cores} cores while other "
            f"programs kept the machine busy (about {others:.1f} cores): {held}.")
    elif processes and cores_used is None:  # no sample fell inside the run
        lines.append("Each worker process has its own interpreter and GIL.")
    elif processes:
        lines.append(f"Each worker process has its own interpreter and GIL: CPU on {where} "
                     f"reached {cores_used:.1f} of {cores} cores on average.")
    elif processes is None:  # neither threads nor processes: only the figures speak
        lines.append(f"The tasks used {task_cores:.1f} cores' worth of CPU, with about "
                     f"{s.parallelism:.1f} in flight at once.")

    measured = gil_reading(result) if processes is False and not free else None
    if measured is not None:
        lines.append(_gil_line(result, measured))
    if (memory := _memory_line(result, processes)) is not None:
        lines.append(memory)

    start_ms = worker_start_s(result) * 1000
    # A running cluster's workers exist already: the wait is connecting and scheduling.
    first = (f"Workers began their first task {start_ms:.0f} ms after the run started "
             "(connecting to the cluster, scheduling)" if result.scheduler else
             f"A worker process took {start_ms:.0f} ms from the run's start to its first task "
             f"({_START_INCLUDES})")
    if result.warm_start_s is not None:
        lines.append(f"Warm start: {warm_line(result)}; a cold run pays that start inside "
                     "its wall time.")
    elif processes and s.overhead_share > _HIGH_OVERHEAD:
        mean_ms = s.busy_s / s.n_tasks * 1000
        lines.append(
            f"Start-up and messaging cost dominated: {s.overhead_share:.0%} of the workers' time "
            f"was outside tasks. {first}; tasks averaged {mean_ms:.0f} ms. Bigger tasks "
            "amortise the start.")
    elif result.scheduler:
        lines.append(f"{first}.")
    elif processes:
        lines.append(f"Starting a worker process cost {start_ms:.0f} ms from the run's start to "
                     f"its first task ({_START_INCLUDES}).")

    cap = None
    if processes and result.warm_start_s is None and not result.scheduler:
        short = _start_cap_line(result, worker_start_s(result), ideal)
        if short is not None:
            cap, said = short
            lines.append(said)

    if result.backend == "dask" and s.n_tasks:
        mean_ms = s.busy_s / s.n_tasks * 1000
        size = ("short enough that Dask's per-task scheduling is a large share"
                if mean_ms < DASK_CROSSOVER_S * 1000 else "long enough to amortise it")
        first = ("connected to a running cluster" if result.scheduler
                 else "started a cluster first")
        lines.append(f"Dask schedules every task through its scheduler (a few ms each) and "
                     f"{first}; tasks here averaged {mean_ms:.0f} ms — {size} "
                     f"(the crossover is about {DASK_CROSSOVER_S * 1000:.0f} ms).")

    if s.speedup is not None:
        lines.append(_speedup_line(result, s.speedup, ideal, waited, cap))
    return lines


def _speedup_line(result: RunResult, speedup: float, ideal: int, waited: bool,
                  cap: float | None = None) -> str:
    """The speedup against its bound: the cores for work that computes (or ``cap``, what the
    workers' start allows, when lower); the workers for work that waits (a wait needs no core,
    so 8 threads sleeping on 2 cores reach ~8×, and "the ideal here is 2×" beside a 7.5×
    speedup read as nonsense on a projector)."""
    s, workers, cores = result.stats, result.workers, result.cores
    said = f"Speedup {speedup:.2f}× against sequential"
    n_workers = f"{workers} worker{'s' if workers != 1 else ''}"
    if waited and workers > 1:
        bound = max(1, min(workers, s.n_tasks))
        verdict = "close to that" if speedup >= _CLOSE * bound else "well below that"
        return (f"{said}. The tasks mostly waited, and waiting needs no core, so the {cores} "
                f"cores do not bound it: with {n_workers} and {s.n_tasks} tasks it can "
                f"reach about {bound}× — {verdict}.")
    where = f"(min of {n_workers} and {cores} cores)"
    limit, what = ((cap, f"the {cap:.2f}× its workers' start allows") if cap is not None
                   else (ideal, f"the {ideal}× ideal {where}"))
    if speedup > _ABOVE * limit:
        # Work that computes cannot beat the cores: the baseline was slow, not this run fast.
        baseline = result.baseline_wall_s or 0.0
        why = (f"the sequential run took {baseline:.2f} s, while this run's tasks took "
               f"{s.busy_s:.2f} s added up, so the baseline ran slower than the same work does "
               "now: the machine was likely busier then"
               if baseline > s.busy_s else
               "the difference is timing noise between the two runs (a busy machine, "
               "warmer caches)")
        return f"{said} is above {what}: {why}. Run both again to compare them fairly."
    verdict = "close to the ideal" if speedup >= _CLOSE * ideal else "well below the ideal"
    return f"{said}; the ideal here is {ideal}× {where} — {verdict}."
