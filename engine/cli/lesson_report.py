"""What ``list --lessons`` prints: each lesson in a talk's order, or why it cannot be used."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from engine.files.lessons import Lesson, LessonError

__all__ = ["entry", "text"]


def entry(found: Lesson | LessonError) -> dict[str, Any]:
    """One lesson as ``list --lessons --json`` gives it; a broken file as its error line."""
    if isinstance(found, LessonError):
        return {"file": os.path.basename(found.path or ""), "error": str(found)}
    return {"name": found.short_name, "file": os.path.basename(found.path or ""),
            "title": found.title, "page": found.page, "backends": list(found.backends),
            "unavailable": found.unavailable()}


def text(found: Sequence[Lesson | LessonError]) -> str:
    if not found:
        return "no lessons found (resources/lessons/ is empty)\n"
    width = max(len(e.short_name) for e in found if isinstance(e, Lesson)) \
        if any(isinstance(e, Lesson) for e in found) else 8
    lines = ["lessons (open one with: python main.py gui --lesson NAME [--start]):"]
    for n, e in enumerate(found, 1):
        if isinstance(e, LessonError):
            lines.append(f"  {n:>2}. [cannot be read] {e}")
            continue
        lines.append(f"  {n:>2}. {e.short_name:<{width}}  {e.title}")
        lines.append(f"      {'':<{width}}  {e.page}: {', '.join(e.backends)}")
        reason = e.unavailable()
        if reason:
            lines.append(f"      {'':<{width}}  [unavailable here: {reason}]")
    return "\n".join(lines) + "\n"
