"""Code that runs in a Dask cluster's own processes, sent there by value.

A cluster reached by address has no CoreScope on it. Yet its scheduler unpickles every task's
spec to schedule it (with distributed 2026.8, a scheduler that cannot import ``engine`` refuses
the whole graph: "Error during deserialization of the task graph"), and the host readings run
in the workers' nannies, which never import CoreScope. So this module uses only the standard
library and psutil (distributed needs psutil: it is on every cluster), and its functions travel
by value (``cloudpickle.register_pickle_by_value``): the process that receives one rebuilds it
from its code and imports nothing of ours.

    client (CoreScope)                     scheduler                  worker
    submit(call_engine, zip, target, …) ─► unpickles the spec ──────► call_engine: import the
      (the function by value; the task's     (cloudpickle and bytes     target from the engine zip
       instance as bytes)                     only)                     the UploadFile plugin put
                                                                        on sys.path, and call it
    run(read_via_nanny) ───────────────────────────────────────────► nanny: psutil counters,
                                                                        returned as a plain tuple

Everything a task needs from ``engine`` is imported on the worker, inside ``call_engine``.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import sys
import time
from typing import Any

#: What one reading of a host is, as it travels: host name, the reader's perf_counter, per
#: core (busy seconds, total seconds), the process id, that process's CPU seconds.
Counters = tuple[str, float, tuple[tuple[float, float], ...], int, float]

#: Names of the functions CoreScope runs on a cluster's nannies and workers several times a
#: second (as the receiving process logs them).
SAMPLING_CALLS = ("read_via_nanny", "read_on_worker")


def host_counters(pid: int | None = None) -> Counters:
    """This host's cumulative per-core CPU times and the CPU time of process ``pid`` (default:
    the calling process). Raises psutil.NoSuchProcess for a gone pid."""
    import psutil

    cores = []
    for c in psutil.cpu_times(percpu=True):
        total = sum(c)
        cores.append((total - c.idle - getattr(c, "iowait", 0.0), total))
    pid = os.getpid() if pid is None else pid
    own = psutil.Process(pid).cpu_times()
    return socket.gethostname(), time.perf_counter(), tuple(cores), pid, own.user + own.system


class _QuietSampling(logging.Filter):
    """Drops distributed's "Run out-of-band function" INFO line for CoreScope's own sampling
    calls: four a second would bury everything else in a worker's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not (str(record.msg).startswith("Run out-of-band") and bool(args)
                    and args[0] in SAMPLING_CALLS)


def _quiet_sampling_logs() -> None:
    log = logging.getLogger("distributed.worker")  # nannies log through it too
    # By name: each call arrives as a fresh copy of the class (sent by value).
    if not any(type(f).__name__ == "_QuietSampling" for f in log.filters):
        log.addFilter(_QuietSampling())


def read_via_nanny(dask_worker: Any) -> Counters | None:
    """Runs in a worker's nanny: reads the host and the worker process from outside it.
    None while the worker is restarting (no pid) or just gone."""
    _quiet_sampling_logs()
    pid = dask_worker.pid
    try:
        return None if pid is None else host_counters(pid)
    except Exception:  # noqa: BLE001 — psutil.NoSuchProcess and the like: skip this reading
        return None


def read_on_worker() -> Counters:
    """Runs in a worker started without a nanny."""
    _quiet_sampling_logs()
    return host_counters()


def _from_zip(module: Any, zip_name: str) -> bool:
    return f"{os.sep}{zip_name}{os.sep}" in (getattr(module, "__file__", None) or "")


def call_engine(zip_name: str | None, target: str, *args: Any) -> Any:
    """Runs on a worker: call ``target`` ("module:function" in ``engine``) with ``args``.

    ``zip_name``: the engine zip shipped for this run (None on a LocalCluster, whose workers
    import this process's engine). A long-lived worker may still hold an engine imported in an
    earlier run of other code; that one is forgotten so that this run's code is what runs. Two
    threads of a worker may do so at once: harmless, as everything they send back is pickled
    by name and each task keeps the modules it imported.
    """
    module_name, _, function = target.partition(":")
    module = importlib.import_module(module_name)
    if zip_name is not None and not _from_zip(module, zip_name):
        for name in [n for n in sys.modules if n == "engine" or n.startswith("engine.")]:
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        module = importlib.import_module(module_name)
    return getattr(module, function)(*args)
