"""``dask``: tasks as Dask futures on a real distributed cluster.

By default a ``LocalCluster`` of worker processes (one thread each, as many as the workers
setting) bound to 127.0.0.1, dashboard off, closed when the run ends or is cancelled. With a
scheduler address it connects to an existing cluster instead and leaves it running.

    engine process                      dask scheduler                 dask worker process
    EventListener (LocalCluster) ◄──────── own connection ─────────── run_task(inst)
    Client.subscribe_topic (by address) ◄── topic "corescope" ◄── log_event   (started, then
      ├► ctx.started(TaskStarted)                                      record, in order)
      └► ctx.finished(TaskRecord)
    futures ◄──────────────────── results (None) / KilledWorker ──────

Both events of a task travel one ordered stream, for the same reason as the process pools'
single pipe: the timeline must see a worker's end before its next start. On a LocalCluster
that is the worker process's own connection to the engine's listener (``_socket_events``), as
for the process pools; on a cluster reached by address, which may be on other machines, it is
worker → scheduler → client (every event two more messages for the scheduler). A worker that
dies is not retried ("allowed-failures" 0): CoreScope shows the crash as a lost task instead of
Dask quietly re-running it elsewhere. The tasks go to the scheduler in one ``Client.map``.

A cluster reached by address needs nothing of CoreScope installed. Reaching it is bounded (10 s,
handshake included) and the run's cancel ends the wait. Then CoreScope's ``engine`` package, as
a zip, and the file of any ``file.py:function`` task go to every worker through distributed's
UploadFile plugin (into the worker's own scratch directory, removed when the worker exits), and
the functions the scheduler and nannies must unpickle travel by value
(``engine.backends.dask_remote``). The plugins are unregistered when the run ends; a worker
keeps the engine it imported until it exits.

Clocks: task times are read on the worker. Workers on this machine share our clock; for a
remote cluster each worker's offset is measured once (a round trip, halved) and subtracted.

CPU: with a LocalCluster the workers are our children and the run's own monitor sees them.
On a cluster reached by address they may be anywhere, so a ``engine.hosts.HostSampler`` asks
every worker's nanny for its host's per-core CPU and the worker's own (psutil, through
``Client.run``) while the run lasts; the window draws each host as a group of its own.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from engine import clock, wire
from engine.backends import dask_remote
from engine.backends._socket_events import EventListener, EventSink
from engine.backends.base import Availability, Backend, RunContext
from engine.backends.dask_connect import (
    Shipment,
    one_line,
    reach_scheduler,
    ship,
    task_file,
    unreachable,
    unship,
)
from engine.backends.warm import WARM_TIMEOUT_S, warm_up
from engine.describe import exception_message, type_name
from engine.hosts import HostCpuTracker, HostReading, HostSampler
from engine.records import TaskRecord, TaskStarted
from engine.values import replace
from engine.worker import run_task
from engine.workload import TaskInstance

TOPIC = "corescope"
INSTALL_HINT = "pip install 'dask[distributed]'"
#: Seconds to reach a scheduler by address, handshake included (a healthy one answers in ms).
CONNECT_TIMEOUT_S = 10.0


class _ByValue:
    """A function of ``dask_remote`` that pickles as its code, not as a reference.

    distributed pickles a task spec with plain pickle first, which would name the function by
    its module; this wrapper pickles as ``pickle.loads(<cloudpickle of the function by value>)``
    instead, so the process that unpickles it (the scheduler, a nanny) needs only cloudpickle.
    It unpickles as the bare function.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.__name__ = function.__name__
        self._data: bytes | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __reduce__(self) -> tuple[Callable[[bytes], Any], tuple[bytes]]:
        if self._data is None:
            import cloudpickle  # type: ignore[import-untyped]

            cloudpickle.register_pickle_by_value(dask_remote)
            self._data = cloudpickle.dumps(self.function)
        return pickle.loads, (self._data,)


_ENTRY = _ByValue(dask_remote.call_engine)
_read_via_nanny = _ByValue(dask_remote.read_via_nanny)
_read_on_worker = _ByValue(dask_remote.read_on_worker)


