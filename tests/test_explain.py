"""The explanation reads the measurements right in the cases a teacher shows."""

from __future__ import annotations

from engine.figures.explain import explain
from engine.figures.result import RunResult
from engine.records import CpuSample, MachineInfo, TaskRecord, TaskStatus, WorkerId

MACHINE = MachineInfo(logical_cores=2, physical_cores=2, usable_cores=2, python="3.11.7",
                      implementation="CPython", platform="Linux", free_threaded_build=False,
                      gil_enabled=True)


def made_up(backend: str, task: str, workers: int, tasks: int, cpu_share: float,
            busy_cores: tuple[float, float], wall_s: float = 1.0,
            status: TaskStatus = TaskStatus.OK, baseline_s: float | None = None) -> RunResult:
    """``tasks`` tasks all running for the whole wall time on ``workers`` workers (so
    tasks/workers of them share each worker's time), each using ``cpu_share`` of a core."""
    processes = backend not in ("threads", "thread-pool", "sequential", "asyncio", "interpreters")
    who = [WorkerId(5000 + i if processes else 5000, 6000 + i, f"w{i}") for i in range(workers)]
    records = tuple(TaskRecord(i, task, 0.0, 0.0, wall_s, who[i % workers],
                               0.0 if status is TaskStatus.LOST else cpu_share * wall_s,
                               status) for i in range(tasks))
    samples = tuple(CpuSample(0.1 * k, busy_cores) for k in range(1, int(wall_s * 10) + 1))
    workload = {"tasks": [{"name": task, "params": {}, "count": tasks}], "timeout_s": None}
    return RunResult(backend, workload, f"{tasks} × {task}", workers, workers, None, 0.0,
                     wall_s, records, samples, 0.1, MACHINE, uses_processes=processes,
                     baseline_wall_s=baseline_s)


def text(result: RunResult) -> str:
    return " ".join(explain(result))


def test_more_processes_than_cores_is_cores_taking_turns_not_waiting():
    # 8 CPU-bound processes on 2 cores: each gets a quarter of a core, both cores are full.
    said = text(made_up("processes", "primes", 8, 8, 0.25, (100.0, 100.0)))
    assert "mostly waited" not in said
    assert "8 worker processes took turns on 2 cores" in said and "25%" in said


def test_gil_releasing_c_code_on_threads_is_not_blamed_on_the_gil():
    # hashlib on two threads that reached only 1.1 cores (short tasks, thread start-up).
    said = text(made_up("thread-pool", "hash", 2, 2, 0.55, (60.0, 60.0)))
    assert "the GIL lets one thread run Python at a time" not in said
    assert "hashlib releases the GIL" in said


def test_a_crash_run_does_not_say_the_tasks_waited():
    said = text(made_up("process-pool", "crash", 2, 2, 0.0, (30.0, 10.0),
                        status=TaskStatus.LOST))
    assert "mostly waited" not in said
    assert "No task ran to its end" in said


def test_pure_python_threads_on_a_quiet_machine_are_explained_by_the_gil():
    said = text(made_up("thread-pool", "primes", 2, 2, 0.5, (55.0, 50.0)))
    assert "the GIL lets one thread run Python at a time" in said


def test_threads_on_a_machine_other_programs_fill_are_not_pinned_on_the_gil_alone():
    # Tasks got one core's worth, but the machine was full: the other core was someone else's.
    said = text(made_up("thread-pool", "primes", 2, 2, 0.5, (100.0, 100.0)))
    assert "the GIL lets one thread run Python at a time" not in said
    assert "other programs kept the machine busy" in said


def test_sleeping_tasks_on_a_quiet_machine_mostly_waited():
    said = text(made_up("thread-pool", "sleep", 4, 4, 0.01, (3.0, 2.0)))
    assert "The tasks mostly waited" in said


def test_sleeping_tasks_on_a_full_machine_still_waited_rather_than_starved():
    # Other programs filled both cores: the sleeps used 0 % of a core because they slept.
    said = text(made_up("thread-pool", "sleep", 4, 4, 0.0, (96.0, 97.0)))
    assert "The tasks mostly waited" in said and "got only 0% of a core" not in said
    # CPU work starved by the same neighbours is still said to be starved.
    starved = text(made_up("processes", "primes", 2, 2, 0.3, (100.0, 100.0)))
    assert "The machine was busy: other programs used about" in starved


def free_threaded(result: RunResult) -> RunResult:
    import dataclasses

    from engine import values

    machine = values.replace(MACHINE, free_threaded_build=True, gil_enabled=False)
    return dataclasses.replace(result, machine=machine)


def test_a_free_threaded_build_says_so_and_never_blames_the_gil():
    # No free-threaded interpreter runs on this machine: the machine info is faked.
    scaling = text(free_threaded(made_up("thread-pool", "primes", 2, 2, 0.95, (96.0, 95.0))))
    assert "GIL disabled (a free-threaded build)" in scaling
    assert "with the GIL disabled they run Python in parallel" in scaling
    assert "the GIL lets one thread run Python at a time" not in scaling
    # Threads held to one core on a free-threaded build: the GIL is not the reason.
    one_core = text(free_threaded(made_up("thread-pool", "primes", 2, 2, 0.5, (55.0, 50.0))))
    assert "the GIL lets one thread run Python at a time" not in one_core
    assert "GIL disabled" in one_core
    # And with the GIL on, the same numbers are the GIL.
    assert "GIL disabled" not in text(made_up("thread-pool", "primes", 2, 2, 0.5, (55.0, 50.0)))


