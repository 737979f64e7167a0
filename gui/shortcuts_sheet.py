"""Help ▸ Keyboard shortcuts (F1): every menu command that has a key, read from the menu bar
each time the sheet opens, so a menu added later (Lessons) is listed with no change here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QMainWindow,
    QMenu,
    QMenuBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.menus import add_action, menu_actions, plain


def shortcut_rows(bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(keys, command, menu) for each command in ``bar`` with a shortcut, in menu order; keys
    as this platform writes them, joined with " or " ("Ctrl+R or F5")."""
    rows = []
    for path, action in menu_actions(bar):
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        if keys:
            rows.append((" or ".join(keys), plain(action.text()).rstrip("…"), path))
    return rows


class ShortcutsSheet(QDialog):
    """A table of ``bar``'s shortcuts in the window's own text size (readable on a projector):
    the keys first, since they are what a presenter looks for."""

    def __init__(self, bar: QMenuBar, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setFont(parent.font())  # a dialog is a window of its own: it inherits no font
        rows = shortcut_rows(bar)
        self.table = t = QTableWidget(len(rows), 3, self)
        t.setHorizontalHeaderLabels(["Keys", "Command", "Menu"])
        t.verticalHeader().hide()
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        t.setWordWrap(False)
        t.setAlternatingRowColors(True)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                t.setItem(r, c, QTableWidgetItem(text))
        t.resizeColumnsToContents()
        t.resizeRowsToContents()
        t.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(t)
        layout.addWidget(buttons)
        self._fit(layout, buttons)

    def _fit(self, layout: QVBoxLayout, buttons: QWidget) -> None:
        # Every column whole and, where the screen allows, every row: no scrolling to find a key.
        t = self.table
        margins = layout.contentsMargins()
        frame = t.frameWidth() * 2
        width = (sum(t.columnWidth(c) for c in range(t.columnCount())) + frame
                 + t.verticalScrollBar().sizeHint().width() + margins.left() + margins.right())
        height = (sum(t.rowHeight(r) for r in range(t.rowCount()))
                  + t.horizontalHeader().sizeHint().height() + frame
                  + buttons.sizeHint().height() + layout.spacing()
                  + margins.top() + margins.bottom())
        screen = self.screen().availableGeometry()
        self.resize(min(width, int(screen.width() * 0.95)),
                    min(height, int(screen.height() * 0.9)))

    def rows(self) -> list[tuple[str, str, str]]:
        """What the table shows, row by row: (keys, command, menu)."""

        def text(r: int, c: int) -> str:
            item = self.table.item(r, c)
            return item.text() if item is not None else ""

        return [(text(r, 0), text(r, 1), text(r, 2)) for r in range(self.table.rowCount())]


def show_shortcuts(window: QMainWindow) -> ShortcutsSheet:
    """Open the sheet over ``window``; it is gone once closed (the next one reads the menus
    afresh)."""
    sheet = ShortcutsSheet(window.menuBar(), window)
    sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    sheet.show()
    return sheet


def build_help_menu(window: QMainWindow) -> QMenu:
    """Help, last in the menu bar."""
    help_menu = window.menuBar().addMenu("&Help")
    add_action(help_menu, window, "&Keyboard shortcuts…", ("F1",), lambda: show_shortcuts(window))
    return help_menu