def _run_on_dask_worker(inst_bytes: bytes, shipped_file: str | None,
                        sink: EventSink | None = None) -> None:
    """Runs inside a Dask worker (called by ``dask_remote.call_engine``): both events go out
    through ``sink`` (a LocalCluster's workers: the engine's own listener) or else the worker's
    event stream. ``shipped_file``: the name, in the worker's directory, of the custom task's
    .py file sent with the run."""
    from distributed import get_worker

    worker = get_worker()
    inst: TaskInstance = pickle.loads(inst_bytes)
    if shipped_file is not None and inst.ref.custom is not None:
        function = inst.ref.custom.rpartition(":")[2]
        path = os.path.join(worker.local_directory, shipped_file)
        inst = replace(inst, ref=replace(inst.ref, custom=f"{path}:{function}"))

    def emit(item: TaskStarted | TaskRecord) -> None:
        if sink is not None:
            sink.put(item)
        else:
            worker.log_event(TOPIC, {"e": wire.encode(item)})

    lane = f"dask {worker.address.split('://')[-1]} · pid {os.getpid()}"
    emit(run_task(inst, emit, lane=lane, host=socket.gethostname()))


_WORKER_TARGET = f"{__name__}:{_run_on_dask_worker.__name__}"


def _clock_offsets(client: Any, workers: Iterable[str]) -> dict[str, float]:
    """Worker address -> (worker clock − our clock), for workers on other hosts."""
    local = {"127.0.0.1", "localhost", socket.gethostname()}
    try:
        local.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    offsets: dict[str, float] = {}
    for addr in workers:
        host = addr.split("://")[-1].rsplit(":", 1)[0]
        if host in local:
            continue
        before = clock.now()
        remote = client.run(time.perf_counter, workers=[addr])[addr]
        after = clock.now()
        offsets[addr] = remote - (before + after) / 2
    return offsets


def _why_lost(exc: BaseException) -> str:
    """One line for a future that failed outside the task (the task's own errors come back as
    records): its worker died, or the cluster could not run CoreScope's code at all."""
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return "Dask worker died under the task (KilledWorker)"
    # The cause may be the user's own exception: described, never str()-ed unguarded.
    text = exception_message(exc)
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        text = f"{text} ({type_name(cause)}: {exception_message(cause)})"
    if "deserialization of the task graph" in text:
        return ("the Dask scheduler could not unpickle the tasks (its Python lacks what this "
                f"one has): {text[:300]}")
    return f"a Dask worker could not run the task: {type_name(exc)}: {text[:200]}"


#: Seconds one ``Client.run`` of a sampling round may take (a healthy one takes 2–7 ms).
_ROUND_TIMEOUT_S = 1


def _watch_hosts(client: Any, info: dict[str, Any], offsets: dict[str, float],
                 ctx: RunContext) -> HostSampler | None:
    """Size the cluster from one round of host readings, then sample its hosts' CPU.

    Readings are taken by each worker's nanny, a separate process on the same host: run in
    the worker itself, a round waits for the GIL held by the task (measured 9 ms a round
    against 2 ms idle) and holds up the worker's event loop, and so the next task. Workers
    started without a nanny are asked directly. The workers are those present when the run
    starts. Returns None (and says why in a note) if the hosts cannot be read: the run goes
    on without them. ``info``: the scheduler's description of each worker, by address.
    """
    via_nanny = [a for a, w in info.items() if w.get("nanny")]
    direct = [a for a in info if a not in via_nanny]

    def read_round() -> dict[str, HostReading]:
        # ``callback_timeout`` is taken by Client.sync (not passed to the workers).
        got: dict[str, HostReading] = {}
        for function, workers, nanny in ((_read_via_nanny, via_nanny, True),
                                         (_read_on_worker, direct, False)):
            if workers:
                answers = client.run(function, workers=workers, nanny=nanny,
                                     on_error="return", callback_timeout=_ROUND_TIMEOUT_S)
                got.update((a, HostReading(*r)) for a, r in answers.items()
                           if isinstance(r, tuple) and len(r) == 5)
        return got

    tracker = HostCpuTracker(offsets)
    try:
        first = read_round()
    except Exception as exc:  # noqa: BLE001 — a slow or failing cluster: run without hosts
        first, why = {}, f"{type(exc).__name__}: {exc}".rstrip(": ")
    else:
        why = "no worker answered"
    if not first:
        ctx.note(f"the CPU of the cluster's hosts could not be read ({why}); "
                 "only this machine's CPU is shown")
        return None
    tracker.update(first)  # the baseline the first interval's rates are measured from
    threads = sum(w.get("nthreads", 1) for w in info.values())
    cores = {r.host: len(r.cores) for r in first.values()}
    ctx.use_cluster(threads, sum(cores.values()))
    ctx.note(f"cluster: {threads} worker thread(s) on {len(cores)} host(s) with "
             f"{sum(cores.values())} cores; efficiency is judged against them")
    return HostSampler(read_round, ctx.host_cpu, tracker).start()


#: Seconds the run waits for distributed's "IO loop" thread to end after the client closes.
_LOOP_JOIN_S = 5.0


