"""Back up and restore from the File menu's dialogs, driven as a person would (only the system
file dialogs are replaced)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from diversion_desktop.domain.permissions import Principal, Role
from diversion_desktop.services.importer import ImportService
from diversion_desktop.store import encrypted_backup
from diversion_desktop.ui import backup_dialog
from tests.import_files import referral, write_import
from tests.ui.conftest import type_text

TIMEOUT = 30000
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encrypted_backup, "SCRYPT_N", 2**14)


@pytest.fixture
def seeded(gui_ctx, tmp_path) -> None:
    rows = [referral(reference="WB-2026-00101", surname="Jones", incident_date="2026-03-08")]
    assert ImportService(gui_ctx).run(write_import(tmp_path, "csv", rows, name="seed")).written


def surnames(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        return {row[0] for row in connection.execute("SELECT surname FROM people")}


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def make_backup(qtbot, gui_ctx, gui_runner, monkeypatch, path: Path):
    monkeypatch.setattr(backup_dialog, "ask_backup_path", lambda _p, _name, _encrypted: str(path))
    dialog = backup_dialog.open_backup_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.password, PASSWORD)
    type_text(qtbot, dialog.confirm, PASSWORD)
    with qtbot.waitSignal(dialog.sig_backed_up, timeout=TIMEOUT) as made:
        click(qtbot, dialog.backup_button)
    return dialog, made.args[0]


@pytest.mark.usefixtures("seeded")
def test_back_up_encrypted_then_restore(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path) -> None:
    asked: list[tuple[str, bool]] = []
    target = tmp_path / "nightly.ddbackup"

    def ask(_parent, name: str, encrypted: bool) -> str:
        asked.append((name, encrypted))
        return str(target)

    monkeypatch.setattr(backup_dialog, "ask_backup_path", ask)
    dialog = backup_dialog.open_backup_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    assert dialog.encrypt.isChecked()
    type_text(qtbot, dialog.password, "too short")
    click(qtbot, dialog.backup_button)
    assert "at least 12" in dialog.error.text() and not asked
    dialog.password.clear()
    type_text(qtbot, dialog.password, PASSWORD)
    type_text(qtbot, dialog.confirm, PASSWORD + "x")
    click(qtbot, dialog.backup_button)
    assert "not the same" in dialog.error.text() and not asked
    dialog.confirm.clear()
    type_text(qtbot, dialog.confirm, PASSWORD)
    with qtbot.waitSignal(dialog.sig_backed_up, timeout=TIMEOUT) as made:
        click(qtbot, dialog.backup_button)
    assert asked == [("diversion-backup-2026-03-10.ddbackup", True)]
    assert made.args[0].encrypted and target.read_bytes().startswith(b"age-encryption.org/v1\n")
    assert "Restore" in dialog.status.text() and not dialog.error.isVisible() and dialog.password.text() == ""
    assert dialog.progress.isHidden()

    restored = tmp_path / "restored.sqlite3"
    monkeypatch.setattr(backup_dialog, "ask_backup_file", lambda _p: str(target))
    monkeypatch.setattr(backup_dialog, "ask_restore_path", lambda _p, _name: str(restored))
    restore = backup_dialog.open_restore_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(restore)
    assert not restore.restore_button.isEnabled()
    with qtbot.waitSignal(restore.sig_inspected, timeout=TIMEOUT):
        click(qtbot, restore.choose_button)
    assert "encrypted backup" in restore.about.text() and restore.password.isEnabled()
    click(qtbot, restore.restore_button)
    assert "type its password" in restore.error.text() and not restored.exists()
    type_text(qtbot, restore.password, "not the password")
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        click(qtbot, restore.restore_button)
    assert "not this backup's password" in restore.error.text() and not restored.exists()
    restore.password.clear()
    type_text(qtbot, restore.password, PASSWORD)
    with qtbot.waitSignal(restore.sig_restored, timeout=TIMEOUT):
        click(qtbot, restore.restore_button)
    assert surnames(restored) == {"Jones"}
    text = restore.status.text()
    assert str(restored) in text and f"--database sqlite:///{restored.resolve().as_posix()}" in text
    assert not restore.error.isVisible() and not restore.restore_button.isEnabled()


@pytest.mark.usefixtures("seeded")
def test_plain_backup_and_a_refused_restore(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path) -> None:
    target = tmp_path / "plain.sqlite3"
    monkeypatch.setattr(backup_dialog, "ask_backup_path", lambda _p, name, encrypted: str(target))
    dialog = backup_dialog.open_backup_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.encrypt, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.encrypt.height() // 2))
    assert not dialog.password.isEnabled()
    with qtbot.waitSignal(dialog.sig_backed_up, timeout=TIMEOUT):
        click(qtbot, dialog.backup_button)
    assert target.read_bytes().startswith(b"SQLite format 3") and "not encrypted" in dialog.status.text()

    existing = tmp_path / "existing.sqlite3"
    existing.write_bytes(b"keep me")
    monkeypatch.setattr(backup_dialog, "ask_backup_file", lambda _p: str(target))
    monkeypatch.setattr(backup_dialog, "ask_restore_path", lambda _p, _name: str(existing))
    restore = backup_dialog.open_restore_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(restore)
    with qtbot.waitSignal(restore.sig_inspected, timeout=TIMEOUT):
        click(qtbot, restore.choose_button)
    assert "not encrypted" in restore.about.text() and not restore.password.isEnabled()
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        click(qtbot, restore.restore_button)
    assert "already exists" in restore.error.text() and existing.read_bytes() == b"keep me"
    assert restore.status.text() == "" and restore.restore_button.isEnabled()


def test_a_file_that_is_not_a_backup(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("minutes", encoding="utf-8")
    monkeypatch.setattr(backup_dialog, "ask_backup_file", lambda _p: str(notes))
    restore = backup_dialog.open_restore_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(restore)
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        click(qtbot, restore.choose_button)
    assert "not a Diversion Desktop backup" in restore.error.text() and not restore.restore_button.isEnabled()


@pytest.mark.usefixtures("seeded")
def test_a_truncated_backup_is_refused(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path) -> None:
    _dialog, made = make_backup(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path / "b.ddbackup")
    cut = tmp_path / "cut.ddbackup"
    cut.write_bytes(made.out.read_bytes()[:-50])
    restored = tmp_path / "r.sqlite3"
    monkeypatch.setattr(backup_dialog, "ask_backup_file", lambda _p: str(cut))
    monkeypatch.setattr(backup_dialog, "ask_restore_path", lambda _p, _name: str(restored))
    restore = backup_dialog.open_restore_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(restore)
    with qtbot.waitSignal(restore.sig_inspected, timeout=TIMEOUT):
        click(qtbot, restore.choose_button)
    type_text(qtbot, restore.password, PASSWORD)
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        click(qtbot, restore.restore_button)
    assert "incomplete" in restore.error.text() and "Nothing was restored" in restore.error.text()
    assert not restored.exists() and not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_a_user_without_the_right_is_told_at_once(qtbot, gui_ctx, gui_runner) -> None:
    gui_ctx.sign_in_as(Principal("clerk", frozenset({Role.STATION_STAFF})))
    dialog = backup_dialog.open_backup_dialog(gui_ctx, gui_runner)
    restore = backup_dialog.open_restore_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    qtbot.addWidget(restore)
    assert not dialog.backup_button.isEnabled() and "clerk may not back up" in dialog.error.text()
    assert not restore.choose_button.isEnabled() and "administrator" in restore.error.text()


def test_the_file_menu_opens_both(qtbot, gui_ctx, gui_settings) -> None:
    from PySide6.QtWidgets import QApplication

    from diversion_desktop.ui.main_window import MainWindow

    window = MainWindow(gui_ctx, gui_settings)
    qtbot.addWidget(window)
    window.show()
    file_menu = window.menuBar().actions()[0].menu()
    texts = [action.text() for action in file_menu.actions()]
    assert "&Back up database…" in texts and "&Restore a backup…" in texts
    window.backup_action.trigger()
    window.restore_action.trigger()
    shown = {type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible()}
    assert {"BackupDialog", "RestoreDialog"} <= shown
    for widget in QApplication.topLevelWidgets():
        if type(widget).__name__ in {"BackupDialog", "RestoreDialog"}:
            widget.close()


def fully_shown(label) -> bool:
    """The label's (word-wrapped) text fits the space the layout gave it."""
    return label.isVisible() and label.heightForWidth(label.width()) <= label.height()


