"""Render resources/icons/corescope.svg to the PNG sizes a desktop asks for (``make icons``).

The PNGs are committed, so neither the app nor ``make install-desktop`` needs an SVG renderer
at run time; rerun this after editing the SVG.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICONS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                     "resources", "icons")
SIZES = (16, 32, 48, 64, 128, 256)


def render(svg: str, size: int, out: str) -> None:
    renderer = QSvgRenderer(svg)
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(out, "PNG"):
        raise SystemExit(f"could not write {out}")


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    svg = os.path.join(ICONS, "corescope.svg")
    for size in SIZES:
        out = os.path.join(ICONS, f"corescope-{size}.png")
        render(svg, size, out)
        print(os.path.relpath(out), f"{size}x{size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