def test_subinterpreters_are_explained_by_their_own_gils_not_by_c_code():
    said = text(made_up("interpreters", "primes", 2, 2, 0.95, (96.0, 95.0)))
    assert "each has its own GIL" in said and "hashlib" not in said
    held_back = text(made_up("interpreters", "primes", 2, 2, 0.5, (55.0, 50.0)))
    assert "the GIL lets one thread run Python at a time" not in held_back


def pool_run(task_ms: float, start_ms: float, tasks: int = 8, workers: int = 2,
             warm: bool = False, baseline_s: float | None = None) -> RunResult:
    """A process pool whose workers begin ``start_ms`` after t0 and then run ``task_ms`` tasks
    back to back, half on each."""
    who = [WorkerId(5000 + i, 6000 + i, f"w{i}") for i in range(workers)]
    records = []
    for i in range(tasks):
        begin = (start_ms + (i // workers) * task_ms) / 1000
        records.append(TaskRecord(i, "primes", 0.0, begin, begin + task_ms / 1000,
                                  who[i % workers], task_ms / 1000, TaskStatus.OK))
    wall = (start_ms + tasks // workers * task_ms) / 1000
    workload = {"tasks": [{"name": "primes", "params": {}, "count": tasks}], "timeout_s": None}
    return RunResult("process-pool", workload, f"{tasks} × primes", workers, workers, "spawn",
                     0.0, wall, tuple(records), (), 0.1, MACHINE, uses_processes=True,
                     worker_per_task=False, warm_start_s=start_ms / 1000 if warm else None,
                     warmed_from=-start_ms / 1000 if warm else None, baseline_wall_s=baseline_s)


def test_a_run_too_short_for_its_start_cost_says_what_caps_its_speedup():
    # The newcomer demo: 8 tasks of 90 ms, 75 ms to start a worker, 2 workers.
    short = text(pool_run(90, 75))
    # 8 × 90 ÷ (75 + 8 × 90 ÷ 2) = 720 ÷ 435
    assert "caps this run" in short and "at most about 1.66×" in short
    assert "warm start" in short
    # Long tasks amortise the same start: no cap worth a sentence.
    assert "caps this run" not in text(pool_run(1000, 75))
    # Warm: the start is outside wall, said on its own line instead.
    warm = text(pool_run(90, 75, warm=True))
    assert "caps this run" not in warm and "Warm start: the worker processes took 75 ms" in warm


def test_waiting_tasks_are_bounded_by_their_workers_not_the_cores():
    # 8 threads sleeping on 2 cores: ~7.5× against sequential is right, and not "the ideal
    # here is 2×" beside it.
    said = text(made_up("threads", "sleep", 8, 8, 0.0, (4.0, 3.0), wall_s=0.32,
                        baseline_s=2.4))
    assert "Speedup 7.50× against sequential" in said
    assert "ideal here is 2×" not in said and "waiting needs no core" in said
    assert "8 workers and 8 tasks it can reach about 8× — close to that" in said
    # Four workers for the same eight sleeps: about 4× at most.
    four = text(made_up("threads", "sleep", 4, 8, 0.0, (4.0, 3.0), wall_s=0.62,
                        baseline_s=2.4))
    assert "reach about 4× — close to that" in four
    # Other programs filled the machine meanwhile: the sleeps still waited, and still overlap.
    busy = text(made_up("threads", "sleep", 8, 8, 0.0, (95.0, 95.0), wall_s=0.32,
                        baseline_s=2.4))
    assert "ideal here is 2×" not in busy and "reach about 8×" in busy


def test_computing_faster_than_the_cores_allow_blames_the_baseline():
    # Two CPU-bound tasks on two processes, each 1 s here; the sequential run took 2.5 s.
    above = text(made_up("process-pool", "primes", 2, 2, 1.0, (100.0, 100.0),
                         baseline_s=2.5))
    assert "Speedup 2.50× against sequential is above the 2× ideal" in above
    assert "the sequential run took 2.50 s, while this run's tasks took 2.00 s" in above
    assert "close to the ideal" not in above
    # Within reach of the ideal: said as before.
    level = text(made_up("process-pool", "primes", 2, 2, 1.0, (100.0, 100.0),
                         baseline_s=1.9))
    assert "Speedup 1.90× against sequential; the ideal here is 2× (min of 2 workers and 2 " \
           "cores) — close to the ideal" in level


def test_a_speedup_past_what_the_start_allows_blames_the_baseline_not_the_cap():
    # The newcomer demo again (cap 1.66×), against a sequential run of 0.90 s for 0.72 s of
    # work: 2.07× would contradict the cap sentence above it if left unexplained.
    said = text(pool_run(90, 75, baseline_s=0.9))
    assert "at most about 1.66×" in said
    assert "Speedup 2.07× against sequential is above the 1.66× its workers' start allows" in said
    assert "the sequential run took 0.90 s, while this run's tasks took 0.72 s" in said
    # Within the cap: read against the ideal, as before.
    within = text(pool_run(90, 75, baseline_s=0.7))
    assert "Speedup 1.61× against sequential; the ideal here is 2×" in within
