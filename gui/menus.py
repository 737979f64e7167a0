"""Menu entries: one ``QAction`` per command, with its shortcuts (File, Run and View alike)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

#: A shortcut as Qt takes it: text ("Ctrl+R") or a platform's standard key (Quit).
Keys = tuple[str | QKeySequence.StandardKey, ...]


def add_action(menu: QMenu, parent: QObject, text: str, keys: Keys,
               slot: Callable[..., object], checkable: bool = False) -> QAction:
    """Add ``text`` to ``menu``, run ``slot`` when it is chosen or its ``keys`` pressed."""
    action = QAction(text, parent)
    action.setShortcuts([QKeySequence(k) for k in keys])
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action
