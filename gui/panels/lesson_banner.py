"""The lesson on show: its title, the talking point, what to look for, and the talk's keys.

    ┌ Lesson 2 of 9 · The GIL: pure-Python CPU work on threads and on processes      [✕] ┐
    │ Counting primes is pure Python: a thread must hold the GIL to run it. …            │
    │ Look for: threads are no faster than sequential …                                  │
    │ [◀ Previous (PgUp)]  [Run lesson (Ctrl+Enter)]  [Next (PgDn) ▶]        a problem   │
    └─────────────────────────────────────────────────────────────────────────────────────┘

Plain words, wrapped, at the window's text size: it is read from the back of a room.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.files.lessons import Lesson
from gui.palette import FAILED, ink

__all__ = ["LessonBanner"]


class LessonBanner(QFrame):
    """Hidden until a lesson is chosen. Emits what its buttons ask for; the lesson player
    (``gui.lessons``) decides what each means."""

    previous_requested = Signal()
    run_requested = Signal()
    next_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lessonBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # A pale band with dark text: contrast far above 4.5:1 on any projector. Colours go
        # through the palette, not a style sheet: a style sheet stops the window's text size
        # from reaching the labels.
        colours = self.palette()
        colours.setColor(QPalette.ColorRole.Window, QColor("#EEF3FA"))
        colours.setColor(QPalette.ColorRole.WindowText, QColor("#10243E"))
        self.setPalette(colours)
        self.setAutoFillBackground(True)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.point = QLabel()
        self.point.setWordWrap(True)
        self.look_for = QLabel()
        self.look_for.setWordWrap(True)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        problem_colours = self.problem.palette()
        problem_colours.setColor(QPalette.ColorRole.WindowText, QColor(ink(FAILED, "#EEF3FA")))
        self.problem.setPalette(problem_colours)
        self.previous_button = QPushButton("◀ Previous")
        self.run_button = QPushButton("▶ Run lesson")
        self.next_button = QPushButton("Next ▶")
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setToolTip("Hide the lesson (the setup stays)")
        self.previous_button.setToolTip("The previous lesson (Page Up)")
        self.run_button.setToolTip("Run what the lesson set up (Ctrl+Enter)")
        self.next_button.setToolTip("The next lesson (Page Down)")
        self.previous_button.clicked.connect(self.previous_requested)
        self.run_button.clicked.connect(self.run_requested)
        self.next_button.clicked.connect(self.next_requested)
        self.close_button.clicked.connect(self.close_requested)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        for b in (self.previous_button, self.run_button, self.next_button):
            b.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        buttons = QHBoxLayout()
        for b in (self.previous_button, self.run_button, self.next_button):
            buttons.addWidget(b)
        buttons.addWidget(self.problem, 1)
        buttons.addStretch(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addLayout(top)
        # The words scroll past a few lines rather than squeezing the pages (or each other) at
        # a projector's text size.
        body = QWidget()
        body.setAutoFillBackground(False)
        words = QVBoxLayout(body)
        words.setContentsMargins(0, 0, 0, 0)
        words.addWidget(self.point)
        words.addWidget(self.look_for)
        self.words = QScrollArea()
        self.words.setWidgetResizable(True)
        self.words.setFrameShape(QFrame.Shape.NoFrame)
        self.words.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.words.setWidget(body)
        self.words.viewport().setAutoFillBackground(False)
        layout.addWidget(self.words)
        layout.addLayout(buttons)
        self._fit_words()
        self._position, self._total, self._running = 0, 0, False
        self.hide()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_words()

    def _fit_words(self) -> None:
        # At most four lines of the current text size, two from 1.5× the default: the pages
        # below keep their room (at 2× in a 720-pixel window four lines left the Compare page
        # a sliver for its rows); the rest scrolls.
        lines = 4 if self.font().pointSize() < 17 else 2
        self.words.setMaximumHeight(lines * self.fontMetrics().lineSpacing() + 8)

    def above(self, pages: QWidget) -> QWidget:
        """The banner over ``pages`` in one column: a lesson's words above what they are
        about, and no room taken while no lesson is shown."""
        column = QWidget()
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self)
        layout.addWidget(pages, 1)
        return column

    def show_lesson(self, lesson: Lesson, position: int, total: int,
                    problem: str | None = None) -> None:
        """Show ``lesson`` (number ``position`` of ``total``); ``problem``: why it cannot run
        here, or what went wrong setting it up (then Run is disabled)."""
        self.title.setText(f"<b>Lesson {position} of {total} · {_escape(lesson.title)}</b>")
        self.point.setText(lesson.talking_point)
        self.point.setVisible(bool(lesson.talking_point))
        self.look_for.setText(f"<i>Look for:</i> {_escape(lesson.notice)}")
        self.look_for.setVisible(bool(lesson.notice))
        self._position, self._total = position, total
        self.show_problem(problem)
        self.show()

    def show_problem(self, problem: str | None) -> None:
        self.problem.setText(problem or "")
        self.problem.setVisible(bool(problem))
        self.set_running(self._running)

    def set_running(self, running: bool) -> None:
        """While a run lasts the talk cannot step on (Stop first)."""
        self._running = running
        self.previous_button.setEnabled(not running and self._position > 1)
        self.next_button.setEnabled(not running and self._position < self._total)
        self.run_button.setEnabled(not running and not self.problem.text())

    def plain_text(self) -> str:
        """What the banner says, as text (tests and screen readers)."""
        parts = [self.title.text(), self.point.text(), self.look_for.text(), self.problem.text()]
        text = "\n".join(p for p in parts if p)
        for tag in ("<b>", "</b>", "<i>", "</i>"):
            text = text.replace(tag, "")
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
