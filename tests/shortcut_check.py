"""Press every menu shortcut of a shown window and report which action each key fired.

Shared by the offscreen test and the real-X test (which runs it in a child process, since the
Qt platform of the test process is fixed to offscreen). ``python -m tests.shortcut_check``
prints the report as JSON.
"""

from __future__ import annotations

import json
import sys

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication


def menu_shortcuts(window) -> list[tuple[str, object, QKeySequence]]:
    """(menu ▸ command, action, key) for each key of each command in the window's menus."""
    from gui.menus import menu_actions, plain

    return [(f"{path} ▸ {plain(action.text())}", action, key)
            for path, action in menu_actions(window.menuBar()) for key in action.shortcuts()
            if not key.isEmpty()]


def press_every_shortcut(window) -> dict[str, object]:
    """Each key in turn, with every command's own slots disconnected (nothing runs, no dialog
    opens): ``fired`` maps "command: key" to the commands that key triggered, ``warnings``
    holds Qt's messages meanwhile (an ambiguous key is only logged, never raised)."""
    warnings: list[str] = []

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg:
            warnings.append(message)

    shortcuts = menu_shortcuts(window)
    fired_by: list[str] = []
    seen: set[int] = set()
    for name, action, _key in shortcuts:
        if id(action) in seen:
            continue
        seen.add(id(action))
        action.triggered.disconnect()
        action.setEnabled(True)  # Run is off while a workload is invalid, lesson keys likewise
        action.triggered.connect(lambda _=False, n=name: fired_by.append(n))
    fired: dict[str, list[str]] = {}
    previous = qInstallMessageHandler(handler)
    try:
        for name, _action, key in shortcuts:
            fired_by.clear()
            combo = key[0]
            target = QApplication.focusWidget() or window
            QTest.keyClick(target, combo.key(), combo.keyboardModifiers())
            QApplication.processEvents()
            fired[f"{name}: {key.toString()}"] = list(fired_by)
    finally:
        qInstallMessageHandler(previous)
    return {"fired": fired, "warnings": warnings,
            "active": window.isActiveWindow(), "count": len(shortcuts)}


def main() -> int:
    """Build the window in this process's platform (xcb under Xvfb), press, print JSON."""
    import tempfile

    from gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(f"{tmp}/corescope.ini", idle_monitor=False)
        window.resize(1280, 720)
        window.show()
        window.activateWindow()
        window.raise_()
        for _ in range(100):  # up to 5 s for the window manager (or the X server) to focus it
            if window.isActiveWindow():
                break
            QTest.qWait(50)
        window.views.setFocus()
        report = press_every_shortcut(window)
        window.shutdown()
        window.close()
        app.processEvents()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
