"""A checkable list of backends for comparisons and sweeps, validated against the workload.

Each backend is checked by the engine's own ``check_config`` with the workload at hand, so a
backend that cannot run it (unavailable here, or a ``crash`` task on threads) is greyed out
with the engine's reason as its tooltip, exactly as the CLI would refuse it.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

from engine.backends.registry import BACKENDS
from engine.run.runner import ConfigError, RunConfig, check_config
from engine.workload import Workload


def config_for(workload: Workload, backend: str, workers: int | None, start_method: str | None,
               interval: float = 0.1, scheduler: str | None = None) -> RunConfig:
    """The run of ``workload`` on ``backend`` with the panel's workers, start method and Dask
    scheduler, each only where the backend takes it (sequential has one worker whatever)."""
    cls = BACKENDS[backend]
    return RunConfig(workload, backend, workers if backend != "sequential" else None,
                     start_method if cls.uses_processes else None, interval,
                     scheduler=scheduler if cls.accepts_scheduler else None)


class BackendList(QListWidget):
    """Backends as check boxes, laid out in rows; every one that can run the workload starts
    checked, and a backend the user unchecked stays unchecked while the workload changes.

    Signals:
        changed: the checked set or the allowed set changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSpacing(2)
        self._unchecked: set[str] = set()
        self._updating = False
        for name, cls in BACKENDS.items():
            item = QListWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Checked)
            item.setToolTip(cls.summary)
            self.addItem(item)
        self.itemChanged.connect(self._toggled)

    def sizeHint(self) -> QSize:  # noqa: N802
        # Two rows of names are enough for the ten backends at 900 px; the view scrolls beyond.
        return QSize(400, 2 * self.sizeHintForRow(0) + 12)

    def _items(self) -> list[QListWidgetItem]:
        return [self.item(i) for i in range(self.count())]

    def _toggled(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self._unchecked.discard(name)
        else:
            self._unchecked.add(name)
        self.changed.emit()

    def set_workload(self, workload: Workload | None, workers: int | None,
                     start_method: str | None, scheduler: str | None = None) -> None:
        """Re-check every backend against ``workload`` (None: all disabled). A backend that
        will use the ``scheduler``'s cluster says so in its name."""
        self._updating = True
        try:
            for item in self._items():
                name = item.data(Qt.ItemDataRole.UserRole)
                reason = "choose a valid workload first" if workload is None else None
                if workload is not None:
                    try:
                        check_config(config_for(workload, name, workers, start_method,
                                                scheduler=scheduler))
                    except ConfigError as exc:
                        reason = str(exc)
                summary = BACKENDS[name].summary
                remote = scheduler is not None and BACKENDS[name].accepts_scheduler
                item.setText(f"{name} @ {scheduler}" if remote else name)
                flags = Qt.ItemFlag.ItemIsUserCheckable
                if reason is None:
                    flags |= Qt.ItemFlag.ItemIsEnabled
                item.setFlags(flags)
                item.setToolTip(summary if reason is None else f"{summary}\nnot here: {reason}")
                on = reason is None and name not in self._unchecked
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            self._updating = False
        self.changed.emit()

    def set_checked(self, names: list[str]) -> None:
        """Check exactly ``names`` (among the allowed ones)."""
        self._unchecked = set(BACKENDS) - set(names)
        self._updating = True
        try:
            for item in self._items():
                on = (item.data(Qt.ItemDataRole.UserRole) in names
                      and bool(item.flags() & Qt.ItemFlag.ItemIsEnabled))
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            self._updating = False
        self.changed.emit()

    def checked(self) -> list[str]:
        """Checked and allowed backends, in registry order (sequential first)."""
        return [item.data(Qt.ItemDataRole.UserRole) for item in self._items()
                if item.checkState() == Qt.CheckState.Checked
                and item.flags() & Qt.ItemFlag.ItemIsEnabled]

    def refusals(self) -> dict[str, str]:
        """Disabled backends and why."""
        return {item.data(Qt.ItemDataRole.UserRole): item.toolTip() for item in self._items()
                if not item.flags() & Qt.ItemFlag.ItemIsEnabled}
