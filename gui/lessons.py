"""Lessons in the window: the Lessons menu, the banner, and a talk stepped through by keys.

    Lessons ▸ 1. Two file operations …     choose one ──► set up: the panel's workload, workers
              2. The GIL …                             and start method; the page; its checked
              …                                        backends (or the sweep's knob, values)
              Run lesson        Ctrl+Enter ──► the page's own Run / Compare / Sweep
              Next lesson       Page Down  ──► the next file in resources/lessons/
              Previous lesson   Page Up
              Open lesson file…            ──► any lesson file
              Save current setup as lesson… ─► a new file the same loader reads back

A lesson that cannot run here (an older Python, a missing backend) is listed greyed out with its
reason; a file that cannot be read is listed with its one-line error. Neither stops the talk.
The window is reached through ``LessonHost``, the few things this needs of it.
"""

from __future__ import annotations

import os
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QWidget

from engine.files.lessons import (
    Lesson,
    LessonError,
    lesson_from_setup,
    lessons_dir,
    list_lessons,
    load_lesson,
    save_lesson,
    suggest_path,
)
from engine.run.config import RunConfig
from engine.run.host import AnyRun
from engine.run.lesson_plan import panel_config, sweep_points
from engine.workload import setting_text
from gui.pages.compare import CompareView
from gui.pages.sweep import SweepView
from gui.panels.lesson_banner import LessonBanner
from gui.panels.workload import WorkloadPanel

__all__ = ["LessonHost", "LessonPlayer"]

#: The lesson's page -> the window's page kind.
_PAGE_KIND = {"live": "run", "compare": "compare", "sweep": "sweep"}


class LessonHost(Protocol):
    """What lessons need of the window."""

    workload: WorkloadPanel
    compare_view: CompareView
    sweep_view: SweepView

    @property
    def running(self) -> bool:
        """A run, comparison or sweep is in progress."""

    def show_page(self, kind: str) -> None:
        """Bring up the page of kind "run", "compare" or "sweep"."""

    def current_kind(self) -> str:
        """The kind of the page on show."""

    def start_run(self, config: RunConfig | None = None) -> AnyRun | None:
        """Start the panel's run (None: refused, and the window says why)."""

    def start_compare(self) -> bool:
        """Start the Compare page's sequence."""

    def start_sweep(self) -> bool:
        """Start the Sweep page's plan."""

    def show_status(self, text: str, error: bool = False) -> None:
        """A one-line message under the window."""


