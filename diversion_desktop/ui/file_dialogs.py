"""The system file choosers, in one place, so that every one opens in a sensible folder.

Each opens in the folder last chosen in any of them (a setting of this workstation), or the
first time in the user's Documents folder (their home folder if there is none): never in the
folder the program happens to run from. The settings are the window's: the first of the parent
widgets with a ``settings`` attribute (the main window has one); without one, nothing is
remembered.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget

from diversion_desktop.ui.settings import Settings


def save_path(
    parent: QWidget | None, caption: str, suggested_name: str, file_filter: str, confirm_overwrite: bool = True
) -> str:
    """The "Save as" dialog; the chosen path, or "" if cancelled."""
    suggested = str(Path(start_folder(parent)) / suggested_name)
    if confirm_overwrite:
        path, _filter = QFileDialog.getSaveFileName(parent, caption, suggested, file_filter)
    else:
        path, _filter = QFileDialog.getSaveFileName(
            parent, caption, suggested, file_filter, options=QFileDialog.Option.DontConfirmOverwrite
        )
    return _remember(parent, path, Path(path).parent if path else None)


def open_path(parent: QWidget | None, caption: str, file_filter: str) -> str:
    """The "Open" dialog; the chosen file, or "" if cancelled."""
    path, _filter = QFileDialog.getOpenFileName(parent, caption, start_folder(parent), file_filter)
    return _remember(parent, path, Path(path).parent if path else None)


def folder_path(parent: QWidget | None, caption: str) -> str:
    """The folder chooser; the chosen folder, or "" if cancelled."""
    folder = QFileDialog.getExistingDirectory(parent, caption, start_folder(parent))
    return _remember(parent, folder, Path(folder) if folder else None)


def start_folder(parent: QWidget | None) -> str:
    """The folder a chooser opens in: the last one used if it is still there, else Documents."""
    settings = settings_of(parent)
    last = settings.last_folder if settings is not None else ""
    if last and Path(last).is_dir():
        return last
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return documents if documents and Path(documents).is_dir() else str(Path.home())


def settings_of(widget: QWidget | None) -> Settings | None:
    while widget is not None:
        settings = getattr(widget, "settings", None)
        if isinstance(settings, Settings):
            return settings
        widget = widget.parentWidget()
    return None


def _remember(parent: QWidget | None, chosen: str, folder: Path | None) -> str:
    settings = settings_of(parent)
    if folder is not None and settings is not None:
        settings.last_folder = str(folder)
    return chosen
