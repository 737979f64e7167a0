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
            status: TaskStatus = TaskStatus.OK) -> RunResult:
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
                     wall_s, records, samples, 0.1, MACHINE, uses_processes=processes)


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


def free_threaded(result: RunResult) -> RunResult:
    import dataclasses

    machine = dataclasses.replace(MACHINE, free_threaded_build=True, gil_enabled=False)
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
