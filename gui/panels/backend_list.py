"""A checkable list of backends for comparisons and sweeps, validated against the workload.

Each backend is checked by the engine's own ``check_config`` with the workload at hand, so a
backend that cannot run it (unavailable here, or a ``crash`` task on threads) is greyed out
with the engine's reason as its tooltip, exactly as the CLI would refuse it.

A comparison may also hold a process backend again under another start method, as an entry
of its own (``process-pool@forkserver``, as the CLI's ``--backends`` writes it). Such entries
appear only once asked for (``StartMethodButton``'s menu), right after their backend, so the
list stays as short as before for everyone who does not want them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QMenu, QToolButton, QWidget

from engine.backends.registry import BACKENDS
from engine.backends.start_methods import (
    default_start_method,
    split_entry,
    valid_start_methods,
)
from engine.run.runner import ConfigError, RunConfig, check_config
from engine.workload import Workload


def config_for(workload: Workload, backend: str, workers: int | None, start_method: str | None,
               interval: float = 0.1, scheduler: str | None = None,
               warm: bool = False) -> RunConfig:
    """The run of ``workload`` on ``backend`` with the panel's workers, start method, Dask
    scheduler and warm start, each only where the backend takes it (sequential has one worker
    whatever, and no pool to warm)."""
    cls = BACKENDS[backend]
    return RunConfig(workload, backend, workers if backend != "sequential" else None,
                     start_method if cls.uses_processes else None, interval,
                     scheduler=scheduler if cls.accepts_scheduler else None,
                     warm=warm and cls.warms)


@dataclass(frozen=True)
class Entry:
    """One entry of a comparison: a backend, under its own start method (None: the panel's)."""

    backend: str
    start_method: str | None = None

    @property
    def key(self) -> str:
        """The entry as the CLI's ``--backends`` names it: ``process-pool@forkserver``."""
        return self.backend if self.start_method is None else f"{self.backend}@{self.start_method}"

    @staticmethod
    def parse(key: str) -> Entry:
        return Entry(*split_entry(key))


def takes_start_method(backend: str) -> bool:
    """A backend whose workers multiprocessing starts (not loky's own, not threads)."""
    cls = BACKENDS[backend]
    return cls.uses_processes and cls.takes_start_method


def entry_labels(runs: Sequence[tuple[str, str | None]]) -> list[str]:
    """What a comparison of ``(backend, start method)`` runs calls each: as
    ``engine.figures.result.entry_names`` names them once run, so a row keeps its name."""
    methods: dict[str, set[str | None]] = {}
    for backend, method in runs:
        methods.setdefault(backend, set()).add(method)
    return [f"{b}@{m}" if len(methods[b]) > 1 and m else b for b, m in runs]


class BackendList(QListWidget):
    """Backends as check boxes, laid out in rows; every one that can run the workload starts
    checked, and a backend the user unchecked stays unchecked while the workload changes.

    Signals:
        changed: the checked set, the allowed set or the entries changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setSpacing(2)
        self._unchecked: set[str] = set()  # entry keys the user unchecked
        self._updating = False
        self._workload: Workload | None = None
        self._workers: int | None = None
        self._start_method: str | None = None
        self._scheduler: str | None = None
        for name in BACKENDS:
            self.addItem(self._new_item(Entry(name)))
        self.itemChanged.connect(self._toggled)

    def sizeHint(self) -> QSize:  # noqa: N802
        # Two rows of names are enough for the ten backends at 900 px; the view scrolls beyond.
        return QSize(400, 2 * self.sizeHintForRow(0) + 12)

    @staticmethod
    def _new_item(entry: Entry) -> QListWidgetItem:
        item = QListWidgetItem(entry.key)
        item.setData(Qt.ItemDataRole.UserRole, entry.key)
        item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        item.setCheckState(Qt.CheckState.Checked)
        item.setToolTip(BACKENDS[entry.backend].summary)
        return item

    def _items(self) -> list[QListWidgetItem]:
        return [self.item(i) for i in range(self.count())]

    @staticmethod
    def _entry(item: QListWidgetItem) -> Entry:
        return Entry.parse(item.data(Qt.ItemDataRole.UserRole))

    def _toggled(self, item: QListWidgetItem) -> None:
        if self._updating:
            return
        key = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self._unchecked.discard(key)
        else:
            self._unchecked.add(key)
        self.changed.emit()

    # -- the panel's choices ---------------------------------------------------------------------
    @property
    def panel_start_method(self) -> str:
        """The side panel's start method: the one a backend's own entry runs under."""
        return self._start_method or default_start_method()

    def _remote(self, backend: str) -> bool:
        return self._scheduler is not None and BACKENDS[backend].accepts_scheduler

    def set_workload(self, workload: Workload | None, workers: int | None,
                     start_method: str | None, scheduler: str | None = None) -> None:
        """Re-check every entry against ``workload`` (None: all disabled). A backend that
        will use the ``scheduler``'s cluster says so in its name."""
        self._workload, self._workers = workload, workers
        self._start_method, self._scheduler = start_method, scheduler
        self._refresh()

    def _reason(self, entry: Entry) -> str | None:
        """Why ``entry`` cannot run the workload here, or None."""
        if self._workload is None:
            return "choose a valid workload first"
        if entry.start_method is not None:
            if entry.start_method == self.panel_start_method:
                return (f"the side panel's start method: the {entry.backend} entry runs "
                        "under it already")
            if self._remote(entry.backend):
                return "its workers run on the cluster, started the cluster's way"
        method = entry.start_method or self._start_method
        try:
            check_config(config_for(self._workload, entry.backend, self._workers, method,
                                    scheduler=self._scheduler))
        except ConfigError as exc:
            return str(exc)
        return None

    def _text(self, entry: Entry, extras: set[str]) -> str:
        if entry.start_method is not None:
            return entry.key
        if self._remote(entry.backend):
            return f"{entry.backend} @ {self._scheduler}"
        # Beside its own entries a backend says which start method it keeps.
        return (f"{entry.backend}@{self.panel_start_method}" if entry.backend in extras
                else entry.backend)

    def _refresh(self) -> None:
        extras = {e.backend for e in self.extra_entries()
                  if e.start_method != self.panel_start_method}
        self._updating = True
        try:
            for item in self._items():
                entry = self._entry(item)
                reason = self._reason(entry)
                summary = BACKENDS[entry.backend].summary
                if entry.start_method is not None:
                    summary = f"{summary}\nits own entry, under start method {entry.start_method}"
                item.setText(self._text(entry, extras))
                flags = Qt.ItemFlag.ItemIsUserCheckable
                if reason is None:
                    flags |= Qt.ItemFlag.ItemIsEnabled
                item.setFlags(flags)
                item.setToolTip(summary if reason is None else f"{summary}\nnot here: {reason}")
                on = reason is None and entry.key not in self._unchecked
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        finally:
            self._updating = False
        self.changed.emit()

    # -- entries under other start methods -------------------------------------------------------
    def offered_entries(self) -> list[Entry]:
        """Every process backend under every start method here but the panel's, in registry
        then multiprocessing order: what ``add_entry`` takes."""
        methods = [m for m in valid_start_methods() if m != self.panel_start_method]
        return [Entry(name, m) for name in BACKENDS
                if takes_start_method(name) and not self._remote(name) for m in methods]

    def extra_entries(self) -> list[Entry]:
        """The entries under a start method of their own, in list order."""
        return [e for e in map(self._entry, self._items()) if e.start_method is not None]

    def add_entry(self, backend: str, start_method: str) -> None:
        """Add ``backend`` under ``start_method`` as an entry of its own, checked, after the
        backend's other entries (no-op if there).

        Raises:
            ValueError: the backend starts no processes through multiprocessing, or the
                platform has no such start method.
        """
        if not takes_start_method(backend):
            raise ValueError(f"{backend} takes no start method: process backends only")
        if start_method not in valid_start_methods():
            raise ValueError(f"unknown start method {start_method!r} "
                             f"(valid: {', '.join(valid_start_methods())})")
        self._add(Entry(backend, start_method))
        self._refresh()

    def _add(self, entry: Entry) -> None:
        entries = [self._entry(item) for item in self._items()]
        if entry in entries:
            return
        order = valid_start_methods()
        at = 1 + max(i for i, e in enumerate(entries) if e.backend == entry.backend
                     and (e.start_method is None or
                          order.index(e.start_method) < order.index(entry.start_method or "")))
        self._updating = True
        try:
            self.insertItem(at, self._new_item(entry))
        finally:
            self._updating = False
        self._unchecked.discard(entry.key)

    def remove_entry(self, backend: str, start_method: str) -> None:
        """Drop the entry of ``backend`` under ``start_method`` (no-op if absent)."""
        self._remove([Entry(backend, start_method)])
        self._refresh()

    def _remove(self, entries: Iterable[Entry]) -> None:
        gone = set(entries)
        for i in reversed(range(self.count())):
            entry = self._entry(self.item(i))
            if entry.start_method is not None and entry in gone:
                self.takeItem(i)
                self._unchecked.discard(entry.key)

    # -- the checked set -------------------------------------------------------------------------
    def set_checked(self, names: list[str]) -> None:
        """Check exactly ``names`` (among the allowed ones); a ``backend@method`` name is
        that entry, added if missing, and entries of a start method not named are dropped."""
        wanted = [Entry.parse(n) for n in names]
        self._remove(e for e in self.extra_entries() if e not in wanted)
        for entry in wanted:
            if entry.start_method is not None and takes_start_method(entry.backend) \
                    and entry.start_method in valid_start_methods():
                self._add(entry)
        keys = {e.key for e in wanted}
        self._unchecked = {self._entry(item).key for item in self._items()} - keys
        self._refresh()

    def checked(self) -> list[str]:
        """Checked and allowed backends, in registry order (sequential first); entries under
        a start method of their own are ``checked_entries``'."""
        return [e.backend for e in self.checked_entries() if e.start_method is None]

    def checked_entries(self) -> list[Entry]:
        """Checked and allowed entries in list order: each backend, then its own entries."""
        return [self._entry(item) for item in self._items()
                if item.checkState() == Qt.CheckState.Checked
                and item.flags() & Qt.ItemFlag.ItemIsEnabled]

    def refusals(self) -> dict[str, str]:
        """Disabled entries and why."""
        return {item.data(Qt.ItemDataRole.UserRole): item.toolTip() for item in self._items()
                if not item.flags() & Qt.ItemFlag.ItemIsEnabled}


class StartMethodButton(QToolButton):
    """"+ @method": a menu of every process backend under every other start method,
    each a check that adds or drops that entry in ``backends``.

    One button rather than an item per backend and method: with four process backends and
    three start methods that would be eight more names in a list that already wraps at 2×
    text on a 1280-px screen.
    """

    def __init__(self, backends: BackendList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backends = backends
        self._running = False
        # Short, as the entries it adds read (process-pool@forkserver): at 2× text a longer
        # title took the list a third item per row.
        self.setText("+ @method")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(QMenu(self))
        menu = self.menu()
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(self.fill_menu)
        backends.changed.connect(self._update)
        self._update()

    def _update(self) -> None:
        offered = bool(self.backends.offered_entries())
        self.setEnabled(offered and not self._running)
        self.setToolTip(
            "Compare a process backend under another start method too, as an entry of its own "
            f"(process-pool@forkserver); the side panel's start method is "
            f"{self.backends.panel_start_method}" if offered else
            "This platform offers one start method only")

    def set_running(self, running: bool) -> None:
        """A sequence runs: its entries are fixed until it ends."""
        self._running = running
        self._update()

    def fill_menu(self) -> None:
        """The menu as it stands now: rebuilt on every opening, so it follows the panel."""
        menu = self.menu()
        menu.clear()
        present = set(self.backends.extra_entries())
        previous = None
        for entry in self.backends.offered_entries():
            if previous is not None and entry.backend != previous:
                menu.addSeparator()
            previous = entry.backend
            action = menu.addAction(entry.key)
            action.setCheckable(True)
            action.setChecked(entry in present)
            action.setToolTip(f"also run {entry.backend} with its workers started by "
                              f"{entry.start_method}")
            action.toggled.connect(lambda on, e=entry: self._toggle(e, on))

    def _toggle(self, entry: Entry, on: bool) -> None:
        assert entry.start_method is not None
        if on:
            self.backends.add_entry(entry.backend, entry.start_method)
        else:
            self.backends.remove_entry(entry.backend, entry.start_method)
