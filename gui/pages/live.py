"""The Live page: the time controls above the stack of live plots, and what the view follows.

    ┌ follow · window · reset ────────────────────┐  TimeControls (gui.plots.time_axis)
    │ CPU per core · [hosts] · CPU per worker ·   │  LivePlots (gui.plots.stack)
    │ Tasks per worker, on one time axis          │
    └─────────────────────────────────────────────┘

x is seconds since the current run's start (before the first run: since the window opened).
While a run lasts the view follows its newest second; between runs it pages along with the
idle CPU samples; a finished run, live or opened from a file, is shown whole.
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from engine import clock as _clock
from engine.backends.registry import BACKENDS
from engine.figures.result import RunResult
from engine.run.host import AnyRun
from gui.plots import Sample
from gui.plots.stack import LivePlots
from gui.plots.time_axis import TimeControls
from gui.settings import Store

# While a run is young, follow mode also shows this much of the idle time before it.
LEAD_IN_S = 0.5


class LivePage(QWidget):
    """The plots of the run in progress, or of the last one.

    Args:
        cores: cores to draw (default: this machine's).
    """

    def __init__(self, cores: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots = LivePlots(cores)
        self.time = TimeControls(self.plots.timeline.plot, self.plots.followers)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.time)
        layout.addWidget(self.plots, 1)
        #: Clock reading drawn as x = 0: the run's start (the engine's own, once it ended).
        self.origin = _clock.now()
        self.run_active = False
        self.replaying = False  # a saved run is on show: idle samples stay out
        self.last_result: RunResult | None = None

    # -- settings --------------------------------------------------------------------------------
    def restore(self, store: Store) -> None:
        """The view as it was last time: follow window, plot heights, heatmap or curves."""
        self.time.window_spin.setValue(store.get_int("view/window_s", 30))
        state = store.get_bytes("window/plots")
        if state is not None:
            self.plots.restoreState(state)
            self.plots.laid_out = True  # the presenter's own heights, kept
        heatmap = store.get_str("view/heatmap", "")
        if heatmap in ("true", "false"):
            self.plots.cpu_plot.set_heatmap(heatmap == "true")

    def save(self, store: Store) -> None:
        store.set("view/window_s", int(self.time.window_spin.value()))
        store.set("view/heatmap", "true" if self.plots.cpu_plot.heatmap else "false")
        store.set("window/plots", self.plots.saveState())

    # -- a live run ------------------------------------------------------------------------------
    def begin_run(self, run: AnyRun, origin: float) -> None:
        """Clear the plots for ``run``, started at clock reading ``origin``."""
        self.origin = origin
        self.run_active = True
        self.replaying = False
        self.plots.begin_run(origin, run.config.workload.task_names,
                             run.backend_class.uses_processes,
                             on_cluster=run.config.scheduler is not None)

    def follow_run_start(self) -> None:
        """Follow the new run from its first moment (and a little idle time before it)."""
        self.time.set_following(True)
        self.time.follow_to(0.0, since=-LEAD_IN_S)

    def add_samples(self, samples: list[Sample]) -> None:
        if self.replaying:
            return  # a saved run is on show: live samples would land far to its right
        self.plots.add_samples(samples)
        if not self.run_active:
            self.follow_now()

    def frame(self, now: float) -> None:
        """A tick of the run in progress: grow running bars to ``now``, follow it."""
        self.plots.timeline.advance(now)
        self.time.follow_to(now - self.origin, since=-LEAD_IN_S)

    def follow_now(self) -> None:
        # Before the first run the axis counts from the window opening: nothing lies before 0.
        since = -LEAD_IN_S if self.run_active else (0.0 if self.last_result is None else None)
        self.time.follow_to(_clock.now() - self.origin, since=since,
                            paged=not self.run_active)

    # -- a finished run --------------------------------------------------------------------------
    def replay(self, result: RunResult) -> None:
        """Draw a run that already ended (a saved session) as it was; ``show_result`` follows."""
        self.replaying = True
        cls = BACKENDS.get(result.backend)
        self.plots.replay(result, cls.uses_processes if cls else False)

    def show_result(self, result: RunResult) -> None:
        """The run has ended (or was opened from a file): its own start becomes x = 0."""
        self.run_active = False
        self.last_result = result
        # From here on the engine's exact start is the origin (ours was read just before it).
        self.origin = result.t0
        self.plots.end_run(result)

    def reset_view(self, running: bool) -> None:
        """Whole last run in view (or follow the newest while ``running``), all lanes shown."""
        self.plots.timeline.plot.getPlotItem().enableAutoRange(axis="y")
        if running or self.last_result is None:
            self.time.set_following(True)
            self.follow_now()
        else:
            self.time.set_following(False)
            wall = max(self.last_result.wall_s, 0.05)
            # A warm run's workers started before 0: their span stays in view.
            began = self.last_result.rel(self.last_result.warmed_from) or 0.0
            self.time.show_span(min(-0.03 * wall, 1.03 * began), wall)
