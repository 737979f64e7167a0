"""The Compare page's results table: a row per backend, its name in its row's colour (as
text ink, so light colours still read) beside a swatch of its bar, the fastest run marked."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QIcon
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from engine.figures.result import RunResult
from engine.files.tables import COMPARE_HEADER, compare_rows, fastest
from gui import palette
from gui.pages.compare_row import swatch_pixmap

FASTEST_MARK = " ★"
#: The fastest run's row: a pale green that dark text reads on.
FASTEST_BACKGROUND = palette.on_white(palette.BLUISH_GREEN, 50)
_WHITE = "#FFFFFF"


class CompareTable(QTableWidget):
    """Numbers of each run of a comparison (``engine.files.tables.compare_rows``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COMPARE_HEADER), parent)
        self.setHorizontalHeaderLabels(COMPARE_HEADER)
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setMinimumHeight(0)

    def show_results(self, results: Sequence[RunResult], coloured: int,
                     names: Sequence[str] | None = None) -> None:
        """A row per result; the first ``coloured`` names take their series colour (the
        rows drawn above; the rest ran in no row of this page). ``names``: each run's name
        as the page's rows call it, over the engine's (which names only the runs given)."""
        rows = compare_rows(results)
        if names is not None:
            for cells, name in zip(rows, names):
                cells[0] = name
        best = fastest(results)
        self.setRowCount(len(rows))
        bold = QFont(self.font())
        bold.setBold(True)
        for r, cells in enumerate(rows):
            ground = FASTEST_BACKGROUND if r == best else _WHITE
            for c, text in enumerate(cells):
                if c == 0 and r == best:
                    text += FASTEST_MARK
                item = QTableWidgetItem(text)
                if c > 0:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if r == best:
                    item.setFont(bold)
                    item.setBackground(QBrush(QColor(ground)))
                if c == 0 and r < coloured:
                    # Light series colours (sand, cyan, yellow) fail as text: their ink.
                    colour = palette.series_colour(r)
                    item.setForeground(QBrush(QColor(palette.ink(colour, ground))))
                    item.setIcon(QIcon(swatch_pixmap(colour, palette.series_dashed(r), 64)))
                self.setItem(r, c, item)
        cell = self.item(best, 0) if best is not None else None
        if cell is not None:
            cell.setToolTip("fastest run that completed every task")
        self.resizeColumnsToContents()

    def set_font_size(self, point_size: int) -> None:
        # Compact rows: six backends fit under the timelines at 1280×720 at 1× text.
        font = QFont(self.font())
        font.setPointSize(point_size)
        self.verticalHeader().setDefaultSectionSize(QFontMetrics(font).height() + 6)

    def whole_height(self) -> int:
        """Pixels that show every row without scrolling."""
        return (self.horizontalHeader().height() + 4 + self.verticalHeader().length()
                + self.horizontalScrollBar().sizeHint().height())
