"""The file choosers open in Documents the first time, then in the folder last chosen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog

from diversion_desktop.ui import file_dialogs
from diversion_desktop.ui.intake_form import IntakeForm


@pytest.fixture
def window(qtbot, gui_ctx, gui_runner, gui_settings) -> IntakeForm:
    """A widget of the application with its workstation settings (any such parent will do)."""
    widget = IntakeForm(gui_ctx, gui_runner, gui_settings)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture(autouse=True)
def qt_file_dialogs() -> Iterator[None]:
    """Qt's own dialogs, which a test can answer (a desktop's native one could not be)."""
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, True)
    yield
    QApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs, False)


def answer_with(choice: Path | None, opened_in: list[str]) -> None:
    """When the dialog opens, note its folder and choose ``choice`` (None: cancel), as a person would."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QFileDialog)
        opened_in.append(dialog.directory().absolutePath())
        if choice is None:
            dialog.reject()
        else:
            dialog.selectFile(str(choice))
            dialog.accept()

    QTimer.singleShot(0, answer)


def documents() -> str:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return folder if folder and Path(folder).is_dir() else str(Path.home())


def test_the_first_dialog_opens_in_documents_then_in_the_folder_last_chosen(window, gui_settings, tmp_path) -> None:
    opened_in: list[str] = []
    chosen = tmp_path / "exports"
    chosen.mkdir()
    answer_with(chosen / "referrals.csv", opened_in)
    path = file_dialogs.save_path(window, "Export", "referrals.csv", "CSV files (*.csv)")
    assert Path(path) == chosen / "referrals.csv"
    assert Path(opened_in[0]) == Path(documents()) != Path.cwd()
    assert Path(gui_settings.last_folder) == chosen

    answer_with(None, opened_in)  # another dialog, cancelled: opens where the last one was left
    assert file_dialogs.open_path(window, "Import referrals", "CSV files (*.csv)") == ""
    assert Path(opened_in[1]) == chosen
    assert Path(gui_settings.last_folder) == chosen  # a cancelled dialog changes nothing


def test_a_remembered_folder_that_has_gone_falls_back_to_documents(window, gui_settings, tmp_path) -> None:
    gui_settings.last_folder = str(tmp_path / "removed since")
    opened_in: list[str] = []
    answer_with(None, opened_in)
    assert file_dialogs.save_path(window, "Save as PDF", "letter.pdf", "PDF documents (*.pdf)") == ""
    assert Path(opened_in[0]) == Path(documents())
