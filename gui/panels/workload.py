"""The workload and backend panel: what to run, where, and whether it can run at all.

Every edit re-validates through the engine's own checks — ``build_workload`` then
``check_config`` — so Run is enabled exactly when the CLI would accept the same choices, and the
reason it is not is shown in the panel, in the engine's words.
"""

from __future__ import annotations

import ast
import os
from typing import Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.backends.registry import BACKENDS
from engine.backends.start_methods import default_start_method, valid_start_methods
from engine.run.machine import usable_cores
from engine.run.runner import ConfigError, RunConfig, check_config
from engine.tasks import BUILTIN_TASKS
from engine.workload import MAX_INSTANCES, Workload, build_workload, parse_settings
from gui.palette import ERROR_STYLE
from gui.panels.params import ParamForm

CUSTOM = "custom (module:function)"
_REFUSED_SUFFIX = "  ⚠"


def _functions_in(path: str) -> list[str]:
    """Top-level function names of a Python file, read without running it."""
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return []
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not node.name.startswith("_")]


class WorkloadPanel(QWidget):
    """Task, parameters, count, backend, workers and start method, validated live.

    Signals:
        changed: any choice changed; ``config``/``problem`` are up to date.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config: RunConfig | None = None
        self.problem: str | None = "no task chosen"
        self._preset: Workload | None = None  # a multi-task workload handed in from the CLI
        self._sample_interval_s = 0.1  # from the command line's --interval, if given
        self._raw_params: dict[str, dict[str, str]] = {}
        self._loading = False

        self.task_combo = QComboBox()
        for name, spec in BUILTIN_TASKS.items():
            self.task_combo.addItem(name, name)
            self.task_combo.setItemData(self.task_combo.count() - 1,
                                        f"{spec.kind}: {spec.description}",
                                        Qt.ItemDataRole.ToolTipRole)
        self.task_combo.addItem(CUSTOM, CUSTOM)
        self.task_about = QLabel()
        self.task_about.setWordWrap(True)
        self.custom_spec = QLineEdit()
        self.custom_spec.setPlaceholderText("module:function or path/to/file.py:function")
        self.browse_button = QPushButton("Browse…")
        self.custom_params = QLineEdit()
        self.custom_params.setPlaceholderText("key=value, key=value")
        self.params = ParamForm()
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, MAX_INSTANCES)
        self.count_spin.setValue(8)
        self.count_spin.setToolTip("how many instances of the task to run")
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
        self.scheduler_edit = QLineEdit()
        self.scheduler_edit.setPlaceholderText("empty: start a local cluster")
        self.scheduler_edit.setToolTip("dask: use the running cluster at tcp://host:port "
                                       "instead of starting one (it is left running)")
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.preset_note.hide()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self._layout()
        self._mark_unavailable_backends()
        self._connect()
        self._task_changed()

    def _layout(self) -> None:
        custom_row = QHBoxLayout()
        custom_row.addWidget(self.custom_spec, 1)
        custom_row.addWidget(self.browse_button)
        self.custom_box = QWidget()
        custom_form = QFormLayout(self.custom_box)
        custom_form.setContentsMargins(0, 0, 0, 0)
        custom_form.addRow("function", custom_row)
        custom_form.addRow("params", self.custom_params)
        form = QFormLayout()
        form.addRow("Task", self.task_combo)
        form.addRow(self.task_about)
        form.addRow(self.custom_box)
        form.addRow(self.params)
        form.addRow("Count", self.count_spin)
        form.addRow("Backend", self.backend_combo)
        form.addRow(self.backend_about)
        form.addRow("Workers", self.workers_spin)
        form.addRow("Start method", self.start_combo)
        form.addRow("Scheduler", self.scheduler_edit)
        self._form = form
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preset_note)
        layout.addWidget(self.problem_label)
        layout.addStretch(1)

    def _connect(self) -> None:
        self.task_combo.currentIndexChanged.connect(self._task_changed)
        self.params.changed.connect(self._edited)
        self.count_spin.valueChanged.connect(self._edited)
        self.backend_combo.currentIndexChanged.connect(self._validate)
        self.workers_spin.valueChanged.connect(self._validate)
        self.start_combo.currentIndexChanged.connect(self._validate)
        self.scheduler_edit.editingFinished.connect(self._validate)
        # Custom specs are checked when editing ends, not per keystroke: checking imports the
        # module, and half-typed names can be real modules with side effects ("antigravity").
        self.custom_spec.editingFinished.connect(self._edited)
        self.custom_params.editingFinished.connect(self._edited)
        self.browse_button.clicked.connect(self._browse)

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

    # -- reading and writing the choices ---------------------------------------------------------
    @property
    def task_name(self) -> str:
        return cast(str, self.task_combo.currentData())  # (set as each item's data)

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

    def select_task(self, name: str) -> None:
        index = self.task_combo.findData(name)
        if index < 0:
            index = self.task_combo.findData(CUSTOM)
            self.custom_spec.setText(name)
        self.task_combo.setCurrentIndex(index)
        self._task_changed()

    def set_param(self, name: str, raw: str) -> None:
        self.params.editors[name].set_raw(raw)

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore choices saved by ``state()``; unknown or stale values are ignored."""
        self._loading = True
        try:
            self._raw_params = {k: dict(v) for k, v in state.get("params", {}).items()
                                if isinstance(v, dict)}
            self.custom_spec.setText(str(state.get("custom_spec", "")))
            self.custom_params.setText(str(state.get("custom_params", "")))
            if state.get("task"):
                self.select_task(str(state["task"]))
            if isinstance(state.get("count"), int):
                self.count_spin.setValue(state["count"])
            if state.get("backend"):
                self.select_backend(str(state["backend"]))
            if isinstance(state.get("workers"), int):
                self.workers_spin.setValue(state["workers"])
            self.scheduler_edit.setText(str(state.get("scheduler", "")))
            if state.get("start_method") in valid_start_methods():
                self.start_combo.setCurrentText(state["start_method"])
        finally:
            self._loading = False
        self._edited()

    def state(self) -> dict[str, Any]:
        self._remember_params()
        return {"task": self.task_name, "params": self._raw_params,
                "custom_spec": self.custom_spec.text(),
                "custom_params": self.custom_params.text(),
                "count": self.count_spin.value(), "backend": self.backend_name,
                "workers": self.workers_spin.value(),
                "start_method": self.start_combo.currentText(),
                "scheduler": self.scheduler_edit.text().strip()}

    def set_config(self, config: RunConfig) -> None:
        """Show ``config`` in the panel (from the command line); a workload of several tasks is
        kept as given until the user edits the task choices."""
        items = config.workload.items
        self._loading = True
        try:
            first = items[0]
            if not first.spec.builtin:
                self.custom_params.setText(", ".join(f"{k}={v}" for k, v in first.params.items()))
            self.select_task(first.spec.name)
            if first.spec.builtin:
                for key, value in first.params.items():
                    self.set_param(key, str(value))
            self.count_spin.setValue(first.count)
            self.select_backend(config.backend)
            self.workers_spin.setValue(config.workers or 0)
            if config.start_method:
                self.start_combo.setCurrentText(config.start_method)
            self._sample_interval_s = config.sample_interval_s
        finally:
            self._loading = False
        self._preset = config.workload if len(items) > 1 or config.workload.timeout_s else None
        self.preset_note.setText(f"Workload from the command line: {config.workload.label()}. "
                                 "Editing the task above replaces it.")
        self.preset_note.setVisible(self._preset is not None)
        self._validate()

    def set_editable(self, editable: bool) -> None:
        for w in (self.task_combo, self.custom_box, self.params, self.count_spin,
                  self.backend_combo, self.workers_spin):
            w.setEnabled(editable)
        self.start_combo.setEnabled(editable and self._uses_processes())

    # -- reactions -------------------------------------------------------------------------------
    def _remember_params(self) -> None:
        if self.params.editors:
            self._raw_params[self._shown_task] = self.params.values()

    def _task_changed(self) -> None:
        if getattr(self, "_shown_task", None) is not None and not self._loading:
            self._remember_params()
        name = self.task_name
        self._shown_task = name
        custom = name == CUSTOM
        self.custom_box.setVisible(custom)
        spec = None if custom else BUILTIN_TASKS[name]
        self.task_about.setText("Your own function, run once per count." if spec is None
                                else f"<i>{spec.kind}</i> — {spec.description}")
        self.params.set_spec(spec, self._raw_params.get(name))
        if spec is not None and not self._loading:
            self.count_spin.setValue(spec.default_count)
        self._edited()

    def _edited(self) -> None:
        if not self._loading and self._preset is not None:
            self._preset = None
            self.preset_note.hide()
        self._validate()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Python file with a task function", "",
                                              "Python files (*.py)")
        if not path:
            return
        rel = os.path.relpath(path)
        shown = rel if not rel.startswith("..") else path
        names = _functions_in(path)
        self.custom_spec.setText(f"{shown}:{names[0] if names else ''}")
        if names:
            self.custom_spec.setToolTip("functions in this file: " + ", ".join(names))
        self.custom_spec.setFocus()
        self._edited()

    def workload_choice(self) -> tuple[Workload | None, str | None]:
        """The chosen workload whatever the backend choice (a comparison picks its own
        backends), or None and the reason it is not valid."""
        try:
            return self._workload(), None
        except ValueError as exc:
            return None, str(exc)

    @property
    def workers(self) -> int | None:
        return self.workers_spin.value() or None

    @property
    def start_method(self) -> str:
        return self.start_combo.currentText()

    def _uses_processes(self) -> bool:
        return BACKENDS[self.backend_name].uses_processes

    def _workload(self) -> Workload:
        if self._preset is not None:
            return self._preset
        if self.params.errors():
            raise ValueError(self.params.errors()[0])
        if self.task_name == CUSTOM:
            spec = self.custom_spec.text().strip()
            if not spec:
                raise ValueError("enter a custom task as module:function")
            pairs = [p.strip() for p in self.custom_params.text().split(",") if p.strip()]
            return build_workload([spec], self.count_spin.value(), parse_settings(pairs))
        return build_workload([self.task_name], self.count_spin.value(), self.params.values())

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

    def _validate(self) -> None:
        cls = BACKENDS[self.backend_name]
        self.start_combo.setEnabled(cls.uses_processes)
        self._form.setRowVisible(self.scheduler_edit, cls.accepts_scheduler)
        self.workers_spin.setEnabled(not cls.worker_per_task)
        self.workers_spin.setToolTip("this backend starts one worker per task"
                                     if cls.worker_per_task else
                                     "threads or processes to use; auto = usable cores")
        self.backend_about.setText(cls.summary)
        self.config, self.problem = None, None
        try:
            workload = self._workload()
        except ValueError as exc:  # ParamError, TaskLoadError, UnknownTaskError
            self.problem = str(exc)
            workload = None
        if workload is not None:
            self._mark_refused_backends(workload)
            config = RunConfig(workload, cls.name, self.workers_spin.value() or None,
                               self.start_combo.currentText() if cls.uses_processes else None,
                               self._sample_interval_s, scheduler=self.scheduler)
            try:
                check_config(config)
                self.config = config
            except ConfigError as exc:
                self.problem = str(exc)
        self.problem_label.setText(self.problem or "")
        self.problem_label.setVisible(self.problem is not None)
        self.changed.emit()

    def _mark_refused_backends(self, workload: Workload) -> None:
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
