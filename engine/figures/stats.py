"""The derived figures of a run, and what they mean.

    wall_s          run start (before any worker exists) to the last worker gone
    speedup         baseline wall / this wall (baseline: a sequential run of the same workload)
    efficiency      speedup / min(workers, usable cores): 1.0 is the ideal for this machine
    cpu_util        mean whole-machine CPU busy % over the run's samples; for a cluster reached
                    by address, the mean busy % of its hosts' cores (sampled on the hosts)
    other_util      mean % of the whole machine that other programs used over the run: whole
                    machine minus CoreScope's own processes (``other_cpu``); None on a cluster
                    reached by address, whose workers this machine's monitor cannot see
    parallelism     Σ task durations / wall: how many tasks were in flight on average
    overhead_share  1 − Σ task durations / (wall × workers in use): the share of the workers'
                    time spent outside tasks (process start, messaging, idling at the end)
    cpu_per_wall    Σ task CPU / Σ task durations: near 1 for CPU work with a core to itself,
                    low for tasks that waited (on I/O, or on the GIL)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.hosts import by_host
from engine.records import CpuSample, HostCpuSample, TaskRecord, TaskStatus


@dataclass(frozen=True)
class RunStats:
    wall_s: float
    workers: int
    cores: int
    n_tasks: int
    ok: int
    failed: int  # raised or timed out
    lost: int
    cancelled: int
    busy_s: float
    task_cpu_s: float
    cpu_util: float | None
    speedup: float | None
    efficiency: float | None
    other_util: float | None = None

    @property
    def parallelism(self) -> float:
        return self.busy_s / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def overhead_share(self) -> float:
        capacity = self.wall_s * max(1, min(self.workers, self.n_tasks))
        return min(1.0, max(0.0, 1.0 - self.busy_s / capacity)) if capacity > 0 else 0.0

    @property
    def cpu_per_wall(self) -> float:
        return self.task_cpu_s / self.busy_s if self.busy_s > 0 else 0.0

    @property
    def all_ok(self) -> bool:
        return self.ok == self.n_tasks


def speedup(baseline_wall_s: float | None, wall_s: float) -> float | None:
    if baseline_wall_s is None or wall_s <= 0:
        return None
    return baseline_wall_s / wall_s


def efficiency(speedup_: float | None, workers: int, cores: int) -> float | None:
    if speedup_ is None:
        return None
    return speedup_ / max(1, min(workers, cores))


def mean_cpu(samples: Sequence[CpuSample], t0: float, t1: float) -> float | None:
    inside = [s.total for s in samples if t0 <= s.t <= t1 + 1e-9]
    return sum(inside) / len(inside) if inside else None


def own_cpu(sample: CpuSample) -> float:
    """CoreScope's own share of the whole machine in one sample, in % of the machine (0–100).

    (Σ ``processes`` + Σ ``threads``) ÷ cores, capped at 100. What that covers, as the monitor
    measures it (engine/run/monitor.py, engine/run/sampler.py):

    - ``threads``: every thread of the engine process. In the CLI that is the CLI; in the
      window, the window's process, or for a run on a thread backend its host process
      (engine/run/host.py) together with the window's threads, so the main thread drawing the
      plots counts as CoreScope's either way. A monitor sampling in a thread is one of these.
    - ``processes``: every process descended from the engine process (the worker processes,
      a pool's helpers), except the sampler process itself, measured only on backends whose
      workers are processes (on in-process backends the list is empty: there are none).

    Not covered, so counted as other programs: the sampler process (a few % of one core at
    10 Hz), the GIL probe and its py-spy dumps on in-process backends (engine/run/gil.py), and
    a process that started and ended between two samples (a rate needs two readings).
    """
    if not sample.per_core:
        return 0.0
    own = sum(sample.processes.values()) + sum(sample.threads.values())
    return min(100.0, own / len(sample.per_core))


def other_cpu(sample: CpuSample) -> float:
    """What every other program on the machine used in one sample, in % of the machine.

    Whole machine minus ``own_cpu``, never below 0: each counter's rate is measured over its
    own few-ms-shifted interval, so CoreScope's share can come out a little above the total.
    """
    return max(0.0, sample.total - own_cpu(sample))


def mean_other_cpu(samples: Sequence[CpuSample], t0: float, t1: float) -> float | None:
    inside = [other_cpu(s) for s in samples if t0 <= s.t <= t1 + 1e-9]
    return sum(inside) / len(inside) if inside else None


#: Other programs above this mean % of the machine make a run's timings worth a caveat.
BUSY_MACHINE_PCT = 10.0


def busy_machine_note(s: RunStats) -> str | None:
    """The caveat a summary gives when other programs took a noticeable share of the machine."""
    if s.other_util is None or s.other_util <= BUSY_MACHINE_PCT:
        return None
    return (f"other programs used {s.other_util:.0f} % of the machine during this run: "
            "timings may be slower than on an idle machine")


def mean_host_cores(samples: Sequence[HostCpuSample], t0: float, t1: float) -> float | None:
    """Cores' worth of CPU in use on a cluster's hosts over the run, summed over hosts.

    Each sample is a rate over the interval since the host's previous one (the first: since
    the run started), so samples are weighted by how long they measured: the short interval a
    final round closes counts for what it covers, not as much as a full one.
    """
    total, seen = 0.0, False
    for rows in by_host(samples).values():
        busy = span = 0.0
        prev = t0
        for s in sorted(rows, key=lambda h: h.t):
            start, end, prev = max(prev, t0), min(s.t, t1), s.t
            if end > start:
                busy += s.total / 100 * len(s.per_core) * (end - start)
                span += end - start
        if span > 0:
            total += busy / span
            seen = True
    return total if seen else None


def compute(records: Sequence[TaskRecord], samples: Sequence[CpuSample], t0: float, t1: float,
            workers: int, cores: int, baseline_wall_s: float | None,
            host_samples: Sequence[HostCpuSample] = (),
            cluster_cores: int | None = None, probe_cpu_s: float = 0.0) -> RunStats:
    """``probe_cpu_s``: CPU the run's own measurement used outside the monitored processes (the
    GIL probe), taken off "other programs"."""
    wall = max(0.0, t1 - t0)
    util = mean_cpu(samples, t0, t1)
    other = None if cluster_cores else mean_other_cpu(samples, t0, t1)
    if other is not None and wall > 0 and cores > 0:
        other = max(0.0, other - 100 * probe_cpu_s / wall / cores)
    if cluster_cores:  # this machine's CPU says nothing about the cluster's: none is honest
        on_hosts = mean_host_cores(host_samples, t0, t1)
        util = None if on_hosts is None else 100 * on_hosts / cluster_cores
    counts = {status: 0 for status in TaskStatus}
    for r in records:
        counts[r.status] += 1
    sp = speedup(baseline_wall_s, wall)
    return RunStats(
        wall_s=wall, workers=workers, cores=cores, n_tasks=len(records),
        ok=counts[TaskStatus.OK],
        failed=counts[TaskStatus.ERROR] + counts[TaskStatus.TIMEOUT],
        lost=counts[TaskStatus.LOST], cancelled=counts[TaskStatus.CANCELLED],
        busy_s=sum(r.duration for r in records),
        task_cpu_s=sum(r.cpu_s for r in records),
        cpu_util=util,
        speedup=sp, efficiency=efficiency(sp, workers, cores),
        other_util=other,
    )
