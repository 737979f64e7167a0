"""After a run: the headline figures with their meaning, and the failed tasks with tracebacks."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.figures.result import RunResult
from engine.figures.stats import busy_machine_note
from engine.records import TaskRecord, TaskStatus
from gui import palette

_FIGURE_SCALE = 1.5  # headline figures this much larger than the panel's text
_NOTE_STYLE = "color: #555555;"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


class SummaryPanel(QWidget):
    """Wall time, speedup, efficiency, CPU use and task counts, then plain-language reasons."""

    FIGURES = ("Wall time", "Speedup", "Efficiency", "CPU use", "Tasks")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel("No run yet. Choose a workload and press Run.")
        self.heading.setWordWrap(True)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(0)
        self.values: dict[str, QLabel] = {}
        self.notes: dict[str, QLabel] = {}
        for row, name in enumerate(self.FIGURES):
            value = QLabel("—")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            note = QLabel()
            note.setWordWrap(True)
            note.setStyleSheet(_NOTE_STYLE)
            grid.addWidget(QLabel(name), 2 * row, 0, Qt.AlignmentFlag.AlignBottom)
            grid.addWidget(value, 2 * row, 1, Qt.AlignmentFlag.AlignBottom)
            grid.addWidget(note, 2 * row + 1, 0, 1, 2)
            grid.setRowMinimumHeight(2 * row + 1, 4)
            self.values[name] = value
            self.notes[name] = note
        grid.setColumnStretch(1, 1)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(grid)
        layout.addWidget(self.explanation, 1)

    def show_result(self, result: RunResult, explanations: list[str]) -> None:
        s = result.stats
        status = " — cancelled" if result.cancelled else ""
        self.heading.setText(f"<b>{result.backend}</b>, {result.workers} workers: "
                             f"{result.workload_label}{status}")
        self._set("Wall time", f"{s.wall_s:.3f} s",
                  "workers up (warm start) to last one gone" if result.warm_start_s is not None
                  else "run start (no worker yet) to last one gone")
        if s.speedup is None:
            self._set("Speedup", "—", "run <i>sequential</i> on this workload for a baseline")
        else:
            self._set("Speedup", f"{s.speedup:.2f}×",
                      f"vs sequential ({result.baseline_wall_s:.3f} s)")
        ideal = result.ideal
        # Past 100 %: waits that overlap beyond the cores, or a slow baseline; the reasons
        # below tell which (engine.figures.explain), so the figure is not left to puzzle.
        over = s.efficiency is not None and s.efficiency > 1.05
        self._set("Efficiency", _pct(s.efficiency),
                  f"speedup ÷ {ideal} (the ideal for work that computes); over 100 %: see why "
                  "below" if over else f"speedup ÷ {ideal} (the ideal here)")
        util = "—" if s.cpu_util is None else f"{s.cpu_util:.0f} %"
        # On a cluster reached by address the figure is its hosts' (engine.figures.stats), not ours.
        where, total = (("the cluster's hosts", result.cluster_cores) if result.cluster_cores
                        else ("the whole machine", result.machine.logical_cores))
        cores = (s.cpu_util or 0) / 100 * total
        note = f"of {where} ≈ {cores:.1f} of {total} cores busy"
        if s.other_util is not None:  # None on a cluster: its hosts' other programs are unseen
            note += f", {s.other_util / 100 * total:.1f} of them by other programs"
        self._set("CPU use", util, note)
        counts = f"{s.ok} ok"
        for n, word in ((s.failed, "failed"), (s.lost, "lost"), (s.cancelled, "cancelled")):
            if n:
                counts += f" · {n} {word}"
        self._set("Tasks", counts, f"of {s.n_tasks}")
        self.values["Tasks"].setStyleSheet(
            f"color: {palette.ink(palette.FAILED)};" if s.failed or s.lost else "")
        busy = busy_machine_note(s)
        # First: it qualifies every figure above, and the reasons below.
        lines = [f"<b>Busy machine</b>: {busy}", *explanations] if busy else explanations
        self.explanation.setText("<ul style='margin-left: -20px'>" + "".join(
            f"<li>{line}</li>" for line in lines) + "</ul>")

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        # Headline figures follow the window's text size (View ▸ Larger text), only bigger.
        if event.type() == QEvent.Type.FontChange:
            big = QFont(self.font())
            big.setPointSizeF(self.font().pointSizeF() * _FIGURE_SCALE)
            big.setBold(True)
            for label in self.values.values():
                label.setFont(big)
        super().changeEvent(event)

    def _set(self, name: str, value: str, note: str) -> None:
        self.values[name].setText(value)
        self.notes[name].setText(note)

    def plain_text(self) -> str:
        """Everything the panel shows, as plain lines (for tests and copying)."""
        lines = [self.heading.text()]
        for name in self.FIGURES:
            lines.append(f"{name}: {self.values[name].text()} {self.notes[name].text()}".strip())
        lines.append(self.explanation.text())
        return "\n".join(lines)


class ErrorsPanel(QWidget):
    """Failed, lost and timed-out tasks; selecting one shows its traceback."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["task", "name", "state", "error"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        # A long error is read whole, on as many lines as it needs, not cut at the edge.
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.tree.setUniformRowHeights(False)
        self.traceback = QPlainTextEdit()
        self.traceback.setReadOnly(True)
        # Monospace, so carets stand under the code they point at; long lines wrap by default
        # (a projector shows no sideways scroll), and "Wrap long lines" off lines carets up.
        self.traceback.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.wrap_box = QCheckBox("Wrap long lines")
        self.wrap_box.setChecked(True)
        self.wrap_box.toggled.connect(lambda on: self.traceback.setLineWrapMode(
            QPlainTextEdit.LineWrapMode.WidgetWidth if on else
            QPlainTextEdit.LineWrapMode.NoWrap))
        self.traceback.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.traceback.setPlaceholderText("Select a failed task to see its traceback.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        below = QWidget()
        column = QVBoxLayout(below)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.traceback, 1)
        column.addWidget(self.wrap_box)
        split.addWidget(below)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.tree.currentItemChanged.connect(self._selected)
        self.records: list[TaskRecord] = []

    def set_records(self, records: tuple[TaskRecord, ...] | list[TaskRecord]) -> int:
        """Show records that did not end ok (cancelled is not an error); returns how many."""
        self.records = [r for r in records
                        if r.status not in (TaskStatus.OK, TaskStatus.CANCELLED)]
        self.tree.clear()
        self.traceback.clear()
        for r in self.records:
            error = r.error.one_line() if r.error else ""
            item = QTreeWidgetItem([str(r.id), r.name, r.status.value, error])
            item.setToolTip(3, error)
            self.tree.addTopLevelItem(item)
        for col in range(3):
            self.tree.resizeColumnToContents(col)
        first = self.tree.topLevelItem(0)
        if self.records and first is not None:
            self.tree.setCurrentItem(first)
        return len(self.records)

    def _selected(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        record = self.records[self.tree.indexOfTopLevelItem(item)]
        err = record.error
        text = err.traceback if err and err.traceback else (err.one_line() if err else "")
        worker = record.worker.label if record.worker else "never started"
        self.traceback.setPlainText(f"task {record.id} · {record.name} on {worker}\n\n{text}")
