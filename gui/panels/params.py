"""Parameter editors generated from a task's ``ParamSpec``s, checked as the user types.

Every value goes through ``ParamSpec.parse`` — the same check the CLI's ``--set`` uses — so the
window refuses exactly what the command line refuses, with the same one-line reason shown under
the field.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from engine.tasks import ParamError, ParamSpec, TaskSpec
from gui import palette
from gui.palette import ERROR_STYLE

_INVALID_EDIT = f"QLineEdit {{ border: 2px solid {palette.FAILED}; }}"


def _fmt_bound(spec: ParamSpec, bound: float | None) -> str:
    if bound is None:
        return "…"
    return f"{bound:g}" if isinstance(bound, float) else f"{bound:,}".replace(",", "_")


def describe(spec: ParamSpec) -> str:
    """Tooltip text: meaning, allowed range, default."""
    text = spec.help
    if spec.choices:
        text += f"\none of: {', '.join(spec.choices)}"
    elif spec.minimum is not None or spec.maximum is not None:
        text += (f"\nrange {_fmt_bound(spec, spec.minimum)} … {_fmt_bound(spec, spec.maximum)}"
                 f" {spec.unit}").rstrip()
    return f"{text}\ndefault {spec.default}"


class ParamEditor(QWidget):
    """One parameter: a field (or a list for choices), its unit, and an inline error line."""

    changed = Signal()

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.error: str | None = None
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.field: QLineEdit | QComboBox
        if spec.choices:
            self.field = QComboBox()
            self.field.addItems(list(spec.choices))
            self.field.currentTextChanged.connect(self._check)
        else:
            self.field = QLineEdit(str(spec.default))
            self.field.setPlaceholderText(str(spec.default))
            self.field.textChanged.connect(self._check)
        self.field.setToolTip(describe(spec))
        row.addWidget(self.field, 1)
        if spec.unit:
            row.addWidget(QLabel(spec.unit))
        self.help_label = QLabel(spec.help)
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet("color: #555555;")
        self.error_label = QLabel()
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        column = QFormLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setVerticalSpacing(2)
        column.addRow(row)
        column.addRow(self.help_label)
        column.addRow(self.error_label)

    def raw(self) -> str:
        if isinstance(self.field, QComboBox):
            return self.field.currentText()
        return self.field.text()

    def set_raw(self, raw: str) -> None:
        if isinstance(self.field, QComboBox):
            index = self.field.findText(raw)
            if index >= 0:
                self.field.setCurrentIndex(index)
        else:
            self.field.setText(raw)
        self._check()

    def _check(self) -> None:
        try:
            self.spec.parse(self.raw())
            self.error = None
        except ParamError as exc:
            self.error = str(exc)
        self.error_label.setText(self.error or "")
        self.error_label.setVisible(self.error is not None)
        if isinstance(self.field, QLineEdit):
            self.field.setStyleSheet(_INVALID_EDIT if self.error else "")
        self.changed.emit()


class ParamForm(QWidget):
    """The editors for one task's parameters, rebuilt when the task changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, ParamEditor] = {}
        self._form = QFormLayout(self)
        self._form.setContentsMargins(0, 0, 0, 0)

    def set_spec(self, spec: TaskSpec | None, raw: dict[str, str] | None = None) -> None:
        while self._form.rowCount():
            self._form.removeRow(0)
        self.editors = {}
        for param in spec.params if spec is not None else ():
            editor = ParamEditor(param)
            if raw and param.name in raw:
                editor.set_raw(str(raw[param.name]))
            editor.changed.connect(self.changed)
            label = QLabel(param.name)
            label.setToolTip(describe(param))
            self._form.addRow(label, editor)
            self.editors[param.name] = editor
        self.changed.emit()

    def values(self) -> dict[str, str]:
        return {name: editor.raw() for name, editor in self.editors.items()}

    def errors(self) -> list[str]:
        return [e.error for e in self.editors.values() if e.error is not None]
