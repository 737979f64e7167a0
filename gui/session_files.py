"""File menu: save and open sessions, recent files, drag and drop, and exports.

Everything that touches the disk from the window is here, and every path-taking method returns
True or False and leaves a one-line message in the status bar: a file that cannot be read or
written never changes what the window shows, and nothing is lost on a failed save. Dialogs
only pick paths; tests call the path-taking methods directly.

Opening a session, in order; the window is touched only at the last step:

    engine.files.session.load ──► rehearse: build its page off-screen ──► offer to save what it
    would replace (asked only from the menu) ──► window.show_session

A comparison or sweep that finished since it was last saved or opened is *unsaved*; before a
file replaces its page, and before quitting, the user is offered Save / Discard / Cancel.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from PySide6.QtCore import QMimeData, QObject
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from engine.backends.registry import BACKENDS
from engine.figures.explain import explain
from engine.figures.result import RunResult
from engine.files import session as sessions
from engine.files.export import check_writable, write_json
from engine.files.tables import COMPARE_HEADER, compare_rows, tasks_csv, to_csv, to_markdown
from engine.files.trace import chrome_trace
from gui.menus import add_action
from gui.pages.compare import CompareView
from gui.pages.sweep import SweepView
from gui.panels.summary import ErrorsPanel, SummaryPanel
from gui.plots.stack import LivePlots
from gui.settings import Store

log = logging.getLogger(__name__)

MAX_RECENT = 8
RECENT_KEY = "files/recent"
_SESSION_FILTER = "CoreScope session (*.json);;All files (*)"
# Pages whose results exist nowhere else until saved (a single run is one click to redo).
SEQUENCE_KINDS = ("compare", "sweep")
_WORDS = {"compare": "comparison", "sweep": "sweep"}


def _write_text(path: str, text: str) -> None:
    check_writable(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)  # a failed write never leaves half a file under the real name
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class SessionHost(Protocol):
    """What the session files need of the window: what it shows, and where a file goes."""

    @property
    def running(self) -> bool:
        """A run, comparison or sweep is in progress (no session opens meanwhile)."""

    def show_status(self, text: str, error: bool = False) -> None:
        """A one-line message under the window."""

    def current_kind(self) -> str:
        """The session kind of the page on show: "run", "compare" or "sweep"."""

    def current_results(self) -> list[RunResult]:
        """The runs the page on show holds (what Save and Export write)."""

    def session_extra(self) -> dict[str, Any] | None:
        """What a session of the page on show saves beyond its runs."""

    def current_view(self) -> QWidget:
        """The page on show (what the image export grabs)."""

    def show_page(self, kind: str) -> None:
        """Bring up the page of session kind ``kind``."""

    def show_session(self, opened: sessions.Session) -> str | None:
        """Rebuild the page of ``opened``'s kind from its runs; returns a note for the status
        line (why the panel could not take the saved workload), or None."""


def _rehearsal_page(kind: str) -> CompareView | SweepView | None:
    """A fresh, hidden page for a session of ``kind``; None for a single run (the Live page)."""
    pages: dict[str, type[CompareView | SweepView]] = {"compare": CompareView, "sweep": SweepView}
    return pages[kind]() if kind in pages else None


class SessionFiles(QObject):
    """The File menu's actions for the window.

    Args:
        window: the window (the parent of dialogs, and its title names the session file).
        host: the same window, seen through what this class needs of it.
        store: where the recent files are remembered.
    """

    def __init__(self, window: QWidget, host: SessionHost, store: Store) -> None:
        super().__init__(window)
        self.window = window
        self.host = host
        self.store = store
        self.last_dir = ""
        #: The session file the window last opened or saved.
        self.current_path: str | None = None
        #: Kinds of page ("compare", "sweep") holding results finished since their last save
        #: or open.
        self.unsaved: set[str] = set()
        self._title = window.windowTitle()

    # -- menu ------------------------------------------------------------------------------------
    def build_menu(self, menu: QMenu) -> None:
        def action(menu: QMenu, text: str, keys: tuple[str, ...],
                   slot: Callable[[], object]) -> None:
            add_action(menu, self.window, text, keys, slot)

        action(menu, "&Open session…", ("Ctrl+O",), self.open_dialog)
        self.recent_menu = menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        action(menu, "&Save session…", ("Ctrl+S",), self.save_dialog)
        export = menu.addMenu("&Export")
        action(export, "Chrome &trace (JSON)…", ("Ctrl+Shift+T",), lambda: self._export_dialog(
            self.export_trace, "Chrome trace (*.json)", ".trace.json"))
        action(export, "Task &records (CSV)…", ("Ctrl+Shift+D",), lambda: self._export_dialog(
            self.export_tasks_csv, "CSV (*.csv)", ".tasks.csv"))
        action(export, "Results table (&CSV)…", ("Ctrl+Shift+X",), lambda: self._export_dialog(
            self.export_table_csv, "CSV (*.csv)", ".csv"))
        action(export, "Results table (&Markdown)…", ("Ctrl+Shift+M",), lambda: self._export_dialog(
            self.export_table_markdown, "Markdown (*.md)", ".md"))
        action(export, "&Image of this view (PNG)…", ("Ctrl+Shift+P",), lambda: self._export_dialog(
            self.export_png, "PNG image (*.png)", ".png"))

    def _tell(self, text: str, error: bool = False) -> None:
        self.host.show_status(text, error)

    # -- recent files ----------------------------------------------------------------------------
    def recent(self) -> list[str]:
        items = self.store.get_json(RECENT_KEY, [])
        return [p for p in items if isinstance(p, str)][:MAX_RECENT]

    def _remember(self, path: str) -> None:
        path = os.path.abspath(path)
        items = [path, *(p for p in self.recent() if p != path)][:MAX_RECENT]
        self.store.set(RECENT_KEY, items)
        self.last_dir = os.path.dirname(path)

    def prune_recent(self) -> list[str]:
        """Drop recent files that no longer exist (and say so); returns what is left."""
        items = self.recent()
        kept = [p for p in items if os.path.isfile(p)]
        if len(kept) != len(items):
            self.store.set(RECENT_KEY, kept)
            gone = len(items) - len(kept)
            self._tell(f"{gone} recent file{'s' if gone != 1 else ''} no longer exist"
                       f"{'s' if gone == 1 else ''} and {'was' if gone == 1 else 'were'} "
                       "removed from the list")
        return kept

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        kept = self.prune_recent()
        for path in kept:
            act = self.recent_menu.addAction(os.path.basename(path))
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.open_path(p, ask_first=True))
        if not kept:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # -- unsaved results -------------------------------------------------------------------------
    def sequence_done(self, results: list[RunResult]) -> None:
        """A comparison or sweep finished: its page holds unsaved results."""
        # The window shows the finished page before it calls, so the current page is its kind.
        kind = self.host.current_kind()
        if results and kind in SEQUENCE_KINDS:
            self.unsaved.add(kind)
            self._update_title()

    def _update_title(self) -> None:
        name = os.path.basename(self.current_path) if self.current_path else None
        self.window.setWindowTitle(f"{name}[*] — CoreScope" if name else f"{self._title}[*]")
        self.window.setWindowModified(bool(self.unsaved))

    def offer_to_save(self, doing: str, kinds: Iterable[str] = SEQUENCE_KINDS) -> bool:
        """Ask Save / Discard / Cancel when a page of ``kinds`` holds unsaved results.

        Args:
            doing: what happens next, for the question ("quitting", "opening x.json").
            kinds: the pages about to be replaced.

        Returns:
            True to go ahead (nothing unsaved, discarded, or saved); False to stay as it is.
        """
        wanted = set(kinds)
        pending = [k for k in SEQUENCE_KINDS if k in self.unsaved and k in wanted]
        if not pending:
            return True
        what = " and the ".join(_WORDS[k] for k in pending)
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        answer = QMessageBox.question(
            self.window, "Unsaved results",
            f"The {what} {'is' if len(pending) == 1 else 'are'} not saved. Save before {doing}?",
            buttons, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Discard:
            return True
        if answer != QMessageBox.StandardButton.Save:  # Cancel, Escape, the dialog closed
            return False
        for kind in pending:
            # Save writes the page on show: bring up the one to save.
            self.host.show_page(kind)
            path = self._ask_save_path(kind)
            if not path:
                self._tell(f"not saved: the {_WORDS[kind]} is still unsaved", error=True)
                return False
            if not self.save_path(path, overwrite=True):  # (the dialog asked about replacing)
                return False
        return True

    # -- sessions --------------------------------------------------------------------------------
    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", self.last_dir,
                                              _SESSION_FILTER)
        if path:
            self.open_path(path, ask_first=True)

    def open_path(self, path: str, ask_first: bool = False) -> bool:
        """Load and show a session; on any problem the window stays exactly as it was.

        Args:
            ask_first: offer to save the unsaved page the file would replace (the menu's
                opens do; a path from code replaces it as told).
        """
        if self.host.running:
            self._tell("stop the run before opening a session", error=True)
            return False
        name = os.path.basename(path) or path
        try:
            opened = sessions.load(path)
        except (sessions.SessionError, OSError) as exc:
            self._tell(f"cannot open: {exc}", error=True)
            return False
        problem = self._rehearse(opened)
        if problem is not None:
            self._tell(f"cannot open {name}: {problem}", error=True)
            return False
        if ask_first and not self.offer_to_save(f"opening {name}", (opened.kind,)):
            self._tell(f"{name} not opened: the unsaved results are still shown")
            return False
        try:
            note = self.host.show_session(opened)
        except Exception as exc:  # noqa: BLE001 — the rehearsal passed; keep the window usable
            log.exception("showing session %s failed after its rehearsal", path)
            self._tell(f"cannot open {name}: {type(exc).__name__}: {exc}"[:300], error=True)
            return False
        self._remember(path)
        self.current_path = os.path.abspath(path)
        self.unsaved.discard(opened.kind)
        self._update_title()
        self._tell(f"opened {name}: {opened.kind} of {len(opened.runs)} "
                   f"run{'s' if len(opened.runs) != 1 else ''}, shown as recorded (no re-run)"
                   + (f"; {note}" if note else ""))
        return True

    def _rehearse(self, opened: sessions.Session) -> str | None:
        """Build ``opened``'s page off-screen, as the window would; the reason it cannot be
        shown, or None.

        A file the loader accepts may still hold something a view cannot draw; finding out on
        the window's own page would leave it half replaced. This costs one more build of the
        page (tens of milliseconds for a typical comparison).
        """
        built: list[QObject] = []
        try:
            page = _rehearsal_page(opened.kind)
            if page is not None:
                built.append(page)
                page.show_session(opened.runs, opened.extra)
            else:
                run = opened.runs[0]
                cls = BACKENDS.get(run.backend)
                cores = len(run.samples[0].per_core) if run.samples else None
                plots, summary, errors = LivePlots(cores or None), SummaryPanel(), ErrorsPanel()
                built += [plots, summary, errors]
                plots.replay(run, cls.uses_processes if cls else False)
                plots.end_run(run)
                summary.show_result(run, explain(run))
                errors.set_records(run.records)
        except Exception as exc:  # noqa: BLE001 — any failure means: do not show it
            log.exception("rehearsing a %s session failed", opened.kind)
            name = {"compare": "Compare", "sweep": "Sweep"}.get(opened.kind, "Live")
            return (f"the {name} page cannot show it "
                    f"({type(exc).__name__}: {' '.join(str(exc).split())[:120]})")
        finally:
            for widget in built:
                widget.deleteLater()
        return None

    def _ask_save_path(self, kind: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self.window, f"Save {kind} session", os.path.join(self.last_dir,
                                                              f"corescope-{kind}.json"),
            _SESSION_FILTER)
        return path

    def save_dialog(self) -> None:
        if not self.host.current_results():
            self._tell("nothing to save yet: finish a run, comparison or sweep first", True)
            return
        path = self._ask_save_path(self.host.current_kind())
        # The dialog has already asked before replacing an existing file.
        if path:
            self.save_path(path, overwrite=True)

    def save_path(self, path: str, overwrite: bool = False) -> bool:
        """Save what the current view shows as a session of its kind."""
        results = self.host.current_results()
        if not results:
            self._tell("nothing to save yet: finish a run, comparison or sweep first", True)
            return False
        kind = self.host.current_kind()
        try:
            sessions.save(path, results, kind, self.host.session_extra(), overwrite=overwrite)
        except (OSError, ValueError) as exc:
            self._tell(f"not saved: {exc}", error=True)
            return False
        self._remember(path)
        self.current_path = os.path.abspath(path)
        self.unsaved.discard(kind)
        self._update_title()
        self._tell(f"saved {kind} session to {path}")
        return True

    # -- exports ---------------------------------------------------------------------------------
    def _export_dialog(self, write: Callable[[str], bool], filters: str, suffix: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export", os.path.join(self.last_dir, f"corescope{suffix}"), filters)
        if path:
            write(path)

    def _export(self, path: str, what: str, write: Callable[[str], None],
                needs_results: bool = True) -> bool:
        if needs_results and not self.host.current_results():
            self._tell(f"nothing to export as {what} yet: finish a run first", error=True)
            return False
        try:
            write(path)
        except (OSError, ValueError) as exc:
            self._tell(f"{what} not written: {exc}", error=True)
            return False
        self._tell(f"wrote {what} to {path}")
        return True

    def export_trace(self, path: str) -> bool:
        """Chrome trace of the current run or comparison (one process group per run)."""
        def write(p: str) -> None:
            check_writable(p)
            write_json(p, chrome_trace(self.host.current_results()))
        return self._export(path, "the Chrome trace", write)

    def export_tasks_csv(self, path: str) -> bool:
        return self._export(path, "the task records",
                            lambda p: _write_text(p, tasks_csv(self.host.current_results())))

    def export_table_csv(self, path: str) -> bool:
        return self._export(path, "the results table", lambda p: _write_text(
            p, to_csv(COMPARE_HEADER, compare_rows(self.host.current_results()))))

    def export_table_markdown(self, path: str) -> bool:
        return self._export(path, "the results table", lambda p: _write_text(
            p, to_markdown(COMPARE_HEADER, compare_rows(self.host.current_results()))))

    def export_png(self, path: str) -> bool:
        def write(p: str) -> None:
            check_writable(p)
            if not self.host.current_view().grab().save(p, "PNG"):
                raise OSError(f"could not write the image to {p}")
        return self._export(path, "the image", write, needs_results=False)

    # -- drag and drop ---------------------------------------------------------------------------
    @staticmethod
    def dropped_path(mime: QMimeData) -> str | None:
        """The one local .json file in a drag, if that is what it carries."""
        urls = mime.urls() if mime.hasUrls() else []
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        if len(paths) == 1 and paths[0].lower().endswith(".json"):
            return paths[0]
        return None