def _join_new_loops(before: set[threading.Thread], ctx: RunContext) -> None:
    """Wait (bounded) for the event-loop thread the client started: it stops on its own once
    the client is closed, but on a loaded machine that took seconds, and a run leaves no
    thread of its own behind."""
    deadline = time.monotonic() + _LOOP_JOIN_S
    for t in threading.enumerate():
        if t not in before and t.name == "IO loop":
            t.join(max(0.0, deadline - time.monotonic()))
            if t.is_alive():
                ctx.note(f"Dask's event-loop thread had not ended {_LOOP_JOIN_S:g} s after "
                         "the run; it ends on its own")


def _close_workers_now(cluster: Any) -> None:
    """End a LocalCluster's busy workers within a second.

    A nanny's default close asks its worker to finish and waits up to 4 s before killing it;
    a cancelled run should not wait for tasks it just dropped.
    """
    import asyncio

    async def close_all() -> None:
        await asyncio.gather(*(n.close(timeout=0.3) for n in cluster.workers.values()),
                             return_exceptions=True)

    cluster.sync(close_all)


class DaskBackend(Backend):
    name = "dask"
    summary = "Dask distributed: a LocalCluster of worker processes, or --scheduler ADDRESS"
    uses_processes = True
    warms = True  # a cluster it starts; one reached by address is up already
    accepts_scheduler = True

    @classmethod
    def availability(cls) -> Availability:
        if importlib.util.find_spec("distributed") is None:
            return Availability(False, f"dask.distributed is not installed ({INSTALL_HINT})")
        return Availability(True)

    @classmethod
    def prepare(cls) -> None:
        import distributed  # noqa: F401 — ~0.5 s the first time

    def run(self, tasks: list[TaskInstance], ctx: RunContext) -> None:
        # A LocalCluster's workers are this machine's processes: their events come straight to
        # the engine's socket listener, as the process pools' do (see _run_on).
        listener = EventListener(ctx.started, ctx.finished) if ctx.scheduler is None else None
        try:
            self._run_here(tasks, ctx, listener)
        finally:
            if listener is not None:  # after the cluster: the workers' ends are closed
                problem = listener.close()
                if problem:
                    ctx.note(problem)

    def _run_here(self, tasks: list[TaskInstance], ctx: RunContext,
                  listener: EventListener | None) -> None:
        import dask
        from distributed import Client, LocalCluster

        settings = {"distributed.scheduler.allowed-failures": 0,
                    "distributed.worker.multiprocessing-method": ctx.start_method or "spawn",
                    "distributed.admin.tick.limit": "1h"}  # GIL-bound tasks stall the tick
        with dask.config.set(settings):
            loops_before = set(threading.enumerate())
            cluster = None
            if ctx.scheduler is None:
                cluster = LocalCluster(n_workers=ctx.workers, threads_per_worker=1,
                                       processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.CRITICAL)
                client = Client(cluster)
            else:
                why = reach_scheduler(ctx.scheduler, ctx.cancel, CONNECT_TIMEOUT_S)
                if why is None:
                    try:
                        client = Client(ctx.scheduler, timeout=f"{CONNECT_TIMEOUT_S:g}s")
                    except (OSError, TimeoutError) as exc:  # it answered a moment ago
                        why = unreachable(ctx.scheduler, CONNECT_TIMEOUT_S, one_line(exc))
                if why is not None:
                    if why:  # else cancelled: the runner marks the tasks
                        ctx.lost(ctx.pending_ids(), why)
                    return
                ctx.note(f"connected to the Dask cluster at {ctx.scheduler}; it stays running")
            try:
                if ctx.warm:
                    _warm(client, ctx, local=cluster is not None)
                self._run_on(client, tasks, ctx, listener)
            finally:
                # Closing logs "connection closed" errors with tracebacks for comms that are
                # closed on purpose; the CLI's stderr is for the user's problems only.
                quiet = logging.getLogger("distributed")
                level, quiet.level = quiet.level, logging.CRITICAL
                try:
                    if cluster is not None and ctx.cancel.is_set():
                        _close_workers_now(cluster)
                    client.close()
                    if cluster is not None:
                        cluster.close()
                    _join_new_loops(loops_before, ctx)
                finally:
                    quiet.setLevel(level)

    def _run_on(self, client: Any, tasks: list[TaskInstance], ctx: RunContext,
                listener: EventListener | None) -> None:
        # The workers present at the start (one scheduler round trip, shared by both uses).
        info = client.scheduler_info()["workers"] if ctx.scheduler is not None else {}
        offsets = _clock_offsets(client, info)
        if offsets:
            worst = max(abs(v) for v in offsets.values())
            ctx.note(f"{len(offsets)} remote worker(s): times corrected by a measured clock "
                     f"offset (largest {worst * 1000:.1f} ms)")

        def on_event(event: tuple[float, dict[str, Any]]) -> None:
            msg = event[1]
            item = wire.decode(msg["e"])
            shift = offsets.get(msg.get("worker", ""), 0.0)
            if isinstance(item, TaskStarted):
                ctx.started(replace(item, started=item.started - shift) if shift else item)
            else:
                if shift:
                    item = replace(item, started=item.started and item.started - shift,
                                   finished=item.finished and item.finished - shift)
                ctx.finished(item)

        # Events through the scheduler (a cluster by address, which may be elsewhere) are two
        # more messages per event for the process that also schedules the tasks: measured on
        # 2,000 × 1 ms tasks, a LocalCluster run was 1.42× bare Client.map that way, 1.29×
        # with the listener (docs/benchmarks.md).
        if listener is None:
            client.subscribe_topic(TOPIC, on_event)
        sampler = None
        registered: list[str] = []
        try:
            shipment = None
            if ctx.scheduler is not None:
                try:
                    shipment = ship(client, tasks, registered)
                except Exception as exc:  # noqa: BLE001 — a worker refused the upload
                    ctx.lost(ctx.pending_ids(), "could not send CoreScope's code to the Dask "
                                                f"workers: {one_line(exc)}")
                    return
                sampler = _watch_hosts(client, info, offsets, ctx)
            self._submit_and_wait(client, tasks, ctx, shipment,
                                  listener.sink if listener is not None else None)
        finally:
            if sampler is not None:
                # No closing round after a cancel: Stop should not wait on the cluster.
                sampler.stop(final_round=not ctx.cancel.is_set())
            unship(client, registered)
            if listener is None:
                client.unsubscribe_topic(TOPIC)

    def _submit_and_wait(self, client: Any, tasks: list[TaskInstance], ctx: RunContext,
                         shipment: Shipment | None, sink: EventSink | None) -> None:
        lock = threading.Lock()
        futures = {}
        zip_name = shipment.zip_name if shipment is not None else None
        files = shipment.files if shipment is not None else {}
        # One ``map``, not a ``submit`` per task: the scheduler gets the whole workload as one
        # graph update instead of one message per task (on 2,000 × 1 ms tasks on a LocalCluster
        # the run went from 1.29× to 1.05× bare Client.map). Each instance travels as bytes:
        # the scheduler unpickles the spec, not it.
        submitted = [ctx.submit(inst) for inst in tasks]
        n = len(submitted)
        # By value only for a cluster by address, whose processes may not have our engine: a
        # worker unpickles the function with every task (distributed keeps no cache), and by
        # value that is ~50 µs and 2.5 kB a task; a LocalCluster's workers import this
        # process's engine, so there it travels by name.
        entry = _ENTRY if ctx.scheduler is not None else dask_remote.call_engine
        placed = client.map(entry, [zip_name] * n, [_WORKER_TARGET] * n,
                            [pickle.dumps(inst) for inst in submitted],
                            [files.get(task_file(inst) or "") for inst in submitted],
                            [sink] * n, pure=False,
                            key=[f"corescope-{inst.id}-{inst.name}" for inst in submitted])
        for fut, inst in zip(placed, submitted):
            futures[fut.key] = (fut, inst)

        def watch(fut: Any) -> None:
            if fut.status == "error" and not ctx.cancel.is_set():
                with lock:
                    inst = futures[fut.key][1]
                ctx.lost([inst.id], _why_lost(fut.exception()))

        for fut, _ in futures.values():
            fut.add_done_callback(watch)
        while not ctx.all_done.wait(0.05):
            if ctx.cancel.is_set():
                client.cancel([f for f, _ in futures.values()], force=True)
                return


def _warm(client: Any, ctx: RunContext, local: bool) -> None:
    """A warm run: the local cluster's workers up and through an empty call before the clock.
    A running cluster's workers are up already; its run counts from the connection."""
    if not local:
        ctx.note("warm start: a running cluster's workers are up already; the clock starts "
                 "once connected")
        return
    try:
        client.wait_for_workers(ctx.workers, timeout=WARM_TIMEOUT_S)
        replies = client.run(warm_up)  # on every worker: {address: (pid, tid, began)}
    except Exception as exc:  # noqa: BLE001 — the run goes on cold, and says so
        ctx.note(f"warm start failed ({one_line(exc)}); this run is cold")
        return
    ctx.ready(len(replies), max((r[2] for r in replies.values()), default=None))
