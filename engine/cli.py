"""The headless command line: ``list``, ``run``, ``compare`` (and argument checks for ``gui``).

Exit codes are a contract: 0 every task ok; 1 a task failed or a worker died; 2 bad input, with
one line on stderr naming the problem and the valid choices (no traceback, nothing started);
130 after Ctrl-C, once every worker is gone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TextIO

from engine import report, session, sweep, tables
from engine.backends.registry import BACKENDS
from engine.backends.registry import get_backend as get_backend_class
from engine.export import check_writable, document, write_json
from engine.machine import machine_info
from engine.result import RunResult
from engine.run import ConfigError, Run, RunConfig, check_config
from engine.tasks import BUILTIN_TASKS
from engine.trace import chrome_trace
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
    p.add_argument("--force", action="store_true", help="let --session replace a file")
    if tables:
        p.add_argument("--csv", metavar="FILE", help="write the results table as CSV")
        p.add_argument("--markdown", action="store_true",
                       help="print the results table as Markdown")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="main.py", description="CoreScope: see Python concurrency.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    p_list = sub.add_parser("list", help="tasks and backends")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")

    p_run = sub.add_parser("run", help="run a workload on one backend")
    _workload_options(p_run, task_required=True)
    p_run.add_argument("--backend", required=True, metavar="B")
    _output_options(p_run)

    p_cmp = sub.add_parser("compare", help="run one workload on several backends in turn")
    _workload_options(p_cmp, task_required=True)
    p_cmp.add_argument("--backends", metavar="B1,B2,...",
                       help="comma-separated (default: every available backend that can run it)")
    _output_options(p_cmp, tables=True)

    p_sweep = sub.add_parser("sweep", help="vary task size, task count or workers")
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


def _check_outputs(args: argparse.Namespace) -> None:
    for flag in ("json", "trace", "session", "csv"):
        path = getattr(args, flag, None)
        if path:
            try:
                check_writable(path)
            except OSError as exc:
                raise UsageError(f"--{flag} {path}: {exc}") from None
    if args.session and os.path.exists(args.session) and not args.force:
        raise UsageError(f"--session {args.session}: the file exists (add --force to replace "
                         "it)")


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
        try:
            check_writable(args.screenshot)
        except OSError as exc:
            raise UsageError(f"--screenshot {args.screenshot}: {exc}") from None
    opened = None
    if args.session:
        if args.start:
            raise UsageError("--session opens a saved run; it cannot be combined with --start")
        try:
            opened = session.load(args.session)
        except session.SessionError as exc:
            raise UsageError(str(exc)) from None
    return GuiRequest(config, args.start, args.screenshot, args.exit_after_run, opened)


def _execute(config: RunConfig, out: TextIO, live: bool) -> tuple[RunResult, bool]:
    """Run to the end; Ctrl-C cancels and still returns the (partial) result.

    A second Ctrl-C leaves behind tasks that ignore the cancel (custom code on a thread
    backend cannot be interrupted) instead of waiting for them.
    """
    run = Run(config).start()
    interrupts = 0
    while True:
        try:
            while not run.wait(0.1):
                run.drain_events()
                if live:
                    out.write(f"\r  {run.done_count}/{run.total} tasks done")
                    out.flush()
                if interrupts == 1 and run.still_running:
                    out.write(f"\r  waiting for {run.still_running} running task(s) to stop "
                              "(Ctrl-C again to leave them running)")
                    out.flush()
            break
        except KeyboardInterrupt:
            interrupts += 1
            if interrupts == 1:
                out.write("\n  cancelling: stopping workers …\n")
                run.cancel()
            else:
                out.write("\n  leaving the remaining tasks behind\n")
                run.abandon()
    if live or interrupts:
        out.write("\n")
    return run.result(), interrupts > 0


def cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    backends = [{"name": n, "summary": c.summary, "available": c.availability().ok,
                 "reason": c.availability().reason, "processes": c.uses_processes}
                for n, c in BACKENDS.items()]
    if args.json:
        json.dump({"tasks": [t.as_dict() for t in BUILTIN_TASKS.values()], "backends": backends,
                   "machine": machine_info().as_dict()}, out, indent=1)
        out.write("\n")
        return EXIT_OK
    out.write(report.list_text(backends))
    return EXIT_OK


def _write_outputs(args: argparse.Namespace, results: list[RunResult], out: TextIO,
                   kind: str = "run", extra: dict[str, Any] | None = None) -> None:
    if args.json:
        write_json(args.json, document(results, results[0].machine, kind, extra))
        out.write(f"wrote {args.json}\n")
    if args.trace:
        write_json(args.trace, chrome_trace(results))
        out.write(f"wrote {args.trace} (open in https://ui.perfetto.dev)\n")
    if args.session:
        session.save(args.session, results, kind, extra, overwrite=True)
        out.write(f"wrote {args.session} (open with: python main.py gui --session "
                  f"{args.session})\n")


def _write_table(args: argparse.Namespace, header: list[str], rows: list[list[str]],
                 out: TextIO) -> None:
    if getattr(args, "markdown", False):
        out.write("\n" + tables.to_markdown(header, rows))
    if getattr(args, "csv", None):
        with open(args.csv, "w", encoding="utf-8", newline="") as fh:
            fh.write(tables.to_csv(header, rows))
        out.write(f"wrote {args.csv}\n")


def _run_each(args: argparse.Namespace, configs: Sequence[RunConfig], out: TextIO,
              label: Sequence[str] | None = None) -> tuple[list[RunResult], bool]:
    """Run configs one after another (never side by side: they would share the cores)."""
    results: list[RunResult] = []
    interrupted = False
    for i, config in enumerate(configs):
        out.write(f"-- {label[i] if label else config.backend} …\n")
        out.flush()
        result, interrupted = _execute(config, out, live=not args.quiet and out.isatty())
        results.append(result)
        if not args.quiet:
            out.write(report.run_text(result, verbose=False))
        if interrupted:
            break
    return results, interrupted


def _exit_code(results: list[RunResult], interrupted: bool) -> int:
    code = EXIT_INTERRUPTED if interrupted else (
        EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)
    if any(r.abandoned for r in results):
        # Threads left running cannot be stopped, and the interpreter would wait for them at
        # exit (ThreadPoolExecutor joins its threads): end the process now, output flushed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    config = _config(args, _workload(args), args.backend)
    _check_outputs(args)
    out.write(report.header(machine_info(), config) + "\n")
    result, interrupted = _execute(config, out, live=not args.quiet and out.isatty())
    out.write(report.run_text(result, verbose=not args.quiet))
    _write_outputs(args, [result], out)
    return _exit_code([result], interrupted)


def cmd_compare(args: argparse.Namespace, out: TextIO) -> int:
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
    _check_outputs(args)
    out.write(report.header(machine_info(), configs[0]) + "\n")
    results, interrupted = _run_each(args, configs, out)
    base = next((r for r in results if r.backend == "sequential"), results[0])
    results = [r.with_baseline(base.wall_s) for r in results]
    out.write(report.compare_table(results, base.backend))
    rows = tables.compare_rows(results)
    _write_table(args, tables.COMPARE_HEADER, rows, out)
    _write_outputs(args, results, out, "compare")
    return _exit_code(results, interrupted)


def cmd_sweep(args: argparse.Namespace, out: TextIO) -> int:
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
    _check_outputs(args)
    out.write(report.header(machine_info(), points[0].config) + "\n")
    configs = [p.config for p in points]
    results, interrupted = _run_each(args, configs, out,
                                     [f"{knob}={p.value} {p.config.backend}" for p in points])
    points = points[:len(results)]
    results = sweep.apply_baselines(points, results, knob)
    out.write("\nspeedup vs sequential at the same point\n")
    out.write(sweep.table(knob, points, results))
    _write_table(args, [knob, *sweep.SWEEP_HEADER_TAIL], sweep.rows(knob, points, results), out)
    _write_outputs(args, results, out, "sweep", sweep.session_extra(knob, points))
    return _exit_code(results, interrupted)


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    try:
        args = build_parser().parse_args(list(argv))
        if args.command is None:
            build_parser().print_help(out)
            return EXIT_OK
        command = {"list": cmd_list, "run": cmd_run, "compare": cmd_compare,
                   "sweep": cmd_sweep}[args.command]
        return command(args, out)
    except UsageError as exc:
        err.write(f"corescope: error: {exc}\n")
        return EXIT_USAGE
    except OSError as exc:  # writing an output file failed after all
        err.write(f"corescope: error: {exc}\n")
        return EXIT_FAILED
    except KeyboardInterrupt:
        err.write("corescope: interrupted\n")
        return EXIT_INTERRUPTED
