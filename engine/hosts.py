"""CPU of a cluster's hosts: psutil read on the workers, turned into samples here.

When the workers run on other machines, this machine's per-core plot says nothing about them.
Each worker can read its own host's counters, so a sampler asks every worker through Dask
(``Client.run``) and converts the answers into ``HostCpuSample``s, one per host per round:

    engine process (HostSampler thread)          each Dask worker's nanny (or the worker)
    client.run(read_via_nanny) ────────────────► host_counters(): hostname, perf_counter,
    HostCpuTracker.update(readings) ◄─────────── per-core CPU times, the worker's CPU time
      └► ctx.host_cpu(HostCpuSample)   per host: cores from any of its workers, CPU per worker

Rates are computed here from cumulative counters (as ``engine.run.sampler`` does locally), so the
workers keep no sampling state and a worker that joins late only misses its first interval.
Times are read on the worker and moved onto our clock by the worker's measured offset.

This module is Qt-free and Dask-free: ``read_host`` runs anywhere psutil does, and the tracker
takes plain readings, so both are tested without a cluster. (The functions sent to the cluster
live in ``engine.backends.dask_remote``: the hosts there have no CoreScope to import.)
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from engine.backends.dask_remote import host_counters
from engine.records import HostCpuSample

log = logging.getLogger(__name__)

#: Seconds between rounds. Each round is one scheduler round trip to every worker (a few ms);
#: 4 Hz shows a 1 s task's rise and fall without loading the scheduler.
HOST_INTERVAL_S = 0.25
#: Shorter intervals are not rates worth drawing: CPU counters tick every 10 ms, so a 20 ms
#: interval reads as 0 %, 50 % or 100 %. Such a round is skipped and the interval runs on.
MIN_INTERVAL_S = 0.05


@dataclass(frozen=True)
class HostReading:
    """What one worker reports about its host and itself (cumulative counters)."""

    host: str
    t: float  # the worker's perf_counter
    cores: tuple[tuple[float, float], ...]  # per core: (busy seconds, total seconds)
    pid: int
    cpu_s: float  # the worker process's CPU seconds so far


def read_host(pid: int | None = None) -> HostReading:
    """This host's cores, and the CPU of process ``pid`` (default: the calling process).

    On a cluster the same counters are read by ``engine.backends.dask_remote.host_counters``
    (which this wraps), sent by value to hosts where CoreScope is not installed; they come
    back as a plain tuple and become a ``HostReading`` here.
    """
    return HostReading(*host_counters(pid))


def _percent(busy: float, busy0: float, total: float, total0: float) -> float:
    span = total - total0
    return 0.0 if span <= 0 else max(0.0, min(100.0, 100.0 * (busy - busy0) / span))


class HostCpuTracker:
    """Turns rounds of ``HostReading`` (worker address -> reading) into one sample per host.

    Args:
        offsets: worker address -> (worker clock − our clock); missing means the same clock.
        local_host: this machine's host name (its samples are marked ``this_machine``).
    """

    def __init__(self, offsets: Mapping[str, float] | None = None,
                 local_host: str | None = None) -> None:
        self._offsets = dict(offsets or {})
        self._local = socket.gethostname() if local_host is None else local_host
        self._cores: dict[str, tuple[float, tuple[tuple[float, float], ...]]] = {}
        self._procs: dict[tuple[str, int], tuple[float, float]] = {}

    def update(self, readings: Mapping[str, HostReading]) -> list[HostCpuSample]:
        by_host: dict[str, list[tuple[float, HostReading]]] = {}
        for addr, r in sorted(readings.items()):
            by_host.setdefault(r.host, []).append((r.t - self._offsets.get(addr, 0.0), r))
        samples = []
        for host, rows in by_host.items():
            t = max(t for t, _ in rows)
            # Every worker on a host reads the same core counters: any one of them will do.
            _, first = rows[0]
            prev = self._cores.get(host)
            if prev is not None and t - prev[0] < MIN_INTERVAL_S:
                continue
            self._cores[host] = (t, first.cores)
            processes: dict[int, float] = {}
            for t_w, r in rows:
                before = self._procs.get((host, r.pid))
                if before is not None and t_w - before[0] < MIN_INTERVAL_S:
                    continue
                self._procs[(host, r.pid)] = (t_w, r.cpu_s)
                if before is not None:
                    # Not capped at 100: a worker with several threads may use several cores.
                    processes[r.pid] = max(0.0, 100.0 * (r.cpu_s - before[1]) / (t_w - before[0]))
            if prev is None or len(prev[1]) != len(first.cores):
                continue  # the first reading of a host is the baseline for its rates
            per_core = tuple(_percent(b, b0, tot, tot0)
                             for (b, tot), (b0, tot0) in zip(first.cores, prev[1]))
            samples.append(HostCpuSample(t, host, per_core, processes, host == self._local))
        return samples


def by_host(samples: Iterable[HostCpuSample]) -> dict[str, list[HostCpuSample]]:
    """Samples grouped by host, hosts in order of first appearance."""
    out: dict[str, list[HostCpuSample]] = {}
    for s in samples:
        out.setdefault(s.host, []).append(s)
    return out


class HostSampler:
    """Polls ``read_round`` every ``interval_s`` in a thread and hands on each host's sample.

    Args:
        read_round: one round of readings, worker address -> ``HostReading``; it must return
            within a few seconds (the Dask backend bounds its call). Failures skip a round.
        on_sample: receives every ``HostCpuSample``.
    """

    def __init__(self, read_round: Callable[[], Mapping[str, HostReading]],
                 on_sample: Callable[[HostCpuSample], None], tracker: HostCpuTracker,
                 interval_s: float = HOST_INTERVAL_S) -> None:
        self._read = read_round
        self._on_sample = on_sample
        self._tracker = tracker
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="corescope-host-cpu",
                                        daemon=True)
        self.rounds = 0
        self._final = True

    def start(self) -> HostSampler:
        self._thread.start()
        return self

    def stop(self, final_round: bool = True, timeout: float = 5.0) -> None:
        """Stop sampling; ``final_round`` takes one last round to close the run's last
        interval (a short run then still has data)."""
        self._final = final_round
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        # The caller has taken the baseline round; each round here ends an interval. stop()
        # ends the wait early, and that last round closes the run's final interval.
        while True:
            final = self._stop.wait(self._interval)
            if final and not self._final:
                return
            try:
                readings = self._read()
            except Exception as exc:  # a worker leaving mid-round, a slow scheduler: skip it
                log.debug("host CPU round failed: %s", exc)
                readings = {}
            for sample in self._tracker.update(readings):
                self._on_sample(sample)
            self.rounds += 1
            if final:
                return