class LessonPlayer(QObject):
    """Owns the Lessons menu and the banner; ``open`` sets a lesson up, ``run`` runs it.

    Args:
        host: the window, seen through ``LessonHost``.
        banner: where the lesson's words are shown.
        parent_widget: what dialogs are centred on.
        folder: where lessons are listed from (default: the shipped ``resources/lessons``).
    """

    lesson_opened = Signal(object)  # the Lesson now set up

    def __init__(self, host: LessonHost, banner: LessonBanner, parent_widget: QWidget,
                 folder: str | None = None) -> None:
        super().__init__(parent_widget)
        self._host = host
        self._widget = parent_widget
        self.banner = banner
        self.folder = folder or lessons_dir()
        self.entries: list[Lesson | LessonError] = []
        self.current: Lesson | None = None
        self.menu: QMenu | None = None
        self._group = QActionGroup(self)
        banner.previous_requested.connect(self.previous)
        banner.next_requested.connect(self.next)
        banner.run_requested.connect(self.run)
        banner.close_requested.connect(banner.hide)

    # -- the menu ------------------------------------------------------------------------------
    def install(self, menu: QMenu) -> None:
        """Fill ``menu`` (the menu bar's Lessons menu) and keep it current each time it opens."""
        self.menu = menu
        self.run_action = self._action("&Run lesson", ("Ctrl+Return", "Ctrl+Enter"), self.run)
        self.next_action = self._action("&Next lesson", ("PgDown",), self.next)
        self.previous_action = self._action("&Previous lesson", ("PgUp",), self.previous)
        self.open_action = self._action("&Open lesson file…", (), self.choose_file)
        self.save_action = self._action("&Save current setup as lesson…", (), self.save_setup)
        menu.aboutToShow.connect(self.refresh)
        self.refresh()

    def _action(self, text: str, keys: tuple[str, ...], slot: object) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.triggered.connect(slot)
        return action

    def refresh(self) -> None:
        """Read the lesson folder again (a lesson saved meanwhile appears) and rebuild the menu."""
        try:
            self.entries = list_lessons(self.folder)
        except LessonError as exc:
            self.entries = []
            self._host.show_status(str(exc), error=True)
        if self.menu is None:
            return
        self.menu.clear()
        for action in self._group.actions():
            self._group.removeAction(action)
        for n, entry in enumerate(self.entries, 1):
            if isinstance(entry, LessonError):
                item = self.menu.addAction(f"{n}. [cannot be read] {entry}")
                item.setEnabled(False)
                continue
            reason = entry.unavailable()
            item = self.menu.addAction(f"{n}. {entry.title}"
                                       + (f"  (unavailable: {reason})" if reason else ""))
            item.setCheckable(True)
            item.setChecked(self.current is not None and self.current.path == entry.path)
            item.setEnabled(reason is None)
            item.setToolTip(reason or entry.talking_point)
            self._group.addAction(item)
            item.triggered.connect(lambda _=False, lesson=entry: self.open(lesson))
        if not self.entries:
            self.menu.addAction("(no lessons in resources/lessons)").setEnabled(False)
        self.menu.addSeparator()
        for action in (self.run_action, self.next_action, self.previous_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.open_action)
        self.menu.addAction(self.save_action)
        self.update_actions()

    def update_actions(self) -> None:
        busy = self._host.running
        if not hasattr(self, "run_action"):
            return
        self.run_action.setEnabled(self.current is not None and not busy)
        self.next_action.setEnabled(not busy)
        self.previous_action.setEnabled(not busy)
        self.save_action.setEnabled(not busy)
        self.banner.set_running(busy)

    # -- a talk --------------------------------------------------------------------------------
    def _lessons(self) -> list[Lesson]:
        return [e for e in self.entries if isinstance(e, Lesson)]

    def _index(self) -> int:
        """Where the current lesson stands in the folder's talk (-1: none, or from elsewhere)."""
        if self.current is None:
            return -1
        paths = [lesson.path for lesson in self._lessons()]
        return paths.index(self.current.path) if self.current.path in paths else -1

    def next(self) -> bool:
        """Set up the next lesson of the folder (the first, if none is set up)."""
        return self._step(+1)

    def previous(self) -> bool:
        return self._step(-1)

    def _step(self, delta: int) -> bool:
        if self._host.running:
            self._host.show_status("a run is in progress: stop it before the next lesson")
            return False
        if not self.entries:
            self.refresh()
        lessons = self._lessons()
        if not lessons:
            self._host.show_status("no lessons to step through", error=True)
            return False
        at = self._index()
        target = 0 if at < 0 else at + delta
        if not 0 <= target < len(lessons):
            self._host.show_status("that was the last lesson" if delta > 0
                                   else "this is the first lesson")
            return False
        return self.open(lessons[target])

    def open(self, lesson: Lesson) -> bool:
        """Set everything up for ``lesson`` and show its words. Returns False (and says why,
        in the banner) when it cannot run here; the lesson is shown all the same."""
        if self._host.running:
            self._host.show_status("a run is in progress: stop it before choosing a lesson")
            return False
        self.current = lesson
        lessons = self._lessons()
        position = next((i for i, e in enumerate(lessons, 1) if e.path == lesson.path), 0)
        total = len(lessons)
        if position == 0:  # a file from elsewhere: not part of the folder's talk
            position, total = 1, 1
        problem = self._set_up(lesson)
        self.banner.show_lesson(lesson, position, total, problem)
        self._host.show_status(f"lesson: {lesson.title}" if problem is None else problem,
                               error=problem is not None)
        self.update_actions()
        self.lesson_opened.emit(lesson)
        return problem is None

    def _set_up(self, lesson: Lesson) -> str | None:
        host = self._host
        host.show_page(_PAGE_KIND[lesson.page])
        try:
            config = panel_config(lesson)
            points = sweep_points(lesson) if lesson.sweep is not None else []
        except LessonError as exc:
            return str(exc)
        host.workload.set_config(config)
        if lesson.page == "compare":
            host.compare_view.backends.set_checked(list(lesson.backends))
        elif lesson.page == "sweep" and lesson.sweep is not None and points:
            view = host.sweep_view
            view.backends.set_checked(list(lesson.backends))
            view.knob_combo.setCurrentText(lesson.sweep_knob())
            view.values_edit.setText(",".join(setting_text(v) for v in lesson.sweep.values))
        return None

    def run(self) -> bool:
        """Run what the lesson set up, on its page."""
        lesson = self.current
        if lesson is None:
            self._host.show_status("choose a lesson first (Lessons menu, or Page Down)")
            return False
        if self.banner.problem.text():
            self._host.show_status(self.banner.problem.text(), error=True)
            return False
        host = self._host
        host.show_page(_PAGE_KIND[lesson.page])
        if lesson.page == "compare":
            return host.start_compare()
        if lesson.page == "sweep":
            return host.start_sweep()
        return host.start_run() is not None

    # -- files ---------------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._widget, "Open lesson", self.folder,
                                              "CoreScope lessons (*.json)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        try:
            lesson = load_lesson(path)
        except LessonError as exc:
            self._host.show_status(str(exc), error=True)
            return False
        return self.open(lesson)

    def setup_as_lesson(self, title: str) -> Lesson:
        """The window's current setup as a lesson (not yet written).

        Raises:
            LessonError: the setup cannot be a lesson, or the panel holds no valid workload.
        """
        host = self._host
        config = host.workload.config
        if config is None:
            raise LessonError(f"nothing to save: {host.workload.problem or 'no workload'}")
        kind = host.current_kind()
        sweep = None
        if kind == "compare":
            # Entries under a start method of their own too (process-pool@forkserver).
            page = "compare"
            backends = [e.key for e in host.compare_view.backends.checked_entries()]
        elif kind == "sweep":
            page, backends = "sweep", host.sweep_view.backends.checked()
            values = [v.strip() for v in host.sweep_view.values_edit.text().split(",")]
            sweep = (host.sweep_view.knob_combo.currentText().strip(), values)
        else:
            page, backends = "live", [config.backend]
        if not backends:
            raise LessonError("nothing to save: check at least one backend on the page")
        current = self.current
        return lesson_from_setup(
            config.workload, backends, page, title=title,
            talking_point=current.talking_point if current else "",
            notice=current.notice if current else "",
            workers=config.workers, start_method=config.start_method, sweep=sweep,
            warm=host.workload.warm)

    def save_setup(self) -> None:
        """Ask for a title and a file, then write the current setup as a lesson."""
        title, ok = QInputDialog.getText(self._widget, "Save setup as lesson", "Lesson title:")
        if not ok or not title.strip():
            return
        suggested = suggest_path(self.folder, title)
        path, _ = QFileDialog.getSaveFileName(self._widget, "Save lesson", suggested,
                                              "CoreScope lessons (*.json)")
        if path:
            self.save_to(path, title.strip(), overwrite=True)

    def save_to(self, path: str, title: str, overwrite: bool = False) -> Lesson | None:
        """Write the current setup to ``path`` as lesson ``title``; None (and a one-line
        message) when it cannot be."""
        if not path.lower().endswith(".json"):
            path += ".json"
        try:
            saved = save_lesson(path, self.setup_as_lesson(title), overwrite=overwrite)
        except (LessonError, OSError) as exc:
            self._host.show_status(f"lesson not saved: {exc}", error=True)
            return None
        self._host.show_status(f"lesson saved to {os.path.basename(path)}")
        self.refresh()
        return saved
