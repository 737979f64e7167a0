"""What a page that shows a sequence of runs is to the window: ``SequencePage``.

The Compare and Sweep pages both show several runs of one workload, made one after another
by ``gui.pages.controller.SequenceController`` on the window's one bridge. The controller, the
window and the session files talk to either page through this Protocol only, so neither needs
a special case for the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from engine.figures.result import RunResult
from engine.run.host import AnyRun
from engine.workload import Workload
from gui.plots import TaskEvent


class SequencePage(Protocol):
    """A page that collects a comparison or a sweep as its runs finish.

    A sequence, in order: ``step_started`` for each run, then its ``task_events`` and
    ``frame`` while it runs and ``step_finished`` when it ends; once all ran (or Stop was
    pressed), ``finish``. A page opened from a file gets ``show_session`` instead.
    """

    #: The runs the page shows, in order (what Save and Export write).
    results: list[RunResult]

    def set_workload(self, workload: Workload | None, workers: int | None,
                     start_method: str | None, scheduler: str | None = None) -> None:
        """The workload panel's choices changed (None: it holds no valid workload)."""

    def set_running(self, running: bool) -> None:
        """A sequence runs: the page's controls, all but Stop, are locked."""

    def set_font_size(self, point_size: int) -> None:
        """The window's text size changed."""

    def step_started(self, index: int, total: int, label: str, run: AnyRun,
                     origin: float) -> None:
        """Run ``index`` of ``total`` began at clock reading ``origin``."""

    def task_events(self, events: list[TaskEvent]) -> None:
        """Task starts and ends of the run in progress, in order."""

    def frame(self, now: float) -> None:
        """A tick of the run in progress (clock reading ``now``)."""

    def step_finished(self, index: int, result: RunResult) -> None:
        """Run ``index`` ended (cancelled ones too)."""

    def finish(self, stopped: bool, problem: str | None = None) -> None:
        """The sequence is over: all ran, Stop was pressed, or ``problem`` ended it early."""

    def session_extra(self) -> dict[str, Any] | None:
        """What a saved session needs beyond the runs, or None."""

    def show_session(self, runs: Sequence[RunResult], extra: dict[str, Any]) -> None:
        """Redraw a saved sequence as recorded; nothing runs."""
