"""The status bar: on the right, always, this interpreter, its GIL and the usable cores, the
three facts a room needs to read any speedup (``engine.run.machine.interpreter_line``); on the
left the window's one-line messages, errors in red.

Colours here are palettes, never style sheets: a style sheet on the bar or the label stops the
window's text size reaching them (the line stayed at 9 pt on a projector)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from engine.run.machine import interpreter_line
from gui.palette import FOREGROUND

#: The status bar's error text: a deep red that keeps 4.5:1 contrast on the bar's grey.
STATUS_ERROR = "#B00020"


class InterpreterLabel(QLabel):
    """``Python 3.13.1 · GIL off · free-threaded: yes · 16 usable cores``, read once (none of
    it changes while the window is open)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(interpreter_line(), parent)
        self.setToolTip("The Python running CoreScope's threads: with the GIL on, threads run "
                        "Python code one at a time whatever the core count")
        # Its own text colour, so the bar's red for an error message is not passed on to it.
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(FOREGROUND))
        self.setPalette(palette)
        self.setContentsMargins(6, 0, 6, 0)


def error_palette(base: QPalette) -> QPalette:
    """``base`` with the status bar's error colour for text (a refused save, a bad file)."""
    palette = QPalette(base)
    palette.setColor(QPalette.ColorRole.WindowText, QColor(STATUS_ERROR))
    return palette


def add_interpreter_label(bar: QStatusBar) -> InterpreterLabel:
    """Put the line at the right of ``bar``; temporary messages keep the room to its left."""
    label = InterpreterLabel(bar)
    bar.addPermanentWidget(label)
    return label
