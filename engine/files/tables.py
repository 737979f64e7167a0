"""Tables of results as plain rows, and their CSV and Markdown forms.

One source of rows for the CLI's table, ``--csv``, ``--markdown`` and the window's results
table, so every view of a comparison shows the same numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from engine.figures.memory import memory_reading
from engine.figures.result import RunResult, entry_names

# "peak MiB": the workers' resident memory at its peak, all together (engine.figures.memory);
# blank where the run has no memory readings (a cluster, a file written before they existed).
COMPARE_HEADER = ["backend", "workers", "wall s", "speedup", "efficiency", "CPU %",
                  "peak MiB", "overhead %", "ok", "failed"]


def _fmt(x: float | None, spec: str) -> str:
    return "" if x is None else format(x, spec)


def compare_rows(results: Sequence[RunResult]) -> list[list[str]]:
    """One row per run: what ``COMPARE_HEADER`` names, as display strings."""
    rows = []
    for r, name in zip(results, entry_names(results)):
        s = r.stats
        memory = memory_reading(r)
        rows.append([name, str(r.workers), f"{s.wall_s:.3f}", _fmt(s.speedup, ".2f"),
                     _fmt(None if s.efficiency is None else s.efficiency * 100, ".0f"),
                     _fmt(s.cpu_util, ".0f"),
                     _fmt(None if memory is None else memory.peak_total, ".0f"),
                     f"{s.overhead_share * 100:.0f}", str(s.ok),
                     str(s.n_tasks - s.ok)])
    return rows


def fastest(results: Sequence[RunResult]) -> int | None:
    """Index of the fastest run that completed every task (None if none did)."""
    complete = [i for i, r in enumerate(results) if r.ok]
    return min(complete, key=lambda i: results[i].wall_s) if complete else None


def to_csv(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def to_markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    align = ["---" if i == 0 else "---:" for i in range(len(header))]
    return "\n".join([line(header), line(align), *(line(r) for r in rows)]) + "\n"


def to_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    table = [list(header), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    out = []
    for row in table:
        out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip())
    return "\n".join(out) + "\n"


TASKS_HEADER = ["backend", "id", "name", "status", "worker", "pid", "tid", "submitted_s",
                "start_s", "end_s", "duration_s", "cpu_s", "result", "error"]


def tasks_csv(results: Sequence[RunResult]) -> str:
    """Every task record of every run, times in seconds since its run's start."""
    rows = []
    for res in results:
        for r in res.records:
            rel = [res.rel(t) for t in (r.submitted, r.started, r.finished)]
            rows.append([res.backend, str(r.id), r.name, r.status.value,
                         r.worker.label if r.worker else "",
                         str(r.worker.pid) if r.worker else "",
                         str(r.worker.tid) if r.worker else "",
                         *("" if t is None else f"{t:.6f}" for t in rel),
                         f"{r.duration:.6f}", f"{r.cpu_s:.6f}", r.result,
                         r.error.one_line() if r.error else ""])
    return to_csv(TASKS_HEADER, rows)
