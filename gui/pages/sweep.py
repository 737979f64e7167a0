"""The Sweep page: one knob varied over values, speedup and efficiency per backend.

    ┌ backends ☑ …   knob [workers ▾]  values [1,2,4]   [Sweep] [Stop]      3/7: workers=2 … ┐
    │ speedup vs knob (one line per backend, ideal) │ efficiency vs knob (ideal 100 %)      │
    ├ table: knob · backend · workers · wall s · speedup · efficiency %                       ┤

The plan, baselines, rows and session layout are the engine's (``engine.figures.sweep``), so
the page shows the same numbers as ``python main.py sweep``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.backends.registry import BACKENDS
from engine.figures import sweep
from engine.figures.result import RunResult
from engine.run.host import AnyRun
from engine.run.runner import ConfigError
from engine.workload import Workload
from gui import palette
from gui.palette import ERROR_STYLE
from gui.panels.backend_list import BackendList
from gui.plots import TaskEvent
from gui.plots.style import make_plot, set_font

SPEEDUP_LABEL = "speedup (× vs sequential)"
EFFICIENCY_LABEL = "efficiency (%)"


@dataclass(frozen=True)
class _Point:
    """What the engine's sweep helpers read from a point, for runs loaded from a file.

    A saved sweep has no ``RunConfig`` to rebuild a ``SweepPoint`` from, only each run's
    backend; so the page's points are ``SweepPoint``s or these, typed ``Any`` where both go.
    """

    value: str
    baseline_only: bool
    config: Any


class SweepView(QWidget):
    """Knob, values and backends; plots and a table of the finished sweep.

    Signals:
        sweep_requested: the Sweep button was pressed.
        stop_requested: the Stop button was pressed.
    """

    sweep_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backends = BackendList()
        self.knob_combo = QComboBox()
        self.knob_combo.setEditable(True)
        self.knob_combo.setToolTip("workers, tasks (instances per task) or a task parameter")
        self.values_edit = QLineEdit("1,2")
        self.values_edit.setToolTip("comma-separated values of the knob")
        self.sweep_button = QPushButton("▶  Sweep")
        self.stop_button = QPushButton("■  Stop")
        self.stop_button.setEnabled(False)
        self.status = QLabel("Choose a knob and its values, then press Sweep.")
        self.status.setWordWrap(True)
        self.speedup_plot = make_plot(SPEEDUP_LABEL)
        self.efficiency_plot = make_plot(EFFICIENCY_LABEL)
        for plot in (self.speedup_plot, self.efficiency_plot):
            plot.getPlotItem().addLegend(offset=(8, 8))
        self.table = QTableWidget(0, 1 + len(sweep.SWEEP_HEADER_TAIL))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.knob = "workers"
        self.points: list[Any] = []  # aligned with results
        self.results: list[RunResult] = []
        self._planned: list[Any] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.efficiency_curves: dict[str, pg.PlotDataItem] = {}
        self.ideal_curve: pg.PlotDataItem | None = None
        self._font_size = 11
        self._build()

    def _build(self) -> None:
        knob_row = QHBoxLayout()
        knob_row.addWidget(QLabel("Vary"))
        knob_row.addWidget(self.knob_combo)
        knob_row.addWidget(QLabel("over"))
        knob_row.addWidget(self.values_edit, 1)
        knob_row.addWidget(self.sweep_button)
        knob_row.addWidget(self.stop_button)
        top = QHBoxLayout()
        top.addWidget(QLabel("Backends"))
        top.addWidget(self.backends, 1)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.speedup_plot)
        plots.addWidget(self.efficiency_plot)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(plots)
        split.addWidget(self.table)
        split.setSizes([420, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(top)
        layout.addLayout(knob_row)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self.sweep_button.clicked.connect(self.sweep_requested)
        self.stop_button.clicked.connect(self.stop_requested)

    # -- choices ---------------------------------------------------------------------------------
    def set_workload(self, workload: Workload | None, workers: int | None,
                     start_method: str | None, scheduler: str | None = None) -> None:
        self.backends.set_workload(workload, workers, start_method, scheduler)
        knobs = ["workers", "tasks"]
        if workload is not None:
            knobs += [p.name for item in workload.items for p in item.spec.params]
        current = self.knob_combo.currentText() or "workers"
        self.knob_combo.blockSignals(True)
        self.knob_combo.clear()
        self.knob_combo.addItems(list(dict.fromkeys(knobs)))
        self.knob_combo.setCurrentText(current)
        self.knob_combo.blockSignals(False)

    def set_running(self, running: bool) -> None:
        self.sweep_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for w in (self.backends, self.knob_combo, self.values_edit):
            w.setEnabled(not running)

    def _fail(self, text: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(text)

    def plan(self, workload: Workload, workers: int | None, start_method: str | None,
             scheduler: str | None = None, warm: bool = False
             ) -> list[sweep.SweepPoint] | None:
        """The engine's plan for the page's choices, or None (the reason is shown)."""
        backends = self.backends.checked()
        if not backends:
            self._fail("check at least one backend")
            return None
        items = workload.items
        names = [i.spec.name for i in items]
        # One task: plain keys, so the knob's value replaces the panel's. Several: per task.
        settings = ({k: str(v) for k, v in items[0].params.items()} if len(items) == 1 else
                    {f"{i.spec.name}.{k}": str(v) for i in items for k, v in i.params.items()})
        # engine.figures.sweep.plan hands the start method to every non-sequential backend, and
        # check_config refuses one on a thread backend: give it only when all are processes
        # (otherwise each process backend uses its default, spawn).
        if not all(BACKENDS[b].uses_processes for b in backends if b != "sequential"):
            start_method = None
        try:
            knob, values = sweep.parse_vary(f"{self.knob_combo.currentText().strip()}="
                                            f"{self.values_edit.text()}")
            planned = sweep.plan(names, items[0].count, settings, backends, knob, values,
                                 workers=workers, start_method=start_method,
                                 timeout_s=workload.timeout_s, scheduler=scheduler,
                                 warm=warm)
        except (ValueError, ConfigError) as exc:
            self._fail(str(exc))
            return None
        self.knob = "workers" if knob == "workers" else knob
        self._planned = planned
        self.points, self.results = [], []
        self._clear_plots()
        self.set_running(True)
        self.status.setStyleSheet("")
        self.status.setText(f"{len(planned)} runs planned")
        return planned

    # -- progress --------------------------------------------------------------------------------
    def step_started(self, index: int, total: int, label: str, run: AnyRun,
                     origin: float) -> None:
        self.status.setText(f"{index + 1}/{total}: {label} running …")

    def task_events(self, events: list[TaskEvent]) -> None:
        """Nothing to draw: the page shows each run once it has finished."""

    def frame(self, now: float) -> None:
        """Nothing moves while a run lasts: the plots grow a point per finished run."""

    def step_finished(self, index: int, result: RunResult) -> None:
        self.points.append(self._planned[index])
        self.results.append(result)
        self._show(self.points, self.results)

    def finish(self, stopped: bool, problem: str | None = None) -> None:
        self.set_running(False)
        done = f"{len(self.results)}/{len(self._planned)} runs"
        if problem:
            self._fail(f"{done}; stopped: {problem}")
        else:
            self.status.setText(f"stopped after {done}" if stopped else
                                f"done: {done}; speedup against sequential at each point")

    # -- sessions --------------------------------------------------------------------------------
    def session_extra(self) -> dict[str, Any]:
        return sweep.session_extra(self.knob, self.points)

    def show_session(self, runs: Sequence[RunResult], extra: dict[str, Any]) -> None:
        """Redraw a saved sweep; a file without sweep points is shown as one point per run."""
        saved = extra.get("sweep")
        info: dict[str, Any] = saved if isinstance(saved, dict) else {}
        saved_points = info.get("points")
        raw: list[Any] = saved_points if isinstance(saved_points, list) else []
        knob = str(info.get("knob", "run"))
        points: list[Any] = []
        for i, run in enumerate(runs):
            p = raw[i] if i < len(raw) and isinstance(raw[i], dict) else {}
            points.append(_Point(str(p.get("value", i + 1)), bool(p.get("baseline_only")),
                                 SimpleNamespace(backend=run.backend)))
        self.knob, self.points = knob, points
        self._planned = list(points)
        self.knob_combo.setCurrentText(knob)
        self.values_edit.setText(",".join(dict.fromkeys(p.value for p in points)))
        self.status.setStyleSheet("")
        self.status.setText(f"{len(runs)} runs, opened from a file (no re-run)")
        self._show(points, list(runs))

    # -- drawing ---------------------------------------------------------------------------------
    def _clear_plots(self) -> None:
        for plot in (self.speedup_plot, self.efficiency_plot):
            plot.getPlotItem().clear()
        self.curves, self.efficiency_curves, self.ideal_curve = {}, {}, None
        self.table.setRowCount(0)

    def _show(self, points: Sequence[Any], results: Sequence[RunResult]) -> None:
        results = sweep.apply_baselines(points, results, self.knob)
        self.results = list(results)
        self._clear_plots()
        values = list(dict.fromkeys(p.value for p in points))
        try:
            xs = {v: float(v) for v in values}
            ticks = None
        except ValueError:  # a non-numeric knob: evenly spaced, labelled
            xs = {v: float(i) for i, v in enumerate(values)}
            ticks = [[(x, v) for v, x in xs.items()]]
        for plot in (self.speedup_plot, self.efficiency_plot):
            plot.getPlotItem().getAxis("bottom").setTicks(ticks)
            set_font(plot, self._font_size, SPEEDUP_LABEL if plot is self.speedup_plot
                     else EFFICIENCY_LABEL, self.knob)
        backends = list(dict.fromkeys(r.backend for p, r in zip(points, results)
                                      if not p.baseline_only))
        for i, backend in enumerate(backends):
            mine = [(xs[p.value], r.stats) for p, r in zip(points, results)
                    if r.backend == backend and not p.baseline_only]
            x = np.array([m[0] for m in mine], dtype=float)
            speed = np.array([s.speedup if s.speedup is not None else np.nan for _, s in mine])
            eff = np.array([s.efficiency * 100 if s.efficiency is not None else np.nan
                            for _, s in mine])
            colour = palette.series_colour(i)
            style = {"pen": pg.mkPen(colour, width=2), "symbol": "o", "symbolSize": 8,
                     "symbolBrush": colour, "symbolPen": colour, "name": backend}
            self.curves[backend] = self.speedup_plot.plot(x, speed, **style)
            self.efficiency_curves[backend] = self.efficiency_plot.plot(x, eff, **style)
        self._draw_ideal(xs, results)
        self._fill_table(points, results)

    def _draw_ideal(self, xs: dict[str, float], results: Sequence[RunResult]) -> None:
        if not results:
            return
        # The parallel runs' cores: a cluster's when they ran on one, not the baseline's.
        parallel = [r for r in results if r.backend != "sequential"] or list(results)
        cores = max(r.cores for r in parallel)
        x = np.array(sorted(xs.values()), dtype=float)
        if self.knob == "workers":
            ideal = np.minimum(x, cores)
        else:
            ideal = np.full(len(x), float(max(1, min(parallel[0].workers, cores))))
        dashed = pg.mkPen(palette.FOREGROUND, width=2, style=Qt.PenStyle.DashLine)
        self.ideal_curve = self.speedup_plot.plot(x, ideal, pen=dashed,
                                                  name="ideal: min(workers, cores)")
        self.efficiency_plot.plot(x, np.full(len(x), 100.0), pen=dashed, name="ideal 100 %")

    def _fill_table(self, points: Sequence[Any], results: Sequence[RunResult]) -> None:
        header = [self.knob, *sweep.SWEEP_HEADER_TAIL]
        rows = sweep.rows(self.knob, points, results)
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(header)
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c not in (1,):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()

    def set_font_size(self, point_size: int) -> None:
        self._font_size = point_size
        set_font(self.speedup_plot, point_size, SPEEDUP_LABEL, self.knob)
        set_font(self.efficiency_plot, point_size, EFFICIENCY_LABEL, self.knob)
