"""Where a workload runs: backend, workers, start method, warm start and dask scheduler, as
form rows.

The base of ``WorkloadPanel`` (gui/panels/workload.py), which adds the workload's rows and
re-checks both halves together on every edit through ``_validate``.
"""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from engine.backends.base import Backend
from engine.backends.registry import BACKENDS
from engine.backends.start_methods import default_start_method, valid_start_methods
from engine.run.machine import usable_cores
from engine.run.runner import ConfigError, RunConfig, check_config
from engine.workload import Workload

_REFUSED_SUFFIX = "  ⚠"


class BackendChoice(QWidget):
    """The backend half of the panel; ``_validate`` is the subclass's whole-panel check."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sample_interval_s = 0.1  # from the command line's --interval, if given
        self.backend_combo = QComboBox()
        for name in BACKENDS:
            self.backend_combo.addItem(name, name)
        self.backend_about = QLabel()
        self.backend_about.setWordWrap(True)
        self.workers_spin = QSpinBox()
        self.workers_spin.setRange(0, 1024)
        self.workers_spin.setSpecialValueText(f"auto ({usable_cores()})")
        self.start_combo = QComboBox()
        self.start_combo.addItems(valid_start_methods())
        self.start_combo.setCurrentText(default_start_method())
        self.start_combo.setToolTip("how worker processes start; spawn is safe under a GUI")
        # Cold is the default: the honest first-time cost, start included in wall.
        self.warm_box = QCheckBox("Start workers before the clock")
        self.warm_box.setToolTip(
            "warm start: the pool's workers start and each runs an empty task before the "
            "clock starts; their start is shown before 0 and reported apart, not in wall")
        self.scheduler_edit = QLineEdit()
        self.scheduler_edit.setPlaceholderText("empty: start a local cluster")
        self.scheduler_edit.setToolTip("dask: use the running cluster at tcp://host:port "
                                       "instead of starting one (it is left running)")
        form = QFormLayout()
        form.addRow("Backend", self.backend_combo)
        form.addRow(self.backend_about)
        form.addRow("Workers", self.workers_spin)
        form.addRow("Start method", self.start_combo)
        form.addRow(self.warm_box)
        form.addRow("Scheduler", self.scheduler_edit)
        self._form = form
        self._mark_unavailable_backends()
        self.backend_combo.currentIndexChanged.connect(self._validate)
        self.workers_spin.valueChanged.connect(self._validate)
        self.start_combo.currentIndexChanged.connect(self._validate)
        self.warm_box.toggled.connect(self._validate)
        self.scheduler_edit.editingFinished.connect(self._validate)

    def _validate(self) -> None:
        raise NotImplementedError

    def _backend_item(self, row: int) -> QStandardItem:
        model = self.backend_combo.model()
        # A combo box's own model: items that can be disabled, renamed and tipped one by one.
        assert isinstance(model, QStandardItemModel)
        return model.item(row)

    def _mark_unavailable_backends(self) -> None:
        for row, cls in enumerate(BACKENDS.values()):
            avail = cls.availability()
            item = self._backend_item(row)
            if not avail.ok:
                item.setEnabled(False)
                item.setText(f"{cls.name} (unavailable)")
                item.setToolTip(f"{cls.summary}\nunavailable: {avail.reason}")
            else:
                item.setToolTip(cls.summary)
        if not self._backend_item(self.backend_combo.currentIndex()).isEnabled():
            self.backend_combo.setCurrentIndex(0)

    @property
    def backend_name(self) -> str:
        return cast(str, self.backend_combo.currentData())  # (set as each item's data)

    def backend_refusals(self) -> dict[str, str]:
        """Backend name -> why it cannot run the current workload (unavailable or refused)."""
        out = {}
        for row in range(self.backend_combo.count()):
            item = self._backend_item(row)
            if item.text().endswith(_REFUSED_SUFFIX) or not item.isEnabled():
                out[self.backend_combo.itemData(row)] = item.toolTip()
        return out

    def select_backend(self, name: str) -> None:
        index = self.backend_combo.findData(name)
        if index >= 0 and self._backend_item(index).isEnabled():
            self.backend_combo.setCurrentIndex(index)

    @property
    def workers(self) -> int | None:
        return self.workers_spin.value() or None

    @property
    def start_method(self) -> str:
        return self.start_combo.currentText()

    @property
    def warm(self) -> bool:
        """Warm start asked for: comparisons and sweeps apply it to every pool they run."""
        return self.warm_box.isChecked()

    def _uses_processes(self) -> bool:
        return BACKENDS[self.backend_name].uses_processes

    @property
    def cluster_address(self) -> str | None:
        """The scheduler field, whichever backend is chosen: comparisons and sweeps run their
        dask step on that cluster."""
        return self.scheduler_edit.text().strip() or None

    @property
    def scheduler(self) -> str | None:
        """The dask scheduler address, if the backend takes one and the field is filled."""
        text = self.cluster_address
        return text if BACKENDS[self.backend_name].accepts_scheduler else None

    # -- saving, loading, locking ----------------------------------------------------------------
    def backend_state(self) -> dict[str, Any]:
        return {"backend": self.backend_name, "workers": self.workers_spin.value(),
                "start_method": self.start_combo.currentText(),
                "scheduler": self.scheduler_edit.text().strip(),
                "warm": self.warm_box.isChecked()}

    def set_backend_state(self, state: dict[str, Any]) -> None:
        if state.get("backend"):
            self.select_backend(str(state["backend"]))
        if isinstance(state.get("workers"), int):
            self.workers_spin.setValue(state["workers"])
        self.scheduler_edit.setText(str(state.get("scheduler", "")))
        if state.get("start_method") in valid_start_methods():
            self.start_combo.setCurrentText(state["start_method"])
        self.warm_box.setChecked(state.get("warm") is True)

    def set_backend_config(self, config: RunConfig) -> None:
        self.select_backend(config.backend)
        self.workers_spin.setValue(config.workers or 0)
        if config.start_method:
            self.start_combo.setCurrentText(config.start_method)
        self.warm_box.setChecked(config.warm)
        self._sample_interval_s = config.sample_interval_s

    def set_backend_editable(self, editable: bool) -> None:
        for w in (self.backend_combo, self.workers_spin):
            w.setEnabled(editable)
        self.start_combo.setEnabled(editable and self._uses_processes())
        self.warm_box.setEnabled(editable and BACKENDS[self.backend_name].warms)

    # -- checking --------------------------------------------------------------------------------
    def show_backend(self) -> type[Backend]:
        """Show the fields the chosen backend uses, and what it is."""
        cls = BACKENDS[self.backend_name]
        self.start_combo.setEnabled(cls.uses_processes)
        # Greyed, not hidden, where it cannot apply: a comparison still warms its pools.
        self.warm_box.setEnabled(cls.warms)
        self._form.setRowVisible(self.scheduler_edit, cls.accepts_scheduler)
        self.workers_spin.setEnabled(not cls.worker_per_task)
        self.workers_spin.setToolTip("this backend starts one worker per task"
                                     if cls.worker_per_task else
                                     "threads or processes to use; auto = usable cores")
        self.backend_about.setText(cls.summary)
        return cls

    def run_config(self, workload: Workload) -> RunConfig:
        cls = BACKENDS[self.backend_name]
        return RunConfig(workload, cls.name, self.workers_spin.value() or None,
                         self.start_combo.currentText() if cls.uses_processes else None,
                         self._sample_interval_s, scheduler=self.scheduler,
                         warm=self.warm_box.isChecked() and cls.warms)

    def mark_refused_backends(self, workload: Workload) -> None:
        for row, cls in enumerate(BACKENDS.values()):
            item = self._backend_item(row)
            if not item.isEnabled():
                continue
            try:
                check_config(RunConfig(workload, cls.name))
                item.setText(cls.name)
                item.setToolTip(cls.summary)
            except ConfigError as exc:
                item.setText(cls.name + _REFUSED_SUFFIX)
                item.setToolTip(f"{cls.summary}\nnot for this workload: {exc}")
