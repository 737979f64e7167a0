"""The menu bar: one ``QAction`` per command, with its shortcuts (File, Run, View and Help).

Every key is listed once, in one place, so no two commands can share one (Qt then fires
neither and only logs "Ambiguous shortcut overload"):

    File   Ctrl+O open · Ctrl+S save · Ctrl+Shift+T/D/X/M/P export · Ctrl+Q quit
    Run    Ctrl+R, F5 run · Ctrl+Shift+C, F6 compare · Ctrl+Shift+W, F7 sweep · Esc stop
    View   Ctrl+1/2/3 pages · F11 full screen · Ctrl+= Ctrl+- Ctrl+0 text size ·
           H heatmap · F follow · Home reset
    Help   F1 keyboard shortcuts

Kept free for the Lessons menu: Ctrl+L, Page Up, Page Down, Ctrl+Enter. Ctrl+C, Ctrl+V, Ctrl+X,
Ctrl+A and Ctrl+Z stay with the text fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMenuBar, QWidget

from engine.run.host import AnyRun
from engine.run.runner import RunConfig

#: A shortcut as Qt takes it: text ("Ctrl+R") or a platform's standard key (Quit).
Keys = tuple[str | QKeySequence.StandardKey, ...]


def key_sequences(keys: Keys) -> list[QKeySequence]:
    """``keys`` as sequences, each once: a standard key is the same key as its text on some
    platforms (Quit is Ctrl+Q on Linux), and an action given one key twice never fires."""
    out: dict[str, QKeySequence] = {}
    for key in keys:
        found = (QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey)
                 else [QKeySequence(key)])
        for seq in found:
            if not seq.isEmpty():
                out.setdefault(seq.toString(), seq)
    return list(out.values())


def add_action(menu: QMenu, parent: QObject, text: str, keys: Keys,
               slot: Callable[..., object], checkable: bool = False) -> QAction:
    """Add ``text`` to ``menu``, run ``slot`` when it is chosen or its ``keys`` pressed."""
    action = QAction(text, parent)
    action.setShortcuts(key_sequences(keys))
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def menu_actions(bar: QMenuBar) -> Iterator[tuple[str, QAction]]:
    """Every command in ``bar``, submenus included, as (menu path, action), in menu order:
    what the Help sheet lists and the tests press."""

    def walk(menu: QMenu, path: str) -> Iterator[tuple[str, QAction]]:
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                yield from walk(sub, f"{path} ▸ {plain(action.text())}")
            elif not action.isSeparator():
                yield path, action

    for top in bar.actions():
        sub = top.menu()
        if isinstance(sub, QMenu):
            yield from walk(sub, plain(top.text()))


def plain(text: str) -> str:
    """A menu text without its mnemonic marks ("&Quit" -> "Quit", "&&" -> "&")."""
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


class _Heatmap(Protocol):
    def set_heatmap(self, on: bool) -> None: ...


class _Following(Protocol):
    def set_following(self, on: bool) -> None: ...


class _Files(Protocol):
    def build_menu(self, menu: QMenu) -> None: ...


class MenuHost(Protocol):
    """What the menus call: the window, seen only through the commands it offers."""

    @property
    def files(self) -> _Files: ...
    @property
    def cpu_plot(self) -> _Heatmap: ...
    @property
    def time(self) -> _Following: ...
    @property
    def font_size(self) -> int: ...
    def set_font_size(self, point_size: int) -> None: ...
    def request_quit(self) -> bool: ...
    def start_run(self, config: RunConfig | None = None) -> AnyRun | None: ...
    def start_compare(self) -> bool: ...
    def start_sweep(self) -> bool: ...
    def stop_run(self) -> None: ...
    def reset_view(self) -> None: ...
    def show_page(self, kind: str) -> None: ...


@dataclass(frozen=True)
class MenuActions:
    """The actions the window keeps in step with its state."""

    run: QAction
    compare: QAction
    sweep: QAction
    stop: QAction
    heatmap: QAction
    follow: QAction
    full_screen: QAction


def build_menus(window: QMainWindow, host: MenuHost) -> MenuActions:
    """File, Run and View in ``window``'s menu bar, calling ``host`` (the window itself)."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    host.files.build_menu(file_menu)
    file_menu.addSeparator()
    add_action(file_menu, window, "&Quit", (QKeySequence.StandardKey.Quit, "Ctrl+Q"),
               host.request_quit)
    run_menu = bar.addMenu("&Run")
    run = add_action(run_menu, window, "&Run", ("Ctrl+R", "F5"), host.start_run)
    compare = add_action(run_menu, window, "Run &comparison", ("Ctrl+Shift+C", "F6"),
                         host.start_compare)
    sweep = add_action(run_menu, window, "Run s&weep", ("Ctrl+Shift+W", "F7"), host.start_sweep)
    stop = add_action(run_menu, window, "&Stop", ("Esc",), host.stop_run)
    view = bar.addMenu("&View")
    for number, (text, kind) in enumerate((("&Live page", "run"), ("&Compare page", "compare"),
                                           ("S&weep page", "sweep")), start=1):
        add_action(view, window, text, (f"Ctrl+{number}",),
                   lambda _=False, k=kind: host.show_page(k))
    full_screen = add_action(view, window, "F&ull screen", ("F11",),
                             lambda on: set_full_screen(window, on), checkable=True)
    _FullScreenCheck(window, full_screen)
    view.addSeparator()
    add_action(view, window, "&Larger text", ("Ctrl+=", "Ctrl++"),
               lambda: host.set_font_size(host.font_size + 1))
    add_action(view, window, "&Smaller text", ("Ctrl+-",),
               lambda: host.set_font_size(host.font_size - 1))
    add_action(view, window, "&Normal text size", ("Ctrl+0",), lambda: host.set_font_size(11))
    view.addSeparator()
    heatmap = add_action(view, window, "CPU &heatmap", ("H",), host.cpu_plot.set_heatmap,
                         checkable=True)
    follow = add_action(view, window, "&Follow newest", ("F",), host.time.set_following,
                        checkable=True)
    add_action(view, window, "&Reset view", ("Home",), host.reset_view)
    return MenuActions(run, compare, sweep, stop, heatmap, follow, full_screen)


def set_full_screen(window: QWidget, on: bool) -> None:
    """Full screen on or off, keeping whether the window was maximized underneath."""
    state = window.windowState()
    full = Qt.WindowState.WindowFullScreen
    window.setWindowState(state | full if on else state & ~full)


class _FullScreenCheck(QObject):
    """Keeps View ▸ Full screen checked exactly while the window is full screen, however it
    got there or left (the window manager's own key, a double click on the title)."""

    def __init__(self, window: QWidget, action: QAction) -> None:
        super().__init__(window)
        self._action = action
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.WindowStateChange and isinstance(watched, QWidget):
            self._action.setChecked(watched.isFullScreen())
        return False
