"""The workload and backend panel: what to run, where, and whether it can run at all.

A workload is a list of rows (task, parameters, count); the selected row is edited below the
list. Every edit re-validates each row through the engine's own ``build_workload``, then the
whole through ``check_config``, so Run is enabled exactly when the CLI would accept the same
choices, and the reason it is not is shown in the panel, in the engine's words, naming the row.
"""

from __future__ import annotations

from typing import Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.run.runner import ConfigError, RunConfig, check_config
from engine.tasks import BUILTIN_TASKS, ParamError
from engine.workload import (
    MAX_INSTANCES,
    WorkItem,
    Workload,
    build_workload,
    pairs_text,
    parse_settings,
    split_pairs,
)
from gui.palette import ERROR_STYLE
from gui.panels.backend_choice import BackendChoice
from gui.panels.function_picker import pick_functions, shown_path
from gui.panels.params import ParamForm
from gui.panels.rows import CUSTOM, Row, RowList, default_count

__all__ = ["CUSTOM", "WorkloadPanel"]


def _custom_settings(text: str) -> dict[str, str]:
    pairs = split_pairs(text)
    for pair in pairs:
        if "=" not in pair:
            raise ParamError(f"parameter {pair!r}: expected key=value")
    return parse_settings(pairs)


class WorkloadPanel(BackendChoice):
    """Rows of (task, parameters, count), then backend, workers and start method, validated live.

    Signals:
        changed: any choice changed; ``config``/``problem`` are up to date.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)  # the backend widgets (gui/panels/backend_choice.py)
        self.config: RunConfig | None = None
        self.problem: str | None = "no task chosen"
        self._preset: Workload | None = None  # a workload handed in whole (CLI, lesson, file)
        self._timeout_s: float | None = None  # per-task timeout from the command line
        self._raw_params: dict[str, dict[str, str]] = {}  # last values typed, per built-in task
        self._failed_imports: dict[tuple[str, str, int], str] = {}
        self._loading = True
        self.rows = RowList()
        self.task_combo = QComboBox()
        for name, spec in BUILTIN_TASKS.items():
            self.task_combo.addItem(name, name)
            self.task_combo.setItemData(self.task_combo.count() - 1,
                                        f"{spec.kind}: {spec.description}",
                                        Qt.ItemDataRole.ToolTipRole)
        self.task_combo.addItem(CUSTOM, CUSTOM)
        # Shrinks with the column rather than widening it (the long entries are elided).
        self.task_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.task_combo.setMinimumContentsLength(10)
        self.task_about = QLabel()
        self.task_about.setWordWrap(True)
        self.custom_spec = QLineEdit()
        self.custom_spec.setPlaceholderText("module:function or path/to/file.py:function")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip("pick functions from a Python file: one row each")
        self.custom_params = QLineEdit()
        self.custom_params.setPlaceholderText("key=value, key=value (values may hold commas)")
        self.custom_params.setToolTip("keyword arguments: key=value, key=value. A comma starts a "
                                      "new pair only before another key=, so text=a,b passes "
                                      "'a,b'; values are Python literals where they parse")
        self.params = ParamForm()
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, MAX_INSTANCES)
        self.count_spin.setValue(8)
        self.count_spin.setToolTip("how many instances of this row's task to run")
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.preset_note.hide()
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self._layout()
        self._connect()
        self._loading = False
        self._row_selected()

    def _layout(self) -> None:
        custom_row = QHBoxLayout()
        custom_row.addWidget(self.custom_spec, 1)
        custom_row.addWidget(self.browse_button)
        self.custom_box = QWidget()
        custom_form = QFormLayout(self.custom_box)
        custom_form.setContentsMargins(0, 0, 0, 0)
        custom_form.addRow("function", custom_row)
        custom_form.addRow("params", self.custom_params)
        self.row_box = QGroupBox()
        row_form = QFormLayout(self.row_box)
        row_form.setContentsMargins(4, 4, 4, 4)
        row_form.addRow("Task", self.task_combo)
        row_form.addRow(self.task_about)
        row_form.addRow(self.custom_box)
        row_form.addRow(self.params)
        row_form.addRow("Count", self.count_spin)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Workload"))
        layout.addWidget(self.rows)
        layout.addWidget(self.row_box)
        layout.addLayout(self._form)  # backend, workers, start method, scheduler
        layout.addWidget(self.preset_note)
        layout.addWidget(self.problem_label)
        layout.addStretch(1)

    def _connect(self) -> None:
        self.rows.current_changed.connect(self._row_selected)
        self.rows.edited.connect(self._edited)
        self.rows.from_file.connect(lambda: self._browse(replace=False))
        self.task_combo.currentIndexChanged.connect(self._task_changed)
        self.params.changed.connect(self._edited)
        self.count_spin.valueChanged.connect(self._edited)
        # Custom specs are checked when editing ends, not per keystroke: checking imports the
        # module, and half-typed names can be real modules with side effects ("antigravity").
        self.custom_spec.editingFinished.connect(self._custom_edited)
        self.custom_params.editingFinished.connect(self._custom_edited)
        self.browse_button.clicked.connect(lambda: self._browse(replace=True))

    # -- reading and writing the choices ---------------------------------------------------------
    @property
    def task_name(self) -> str:
        """The selected row's task: a built-in name or CUSTOM."""
        return cast(str, self.task_combo.currentData())  # (set as each item's data)

    @property
    def task_names(self) -> tuple[str, ...]:
        """Every row's task, as the engine names it, in run order."""
        return tuple(row.name for row in self.rows.rows)

    def select_task(self, name: str) -> None:
        """Set the selected row's task: a built-in name, or a ``module:function`` spec."""
        index = self.task_combo.findData(name)
        if index < 0:
            index = self.task_combo.findData(CUSTOM)
            self.custom_spec.setText(name)
        if index != self.task_combo.currentIndex():
            self.task_combo.setCurrentIndex(index)  # _task_changed follows
        else:
            self._edited()

    def set_param(self, name: str, raw: str) -> None:
        self.params.editors[name].set_raw(raw)

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore choices saved by ``state()`` (or by the older one-task panel); unknown or
        stale values are ignored."""
        self._loading = True
        try:
            self._raw_params = {str(k): {str(a): str(b) for a, b in v.items()}
                                for k, v in state.get("params", {}).items()
                                if isinstance(v, dict)}
            saved = state.get("rows")
            rows = self.rows.rows
            if isinstance(saved, list) and any(isinstance(r, dict) for r in saved):
                rows = [Row.from_state(r) for r in saved if isinstance(r, dict)]
            elif state.get("task"):
                old = dict(state, params=self._raw_params.get(str(state["task"]), {}))
                rows = [Row.from_state(old)]
            self.set_backend_state(state)
        finally:
            self._loading = False
        current = state.get("row")
        self._preset = None
        self.rows.set_rows(rows, current if isinstance(current, int) else 0)

    def state(self) -> dict[str, Any]:
        row = self.rows.current
        if not row.custom:
            self._raw_params[row.task] = dict(row.params)
        # The one-task keys are kept so that an older CoreScope still opens these settings.
        return {"rows": [r.to_state() for r in self.rows.rows],
                "row": self.rows.current_index,
                "task": row.task, "params": self._raw_params,
                "custom_spec": row.custom_spec, "custom_params": row.custom_params,
                "count": row.count, **self.backend_state()}

    def set_config(self, config: RunConfig) -> None:
        """Show ``config`` in the panel, a row per work item (from the command line, a lesson or
        an opened session); its workload is run as given until the user edits a row."""
        rows = [Row(item.spec.name, count=item.count,
                    params={k: str(v) for k, v in item.params.items()})
                if item.spec.builtin else
                Row(CUSTOM, item.spec.name, pairs_text(item.params), item.count)
                for item in config.workload.items]
        self._loading = True
        try:
            self.set_backend_config(config)
        finally:
            self._loading = False
        self._timeout_s = config.workload.timeout_s
        self.preset_note.setText(f"Each task times out after {self._timeout_s:g} s "
                                 "(from the command line)." if self._timeout_s else "")
        self.preset_note.setVisible(bool(self._timeout_s))
        self._preset = config.workload
        self.rows.set_rows(rows, 0)

    def set_editable(self, editable: bool) -> None:
        self.rows.set_editable(editable)
        self.row_box.setEnabled(editable)
        self.set_backend_editable(editable)

    def workload_choice(self) -> tuple[Workload | None, str | None]:
        """The chosen workload whatever the backend choice (a comparison picks its own
        backends), or None and the reason it is not valid."""
        try:
            return self._workload(), None
        except ValueError as exc:
            return None, str(exc)

    # -- the selected row ------------------------------------------------------------------------
    def _show_task(self, name: str, raw: dict[str, str] | None) -> None:
        custom = name == CUSTOM
        self.custom_box.setVisible(custom)
        spec = None if custom else BUILTIN_TASKS[name]
        self.task_about.setText("Your own function, run once per count." if spec is None
                                else f"<i>{spec.kind}</i> — {spec.description}")
        self.params.set_spec(spec, raw)

    def _row_selected(self) -> None:
        """Load the selected row into the editor below the list."""
        row = self.rows.current
        was_loading, self._loading = self._loading, True
        try:
            self.task_combo.setCurrentIndex(self.task_combo.findData(row.task))
            self.custom_spec.setText(row.custom_spec)
            self.custom_params.setText(row.custom_params)
            self._show_task(row.task, row.params)
            if not row.custom:
                row.params = self.params.values()  # defaults filled in, as shown
            self.count_spin.setValue(row.count)
        finally:
            self._loading = was_loading
        count = len(self.rows.rows)
        self.row_box.setTitle(f"Row {self.rows.current_index + 1} of {count}" if count > 1
                              else "Task")
        self._validate()

    def _store_row(self) -> None:
        row = self.rows.current
        row.task = self.task_name
        row.custom_spec = self.custom_spec.text().strip()
        row.custom_params = self.custom_params.text().strip()
        row.count = self.count_spin.value()
        if not row.custom:
            row.params = self.params.values()
            self._raw_params[row.task] = dict(row.params)

    def _task_changed(self) -> None:
        if self._loading:
            return
        name = self.task_name
        self._loading = True
        try:
            self._show_task(name, self._raw_params.get(name))
            self.count_spin.setValue(default_count(name))
        finally:
            self._loading = False
        self._edited()

    def _custom_edited(self) -> None:
        self._failed_imports.clear()  # the file may have been fixed since: try it again
        self._edited()

    def _edited(self) -> None:
        if self._loading:
            return
        self._store_row()
        if self._preset is not None:
            self._preset = None  # the user changed the workload: build it from the rows now
        self._validate()

    def _browse(self, replace: bool) -> None:
        """Pick functions of a ``.py`` file: a row each, run once. From a row's Browse… they
        take that row's place; from the list's From .py… they are added at the end."""
        path, _ = QFileDialog.getOpenFileName(self, "Python file with task functions", "",
                                              "Python files (*.py)")
        if not path:
            return
        names = pick_functions(self, path)
        if names is None:
            return
        shown = shown_path(path)
        self._failed_imports.clear()
        rows = [Row(CUSTOM, f"{shown}:{name}", count=1) for name in names]
        if not rows:  # no functions: show the file, and the engine says what is missing
            rows = [Row(CUSTOM, f"{shown}:", count=1)]
        if replace:
            self.rows.replace_current(rows)
        else:
            self.rows.insert(len(self.rows.rows), rows)

    # -- checking --------------------------------------------------------------------------------
    def _build_row(self, row: Row) -> WorkItem:
        if not row.custom:
            spec = BUILTIN_TASKS[row.task]
            given = {p.name: row.params[p.name] for p in spec.params if p.name in row.params}
            return build_workload([row.task], row.count, given).items[0]
        if not row.name:
            raise ParamError("enter a custom task as module:function")
        key = (row.name, row.custom_params, row.count)
        if key in self._failed_imports:  # not re-imported per keystroke in another row
            raise ParamError(self._failed_imports[key])
        try:
            return build_workload([row.name], row.count,
                                  _custom_settings(row.custom_params)).items[0]
        except ValueError as exc:
            self._failed_imports[key] = str(exc)
            raise

    def _check_rows(self) -> tuple[list[WorkItem], str | None]:
        """The rows' work items, and the first row's reason for refusal (naming the row when
        there are several); each row's label shows its own reason."""
        items: list[WorkItem] = []
        errors: list[str | None] = []
        for row in self.rows.rows:
            try:
                items.append(self._build_row(row))
                errors.append(None)
            except ValueError as exc:  # ParamError, TaskLoadError, UnknownTaskError
                errors.append(str(exc))
        self.rows.show_checks(errors)
        for index, (row, error) in enumerate(zip(self.rows.rows, errors)):
            if error is not None:
                several = len(self.rows.rows) > 1
                return items, (f"row {index + 1} ({row.short_name()}): {error}" if several
                               else error)
        return items, None

    def _workload(self) -> Workload:
        items, problem = self._check_rows()
        if self._preset is not None:
            return self._preset
        if problem is not None:
            raise ValueError(problem)
        workload = Workload(tuple(items), self._timeout_s)
        if workload.n_tasks > MAX_INSTANCES:
            raise ParamError(f"{workload.n_tasks} task instances is above the limit "
                             f"{MAX_INSTANCES}")
        return workload

    def _validate(self) -> None:
        if self._loading:
            return
        self.show_backend()
        self.config, self.problem = None, None
        try:
            workload = self._workload()
        except ValueError as exc:
            self.problem = str(exc)
            workload = None
        if workload is not None:
            self.mark_refused_backends(workload)
            config = self.run_config(workload)
            try:
                check_config(config)
                self.config = config
            except ConfigError as exc:
                self.problem = str(exc)
        self.problem_label.setText(self.problem or "")
        self.problem_label.setVisible(self.problem is not None)
        self.changed.emit()
