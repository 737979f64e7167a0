"""A run's settings (``RunConfig``) and the checks that refuse one before anything starts.

Apart from ``engine.run.runner`` so that what plans runs without running them — a sweep's
points (``engine.figures.sweep``), the CLI's argument checks, the window's fields — needs
none of the run thread's machinery.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from engine.backends.base import Backend
from engine.backends.registry import get_backend
from engine.backends.scheduler_address import check_scheduler_address
from engine.backends.start_methods import valid_start_methods
from engine.figures.result import RunResult
from engine.run.machine import usable_cores
from engine.workload import WorkItem, Workload, build_workload, setting_text

__all__ = ["MAX_PROCESSES_PER_CORE", "MAX_THREADS", "ConfigError", "RunConfig", "check_config",
           "config_of"]

# Beyond these, a run thrashes the machine rather than demonstrating anything.
MAX_THREADS = 1024
MAX_PROCESSES_PER_CORE = 16


class ConfigError(ValueError):
    """A run that cannot start as configured; the message is one line meant for the user."""


@dataclass(frozen=True)
class RunConfig:
    workload: Workload
    backend: str
    workers: int | None = None  # None: the CPUs this process may use
    start_method: str | None = None  # process backends only; None: the safe default
    sample_interval_s: float = 0.1
    baseline_wall_s: float | None = None
    scheduler: str | None = None  # dask only: an existing cluster's scheduler address
    #: Start every worker before the clock (``engine.backends.warm``); backends that start a
    #: worker per task, or none, run cold and the run says so in a note.
    warm: bool = False


def check_config(config: RunConfig) -> type[Backend]:
    """Refuse a run that cannot work, before anything starts. Returns the backend class."""
    try:
        backend = get_backend(config.backend)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    avail = backend.availability()
    if not avail.ok:
        raise ConfigError(f"backend {backend.name!r} is unavailable: {avail.reason}")
    wl = config.workload
    if wl.process_only and not backend.uses_processes:
        raise ConfigError(
            f"task {wl.process_only[0]!r} kills its worker process; on the in-process backend "
            f"{backend.name!r} it would kill CoreScope itself (use processes, process-pool "
            "or mp-pool)")
    cores = usable_cores()
    limit = MAX_PROCESSES_PER_CORE * cores if backend.uses_processes else MAX_THREADS
    workers = backend.effective_workers(config.workers or cores, wl.n_tasks)
    what = "processes" if backend.uses_processes else "threads"
    if config.workers is not None and not 1 <= config.workers <= limit:
        raise ConfigError(f"workers {config.workers} is out of range 1..{limit} for "
                          f"{backend.name} ({what})")
    if workers > limit:
        raise ConfigError(f"{backend.name} starts one worker per task: {wl.n_tasks} tasks "
                          f"would start {wl.n_tasks} {what} (limit {limit})")
    if config.start_method is not None:
        if not backend.uses_processes:
            raise ConfigError(f"--start-method applies to process backends only, "
                              f"not {backend.name!r}")
        valid = valid_start_methods()
        if config.start_method not in valid:
            raise ConfigError(f"unknown start method {config.start_method!r} "
                              f"(valid here: {', '.join(valid)})")
    if config.scheduler is not None:
        if not backend.accepts_scheduler:
            raise ConfigError(f"--scheduler applies to the dask backend only, "
                              f"not {backend.name!r}")
        problem = check_scheduler_address(config.scheduler)
        if problem is not None:
            raise ConfigError(problem)
    if not 0.01 <= config.sample_interval_s <= 10:
        raise ConfigError(f"sample interval {config.sample_interval_s} s is out of range "
                          "0.01..10")
    if backend.uses_processes:
        for item in wl.items:
            if item.spec.builtin:
                continue
            if item.spec.name.split(":")[0] == "__main__":
                raise ConfigError(f"{item.spec.name}: functions in __main__ cannot be found by a "
                                  "worker process; put it in a module or a .py file")
            try:
                pickle.dumps(dict(item.params))
            except Exception as exc:
                raise ConfigError(f"{item.spec.name}: parameters cannot be sent to a worker "
                                  f"process ({type(exc).__name__}: {exc})") from None
    return backend


def config_of(result: RunResult) -> RunConfig:
    """The settings that would run ``result`` again: its workload (every task, its parameters
    and count), backend, workers, start method, sampling interval and warm start.

    The window shows them in its panel when a saved run is opened, so what is on screen and
    what Run would start agree.

    Raises:
        ConfigError: one line, when the saved run cannot be set up on this install (a backend
            it lacks, a custom task whose file is gone).
    """
    if not result.backend_known:
        raise ConfigError(f"backend {result.backend!r} is not one this CoreScope has")
    items: list[WorkItem] = []
    tasks = result.workload.get("tasks") or []
    try:
        for task in tasks:
            settings = {k: setting_text(v) for k, v in (task.get("params") or {}).items()}
            items.extend(build_workload([task["name"]], int(task["count"]), settings).items)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"its workload cannot be set up here: {exc}") from None
    if not items:
        raise ConfigError("it names no tasks")
    workload = Workload(tuple(items), result.workload.get("timeout_s"))
    workers = result.requested_workers if result.requested_workers > 0 else None
    config = RunConfig(workload, result.backend, workers, result.start_method,
                       result.sample_interval_s, scheduler=result.scheduler,
                       warm=result.warm_start_s is not None)
    check_config(config)
    return config
