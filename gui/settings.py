"""Where the window remembers its last workload, backend, geometry and text size.

Tests and demos must not touch the user's real settings: set ``CORESCOPE_SETTINGS`` to a file
path (or pass ``path`` to ``open_settings``) and an INI file there is used instead.
"""

from __future__ import annotations

import json
import os
from typing import Any, SupportsInt, cast

from PySide6.QtCore import QByteArray, QSettings

ENV_VAR = "CORESCOPE_SETTINGS"
ORGANIZATION = "CoreScope"
APPLICATION = "CoreScope"


def open_settings(path: str | None = None) -> QSettings:
    """The settings store: an INI file at ``path`` or ``$CORESCOPE_SETTINGS``, else the
    platform's native per-user store."""
    path = path or os.environ.get(ENV_VAR)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(ORGANIZATION, APPLICATION)


class Store:
    """Typed access to the keys CoreScope uses; a missing or corrupt value reads as default."""

    def __init__(self, settings: QSettings) -> None:
        self.qt = settings

    def get_str(self, key: str, default: str = "") -> str:
        value = self.qt.value(key, default)
        return value if isinstance(value, str) else default

    def get_int(self, key: str, default: int) -> int:
        # QSettings hands back whatever the file holds (text, a list, …): int() refuses what
        # it cannot read, and that reads as the default.
        value = cast("SupportsInt | str", self.qt.value(key, default))
        try:
            return int(value)
        except (TypeError, ValueError):
            return default

    def get_json(self, key: str, default: Any) -> Any:
        try:
            value = json.loads(self.get_str(key, ""))
        except ValueError:
            return default
        return value if isinstance(value, type(default)) else default

    def get_bytes(self, key: str) -> QByteArray | None:
        value = self.qt.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set(self, key: str, value: Any) -> None:
        if isinstance(value, (dict, list)):
            value = json.dumps(value)
        self.qt.setValue(key, value)

    def sync(self) -> None:
        self.qt.sync()
