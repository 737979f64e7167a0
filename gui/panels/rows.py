"""The workload's rows: one task each, with its parameters and count, in a compact list.

    ┌───────────────────────────────────────────┐
    │ 1 × file_operation_1() — tutorial.py      │  ← the selected row is edited below the list
    │ ⚠ 8 × primes — n: below the minimum 2     │  ← a row the engine refuses says why
    └───────────────────────────────────────────┘
    [+] [Copy] [−] [From .py…]          add, duplicate, remove, add from a file

The list shows at most a few lines and scrolls beyond that, so a long workload never makes the
left column taller than a 720-pixel window.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.tasks import BUILTIN_TASKS
from gui import palette

CUSTOM = "custom (module:function)"
_VISIBLE_ROWS = 4  # lines shown before the list scrolls


@dataclass
class Row:
    """One row as the user typed it (raw text, not yet checked by the engine)."""

    task: str  # a built-in task's name, or CUSTOM
    custom_spec: str = ""
    custom_params: str = ""  # "key=value, key=value" for a custom function
    count: int = 8
    params: dict[str, str] = field(default_factory=dict)  # raw values of a built-in task

    @property
    def custom(self) -> bool:
        return self.task == CUSTOM

    @property
    def name(self) -> str:
        """What the engine is asked for: the built-in name or the ``module:function`` spec."""
        return self.custom_spec.strip() if self.custom else self.task

    def _parts(self) -> tuple[str, str]:
        """(function or task name, file or module it comes from: "" for a built-in)."""
        if not self.custom:
            return self.task, ""
        target, sep, func = self.name.rpartition(":")
        return (func, os.path.basename(target)) if sep else (self.name or "custom", "")

    def short_name(self) -> str:
        func, where = self._parts()
        return f"{func} in {where}" if where else func

    def label(self) -> str:
        """``1 × file_operation_1() — tutorial.py``: the function first, so that a narrow
        list cuts off the file, not the name that tells rows apart."""
        func, where = self._parts()
        shown = self.custom_params if self.custom else ", ".join(
            f"{k}={v}" for k, v in self.params.items())
        return f"{self.count} × {func}({shown})" + (f" — {where}" if where else "")

    def copy(self) -> Row:
        return replace(self, params=dict(self.params))

    def to_state(self) -> dict[str, Any]:
        return {"task": self.task, "custom_spec": self.custom_spec,
                "custom_params": self.custom_params, "count": self.count,
                "params": dict(self.params)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Row:
        """A row from saved settings (this version's or the older one-task panel's); stale or
        odd values fall back to defaults rather than failing the window's start."""
        task = str(state.get("task", ""))
        spec = str(state.get("custom_spec", ""))
        if task not in BUILTIN_TASKS and task != CUSTOM:
            task, spec = (CUSTOM, task) if ":" in task else (default_task(), spec)
        count = state.get("count")
        params = state.get("params")
        return cls(task, spec, str(state.get("custom_params", "")),
                   count if isinstance(count, int) and count > 0 else default_count(task),
                   {str(k): str(v) for k, v in params.items()} if isinstance(params, dict)
                   else {})


def _button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    return button


def default_task() -> str:
    return next(iter(BUILTIN_TASKS))


def default_count(task: str) -> int:
    """8 for a built-in task (its own default), 1 for the user's own function."""
    spec = BUILTIN_TASKS.get(task)
    return spec.default_count if spec is not None else 1


class RowList(QWidget):
    """The rows, the selected one, and the buttons that add, copy and remove rows.

    Signals:
        current_changed: another row was selected (or the rows were replaced).
        edited: rows were added or removed.
        from_file: the user asked to add rows from a ``.py`` file.
    """

    current_changed = Signal()
    edited = Signal()
    from_file = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = [Row(default_task(), count=default_count(default_task()))]
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setToolTip("the workload: every row runs, in this order; select one to edit it")
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)  # see Row.label
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Tool buttons, short words: the four fit the left column at large text sizes.
        self.add_button = _button("+", "add a row with the first built-in task")
        self.duplicate_button = _button("Copy", "copy the selected row below it (duplicate)")
        self.remove_button = _button("−", "remove the selected row")
        self.file_button = _button("From .py…",
                                   "add a row for each function you tick in a Python file")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.duplicate_button, self.remove_button,
                       self.file_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.add)
        self.duplicate_button.clicked.connect(self.duplicate)
        self.remove_button.clicked.connect(self.remove)
        self.file_button.clicked.connect(self.from_file)
        self.list.currentRowChanged.connect(self._selected)
        self._refill(0)

    # -- the rows --------------------------------------------------------------------------------
    @property
    def current_index(self) -> int:
        return max(0, min(self.list.currentRow(), len(self.rows) - 1))

    @property
    def current(self) -> Row:
        return self.rows[self.current_index]

    def set_rows(self, rows: list[Row], current: int = 0) -> None:
        self.rows = [row.copy() for row in rows] or [Row(default_task())]
        self._refill(current)
        self.current_changed.emit()

    def insert(self, index: int, rows: list[Row]) -> None:
        """Put ``rows`` at ``index`` and select the first of them."""
        self.rows[index:index] = rows
        self._refill(index)
        self._changed()

    def replace_current(self, rows: list[Row]) -> None:
        """Put ``rows`` where the selected row is (Browse… on a row picks several functions)."""
        index = self.current_index
        self.rows[index:index + 1] = rows
        self._refill(index)
        self._changed()

    def add(self) -> None:
        self.insert(len(self.rows), [Row(default_task(), count=default_count(default_task()))])

    def duplicate(self) -> None:
        self.insert(self.current_index + 1, [self.current.copy()])

    def remove(self) -> None:
        if len(self.rows) < 2:
            return  # a workload has at least one row; edit it instead
        index = self.current_index
        del self.rows[index]
        self._refill(min(index, len(self.rows) - 1))
        self._changed()

    def _changed(self) -> None:
        # The editor loads the newly selected row first, so what it then reports back as the
        # edit is that row, not the one it showed before.
        self.current_changed.emit()
        self.edited.emit()

    def show_checks(self, errors: list[str | None]) -> None:
        """Each row's label, marked and explained where the engine refused it."""
        for index, (row, error) in enumerate(zip(self.rows, errors)):
            item = self.list.item(index)
            if item is None:
                continue
            item.setText(f"⚠ {row.short_name()} — {error}" if error else row.label())
            item.setToolTip(error or row.label())
            item.setForeground(QBrush(QColor(palette.FAILED)) if error else QBrush())

    def set_editable(self, editable: bool) -> None:
        for w in (self.list, self.add_button, self.duplicate_button, self.file_button):
            w.setEnabled(editable)
        self.remove_button.setEnabled(editable and len(self.rows) > 1)

    # -- keeping the list in step ----------------------------------------------------------------
    def _refill(self, current: int) -> None:
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for row in self.rows:
                self.list.addItem(QListWidgetItem(row.label()))
            self.list.setCurrentRow(max(0, min(current, len(self.rows) - 1)))
        finally:
            self.list.blockSignals(False)
        self.remove_button.setEnabled(len(self.rows) > 1)
        self._fit()

    def _fit(self) -> None:
        # As tall as the rows need, up to a few lines: the editor below must stay on screen.
        line = self.list.sizeHintForRow(0) if self.list.count() else self.fontMetrics().height()
        shown = max(1, min(len(self.rows), _VISIBLE_ROWS))
        self.list.setFixedHeight(shown * max(line, 1) + 2 * self.list.frameWidth() + 4)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def _selected(self, index: int) -> None:
        if 0 <= index < len(self.rows):
            self.current_changed.emit()
