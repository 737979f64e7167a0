"""A plot's legend that always stays one line: what does not fit becomes "+N more".

Why not a word-wrapped label: a legend that wraps takes its second line from the plot under it
(at projector text sizes, in a 720-pixel-high window, the plots shrank to a sliver and the
wrapped line was drawn over them), and it changes height as series come and go during a run,
making every plot below jump. One line keeps the stack still; the whole legend is one hover
away, in the tooltip, and in ``text()`` for tests and accessibility.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QResizeEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

# Between entries when a caller passes a list (the panels' own separator, two spaces).
GAP = "&nbsp;&nbsp; "


def plain(rich: str) -> str:
    return re.sub(r"<[^>]+>", "", rich.replace("&nbsp;", " ")).strip()


class Legend(QLabel):
    """Rich-text legend entries on one line, as many as fit, then "+N more"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[str] = []
        self._sep = GAP
        self._keep = 0
        self._tip = ""
        self._doc = QTextDocument()
        self._doc.setDocumentMargin(0)
        # The layout gives the legend what the title and controls leave; it never asks for more
        # (a label without wrapping would otherwise demand its whole text's width).
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        #: How many entries are shown now (the rest are "+N more").
        self.shown = 0

    # -- what callers set ------------------------------------------------------------------------
    def set_entries(self, entries: list[str], sep: str = GAP, keep: int = 0) -> None:
        """Show ``entries``; the last ``keep`` of them (a summary line's key: "whole machine")
        stay when others give way, as long as anything fits."""
        self._entries, self._sep, self._keep = list(entries), sep, min(keep, len(entries))
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 — one message, or entries already joined
        self.set_entries([text] if text else [])

    def text(self) -> str:  # the whole legend, not only what fits
        return self._sep.join(self._entries)

    @property
    def entries(self) -> list[str]:
        return list(self._entries)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 — kept, the hidden entries added to it
        self._tip = tip
        self._fit()

    # -- fitting ---------------------------------------------------------------------------------
    def _width_of(self, rich: str) -> float:
        self._doc.setDefaultFont(self.font())
        self._doc.setHtml(rich)
        return self._doc.idealWidth()

    def _choices(self, room: int) -> list[tuple[str, list[str]]]:
        """What could be shown, longest first: (rich text, the entries it leaves out)."""
        entries, keep = self._entries, self._keep
        out: list[tuple[str, list[str]]] = [(self.text(), [])]
        if len(entries) == 1:  # a message, not keys: cut at its end rather than "+1 more"
            cut = self.fontMetrics().elidedText(plain(entries[0]), Qt.TextElideMode.ElideRight,
                                                room)
            return [*out, (html.escape(cut), [] if cut == plain(entries[0]) else entries)]
        for tail in ([entries[len(entries) - keep:]] if keep else []) + [[]]:
            head = entries[:len(entries) - len(tail)]
            for k in range(len(head) - 1, -1, -1):
                left_out = head[k:]
                out.append((self._sep.join([*head[:k], f"+{len(left_out)} more", *tail]),
                            left_out))
        return [*out, ("…", entries)]  # shown, cut, when not even "+N more" fits

    def _fit(self) -> None:
        room = self.contentsRect().width()
        choices = self._choices(room)
        shown, left_out = next(((text, out) for text, out in choices
                                if self._width_of(text) <= room), choices[-1])
        super().setText(shown)
        self.shown = len(self._entries) - len(left_out)
        hidden = ", ".join(plain(e) for e in left_out)
        super().setToolTip("\n".join(filter(None, [self._tip, hidden])))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())
