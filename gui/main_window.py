"""The main window: controls on the left; on the right a Live, a Compare and a Sweep page.

    ┌ Workload │ Result │ Errors ┐ ┌ Live │ Compare │ Sweep ───────────────────────────┐
    │ task, params, count,       │ │ follow · window · reset                          │
    │ backend, workers, …        │ │ CPU per core          (% of each core)           │
    │                            │ │ [CPU per cluster host (Dask by address only)]    │
    │                            │ │ CPU per worker        (% of one core)            │
    ├────────────────────────────┤ │ Tasks per worker      (one lane per worker)      │
    │ Run  Stop  progress  ETA   │ │             time since run start (s)             │
    └────────────────────────────┘ └──────────────────────────────────────────────────┘

The window composes; the parts do the work. Data reaches the plots only through ``RunBridge``
signals, on the GUI thread, and the window routes them: a single run to the Live page (and the
Result and Errors tabs when it ends), a comparison or sweep also to the page that asked for it
(``gui.pages.controller``), so the Live page shows each of its runs as it happens.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QFont, QPalette, QShowEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QSplitter, QTabWidget, QWidget

from engine import clock as _clock
from engine.figures.result import RunResult
from engine.files.session import Session
from engine.run.config import config_of
from engine.run.host import AnyRun
from engine.run.runner import ConfigError, RunConfig
from gui.bridge import RunBridge
from gui.lessons import LessonPlayer
from gui.menus import build_menus
from gui.pages.compare import CompareView
from gui.pages.controller import SequenceController
from gui.pages.live import LivePage
from gui.pages.stop_flow import StopFlow
from gui.pages.sweep import SweepView
from gui.panels.lesson_banner import LessonBanner
from gui.panels.side import SidePanel, widen_to_fit
from gui.panels.status_bar import add_interpreter_label, error_palette
from gui.plots.style import left_axis_width
from gui.session_files import SessionFiles
from gui.settings import Store, open_settings
from gui.shortcuts_sheet import build_help_menu

DEFAULT_SIZE = (1280, 720)
# Up to 3× the default 11 pt: the largest at which the window still fits a 1280×720 projector
# (tests/test_gui_text_scale.py); beyond it the room needs a bigger screen, not bigger text.
MIN_FONT, MAX_FONT = 7, 33
#: The session kind of each page, in tab order (Live, Compare, Sweep).
KINDS = ("run", "compare", "sweep")


class MainWindow(QMainWindow):
    """CoreScope's window.

    Args:
        settings_path: INI file for remembered choices (default: ``$CORESCOPE_SETTINGS`` or the
            platform store).
        cores: cores to draw (default: this machine's).
        idle_monitor: sample CPU between runs.
    """

    run_done = Signal(object)  # RunResult, after the window has shown it (single runs only)
    sequence_done = Signal(list)  # RunResults of a comparison or sweep, after it is shown

    def __init__(self, settings_path: str | None = None, cores: int | None = None,
                 idle_monitor: bool = True) -> None:
        super().__init__()
        self.setWindowTitle("CoreScope — see Python concurrency")
        self.store = Store(open_settings(settings_path))
        self.bridge = RunBridge(self, idle_interval_s=0.1 if idle_monitor else None)
        self.side = SidePanel()
        self.workload, self.run_box = self.side.workload, self.side.run_box
        self.summary, self.errors, self.tabs = self.side.summary, self.side.errors, self.side.tabs
        self.live = LivePage(cores)
        # Shortcuts: most of the window talks to one plot at a time.
        self.plots, self.time = self.live.plots, self.live.time
        self.cpu_plot, self.worker_cpu = self.plots.cpu_plot, self.plots.worker_cpu
        self.timeline = self.plots.timeline
        self.compare_view = CompareView()
        self.sweep_view = SweepView()
        self.views = QTabWidget()
        self.sequences = SequenceController(self.bridge, self.workload, self.compare_view,
                                            self.sweep_view, self.show_page, self)
        self.files = SessionFiles(self, self, self.store)
        self.stopping = StopFlow(self.bridge, self.run_box, self)
        self.lesson_banner = LessonBanner()
        self.lessons = LessonPlayer(self, self.lesson_banner, self)
        self.baselines: dict[str, float] = {}  # workload label -> last sequential wall time
        self._closed = False
        self._font_size = max(11, QApplication.font().pointSize())
        self._build_layout()
        self._build_actions()
        self.lessons.install(self.menuBar().addMenu("&Lessons"))
        build_help_menu(self)
        self._connect()
        self._restore()
        self.bridge.start_idle_monitor()

    # -- construction ----------------------------------------------------------------------------
    def _build_layout(self) -> None:
        self.views.addTab(self.live, "Live")
        self.views.addTab(self.compare_view, "Compare")
        self.views.addTab(self.sweep_view, "Sweep")
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(self.side.scrolling())
        self.main_split.addWidget(self.lesson_banner.above(self.views))
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([360, 920])
        self.setCentralWidget(self.main_split)
        self.setAcceptDrops(True)

    def _build_actions(self) -> None:
        actions = build_menus(self, self)
        self.run_action, self.stop_action = actions.run, actions.stop
        self.heatmap_action, self.follow_action = actions.heatmap, actions.follow
        self.full_screen_action = actions.full_screen
        self.interpreter_label = add_interpreter_label(self.statusBar())

    def _connect(self) -> None:
        # Order matters where two slots share a signal: the sequence (connected when it was
        # made) sees a run start and end before the Live page does.
        b = self.bridge
        b.run_started.connect(self._run_started)
        b.task_events.connect(self.plots.add_task_events)
        b.cpu_samples.connect(self.live.add_samples)
        b.progress.connect(self._progress)
        b.frame.connect(self.live.frame)
        b.run_finished.connect(self._run_finished)
        self.run_box.run_button.clicked.connect(self.start_run)
        self.run_box.stop_button.clicked.connect(self.stop_run)
        b.task_events.connect(self.sequences.task_events)
        b.frame.connect(self.sequences.frame)
        self.sequences.status.connect(self.show_status)
        self.sequences.finished.connect(self._sequence_finished)
        self.compare_view.compare_requested.connect(self.start_compare)
        self.compare_view.stop_requested.connect(self.stop_run)
        self.sweep_view.sweep_requested.connect(self.start_sweep)
        self.sweep_view.stop_requested.connect(self.stop_run)
        self.workload.changed.connect(self._choices_changed)
        self.time.reset_requested.connect(self.reset_view)
        self.time.follow_box.toggled.connect(self.follow_action.setChecked)
        self.cpu_plot.heatmap_changed.connect(self.heatmap_action.setChecked)
        self.timeline.lanes_changed.connect(self._align_axes)
        self.plots.host_cpu.rows_changed.connect(self._align_axes)
        self.heatmap_action.setChecked(self.cpu_plot.heatmap)
        self.follow_action.setChecked(self.time.following)
        self._choices_changed()

    # -- settings --------------------------------------------------------------------------------
    def _restore(self) -> None:
        s = self.store
        self.workload.set_state(s.get_json("workload/state", {}))
        self.set_font_size(s.get_int("view/font_size", self._font_size))
        geometry = s.get_bytes("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            screen = QApplication.primaryScreen()
            room = screen.availableSize() if screen is not None else None
            if room is not None and (room.width() < DEFAULT_SIZE[0]
                                     or room.height() < DEFAULT_SIZE[1]):
                self.resize(int(room.width() * 0.95), int(room.height() * 0.95))
            else:
                self.resize(*DEFAULT_SIZE)
        state = s.get_bytes("window/main_split")
        if state is not None:
            self.main_split.restoreState(state)
        self.live.restore(s)

    def save_settings(self) -> None:
        s = self.store
        s.set("workload/state", self.workload.state())
        s.set("view/font_size", self._font_size)
        s.set("window/geometry", self.saveGeometry())
        s.set("window/main_split", self.main_split.saveState())
        self.live.save(s)
        s.sync()

    # -- text size -------------------------------------------------------------------------------
    @property
    def font_size(self) -> int:
        return self._font_size

    def set_font_size(self, point_size: int) -> None:
        """Scale every text in the window, plots included (for projectors)."""
        self._font_size = max(MIN_FONT, min(MAX_FONT, point_size))
        font = QFont(self.font())
        font.setPointSize(self._font_size)
        self.setFont(font)
        self.menuBar().setFont(font)
        self.plots.set_font_size(self._font_size)
        self.sequences.set_font_size(self._font_size)
        self._align_axes()
        widen_to_fit(self.main_split, self.side)
        if self.isVisible():  # a presenter's change, not the remembered size at start-up
            QTimer.singleShot(0, self.plots, self.plots.share_out)  # once the text is laid out

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        widen_to_fit(self.main_split, self.side)  # the text size is known only once shown

    def _align_axes(self) -> None:
        # Row names may take a quarter of the window; the data needs the rest more.
        self.plots.set_left_width(left_axis_width(self.font(), self._font_size,
                                                  self.plots.label_width_hint(),
                                                  int(self.width() * 0.25)))

    # -- pages -----------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.bridge.running or self.sequences.active

    def show_page(self, kind: str) -> None:
        """Bring up the page of session kind ``kind`` ("run" is the Live page)."""
        self.views.setCurrentIndex(KINDS.index(kind))

    def current_kind(self) -> str:
        return KINDS[self.views.currentIndex()]

    def current_view(self) -> QWidget:
        return self.views.currentWidget()

    def current_results(self) -> list[RunResult]:
        """The runs the current page shows (what Save and Export write)."""
        page = self.sequences.pages.get(self.current_kind())
        if page is not None:
            return list(page.results)
        last = self.live.last_result
        return [last] if last is not None else []

    def session_extra(self) -> dict[str, Any] | None:
        page = self.sequences.pages.get(self.current_kind())
        return page.session_extra() if page is not None else None

    def show_session(self, opened: Session) -> str | None:
        """Rebuild the page of ``opened``'s kind from its runs and put the first run's workload
        in the panel; nothing runs. Returns why the panel kept its own, if it did."""
        page = self.sequences.pages.get(opened.kind)
        if page is not None:
            page.show_session(opened.runs, opened.extra)
        else:
            self.show_run(opened.runs[0])
        self.show_page(opened.kind if page is not None else "run")
        # The panel shows what the file ran, so Run repeats it (and nothing else is implied).
        try:
            self.workload.set_config(config_of(opened.runs[0]))
        except ConfigError as exc:
            return f"the panel keeps its own workload ({exc})"
        return None

    def show_run(self, result: RunResult) -> None:
        """Draw a run that already ended (a saved session) on the live page, as it was."""
        self.live.replay(result)
        self._align_axes()
        self._show_result(result)
        s = result.stats
        self.run_box.show_progress(s.n_tasks - s.cancelled, s.n_tasks, result.wall_s)
        self.run_box.show_message(f"opened from a file: {s.ok}/{s.n_tasks} ok in "
                                  f"{s.wall_s:.2f} s (not re-run)")

    def show_status(self, text: str, error: bool = False) -> None:
        """A one-line message under the window (errors in red, kept until the next message)."""
        bar = self.statusBar()
        bar.setPalette(error_palette(bar.palette()) if error else QPalette())
        bar.showMessage(text)

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, config: RunConfig | None = None) -> AnyRun | None:
        """Start ``config`` (default: the panel's choices). Returns the run, or None if refused
        (the reason is shown in the window)."""
        if self.running:
            return None
        # (Run ▸ Run and the button hand their "checked" flag in here, not a config.)
        config = config if isinstance(config, RunConfig) else self.workload.config
        if config is None:
            self.run_box.show_message(self.workload.problem or "nothing to run", error=True)
            return None
        try:
            run = self.bridge.start(config)
        except ConfigError as exc:
            self.run_box.show_message(str(exc), error=True)
            return None
        self.show_page("run")
        return run

    def start_compare(self) -> bool:
        """Run the panel's workload on every backend checked on the Compare page, in turn."""
        return False if self.running else self.sequences.start_compare()

    def start_sweep(self) -> bool:
        """Run the Sweep page's plan: every point on every checked backend, in turn."""
        return False if self.running else self.sequences.start_sweep()

    def stop_run(self) -> None:
        """Cancel the run (and the rest of a comparison or sweep). Tasks that ignore the cancel
        are waited for, and the window says so and offers to leave them running."""
        if self.sequences.active:
            self.sequences.stop()
        self.stopping.stop()

    def reset_view(self) -> None:
        """Whole last run in view (or follow the newest while running), all lanes shown."""
        self.live.reset_view(self.bridge.running)

    def _run_started(self, run: AnyRun, origin: float) -> None:
        self.stopping.run_started()
        self.live.begin_run(run, origin)
        self._align_axes()
        self.side.run_started()
        self.run_box.set_running(True, True)
        self.run_box.show_progress(0, run.total, 0.0)
        self.live.follow_run_start()
        self._choices_changed()

    def _progress(self, done: int, total: int) -> None:
        if not self.stopping.waiting:
            self.run_box.show_progress(done, total, _clock.now() - self.live.origin)

    def _run_finished(self, result: RunResult) -> None:
        self.stopping.run_ended()
        label = result.workload_label
        if result.backend == "sequential" and not result.cancelled:
            self.baselines[label] = result.wall_s
        if label in self.baselines:
            result = result.with_baseline(self.baselines[label])
        self._show_result(result)
        s = result.stats
        verdict = ("cancelled" if result.cancelled
                   else "done" if result.ok else "done, with failures")
        message = f"{verdict}: {s.ok}/{s.n_tasks} ok in {s.wall_s:.2f} s"
        if self.stopping.abandoned:
            message += (f"; {self.stopping.abandoned} task(s) ignored the stop and finish in the "
                        "background")
        self.run_box.show_message(message, error=not result.ok and not result.cancelled)
        self.run_box.progress.setValue(s.n_tasks - s.cancelled)
        if not self.sequences.active:
            self.run_done.emit(result)

    def _show_result(self, result: RunResult) -> None:
        """The live page's after-run state: plots re-origined, summary, errors, whole run."""
        self.live.show_result(result)
        self.side.show_result(result)
        self._choices_changed()
        self.reset_view()

    def _sequence_finished(self, results: list[RunResult]) -> None:
        self._choices_changed()
        self.files.sequence_done(results)
        self.sequence_done.emit(results)

    def _choices_changed(self) -> None:
        ok = self.workload.config is not None
        busy = self.running
        self.run_box.set_running(busy, ok)
        self.run_action.setEnabled(ok and not busy)
        workload, _ = self.workload.workload_choice()
        if not busy:
            self.sequences.set_workload(workload)
        self.run_box.run_button.setToolTip(self.workload.problem or "Start the run (Ctrl+R)")
        self.lessons.update_actions()

    # -- closing ---------------------------------------------------------------------------------
    def shutdown(self, timeout_s: float = 3.0) -> bool:
        """Cancel any run and wait for its workers (bounded); stop sampling. Idempotent."""
        if self._closed:
            return True
        self._closed = True
        return self.bridge.shutdown(timeout_s)

    def request_quit(self) -> bool:
        """File ▸ Quit: offer to save an unsaved comparison or sweep, then close. False when
        the user chose to stay."""
        if not self.files.offer_to_save("quitting"):
            return False
        return self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        # The title bar's close button (a spontaneous event) quits too, so it offers to save.
        # A close from code does not ask: Quit has asked already, and Ctrl+C in the terminal,
        # --exit-after-run or a test have nobody to answer a dialog.
        if event.spontaneous() and not self.files.offer_to_save("quitting"):
            event.ignore()
            return
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if SessionFiles.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = SessionFiles.dropped_path(event.mimeData())
        if path is not None:
            event.acceptProposedAction()
            self.files.open_path(path, ask_first=True)

    def save_screenshot(self, path: str) -> bool:
        """Save the whole window as a PNG."""
        return self.grab().save(path, "PNG")
