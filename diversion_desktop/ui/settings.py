"""The one settings object: typed accessors over QSettings. Nothing else touches QSettings."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

IDLE_LOCK_MINUTES = 10


class Settings:
    def __init__(self, qsettings: QSettings | None = None) -> None:
        self._q = qsettings or QSettings("DiversionDesktop", "DiversionDesktop")

    def _text(self, key: str, default: str = "") -> str:
        value = self._q.value(key, default)
        return str(value) if value is not None else default

    @property
    def window_geometry(self) -> QByteArray | None:
        value = self._q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._q.setValue("window/geometry", value)

    @property
    def last_centre(self) -> str:
        return self._text("appointments/centre")

    @last_centre.setter
    def last_centre(self, value: str) -> None:
        self._q.setValue("appointments/centre", value)

    @property
    def last_area(self) -> str:
        return self._text("intake/area")

    @last_area.setter
    def last_area(self, value: str) -> None:
        self._q.setValue("intake/area", value)

    @property
    def station(self) -> str:
        return self._text("intake/station")

    @station.setter
    def station(self, value: str) -> None:
        self._q.setValue("intake/station", value)

    @property
    def last_folder(self) -> str:
        """The folder last chosen in a file dialog (ui/file_dialogs.py); "" before the first."""
        return self._text("files/last_folder")

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._q.setValue("files/last_folder", value)

    @property
    def idle_lock_minutes(self) -> int:
        """How long the window may sit untouched before it locks (1 to 240 minutes; 10 by default)."""
        try:
            minutes = int(self._text("security/idle_lock_minutes", str(IDLE_LOCK_MINUTES)))
        except ValueError:
            minutes = IDLE_LOCK_MINUTES
        return min(max(minutes, 1), 240)  # never off: an unattended workstation must not stay open

    @idle_lock_minutes.setter
    def idle_lock_minutes(self, value: int) -> None:
        self._q.setValue("security/idle_lock_minutes", int(value))

    def sync(self) -> None:
        self._q.sync()
