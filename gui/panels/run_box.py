"""Run and Stop, progress, elapsed time and an estimate of what is left."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from gui.palette import ERROR_STYLE


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 120 else f"{int(s // 60)} min {int(s % 60):02d} s"


class RunBox(QWidget):
    """The buttons and the progress line; the window wires the buttons to its actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_button = QPushButton("▶  Run   (Ctrl+R)")
        self.stop_button = QPushButton("■  Stop   (Esc)")
        self.stop_button.setEnabled(False)
        self.run_button.setDefault(True)
        self.progress = QProgressBar()
        self.progress.setFormat("no run yet")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("Ready")
        self.status.setWordWrap(True)
        # Shown only while a stopped run waits for tasks that ignore the stop.
        self.leave_button = QPushButton("Leave them running")
        self.leave_button.setToolTip("End the run now; the tasks still running finish unseen "
                                     "in the background (a thread cannot be stopped from "
                                     "outside)")
        self.leave_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button, 1)
        buttons.addWidget(self.stop_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.leave_button)

    def set_running(self, running: bool, can_run: bool) -> None:
        self.run_button.setEnabled(can_run and not running)
        self.stop_button.setEnabled(running)
        if not running:
            self.leave_button.hide()

    def show_leave(self, on: bool) -> None:
        self.leave_button.setVisible(on)

    def show_progress(self, done: int, total: int, elapsed_s: float) -> None:
        self.progress.setFormat("%v / %m tasks")
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        text = f"elapsed {_seconds(elapsed_s)}"
        if 0 < done < total:
            text += f" · about {_seconds(elapsed_s / done * (total - done))} left"
        self.status.setStyleSheet("")
        self.status.setText(text)

    def show_message(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)
