"""Exporting what a list shows: the export dialog driven as a person would (only the Save-as
dialog is replaced)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from diversion_desktop.services.exporter import ExportQuery
from diversion_desktop.services.importer import ImportService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.spreadsheets.encrypted import read_entries
from diversion_desktop.ui import export_action
from tests.import_files import referral, write_import
from tests.ui.conftest import type_text

TIMEOUT = 20000


@pytest.fixture
def queue_ids(gui_ctx, tmp_path) -> tuple[int, ...]:
    rows = [
        referral(reference=f"WB-2026-0010{n}", surname=name, incident_date="2026-03-08")
        for n, name in enumerate(("Smith", "Jones", "Brown"), start=1)
    ]
    assert ImportService(gui_ctx).run(write_import(tmp_path, "csv", rows, name="seed")).written
    queue = ReferralService(gui_ctx).queue("awaiting_appointment")
    return tuple(r.referral_id for r in queue[:2])


def open_dialog(qtbot, gui_ctx, gui_runner, ids):
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):  # the row count
        dialog = export_action.export_rows(
            None, gui_ctx, gui_runner, "referrals", ids, "Queue: awaiting first appointment", "awaiting"
        )
        qtbot.addWidget(dialog)
    return dialog


def test_export_the_rows_shown_encrypted(qtbot, gui_ctx, gui_runner, queue_ids, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(export_action, "ask_export_path", lambda _p, name, fmt: str(tmp_path / f"{name}.{fmt}"))
    dialog = open_dialog(qtbot, gui_ctx, gui_runner, queue_ids)
    assert "2 row(s)" in dialog.intro.text() and dialog.protect.isChecked()
    type_text(qtbot, dialog.password, "long password")
    type_text(qtbot, dialog.confirm, "long pasword")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "not the same" in dialog.error.text() and not dialog.busy
    dialog.confirm.clear()
    type_text(qtbot, dialog.confirm, "long password")
    with qtbot.waitSignal(dialog.sig_exported, timeout=TIMEOUT) as exported:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    result = exported.args[0]
    assert result.files == (tmp_path / "awaiting.xlsx.zip",) and result.encrypted
    files = read_entries(tmp_path / "awaiting.xlsx.zip", "long password")
    assert list(files) == ["awaiting.xlsx"]
    assert "7-Zip" in dialog.status.text() and not dialog.export_button.isEnabled()


def test_export_without_a_password_as_csv(qtbot, gui_ctx, gui_runner, queue_ids, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(export_action, "ask_export_path", lambda _p, name, fmt: str(tmp_path / f"{name}.{fmt}"))
    dialog = open_dialog(qtbot, gui_ctx, gui_runner, queue_ids)
    qtbot.mouseClick(dialog.protect, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.protect.height() // 2))
    assert not dialog.password.isEnabled()
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    with qtbot.waitSignal(dialog.sig_exported, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    lines = (tmp_path / "awaiting.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3 and [line.split(",")[0] for line in lines[1:]] == ["WB-2026-00101", "WB-2026-00102"]


def test_a_list_with_filters_and_a_cancelled_save(qtbot, gui_ctx, gui_runner, queue_ids, monkeypatch, tmp_path) -> None:
    saved: list[str] = []
    monkeypatch.setattr(export_action, "ask_export_path", lambda _p, name, fmt: saved.append(name) or "")
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        dialog = export_action.export_list(
            None, gui_ctx, gui_runner, ExportQuery(kind="people", area="west-berkshire"), "people in West Berkshire"
        )
        qtbot.addWidget(dialog)
    assert dialog.intro.text() == "Export people in West Berkshire: 3 row(s)."
    qtbot.mouseClick(dialog.protect, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.protect.height() // 2))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert saved == ["people-2026-03-10"] and dialog.isVisible() and not dialog.busy
    assert not list(Path(tmp_path).glob("people*"))
