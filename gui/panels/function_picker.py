"""Browse… for a ``.py`` file: tick which of its top-level functions become workload rows.

The file is read with ``ast``, never imported: listing functions must not run the user's code
(importing happens later, when a row is checked, exactly as the CLI's ``--task`` does).
"""

from __future__ import annotations

import ast
import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)


def functions_in(path: str) -> list[str]:
    """Top-level public function names of a Python file, in file order."""
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return []
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and not node.name.startswith("_")]


def shown_path(path: str) -> str:
    """``path`` relative to the working directory when it lies below it, as a user would type."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


class FunctionPicker(QDialog):
    """A checkbox per function of one file; all ticked to start with (the common case is "all
    of them", as in the tutorial's two file operations)."""

    def __init__(self, path: str, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Functions to run")
        self.list = QListWidget()
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.list.addItem(item)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.list.itemChanged.connect(self._ticked)
        about = QLabel(f"Functions in {os.path.basename(path)}: each ticked one becomes a row of "
                       "the workload, run once (change its count in the row).")
        about.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)

    def chosen(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def _ticked(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.chosen()))


def pick_functions(parent: QWidget, path: str) -> list[str] | None:
    """Ask which functions of ``path`` to run: their names, [] when the file has none, or None
    when the user cancelled."""
    names = functions_in(path)
    if not names:
        return []
    dialog = FunctionPicker(path, names, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.chosen()
