"""Running the CLI's commands: following a run while signals are counted, then writing every
output and choosing the exit code.

    Run(config).start() ──► follow: poll 10 Hz, drain events, progress line; the first stop
    signal cancels, a second abandons ──► RunResult ──► finish: each output written (each
    failure one line on stderr) ──► exit code (engine.cli.exit_codes)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from engine.cli import report
from engine.cli.exit_codes import EXIT_FAILED, EXIT_OK
from engine.cli.signals import StopSignals, signal_line
from engine.figures.result import RunResult
from engine.files import outputs
from engine.files.export import document
from engine.files.outputs import GuardedStream, Target
from engine.files.trace import chrome_trace
from engine.run.config import RunConfig
from engine.run.runner import Run

__all__ = ["Io", "Make", "document_payloads", "execute", "finish", "run_each"]


def execute(config: RunConfig, out: GuardedStream, live: bool, stop: StopSignals) -> RunResult:
    """Run to the end; a stop signal cancels and still returns the (partial) result.

    A second signal leaves behind tasks that ignore the cancel (custom code on a thread
    backend cannot be interrupted) instead of waiting for them.
    """
    run = Run(config).start()
    stop.on_first = run.cancel
    try:
        return follow(run, out, live, stop)
    finally:
        stop.on_first = None


def follow(run: Run, out: GuardedStream, live: bool, stop: StopSignals) -> RunResult:
    """Poll ``run`` until it ends, acting on the signals counted meanwhile."""
    handled = 0
    while not run.wait(0.1):
        run.drain_events()
        seen = stop.count
        if seen > handled:
            if handled == 0:
                out.write("\n  cancelling: stopping workers …\n")
                run.cancel()
            if seen >= 2 and handled < 2:
                out.write("\n  leaving the remaining tasks behind\n")
                run.abandon()
            handled = seen
        if live:
            out.write(f"\r  {run.done_count}/{run.total} tasks done")
            out.flush()
        if handled == 1 and run.still_running:
            out.write(f"\r  waiting for {run.still_running} running task(s) to stop "
                      "(Ctrl-C again to leave them running)")
            out.flush()
    if live or handled:
        out.write("\n")
    return run.result()


@dataclass
class Io:
    """The CLI's streams. ``out`` carries the human report: stdout, or stderr once an output
    is sent to stdout (``-``), so that stdout holds nothing but that data."""

    stdout: TextIO | None
    err: GuardedStream
    out: GuardedStream
    leave_now: bool = False  # threads were left running: end the process without joining them

    def report_to_stderr(self) -> None:
        self.out = self.err


def run_each(args: argparse.Namespace, configs: Sequence[RunConfig], io: Io,
             stop: StopSignals, label: Sequence[str] | None = None) -> list[RunResult]:
    """Run configs one after another (never side by side: they would share the cores).

    Stops at the first signal: the run it hit is cancelled, later ones never start.
    """
    results: list[RunResult] = []
    for i, config in enumerate(configs):
        if stop.count:
            break
        io.out.write(f"-- {label[i] if label else config.backend} …\n")
        io.out.flush()
        result = execute(config, io.out, not args.quiet and io.out.isatty(), stop)
        results.append(result)
        if not args.quiet:
            io.out.write(report.run_text(result, verbose=False))
    return results


Make = Callable[[], outputs.Payload]  # makes one output's content when its turn comes


def finish(io: Io, targets: Sequence[Target], results: Sequence[RunResult],
           stop: StopSignals, payloads: dict[str, Make]) -> int:
    """Write every output (each failure its own line), then decide the exit code."""
    failures = outputs.write_all([(t, payloads[t.flag]) for t in targets], io.stdout)
    for t in targets:
        if t in failures:
            io.err.write(f"corescope: error: {failures[t]}\n")
        elif not t.to_stdout:
            io.out.write(f"wrote {t.path}" + {
                "--trace": " (open in https://ui.perfetto.dev)",
                "--session": f" (open with: python main.py gui --session {t.path})",
            }.get(t.flag, "") + "\n")
    io.leave_now = any(r.abandoned for r in results)
    signalled = stop.exit_code()
    if signalled is not None:
        io.err.write(signal_line(stop.received[0], any(r.cancelled for r in results)))
        return signalled
    return EXIT_FAILED if failures or not all(r.ok for r in results) else EXIT_OK


def document_payloads(results: Sequence[RunResult], kind: str,
                      extra: dict[str, Any] | None = None) -> dict[str, Make]:
    made: list[dict[str, Any]] = []

    def doc() -> dict[str, Any]:  # built once, for --json and --session alike
        if not made:
            made.append(document(results, results[0].machine, kind, extra))
        return made[0]

    return {"--json": doc, "--session": doc, "--trace": lambda: chrome_trace(results)}
