"""Open the window: ``run_app`` is what ``python main.py`` and ``python main.py gui`` call."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QWidget

from engine.cli.commands import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from engine.figures.result import RunResult
from engine.files.lessons import Lesson
from engine.files.session import Session
from engine.run.runner import RunConfig

ICONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "resources", "icons")
ICON_SIZES = (16, 32, 48, 64, 128, 256)
# Long enough for the idle monitor to draw a few samples before a screenshot of an idle window.
_IDLE_SCREENSHOT_MS = 1500
# After a run ends, let the final repaint reach the screen before grabbing it.
_SETTLE_MS = 300


def app_icon() -> QIcon:
    """CoreScope's icon at every rendered size (resources/icons, made by bench/render_icons.py);
    a null icon if the folder is missing, which Qt shows as its default."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = os.path.join(ICONS_DIR, f"corescope-{size}.png")
        if os.path.isfile(path):
            icon.addFile(path, QSize(size, size))
    return icon


def _application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        pg.setConfigOptions(antialias=False, background="w", foreground="k")
        app = QApplication(sys.argv[:1])
        app.setApplicationName("CoreScope")
        app.setOrganizationName("CoreScope")
        # The desktop entry's name: lets Wayland docks match the window to its launcher.
        app.setDesktopFileName("corescope")
        app.setWindowIcon(app_icon())
    assert isinstance(app, QApplication)
    return app


def _close_on_signals(window: QWidget) -> dict[int, Any]:
    """Ctrl+C or SIGTERM in the terminal closes the window properly (run cancelled, workers
    gone) instead of killing the app mid-run. The bridge's timer runs Python code 30 times a
    second, which is what lets the handler run while Qt's event loop has control.

    Returns the previous handlers, for ``_restore_signals``.
    """

    def close(_signum: int, _frame: object) -> None:
        window.close()

    previous: dict[int, Any] = {}  # signal -> handler (a function, SIG_DFL, SIG_IGN or None)
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, close)
        except (ValueError, OSError):  # not the main thread, or not supported here
            break
    return previous


def _restore_signals(previous: dict[int, Any]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def run_app(config: RunConfig | None = None, start: bool = False,
            screenshot: str | None = None, exit_after_run: bool = False,
            settings_path: str | None = None, session: Session | None = None,
            lesson: Lesson | None = None) -> int:
    """Show the main window and run the Qt event loop until it closes.

    Args:
        config: a workload, backend, workers and start method to preselect.
        start: start ``config`` at once.
        screenshot: PNG path; the whole window is saved when the run has finished, or when the
            window closes if nothing ran.
        exit_after_run: quit once the run has finished (and the screenshot is saved). Without a
            run to wait for, quit shortly after the window appears.
        settings_path: INI file for remembered choices (default: ``$CORESCOPE_SETTINGS`` or the
            platform's store).
        session: a loaded session (``engine.files.session.load``) to show at once, as recorded; with
            ``exit_after_run`` the window quits shortly after showing it.
        lesson: a lesson to set up (``gui --lesson``); with ``start`` it is run at once, on
            its page (a comparison or sweep counts as the run).

    Returns:
        0 when the window closed normally or the run was all ok; 1 when the run had failed or
        lost tasks; 2 when ``config`` could not be started.
    """
    from gui.main_window import MainWindow  # after QApplication settings are in place

    app = _application()
    window = MainWindow(settings_path)
    if config is not None:
        window.workload.set_config(config)
    if session is not None:
        window.show_session(session)
    if lesson is not None:
        window.lessons.open(lesson)
    window.show()
    outcome = {"code": EXIT_OK, "shot": False}

    def save_shot() -> None:
        if screenshot and not outcome["shot"]:
            outcome["shot"] = window.save_screenshot(screenshot)

    def finished(result: RunResult) -> None:
        outcome["code"] = EXIT_OK if result.ok else EXIT_FAILED

        def settle() -> None:
            save_shot()
            if exit_after_run:
                window.close()

        QTimer.singleShot(_SETTLE_MS, settle)

    previous_handlers = _close_on_signals(window)
    window.run_done.connect(finished)

    def sequence_finished(results: list[RunResult]) -> None:
        # A lesson's comparison or sweep is its run: every step must have been ok.
        for result in results:
            if not result.ok:
                finished(result)
                return
        if results:
            finished(results[-1])

    window.sequence_done.connect(sequence_finished)
    app.aboutToQuit.connect(save_shot)
    app.setQuitOnLastWindowClosed(True)
    if start and lesson is not None:
        if not window.lessons.run():
            outcome["code"] = EXIT_USAGE
            if exit_after_run:
                QTimer.singleShot(_SETTLE_MS, window.close)
    elif start and config is not None:
        if window.start_run(config) is None:
            outcome["code"] = EXIT_USAGE
            if exit_after_run:
                QTimer.singleShot(_SETTLE_MS, window.close)
    elif exit_after_run:
        def idle_exit() -> None:
            save_shot()
            window.close()

        QTimer.singleShot(_IDLE_SCREENSHOT_MS, idle_exit)
    try:
        app.exec()
        save_shot()
    finally:
        _restore_signals(previous_handlers)
        window.shutdown()
        app.aboutToQuit.disconnect(save_shot)
        window.deleteLater()
    return int(outcome["code"])
