"""The CLI's arguments: the parser, its ``--help`` contract, and the checks that turn them into
runs and outputs before anything starts (bad input is a ``UsageError``: one line, exit 2).

``parse_gui_args`` serves the window's entry too: ``python main.py gui ...`` is checked here,
before any Qt is imported.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from engine.backends.registry import BACKENDS
from engine.files import outputs, session
from engine.files.lessons import Lesson, LessonError, find_lesson
from engine.files.outputs import Target
from engine.run.config import ConfigError, RunConfig, check_config
from engine.workload import Workload, build_workload, parse_settings

__all__ = ["GuiRequest", "UsageError", "build_parser", "config_for", "parse_gui_args",
           "planned_outputs", "workload_for"]


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
    p.add_argument("--warm", action="store_true",
                   help="start the pool's workers before the clock (their start is reported "
                        "on its own line, not counted in wall); default: cold")


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
    p_list.add_argument("--lessons", action="store_true",
                        help="the lessons shipped in resources/lessons, in a talk's order")

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
    p_gui.add_argument("--lesson", metavar="NAME",
                       help="set up a lesson (a name from `list --lessons`, or a .json file)")
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
    lesson: Lesson | None = None


def workload_for(args: argparse.Namespace) -> Workload:
    try:
        return build_workload(args.task, args.tasks, parse_settings(args.set), args.timeout)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def config_for(args: argparse.Namespace, workload: Workload, backend: str,
               several: bool = False, start_method: str | None = None) -> RunConfig:
    """``several``: one of many backends (compare), where --scheduler is meant for dask only
    and --start-method for the process backends only. ``start_method``: this entry's own
    (``process-pool@spawn``), over --start-method."""
    scheduler, method = args.scheduler, start_method or args.start_method
    cls = BACKENDS.get(backend)  # an unknown name is check_config's to refuse
    if several and scheduler and cls is not None and not cls.accepts_scheduler:
        scheduler = None
    if several and start_method is None and cls is not None and not cls.uses_processes:
        method = None
    # In a comparison --warm is meant for the pools: sequential and a worker per task run cold
    # without a note each. Asked of one such backend alone, the run's note says why it is cold.
    warm = args.warm and not (several and cls is not None and not cls.warms)
    config = RunConfig(workload, backend, args.workers, method, args.interval,
                       scheduler=scheduler, warm=warm)
    try:
        check_config(config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    return config


def planned_outputs(args: argparse.Namespace) -> list[Target]:
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
    if args.lesson is not None:
        return _gui_lesson(args)
    config = None
    if args.task or args.backend:
        if not args.task:
            raise UsageError("--backend needs --task as well")
        config = config_for(args, workload_for(args), args.backend or "sequential")
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


def _gui_lesson(args: argparse.Namespace) -> GuiRequest:
    """``gui --lesson NAME [--start]``: the lesson is read and its runs checked here, so a bad
    lesson exits 2 with its one line before any window opens."""
    from engine.run.lesson_plan import configs  # the run layer, for check_config

    clash = [flag for flag, given in (("--task", args.task), ("--backend", args.backend),
                                      ("--session", args.session)) if given]
    if clash:
        raise UsageError(f"--lesson sets up the workload and backends itself; drop "
                         f"{', '.join(clash)}")
    try:
        lesson = find_lesson(args.lesson)
        reason = lesson.unavailable()
        if reason is None:
            configs(lesson)
    except LessonError as exc:
        raise UsageError(str(exc)) from None
    if reason is not None and args.start:
        raise UsageError(f"{lesson.where}: cannot be started here: {reason}")
    if args.screenshot:
        try:
            outputs.check_target("--screenshot", args.screenshot, replace=True)
        except outputs.TargetError as exc:
            raise UsageError(str(exc)) from None
    return GuiRequest(None, args.start, args.screenshot, args.exit_after_run, lesson=lesson)
