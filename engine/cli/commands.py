"""The headless command line: ``list``, ``run``, ``compare``, ``sweep`` (and ``gui``'s checks).

Exit codes are a contract (``engine.cli.exit_codes``): 0 every task ok and every output
written; 1 a task failed, a worker died or an output (a file, or standard output itself) could
not be written; 2 bad input, with one line on stderr naming the problem and the valid choices
(no traceback, nothing started); 128 + the signal after SIGINT (130, Ctrl-C), SIGTERM (143) or
SIGHUP (129): the run is cancelled, what it measured is written, and the CLI exits once every
worker is gone.

During ``run``/``compare``/``sweep`` those signals are counted, not raised
(``engine.cli.signals``), so none can cut an output short: the first cancels; a second stops
waiting for tasks that ignore the cancel; later ones change nothing.

    argv ──► arguments: parse, check every run and output (UsageError: exit 2) ──► cmd_*
    ──► running: execute / run_each (follow each run) ──► finish: outputs, exit code

``main``, ``parse_gui_args``, ``GuiRequest``, ``UsageError`` and the ``EXIT_*`` codes are
named here for ``main.py`` and the window's entry.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

from engine.backends.registry import BACKENDS
from engine.cli import lesson_report, report
from engine.cli.arguments import (
    GuiRequest,
    UsageError,
    build_parser,
    config_for,
    parse_gui_args,
    planned_outputs,
    workload_for,
)
from engine.cli.exit_codes import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    SIGNAL_BASE,
)
from engine.cli.running import Io, Make, document_payloads, execute, finish, run_each
from engine.cli.signals import StopSignals, signal_line
from engine.figures import sweep
from engine.files import tables
from engine.files.lessons import LessonError, list_lessons
from engine.files.outputs import GuardedStream, Target
from engine.run.config import ConfigError, RunConfig
from engine.run.machine import interpreter_line, machine_info
from engine.tasks import BUILTIN_TASKS
from engine.workload import parse_settings

__all__ = [
    "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "GuiRequest", "UsageError",
    "build_parser", "cmd_compare", "cmd_list", "cmd_run", "cmd_sweep", "main", "parse_gui_args",
]


def cmd_list(args: argparse.Namespace, io: Io) -> int:
    if args.lessons:
        return _list_lessons(args, io)
    backends = [{"name": n, "summary": c.summary, "available": c.availability().ok,
                 "reason": c.availability().reason, "processes": c.uses_processes}
                for n, c in BACKENDS.items()]
    if args.json:
        json.dump({"tasks": [t.as_dict() for t in BUILTIN_TASKS.values()], "backends": backends,
                   "machine": machine_info().as_dict()}, io.out, indent=1)
        io.out.write("\n")
        return EXIT_OK
    io.out.write(f"this Python: {interpreter_line()}\n")  # free-threaded or not, in words
    io.out.write(report.list_text(backends))
    return EXIT_OK


def _list_lessons(args: argparse.Namespace, io: Io) -> int:
    try:
        found = list_lessons()
    except LessonError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        json.dump({"lessons": [lesson_report.entry(entry) for entry in found]}, io.out,
                  indent=1, ensure_ascii=False)
        io.out.write("\n")
    else:
        io.out.write(lesson_report.text(found))
    return EXIT_OK


def _prologue(args: argparse.Namespace, io: Io, config: RunConfig) -> list[Target]:
    targets = planned_outputs(args)
    if any(t.to_stdout for t in targets):
        io.report_to_stderr()
    io.out.write(report.header(machine_info(), config) + "\n")
    io.out.flush()
    return targets


def cmd_run(args: argparse.Namespace, io: Io, stop: StopSignals) -> int:
    config = config_for(args, workload_for(args), args.backend)
    targets = _prologue(args, io, config)
    if stop.count:  # stopped before anything ran: nothing measured, nothing to write
        return finish(io, [], [], stop, {})
    result = execute(config, io.out, not args.quiet and io.out.isatty(), stop)
    io.out.write(report.run_text(result, verbose=not args.quiet))
    return finish(io, targets, [result], stop, document_payloads([result], "run"))


def _table(args: argparse.Namespace, io: Io, header: list[str],
           rows: list[list[str]]) -> Make:
    if args.markdown:
        io.out.write("\n" + tables.to_markdown(header, rows))
    return lambda: tables.to_csv(header, rows)


def cmd_compare(args: argparse.Namespace, io: Io, stop: StopSignals) -> int:
    workload = workload_for(args)
    if args.backends:
        names = [b.strip() for b in args.backends.split(",") if b.strip()]
        if not names:
            raise UsageError("--backends: give at least one backend name")
        # "process-pool@forkserver": one entry per start method, side by side.
        entries = [n.partition("@") for n in names]
        for name, at, method in entries:
            if at and not method.strip():
                raise UsageError(f"--backends {name}@: name a start method after @ "
                                 f"(e.g. {name}@spawn)")
        configs = [config_for(args, workload, name.strip(), several=True,
                              start_method=method.strip() or None)
                   for name, _, method in entries]
        if len({(c.backend, c.start_method) for c in configs}) < len(configs):
            raise UsageError("--backends: an entry is listed twice")
    else:
        configs = []
        for name in BACKENDS:
            try:  # by default, every backend that can run this workload here
                configs.append(config_for(args, workload, name, several=True))
            except UsageError:
                continue
        if not configs:
            raise UsageError("no available backend can run this workload")
    targets = _prologue(args, io, configs[0])
    results = run_each(args, configs, io, stop)
    if not results:
        return finish(io, [], [], stop, {})
    base = next((r for r in results if r.backend == "sequential"), results[0])
    results = [r.with_baseline(base.wall_s) for r in results]
    io.out.write(report.compare_table(results, base.backend))
    payloads = document_payloads(results, "compare")
    payloads["--csv"] = _table(args, io, tables.COMPARE_HEADER, tables.compare_rows(results))
    return finish(io, targets, results, stop, payloads)


def cmd_sweep(args: argparse.Namespace, io: Io, stop: StopSignals) -> int:
    names = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not names:
        raise UsageError("--backends: give at least one backend name")
    try:
        knob, values = sweep.parse_vary(args.vary)
        points = sweep.plan(args.task, args.tasks, parse_settings(args.set), names, knob,
                            values, workers=args.workers, start_method=args.start_method,
                            interval=args.interval, timeout_s=args.timeout,
                            scheduler=args.scheduler, warm=args.warm)
    except (ValueError, ConfigError) as exc:
        raise UsageError(str(exc)) from None
    targets = _prologue(args, io, points[0].config)
    results = run_each(args, [p.config for p in points], io, stop,
                        [f"{knob}={p.value} {p.config.backend}" for p in points])
    if not results:
        return finish(io, [], [], stop, {})
    points = points[:len(results)]
    results = sweep.apply_baselines(points, results, knob)
    io.out.write("\nspeedup vs sequential at the same point\n")
    io.out.write(report.sweep_table(knob, points, results))
    payloads = document_payloads(results, "sweep", sweep.session_extra(knob, points))
    payloads["--csv"] = _table(args, io, [knob, *sweep.SWEEP_HEADER_TAIL],
                               sweep.rows(knob, points, results))
    return finish(io, targets, results, stop, payloads)


_RUNS = {"run": cmd_run, "compare": cmd_compare, "sweep": cmd_sweep}


def _dispatch(argv: Sequence[str], io: Io) -> int:
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
    io = Io(stdout, errs, GuardedStream(stdout))
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
