"""``RunResult``: everything one run recorded, immutable once the run has ended.

It carries the facts about its backend that its figures and explanation need (workers in
processes or not, one worker per task or a pool), so nothing that reads a result — a view, a
file, ``engine.figures.explain`` — has to look the backend up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from engine.figures import stats
from engine.records import CpuSample, GilSample, HostCpuSample, MachineInfo, TaskRecord


@dataclass(frozen=True)
class RunResult:
    backend: str
    workload: Mapping[str, Any]  # Workload.as_dict(): tasks, params, counts
    workload_label: str
    requested_workers: int
    workers: int  # workers actually in use (a per-task backend uses one per task)
    start_method: str | None
    t0: float  # engine.clock reading at run start; record times are relative to it on output
    t_end: float
    records: tuple[TaskRecord, ...]
    samples: tuple[CpuSample, ...]
    sample_interval_s: float
    machine: MachineInfo
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()  # run-level trouble: lost workers, a failing backend
    cancelled: bool = False
    baseline_wall_s: float | None = None
    #: Some task's thread was left running when the run ended (timed out or left behind on a
    #: thread backend); it finishes unseen in the background.
    abandoned: bool = False
    #: CPU of each cluster host, sampled through Dask when the workers run elsewhere.
    host_samples: tuple[HostCpuSample, ...] = ()
    #: The Dask cluster the run connected to, and the cores of its hosts (None: this machine).
    scheduler: str | None = None
    cluster_cores: int | None = None
    #: What the backend's class says about its workers, recorded by the runner so that a
    #: result explains itself without the backend registry (a file may name a backend this
    #: install lacks). None: not recorded (a file written before these fields).
    uses_processes: bool | None = None
    worker_per_task: bool | None = None
    #: Who held the GIL, sampled by py-spy from outside the process during a run on an
    #: in-process backend (``engine.run.gil``); empty where that could not run.
    gil_samples: tuple[GilSample, ...] = ()
    #: CPU seconds the GIL probe itself used: CoreScope's, not another program's.
    probe_cpu_s: float = 0.0
    #: A warm run (``engine.backends.warm``): seconds from creating the pool to its last
    #: worker's first (empty) task, not counted in wall; None for a cold run. ``warmed_from``
    #: is the clock reading when the pool was created: the span from there to t0 is drawn
    #: before 0 on the timeline.
    warm_start_s: float | None = None
    warmed_from: float | None = None
    #: False for a run read from a file that names a backend this install lacks (set by the
    #: session loader; never saved: it says something about the reader, not the run).
    backend_known: bool = True

    @property
    def cores(self) -> int:
        """Cores the run could use: this machine's usable ones, or the cluster's."""
        return self.cluster_cores or self.machine.usable_cores

    @property
    def ideal(self) -> int:
        """The best speedup this run could reach: min(workers, cores)."""
        return max(1, min(self.workers, self.cores))

    @property
    def wall_s(self) -> float:
        return self.t_end - self.t0

    @cached_property
    def stats(self) -> stats.RunStats:
        return stats.compute(self.records, self.samples, self.t0, self.t_end, self.workers,
                             self.cores, self.baseline_wall_s, self.host_samples,
                             self.cluster_cores, self.probe_cpu_s)

    @property
    def ok(self) -> bool:
        return self.stats.all_ok and not self.problems and not self.cancelled

    def with_baseline(self, baseline_wall_s: float | None) -> RunResult:
        return dataclasses.replace(self, baseline_wall_s=baseline_wall_s)

    def rel(self, t: float | None) -> float | None:
        """A clock reading as seconds since this run started."""
        return None if t is None else t - self.t0


def entry_names(results: Sequence[RunResult]) -> list[str]:
    """What a comparison calls each run: its backend, and ``@start_method`` when the same
    backend appears under more than one start method (``process-pool@spawn``)."""
    methods: dict[str, set[str | None]] = {}
    for r in results:
        methods.setdefault(r.backend, set()).add(r.start_method)
    return [f"{r.backend}@{r.start_method}" if len(methods[r.backend]) > 1 and r.start_method
            else r.backend for r in results]
