"""The headless command line: ``list``, ``run``, ``compare``, ``sweep`` (and ``gui``'s checks).

Exit codes are a contract: 0 every task ok and every output written; 1 a task failed, a worker
died or an output (a file, or standard output itself) could not be written; 2 bad input, with
one line on stderr naming the problem and the valid choices (no traceback, nothing started);
128 + the signal after SIGINT (130, Ctrl-C), SIGTERM (143) or SIGHUP (129): the run is
cancelled, what it measured is written, and the CLI exits once every worker is gone.

During ``run``/``compare``/``sweep`` those signals are counted, not raised
(``engine.cli.signals``), so none can cut an output short: the first cancels; a second stops
waiting for tasks that ignore the cancel; later ones change nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from engine.backends.registry import BACKENDS
from engine.backends.registry import get_backend as get_backend_class
from engine.cli import report
from engine.cli.signals import SIGNAL_BASE, StopSignals, signal_line
from engine.figures import sweep
from engine.figures.result import RunResult
from engine.files import outputs, session, tables
from engine.files.export import document
from engine.files.outputs import GuardedStream, Target
from engine.files.trace import chrome_trace
from engine.run.machine import machine_info
from engine.run.runner import ConfigError, Run, RunConfig, check_config
from engine.tasks import BUILTIN_TASKS
from engine.workload import Workload, build_workload, parse_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _workload_options(p: argparse.ArgumentParser, task_required: bool) -> None:
    p.add_argument("--task", action="append", default=[], required=task_required,
                   metavar="NAME", help="built-in task name, module:function or file.py:function "
                                        "(repeat for several)")
    p.add_argument("--tasks", type=int, metavar="N",
                   help="instances per named task (built-ins default 8, custom 1)")
    p.add_argument("--workers", type=int, metavar="W",
                   help="worker threads/processes (default: the CPUs this process may use)")
    p.add_argument("--start-method", metavar="M",
                   help="process backends: spawn, forkserver or fork (default: spawn)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="task parameter; TASK.KEY=VALUE for one task only")
    p.add_argument("--timeout", type=float, metavar="S", help="per-task timeout in seconds")
    p.add_argument("--interval", type=float, default=0.1, metavar="S",
                   help="CPU sampling interval in seconds (default 0.1 = 10 Hz)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="dask: use the running cluster at tcp://host:port (left running)")


def _output_options(p: argparse.ArgumentParser, tables: bool = False) -> None:
    p.add_argument("--json", metavar="FILE", help="write the full record as JSON")
    p.add_argument("--trace", metavar="FILE", help="write a Chrome trace (open in Perfetto)")
    p.add_argument("--session", metavar="FILE",
                   help="save a session the window reopens without re-running")
    p.add_argument("--force", action="store_true", help="let outputs replace existing files")
    if tables:
        p.add_argument("--csv", metavar="FILE", help="write the results table as CSV")
        p.add_argument("--markdown", action="store_true",
                       help="print the results table as Markdown")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


# Shown under the --help of the top level and of every command that writes outputs.
_CONTRACT: dict[str, Any] = dict(formatter_class=argparse.RawDescriptionHelpFormatter, epilog="""\
outputs: FILE is a new regular file (an existing one is replaced only with --force),
/dev/null, or - for standard output (the report then goes to stderr, so stdout carries
only the data). Every output is written even when another fails: each failure is one line
on stderr, and the exit code is 1.

