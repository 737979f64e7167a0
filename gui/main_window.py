"""The main window: controls on the left; on the right a Live, a Compare and a Sweep page.

    ┌ Workload │ Result │ Errors ┐ ┌ follow · window · reset ─────────────────────────┐
    │ task, params, count,       │ │ CPU per core          (% of each core)           │
    │ backend, workers, …        │ │ [CPU per cluster host (Dask by address only)]    │
    │                            │ │ CPU per worker        (% of one core)            │
    ├────────────────────────────┤ │ Tasks per worker      (one lane per worker)      │
    │ Run  Stop  progress  ETA   │ │             time since run start (s)             │
    └────────────────────────────┘ └──────────────────────────────────────────────────┘

Data reaches the plots only through ``RunBridge`` signals, on the GUI thread. A comparison or
sweep is a ``RunSequence`` of ordinary runs on the same bridge, so the Live page shows each run
as it happens while the Compare or Sweep page collects them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QFontMetrics,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from engine import clock as _clock
from engine.figures.explain import explain
from engine.figures.result import RunResult
from engine.run.runner import ConfigError, Run, RunConfig
from gui.bridge import RunBridge
from gui.compare_view import CompareView
from gui.controls import WorkloadPanel
from gui.files import SessionFiles
from gui.live_plots import LivePlots
from gui.pages import LIVE, PagesMixin
from gui.runbox import RunBox
from gui.sequence import RunSequence
from gui.settings import Store, open_settings
from gui.stopping import StopFlow
from gui.summary import ErrorsPanel, SummaryPanel
from gui.sweep_view import SweepView
from gui.timeview import TimeControls

DEFAULT_SIZE = (1280, 720)
MIN_FONT, MAX_FONT = 7, 40
# While a run is young, follow mode also shows this much of the idle time before it.
_LEAD_IN_S = 0.5


class MainWindow(PagesMixin, QMainWindow):
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
        self.workload = WorkloadPanel()
        self.run_box = RunBox()
        self.summary = SummaryPanel()
        self.errors = ErrorsPanel()
        self.plots = LivePlots(cores)
        # Shortcuts: most of the window talks to one plot at a time.
        self.cpu_plot, self.worker_cpu = self.plots.cpu_plot, self.plots.worker_cpu
        self.timeline = self.plots.timeline
        self.time = TimeControls(self.timeline.plot, self.plots.followers)
        self.compare_view = CompareView()
        self.sweep_view = SweepView()
        self.sequence = RunSequence(self.bridge, self)
        self._sequence_view: CompareView | SweepView | None = None
        self.files = SessionFiles(self)
        self._replaying = False  # the live page shows a saved run: idle samples stay out
        self.stopping = StopFlow(self.bridge, self.run_box, self)
        self.last_result: RunResult | None = None
        self.baselines: dict[str, float] = {}  # workload label -> last sequential wall time
        self._origin = _clock.now()
        self._opened = self._origin
        self._run_active = False
        self._closed = False
        self._font_size = max(11, QApplication.font().pointSize())
        self._build_layout()
        self._build_actions()
        self._connect()
        self._restore()
        self.bridge.start_idle_monitor()

    # -- construction ----------------------------------------------------------------------------
    def _build_layout(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.workload)
        self.tabs = QTabWidget()
        self.tabs.addTab(scroll, "Workload")
        result_scroll = QScrollArea()
        result_scroll.setWidgetResizable(True)
        result_scroll.setWidget(self.summary)
        self.tabs.addTab(result_scroll, "Result")
        self.tabs.addTab(self.errors, "Errors")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tabs, 1)
        left_layout.addWidget(self.run_box)
        self.plot_split = self.plots
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.time)
        right_layout.addWidget(self.plot_split, 1)
        self.views = QTabWidget()
        self.views.addTab(right, "Live")
        self.views.addTab(self.compare_view, "Compare")
        self.views.addTab(self.sweep_view, "Sweep")
        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.addWidget(left)
        self.main_split.addWidget(self.views)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([360, 920])
        self.setCentralWidget(self.main_split)
        self.setAcceptDrops(True)

    def _action(self, menu: object, text: str, keys: tuple, slot: object,
                checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)  # type: ignore[attr-defined]
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.files.build_menu(file_menu, self._action)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", (QKeySequence.StandardKey.Quit, "Ctrl+Q"),
                     self.request_quit)
        run_menu = bar.addMenu("&Run")
        self.run_action = self._action(run_menu, "&Run", ("Ctrl+R", "F5"), self.start_run)
        self.stop_action = self._action(run_menu, "&Stop", ("Esc",), self.stop_run)
        view = bar.addMenu("&View")
        self._action(view, "&Larger text", ("Ctrl+=", "Ctrl++"),
                     lambda: self.set_font_size(self._font_size + 1))
        self._action(view, "&Smaller text", ("Ctrl+-",),
                     lambda: self.set_font_size(self._font_size - 1))
        self._action(view, "&Normal text size", ("Ctrl+0",), lambda: self.set_font_size(11))
        view.addSeparator()
        self.heatmap_action = self._action(view, "CPU &heatmap", ("H",),
                                           self.cpu_plot.set_heatmap, checkable=True)
        self.follow_action = self._action(view, "&Follow newest", ("F",),
                                          self.time.set_following, checkable=True)
        self._action(view, "&Reset view", ("Home",), self.reset_view)

    def _connect(self) -> None:
        b = self.bridge
        b.run_started.connect(self._run_started)
        b.task_events.connect(self.plots.add_task_events)
        b.cpu_samples.connect(self._samples)
        b.progress.connect(self._progress)
        b.frame.connect(self._frame)
        b.run_finished.connect(self._run_finished)
        self.run_box.run_button.clicked.connect(self.start_run)
        self.run_box.stop_button.clicked.connect(self.stop_run)
        b.task_events.connect(self._sequence_events)
        b.frame.connect(self._sequence_frame)
        seq = self.sequence
        seq.step_started.connect(self._step_started)
        seq.step_finished.connect(self._step_finished)
        seq.finished.connect(self._sequence_finished)
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
        self.time.window_spin.setValue(s.get_int("view/window_s", 30))
        geometry = s.get_bytes("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            screen = QApplication.primaryScreen()
            room = screen.availableSize() if screen is not None else None
            if room is not None and (room.width() < DEFAULT_SIZE[0]
                                     or room.height() < DEFAULT_SIZE[1]):
                self.resize(int(room.width() * 0.95), int(room.height() * 0.95))
            else:
                self.resize(*DEFAULT_SIZE)
        for key, split in (("window/main_split", self.main_split),
                           ("window/plots", self.plot_split)):
            state = s.get_bytes(key)
            if state is not None:
                split.restoreState(state)
        heatmap = s.get_str("view/heatmap", "")
        if heatmap in ("true", "false"):
            self.cpu_plot.set_heatmap(heatmap == "true")

    def save_settings(self) -> None:
        s = self.store
        s.set("workload/state", self.workload.state())
        s.set("view/font_size", self._font_size)
        s.set("view/window_s", int(self.time.window_spin.value()))
        s.set("view/heatmap", "true" if self.cpu_plot.heatmap else "false")
        s.set("window/geometry", self.saveGeometry())
        s.set("window/main_split", self.main_split.saveState())
        s.set("window/plots", self.plot_split.saveState())
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
        for view in (self.compare_view, self.sweep_view):
            view.set_font_size(self._font_size)
        self._align_axes()

    def _align_axes(self) -> None:
        # One time axis only reads as one if the plots' left edges line up exactly.
        font = QFont(self.font())
        font.setPointSize(self._font_size)
        metrics = QFontMetrics(font)
        ticks = max(metrics.horizontalAdvance("1000"), self.plots.label_width_hint())
        width = min(ticks, int(self.width() * 0.25)) + int(metrics.height() * 1.6) + 10
        self.plots.set_left_width(width)

    # -- runs ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.bridge.running or self.sequence.active

    def start_run(self, config: RunConfig | None = None) -> Run | None:
        """Start ``config`` (default: the panel's choices). Returns the run, or None if refused
        (the reason is shown in the window)."""
        if self.running:
            return None
        config = config if isinstance(config, RunConfig) else self.workload.config
        if config is None:
            self.run_box.show_message(self.workload.problem or "nothing to run", error=True)
            return None
        try:
            run = self.bridge.start(config)
        except ConfigError as exc:
            self.run_box.show_message(str(exc), error=True)
            return None
        self.views.setCurrentIndex(LIVE)
        return run

    def stop_run(self) -> None:
        """Cancel the run (and the rest of a comparison or sweep). Tasks that ignore the cancel
        are waited for, and the window says so and offers to leave them running."""
        if self.sequence.active:
            self.sequence.stop()
        self.stopping.stop()

    def reset_view(self) -> None:
        """Whole last run in view (or follow the newest while running), all lanes shown."""
        self.timeline.plot.getPlotItem().enableAutoRange(axis="y")
        if self.bridge.running or self.last_result is None:
            self.time.set_following(True)
            self._follow_now()
        else:
            self.time.set_following(False)
            wall = max(self.last_result.wall_s, 0.05)
            self.time.show_span(-0.03 * wall, wall)

    def _run_started(self, run: Run, origin: float) -> None:
        self._origin = origin
        self._run_active = True
        self._replaying = False
        self.stopping.run_started()
        self.plots.begin_run(origin, run.config.workload.task_names,
                             run.backend_class.uses_processes,
                             on_cluster=run.config.scheduler is not None)
        self._align_axes()
        self.errors.set_records([])
        self.tabs.setTabText(2, "Errors")
        self.workload.set_editable(False)
        self.run_box.set_running(True, True)
        self.run_box.show_progress(0, run.total, 0.0)
        self.time.set_following(True)
        self.time.follow_to(0.0, since=-_LEAD_IN_S)
        self._choices_changed()

    def _samples(self, samples: list) -> None:
        if self._replaying:
            return  # a saved run is on show: live samples would land far to its right
        self.plots.add_samples(samples)
        if not self._run_active:
            self._follow_now()

    def _follow_now(self) -> None:
        # Before the first run the axis counts from the window opening: nothing lies before 0.
        since = -_LEAD_IN_S if self._run_active else (0.0 if self.last_result is None else None)
        self.time.follow_to(_clock.now() - self._origin, since=since,
                            paged=not self._run_active)

    def _progress(self, done: int, total: int) -> None:
        if not self.stopping.waiting:
            self.run_box.show_progress(done, total, _clock.now() - self._origin)

    def _frame(self, now: float) -> None:
        self.timeline.advance(now)
        self.time.follow_to(now - self._origin, since=-_LEAD_IN_S)

    def _run_finished(self, result: RunResult) -> None:
        self._run_active = False
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
        if not self.sequence.active:
            self.run_done.emit(result)

    def _show_result(self, result: RunResult) -> None:
        """The live page's after-run state: plots re-origined, summary, errors, whole run."""
        self.last_result = result
        # From here on the engine's exact start is the origin (ours was read just before it).
        self._origin = result.t0
        self.plots.end_run(result)
        self.summary.show_result(result, explain(result))
        failed = self.errors.set_records(result.records)
        self.tabs.setTabText(2, f"Errors ({failed})" if failed else "Errors")
        self.tabs.setCurrentIndex(1)
        self.workload.set_editable(True)
        self._choices_changed()
        self.reset_view()

    def _choices_changed(self) -> None:
        ok = self.workload.config is not None
        busy = self.running
        self.run_box.set_running(busy, ok)
        self.run_action.setEnabled(ok and not busy)
        workload, _ = self.workload.workload_choice()
        if not busy:
            for view in (self.compare_view, self.sweep_view):
                view.set_workload(workload, self.workload.workers, self.workload.start_method,
                                  self.workload.cluster_address)
                view.set_running(False)
        self.run_box.run_button.setToolTip(self.workload.problem or "Start the run (Ctrl+R)")

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

    def save_screenshot(self, path: str) -> bool:
        """Save the whole window as a PNG."""
        return self.grab().save(path, "PNG")
