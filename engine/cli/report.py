"""Text the CLI prints: run summaries, comparison tables, the task/backend list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.figures import sweep
from engine.figures.explain import explain, warm_line
from engine.figures.memory import memory_line
from engine.figures.result import RunResult
from engine.figures.stats import busy_machine_note, mean_host_cores
from engine.files import tables
from engine.hosts import by_host
from engine.records import MachineInfo, TaskStatus
from engine.run.config import RunConfig
from engine.tasks import BUILTIN_TASKS


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _times(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×"


def machine_line(m: MachineInfo) -> str:
    gil = ("free-threaded build, GIL off" if m.free_threaded_build and not m.gil_enabled
           else "free-threaded build, GIL on" if m.free_threaded_build else "GIL on")
    return (f"{m.logical_cores} logical cores ({m.usable_cores} usable) · "
            f"{m.implementation} {m.python} · {gil}")


def header(m: MachineInfo, config: RunConfig) -> str:
    return f"{machine_line(m)}\nworkload: {config.workload.label()}"


def run_text(result: RunResult, verbose: bool = True) -> str:
    s = result.stats
    how = f"{result.workers} workers" + (f", {result.start_method}" if result.start_method else "")
    counts = f"{s.ok} ok"
    for label, n in (("failed", s.failed), ("lost", s.lost), ("cancelled", s.cancelled)):
        if n:
            counts += f", {n} {label}"
    cpu = "—" if s.cpu_util is None else f"{s.cpu_util:.0f} %"
    cpu += " of cluster" if result.cluster_cores else " of machine"
    lines = [
        f"{result.backend} ({how}): {counts} of {s.n_tasks}",
        f"  wall {s.wall_s:.3f} s · speedup {_times(s.speedup)} · efficiency "
        f"{_pct(s.efficiency)} · CPU {cpu} · parallelism {s.parallelism:.2f} · "
        f"overhead {s.overhead_share:.0%}",
    ]
    if (warm := warm_line(result)) is not None:
        lines.append(f"  warm: {warm}")
    lines += [f"  note: {n}" for n in result.notes]
    busy = busy_machine_note(s)
    if busy:
        lines.append(f"  note: {busy}")
    lines += _host_lines(result)
    if (memory := memory_line(result)) is not None:
        lines.append(f"  memory: {memory}")
    if verbose:
        lines += [f"  why: {line}" for line in explain(result)]
        bad = [r for r in result.records if r.status is not TaskStatus.OK]
        for r in bad[:20]:
            lines.append(f"  task {r.id} {r.name}: {r.status.value}"
                         + (f" — {r.error.one_line()}" if r.error else ""))
        if len(bad) > 20:
            lines.append(f"  … and {len(bad) - 20} more")
    else:
        lines += [f"  problem: {p}" for p in result.problems]
    return "\n".join(lines) + "\n"


def _host_lines(result: RunResult) -> list[str]:
    """One line per cluster host: the headless view of the window's "CPU per cluster host"."""
    lines = []
    for host, samples in by_host(result.host_samples).items():
        busy = mean_host_cores(samples, result.t0, result.t_end)
        cores = len(samples[-1].per_core)
        here = " (this machine)" if samples[-1].this_machine else ""
        workers = len(set().union(*(s.processes for s in samples)))
        lines.append(f"  host {host}{here}: {workers} worker(s), {cores} "
                     f"core{'s' if cores != 1 else ''}, "
                     + ("—" if busy is None else f"{busy:.1f} busy on average"))
    return lines


def compare_table(results: Sequence[RunResult], baseline: str) -> str:
    rows = tables.compare_rows(results)
    best = tables.fastest(results)
    if best is not None:
        rows[best][0] += " ★"
    note = (f"\nspeedup vs {baseline}; efficiency = speedup / min(workers, cores); "
            "★ fastest with every task ok\n")
    return note + tables.to_text(tables.COMPARE_HEADER, rows)


def sweep_table(knob: str, points: Sequence[sweep.SweepPoint],
                results: Sequence[RunResult]) -> str:
    return tables.to_text([knob, *sweep.SWEEP_HEADER_TAIL], sweep.rows(knob, points, results))


def list_text(backends: Sequence[dict[str, Any]]) -> str:
    lines = ["tasks:"]
    for t in BUILTIN_TASKS.values():
        params = ", ".join(f"{p.name}={p.default}" for p in t.params)
        lines.append(f"  {t.name:<8} {t.kind:<32} {t.description}")
        if params:
            lines.append(f"  {'':<8} params: {params}")
    lines.append("  module:function or path/to/file.py:function — your own function")
    lines.append("backends:")
    for b in backends:
        state = "" if b["available"] else f"  [unavailable: {b['reason']}]"
        lines.append(f"  {b['name']:<13} {b['summary']}{state}")
    return "\n".join(lines) + "\n"