exit codes: 0 ok; 1 a task failed, or an output or standard output could not be written
(a closed stdout, a broken pipe); 2 bad input (one line, nothing run); 130 Ctrl-C,
143 SIGTERM, 129 SIGHUP: the run is cancelled and what it measured is still written.""")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description="CoreScope: see Python concurrency.",
                     **_CONTRACT)
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    p_list = sub.add_parser("list", help="tasks and backends")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")

    p_run = sub.add_parser("run", help="run a workload on one backend", **_CONTRACT)
    _workload_options(p_run, task_required=True)
    p_run.add_argument("--backend", required=True, metavar="B")
    _output_options(p_run)

    p_cmp = sub.add_parser("compare", help="run one workload on several backends in turn",
                           **_CONTRACT)
    _workload_options(p_cmp, task_required=True)
    p_cmp.add_argument("--backends", metavar="B1,B2,...",
                       help="comma-separated (default: every available backend that can run it)")
    _output_options(p_cmp, tables=True)

    p_sweep = sub.add_parser("sweep", help="vary task size, task count or workers", **_CONTRACT)
    _workload_options(p_sweep, task_required=True)
    p_sweep.add_argument("--backends", required=True, metavar="B1,B2,...")
    p_sweep.add_argument("--vary", required=True, metavar="KNOB=V1,V2,...",
                         help="workers=1,2,4 | tasks=2,4,8 | size=… | a task parameter")
    _output_options(p_sweep, tables=True)

    p_gui = sub.add_parser("gui", help="open the window (the default with no command)")
    _workload_options(p_gui, task_required=False)
    p_gui.add_argument("--backend", metavar="B")
    p_gui.add_argument("--session", metavar="FILE", help="open a saved session (no re-run)")
    p_gui.add_argument("--start", action="store_true", help="start the run at once")
    p_gui.add_argument("--screenshot", metavar="FILE", help="save a PNG when the run ends")
    p_gui.add_argument("--exit-after-run", action="store_true", help="quit when the run ends")
    return parser


@dataclass(frozen=True)
class GuiRequest:
    """Validated ``gui`` arguments, handed to the window by main.py."""

    config: RunConfig | None
    start: bool
    screenshot: str | None
    exit_after_run: bool
    session: session.Session | None = None


def _workload(args: argparse.Namespace) -> Workload:
    try:
        return build_workload(args.task, args.tasks, parse_settings(args.set), args.timeout)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _config(args: argparse.Namespace, workload: Workload, backend: str,
            several: bool = False) -> RunConfig:
    """``several``: one of many backends (compare), where --scheduler is meant for dask only."""
    scheduler = args.scheduler
    if several and scheduler and not get_backend_class(backend).accepts_scheduler:
        scheduler = None
    config = RunConfig(workload, backend, args.workers, args.start_method, args.interval,
                       scheduler=scheduler)
    try:
        check_config(config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return config


def _targets(args: argparse.Namespace) -> list[Target]:
    """The outputs asked for, checked before anything runs (a problem is bad input: exit 2)."""
    requested = [(f"--{flag}", getattr(args, flag, None))
                 for flag in ("json", "trace", "session", "csv")]
    try:
        return outputs.plan(requested, replace=args.force)
    except outputs.TargetError as exc:
        raise UsageError(str(exc)) from None


def parse_gui_args(argv: Sequence[str]) -> GuiRequest:
    """Check ``gui`` arguments without opening a window (bad ones exit 2 before any Qt)."""
    args = build_parser().parse_args(["gui", *argv])
    config = None
    if args.task or args.backend:
        if not args.task:
            raise UsageError("--backend needs --task as well")
        config = _config(args, _workload(args), args.backend or "sequential")
    elif args.start:
        raise UsageError("--start needs --task and --backend")
    if args.screenshot:
        try:  # the window saves its picture over an older one: no --force here
            outputs.check_target("--screenshot", args.screenshot, replace=True)
        except outputs.TargetError as exc:
            raise UsageError(str(exc)) from None
    opened = None
    if args.session:
        if args.start:
            raise UsageError("--session opens a saved run; it cannot be combined with --start")
        try:
            opened = session.load(args.session)
        except session.SessionError as exc:
            raise UsageError(str(exc)) from None
    return GuiRequest(config, args.start, args.screenshot, args.exit_after_run, opened)


def _execute(config: RunConfig, out: GuardedStream, live: bool, stop: StopSignals) -> RunResult:
    """Run to the end; a stop signal cancels and still returns the (partial) result.

    A second signal leaves behind tasks that ignore the cancel (custom code on a thread
    backend cannot be interrupted) instead of waiting for them.
    """
    run = Run(config).start()
    stop.on_first = run.cancel
    try:
        return _follow(run, out, live, stop)
    finally:
        stop.on_first = None


def _follow(run: Run, out: GuardedStream, live: bool, stop: StopSignals) -> RunResult:
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
class _Io:
    """The CLI's streams. ``out`` carries the human report: stdout, or stderr once an output
    is sent to stdout (``-``), so that stdout holds nothing but that data."""

    stdout: TextIO | None
    err: GuardedStream
    out: GuardedStream
    leave_now: bool = False  # threads were left running: end the process without joining them

    def report_to_stderr(self) -> None:
        self.out = self.err


def cmd_list(args: argparse.Namespace, io: _Io) -> int:
    backends = [{"name": n, "summary": c.summary, "available": c.availability().ok,
                 "reason": c.availability().reason, "processes": c.uses_processes}
                for n, c in BACKENDS.items()]
    if args.json:
        json.dump({"tasks": [t.as_dict() for t in BUILTIN_TASKS.values()], "backends": backends,
                   "machine": machine_info().as_dict()}, io.out, indent=1)
        io.out.write("\n")
        return EXIT_OK
    io.out.write(report.list_text(backends))
    return EXIT_OK


def _run_each(args: argparse.Namespace, configs: Sequence[RunConfig], io: _Io,
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
        result = _execute(config, io.out, not args.quiet and io.out.isatty(), stop)
        results.append(result)
        if not args.quiet:
            io.out.write(report.run_text(result, verbose=False))
    return results


_Make = Callable[[], outputs.Payload]  # makes one output's content when its turn comes


def _finish(io: _Io, targets: Sequence[Target], results: Sequence[RunResult],
            stop: StopSignals, payloads: dict[str, _Make]) -> int:
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


def _document_payloads(results: Sequence[RunResult], kind: str,
                       extra: dict[str, Any] | None = None) -> dict[str, _Make]:
    made: list[dict[str, Any]] = []

    def doc() -> dict[str, Any]:  # built once, for --json and --session alike
        if not made:
            made.append(document(results, results[0].machine, kind, extra))
        return made[0]

    return {"--json": doc, "--session": doc, "--trace": lambda: chrome_trace(results)}


def _prologue(args: argparse.Namespace, io: _Io, config: RunConfig) -> list[Target]:
    targets = _targets(args)
    if any(t.to_stdout for t in targets):
        io.report_to_stderr()
    io.out.write(report.header(machine_info(), config) + "\n")
    io.out.flush()
    return targets


def cmd_run(args: argparse.Namespace, io: _Io, stop: StopSignals) -> int:
    config = _config(args, _workload(args), args.backend)
    targets = _prologue(args, io, config)
    if stop.count:  # stopped before anything ran: nothing measured, nothing to write
        return _finish(io, [], [], stop, {})
    result = _execute(config, io.out, not args.quiet and io.out.isatty(), stop)
    io.out.write(report.run_text(result, verbose=not args.quiet))
    return _finish(io, targets, [result], stop, _document_payloads([result], "run"))


def _table(args: argparse.Namespace, io: _Io, header: list[str],
           rows: list[list[str]]) -> _Make:
    if args.markdown:
        io.out.write("\n" + tables.to_markdown(header, rows))
    return lambda: tables.to_csv(header, rows)


def cmd_compare(args: argparse.Namespace, io: _Io, stop: StopSignals) -> int:
    workload = _workload(args)
    if args.backends:
        names = [b.strip() for b in args.backends.split(",") if b.strip()]
        if not names:
            raise UsageError("--backends: give at least one backend name")
        configs = [_config(args, workload, name, several=True) for name in names]
    else:
        configs = []
        for name in BACKENDS:
            try:  # by default, every backend that can run this workload here
                configs.append(_config(args, workload, name, several=True))
            except UsageError:
                continue
        if not configs:
            raise UsageError("no available backend can run this workload")
    targets = _prologue(args, io, configs[0])
    results = _run_each(args, configs, io, stop)
    if not results:
        return _finish(io, [], [], stop, {})
    base = next((r for r in results if r.backend == "sequential"), results[0])
    results = [r.with_baseline(base.wall_s) for r in results]
    io.out.write(report.compare_table(results, base.backend))
    payloads = _document_payloads(results, "compare")
    payloads["--csv"] = _table(args, io, tables.COMPARE_HEADER, tables.compare_rows(results))
    return _finish(io, targets, results, stop, payloads)


def cmd_sweep(args: argparse.Namespace, io: _Io, stop: StopSignals) -> int:
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not names:
        raise UsageError("--backends: give at least one backend name")
    try:
        knob, values = sweep.parse_vary(args.vary)
        points = sweep.plan(args.task, args.tasks, parse_settings(args.set), names, knob,
                            values, workers=args.workers, start_method=args.start_method,
                            interval=args.interval, timeout_s=args.timeout,
                            scheduler=args.scheduler)
    except (ValueError, ConfigError) as exc:
        raise UsageError(str(exc)) from None
    targets = _prologue(args, io, points[0].config)
    results = _run_each(args, [p.config for p in points], io, stop,
                        [f"{knob}={p.value} {p.config.backend}" for p in points])
    if not results:
        return _finish(io, [], [], stop, {})
    points = points[:len(results)]
    results = sweep.apply_baselines(points, results, knob)
    io.out.write("\nspeedup vs sequential at the same point\n")
    io.out.write(sweep.table(knob, points, results))
    payloads = _document_payloads(results, "sweep", sweep.session_extra(knob, points))
    payloads["--csv"] = _table(args, io, [knob, *sweep.SWEEP_HEADER_TAIL],
                               sweep.rows(knob, points, results))
    return _finish(io, targets, results, stop, payloads)


_RUNS = {"run": cmd_run, "compare": cmd_compare, "sweep": cmd_sweep}


def _dispatch(argv: Sequence[str], io: _Io) -> int:
    try:
        with contextlib.redirect_stdout(io.out):
            args = build_parser().parse_args(list(argv))  # --help writes to sys.stdout
    except SystemExit as exc:  # --help (argparse exits 0 after printing it)
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        build_parser().print_help(io.out)
        return EXIT_OK
    if args.command == "list":
        return cmd_list(args, io)
    if args.command not in _RUNS:
        raise UsageError(f"{args.command}: not a headless command")
    with StopSignals() as stop:
        return _RUNS[args.command](args, io, stop)


def main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one command. ``out``/``err`` default to the process's streams (read at call time:
    stdout may be None when it was closed before Python started)."""
    stdout = sys.stdout if out is None else out
    errs = GuardedStream(sys.stderr if err is None else err)
    if stdout is None:
        errs.write("corescope: error: standard output is closed (nothing can be shown; "
                   "redirect it to a file or /dev/null)\n")
        errs.flush()
        return EXIT_FAILED
    io = _Io(stdout, errs, GuardedStream(stdout))
    try:
        code = _dispatch(argv, io)
    except UsageError as exc:
        errs.write(f"corescope: error: {exc}\n")
        code = EXIT_USAGE
    except KeyboardInterrupt as exc:  # before or after the signal-counting part of a command
        signum = getattr(exc, "signum", signal.SIGINT)
        errs.write(signal_line(signum, cancelled=False))
        code = SIGNAL_BASE + signum
    io.out.flush()
    lost = io.out.broken if io.out is not io.err else None
    if lost is not None:
        errs.write(f"corescope: error: standard output: {lost.strerror or lost} (output lost)\n")
        code = EXIT_FAILED if code == EXIT_OK else code
    errs.flush()
    if io.leave_now:
        # Threads left running cannot be stopped, and the interpreter would wait for them at
        # exit (ThreadPoolExecutor joins its threads): end the process now, output flushed.
        os._exit(code)
    return code