def not_squeezed(*fields) -> bool:
    return all(field.height() >= field.minimumSizeHint().height() for field in fields)


@pytest.mark.usefixtures("seeded")
def test_the_dialogs_grow_to_show_the_result(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path) -> None:
    """A result or an error shown after the dialog opened is not cut off, nor squeezes the fields."""
    dialog, _made = make_backup(qtbot, gui_ctx, gui_runner, monkeypatch, tmp_path / "b.ddbackup")
    qtbot.waitUntil(lambda: fully_shown(dialog.status))
    assert not_squeezed(dialog.password, dialog.confirm)

    restored = tmp_path / "r.sqlite3"
    monkeypatch.setattr(backup_dialog, "ask_backup_file", lambda _p: str(tmp_path / "b.ddbackup"))
    monkeypatch.setattr(backup_dialog, "ask_restore_path", lambda _p, _name: str(restored))
    restore = backup_dialog.open_restore_dialog(gui_ctx, gui_runner)
    qtbot.addWidget(restore)
    with qtbot.waitSignal(restore.sig_inspected, timeout=TIMEOUT):
        click(qtbot, restore.choose_button)
    qtbot.waitUntil(lambda: fully_shown(restore.about))
    type_text(qtbot, restore.password, "not the password")
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        click(qtbot, restore.restore_button)
    qtbot.waitUntil(lambda: fully_shown(restore.error))
    assert not_squeezed(restore.password)
    restore.password.clear()
    type_text(qtbot, restore.password, PASSWORD)
    with qtbot.waitSignal(restore.sig_restored, timeout=TIMEOUT):
        click(qtbot, restore.restore_button)
    qtbot.waitUntil(lambda: fully_shown(restore.status))
    assert fully_shown(restore.about) and not_squeezed(restore.password, restore.source)
