"""The Data protection menu: actions shown by permission; subject access, legal hold and
anonymisation driven as a person would (only the folder chooser and the confirmation are replaced)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
import json
from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit, QMenu
from sqlalchemy import update

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.spreadsheets.encrypted import read_entries
from diversion_desktop.store.models import Person, Referral
from diversion_desktop.ui import data_protection
from diversion_desktop.ui.data_protection import (
    LegalHoldDialog,
    RetentionDialog,
    SubjectAccessDialog,
    add_data_protection_actions,
)
from tests.conftest import EVERY_ROLE, as_role
from tests.ui.conftest import type_text

TIMEOUT = 20000
INCIDENT = datetime(2026, 3, 9, 21, 30)


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread(qapp) -> Iterator[None]:
    """Dialogs closed at teardown are freed on the GUI thread, never on a later worker thread."""
    yield
    qapp.processEvents()
    gc.collect()


@pytest.fixture
def confirm(monkeypatch):
    asked: list[str] = []

    def answer(_parent, _title: str, text: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(data_protection, "ask_confirmation", answer)
    return asked


@pytest.fixture
def people(gui_ctx, make_draft):
    """Two people, each with one declined referral dated 2015 (long past retention)."""
    intake = IntakeService(gui_ctx)
    saved = [
        intake.save(make_draft(incident_at=INCIDENT, consent=False)),
        intake.save(make_draft(surname="Jones", incident_at=INCIDENT, consent=False)),
    ]
    with gui_ctx.session_factory.begin() as session:
        session.execute(
            update(Referral).values(referral_date=datetime(2015, 1, 5).date(), outcome_date=datetime(2015, 1, 5).date())
        )
    return saved


def _menu_for(qtbot, gui_ctx, gui_runner) -> QMenu:
    menu = QMenu("Data protection")
    qtbot.addWidget(menu)
    add_data_protection_actions(SimpleNamespace(ctx=gui_ctx, runner=gui_runner), menu)
    return menu


def _visible(menu: QMenu) -> list[str]:
    return [a.objectName() for a in menu.actions() if a.isVisible()]


def test_actions_are_shown_by_permission(qtbot, gui_ctx, gui_runner) -> None:
    menu = _menu_for(qtbot, gui_ctx, gui_runner)
    assert _visible(menu) == [
        "mergeAction",
        "undoMergeAction",
        "subjectAccessAction",
        "legalHoldAction",
        "retentionAction",
    ]
    gui_ctx.sign_in_as(as_role(Role.STATION_STAFF))
    menu.aboutToShow.emit()
    assert _visible(menu) == []
    gui_ctx.sign_in_as(as_role(Role.COORDINATOR))
    menu.aboutToShow.emit()
    assert _visible(menu) == ["mergeAction", "undoMergeAction", "subjectAccessAction", "legalHoldAction"]
    gui_ctx.sign_in_as(as_role(Role.ADMINISTRATOR))
    menu.aboutToShow.emit()
    assert _visible(menu) == ["subjectAccessAction", "retentionAction"]
    gui_ctx.sign_in_as(EVERY_ROLE)


def _untick(qtbot, box: QCheckBox) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def test_subject_access_export(qtbot, gui_ctx, gui_runner, people, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(data_protection, "ask_folder", lambda _parent: str(tmp_path))
    dialog = SubjectAccessDialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.export_button.isEnabled()
    protect = dialog.findChild(QCheckBox, "sarProtect")
    assert protect.isChecked()  # protected unless the user unticks it
    _untick(qtbot, protect)
    assert not dialog.findChild(QLineEdit, "sarPassword").isEnabled()
    type_text(qtbot, dialog.reference, "'; DROP TABLE people; --")
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert "not a person reference" in dialog.error.text() and not dialog.export_button.isEnabled()
    dialog.reference.clear()
    type_text(qtbot, dialog.reference, "P1")
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        qtbot.keyClick(dialog.reference, Qt.Key.Key_Return)
    assert "John Smith (P000001), born 17/05/1990" in dialog.who.text()
    with qtbot.waitSignal(dialog.sig_exported, timeout=TIMEOUT) as exported:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    result = exported.args[0]
    assert result.pdf_path.parent == tmp_path and result.pdf_path.read_bytes().startswith(b"%PDF")
    assert json.loads(result.json_path.read_text(encoding="utf-8"))["person"]["reference"] == "P000001"
    assert str(result.pdf_path) in dialog.status.text() and result.zip_path is None


def test_subject_access_export_protected_with_a_password(
    qtbot, gui_ctx, gui_runner, people, monkeypatch, tmp_path
) -> None:
    chosen: list[str] = []
    folder = tmp_path / "sar"  # (the database is in tmp_path)
    monkeypatch.setattr(data_protection, "ask_folder", lambda _parent: chosen.append("asked") or str(folder))
    dialog = SubjectAccessDialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    dialog.show()
    protect = dialog.findChild(QCheckBox, "sarProtect")
    password = dialog.findChild(QLineEdit, "sarPassword")
    again = dialog.findChild(QLineEdit, "sarPasswordAgain")
    assert protect.isChecked() and password.isEnabled() and password.echoMode() == QLineEdit.EchoMode.Password
    assert "another route" in dialog.findChild(data_protection.QLabel, "sarNote").text()
    type_text(qtbot, dialog.reference, "P000001")
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert "John Smith (P000001)" in dialog.who.text()

    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)  # no password yet
    assert "at least 8 characters" in dialog.error.text()
    type_text(qtbot, password, "Zoë's long password")
    type_text(qtbot, again, "Zoë's long pasword")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "not the same" in dialog.error.text() and not dialog.busy
    assert chosen == [] and not folder.exists()  # refused before the folder was asked for

    again.clear()
    type_text(qtbot, again, "Zoë's long password")
    with qtbot.waitSignal(dialog.sig_exported, timeout=TIMEOUT) as exported:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    result = exported.args[0]
    assert dialog.error.text() == "" and chosen == ["asked"]
    assert list(folder.iterdir()) == [result.zip_path]  # no unencrypted PDF or JSON beside it
    assert result.zip_path.suffix == ".zip" and result.pdf_path is None
    entries = read_entries(result.zip_path, "Zoë's long password")
    stem = result.zip_path.stem
    assert sorted(entries) == [f"{stem}.json", f"{stem}.pdf"]
    assert entries[f"{stem}.pdf"].startswith(b"%PDF")
    assert json.loads(entries[f"{stem}.json"].decode("utf-8"))["person"]["reference"] == "P000001"
    assert str(result.zip_path) in dialog.status.text() and "7-Zip" in dialog.status.text()


def test_anonymise_old_records_shows_the_count_first(qtbot, gui_ctx, gui_runner, people, confirm) -> None:
    dialog = RetentionDialog(gui_ctx, gui_runner, None)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.sig_planned, timeout=TIMEOUT):
        dialog.show()
    assert "2 closed referral(s) to anonymise, 2 person record(s)" in dialog.summary.text()
    assert "WB-2026-00001" in dialog.summary.text() and dialog.run_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_finished, timeout=TIMEOUT) as finished:
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "Anonymise 2 referral(s) and 2 person record(s)?" in confirm[0]
    assert finished.args[0].people_anonymised == 2
    assert "2 referral(s) and 2 person record(s) anonymised" in dialog.status.text()
    assert not dialog.run_button.isEnabled() and not dialog.progress.isVisible()
    with gui_ctx.session_factory() as session:
        assert {p.surname for p in session.query(Person)} == {"Anonymised"}


def test_anonymise_refused_for_a_coordinator(qtbot, gui_ctx, gui_runner, people) -> None:
    gui_ctx.sign_in_as(as_role(Role.COORDINATOR))
    dialog = RetentionDialog(gui_ctx, gui_runner, None)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        dialog.show()
    assert "may not do this" in dialog.error.text() and not dialog.run_button.isEnabled()
    gui_ctx.sign_in_as(EVERY_ROLE)


def test_legal_hold(qtbot, gui_ctx, gui_runner, people) -> None:
    dialog = LegalHoldDialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.reference, "wb-2026-00001")
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert "Give the reason for the legal hold" in dialog.error.text()
    type_text(qtbot, dialog.reason, "Appeal pending")
    with qtbot.waitSignal(dialog.sig_changed, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert "WB-2026-00001 is under a legal hold" in dialog.status.text()
    with gui_ctx.session_factory() as session:
        assert session.get(Referral, people[0].id).legal_hold


def test_an_action_opens_its_dialog_and_reports_changes(qtbot, gui_ctx, gui_runner, people) -> None:
    from PySide6.QtWidgets import QApplication

    changes: list[int] = []
    menu = QMenu("Data protection")
    qtbot.addWidget(menu)
    add_data_protection_actions(
        SimpleNamespace(ctx=gui_ctx, runner=gui_runner), menu, on_changed=lambda: changes.append(1)
    )
    next(a for a in menu.actions() if a.objectName() == "legalHoldAction").trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "legalHoldDialog" and w.isVisible())
    qtbot.addWidget(dialog)
    type_text(qtbot, dialog.reference, "WB-2026-00002")
    type_text(qtbot, dialog.reason, "Pending appeal")
    with qtbot.waitSignal(dialog.sig_changed, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert changes == [1]
    dialog.close()
