"""File → Import driven as a person would: choose the file, read the check, import.

Only the system file dialogs are replaced (``ask_import_file``, ``ask_template_path``);
the service, the worker thread and the database are real.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui import import_dialog
from diversion_desktop.ui.import_dialog import ImportDialog
from diversion_desktop.ui.table_models import ROW_ROLE
from tests.import_files import appointment, referral, write_import

TIMEOUT = 20000
ROWS = [
    referral(reference="WB-2025-00001", incident_date="2025-06-01", outcome="not_attended", outcome_date="2025-08-01"),
    referral(reference="WB-2026-00101", incident_date="2026-03-08"),
    referral(reference="WB-2026-00102", surname="Jones", forenames="Amy", incident_date="2026-03-08"),
]
APPOINTMENTS = [appointment(reference="WB-2026-00102", appointment_at="2026-03-09 10:00")]


@pytest.fixture
def dialog(qtbot, gui_ctx, gui_runner):
    widget = ImportDialog(gui_ctx, gui_runner)
    qtbot.addWidget(widget)
    with qtbot.waitExposed(widget):
        widget.show()
    return widget


def choose(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(import_dialog, "ask_import_file", lambda _parent: str(path))


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def tick(qtbot, box) -> None:
    """Click a check box where its box is drawn (a wide check box's middle may be empty space)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def shown(dialog: ImportDialog) -> list:
    model = dialog.table.model()
    return [model.index(row, 0).data(ROW_ROLE) for row in range(model.rowCount())]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_choose_check_then_import(qtbot, dialog, gui_ctx, monkeypatch, tmp_path, file_format) -> None:
    choose(monkeypatch, write_import(tmp_path, file_format, ROWS, APPOINTMENTS))
    assert not dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_checked, timeout=TIMEOUT) as checked:
        click(qtbot, dialog.choose_button)
    report = checked.args[0]
    assert report.ok and not report.written and report.dry_run
    assert dialog.file_edit.text().endswith(f"pilot.{file_format}")
    rows = shown(dialog)
    assert [(r.sheet, r.row, r.result) for r in sorted(rows, key=lambda r: (r.sheet, r.row))] == [
        ("appointments", 2, "ready"),
        ("referrals", 2, "ready"),
        ("referrals", 3, "ready"),
        ("referrals", 4, "ready"),
    ]
    barred = next(r for r in rows if r.reference == "WB-2026-00101")
    assert "matched to person" in barred.person and barred.decision == "not eligible"
    assert "Dry run" in dialog.summary.text() and "Nothing was written" in dialog.summary.text()
    assert not dialog.progress.isVisible() and dialog.progress.maximum() > 1  # fed while checking
    assert ReferralService(gui_ctx).queue_counts() == {
        "awaiting_appointment": 0,
        "overdue": 0,
        "awaiting_confirmation": 0,
    }
    with qtbot.waitSignal(dialog.sig_imported, timeout=TIMEOUT) as imported:
        click(qtbot, dialog.import_button)
    assert imported.args[0].written and imported.args[0].referrals == 3
    assert "Imported 3 referral(s)" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()  # done: a second press would import nothing
    assert ReferralService(gui_ctx).find("WB-2026-00102").status == "awaiting_appointment"
    assert PeopleService(gui_ctx).search("Smith")[0].barred


def test_refused_rows_block_the_import_until_skipped(qtbot, dialog, gui_ctx, monkeypatch, tmp_path) -> None:
    rows = [*ROWS, referral(reference="WB-2026-00103", surname="Brown", substance="heroin")]
    choose(monkeypatch, write_import(tmp_path, "xlsx", rows))
    with qtbot.waitSignal(dialog.sig_checked, timeout=TIMEOUT):
        click(qtbot, dialog.choose_button)
    assert not dialog.import_button.isEnabled()
    assert "Refused: 1 row(s)" in dialog.summary.text()
    tick(qtbot, dialog.problems_only)
    [refused] = shown(dialog)
    assert refused.reference == "WB-2026-00103" and "Unknown substance 'heroin'" in refused.details()
    tick(qtbot, dialog.skip_check)
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.sig_imported, timeout=TIMEOUT) as imported:
        click(qtbot, dialog.import_button)
    report = imported.args[0]
    assert report.written and report.referrals == 3
    assert (tmp_path / "pilot.refused.xlsx").is_file() and "pilot.refused.xlsx" in dialog.summary.text()


def test_a_file_with_wrong_columns_is_explained(qtbot, dialog, monkeypatch, tmp_path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("ref,name\nWB-1,Smith\n", encoding="utf-8")
    choose(monkeypatch, path)
    with qtbot.waitSignal(dialog.sig_failed, timeout=TIMEOUT) as failed:
        click(qtbot, dialog.choose_button)
    assert "missing reference" in failed.args[0] and "unknown 'ref', 'name'" in failed.args[0]
    assert failed.args[0] in dialog.summary.text()
    assert shown(dialog) == [] and not dialog.import_button.isEnabled()
    assert dialog.check_button.isEnabled()  # fix the file, then check again


def test_cancelling_the_file_dialog_changes_nothing(qtbot, dialog, monkeypatch) -> None:
    monkeypatch.setattr(import_dialog, "ask_import_file", lambda _parent: "")
    click(qtbot, dialog.choose_button)
    assert dialog.file_edit.text() == "" and not dialog.check_button.isEnabled() and not dialog.busy


def test_nothing_new_on_the_second_import(qtbot, dialog, gui_ctx, monkeypatch, tmp_path) -> None:
    path = write_import(tmp_path, "csv", ROWS)
    from diversion_desktop.services.importer import ImportService

    ImportService(gui_ctx).run(path)
    choose(monkeypatch, path)
    with qtbot.waitSignal(dialog.sig_checked, timeout=TIMEOUT):
        click(qtbot, dialog.choose_button)
    assert {r.result for r in shown(dialog)} == {"already imported"}
    assert not dialog.import_button.isEnabled() and dialog.import_button.toolTip() == "Nothing new to import."


def test_the_dialog_stays_open_while_working(qtbot, dialog, monkeypatch, tmp_path) -> None:
    choose(monkeypatch, write_import(tmp_path, "csv", ROWS))
    with qtbot.waitSignal(dialog.sig_checked, timeout=TIMEOUT):
        click(qtbot, dialog.choose_button)
        assert dialog.busy and not dialog.close_button.isEnabled()
        dialog.reject()
        assert dialog.isVisible()
    dialog.reject()
    assert not dialog.isVisible()


def test_save_the_template(qtbot, dialog, gui_runner, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(import_dialog, "ask_template_path", lambda _parent: str(tmp_path / "template.csv"))
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        click(qtbot, dialog.template_button)
    assert (tmp_path / "template.csv").is_file() and (tmp_path / "template.appointments.csv").is_file()
    assert "Template saved" in dialog.summary.text()


def test_a_long_report_is_shown_a_page_at_a_time(qtbot, dialog, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(import_dialog, "PAGE_ROWS", 2)  # a page of two rows: five rows make three pages
    rows = [*ROWS, referral(reference="WB-2026-00103", surname="Brown", substance="heroin")]
    choose(monkeypatch, write_import(tmp_path, "csv", rows, APPOINTMENTS))
    with qtbot.waitSignal(dialog.sig_checked, timeout=TIMEOUT):
        click(qtbot, dialog.choose_button)
    assert dialog.page_label.text() == "Rows 1–2 of 5" and not dialog.previous_button.isEnabled()
    pages = [[(r.sheet, r.row) for r in shown(dialog)]]
    click(qtbot, dialog.next_button)
    pages.append([(r.sheet, r.row) for r in shown(dialog)])
    click(qtbot, dialog.next_button)
    pages.append([(r.sheet, r.row) for r in shown(dialog)])
    assert dialog.page_label.text() == "Rows 5–5 of 5" and not dialog.next_button.isEnabled()
    assert pages == [[("referrals", 2), ("referrals", 3)], [("referrals", 4), ("referrals", 5)], [("appointments", 2)]]
    click(qtbot, dialog.previous_button)
    assert [(r.sheet, r.row) for r in shown(dialog)] == pages[1]
    tick(qtbot, dialog.problems_only)  # one refused row: one page, no paging
    [refused] = shown(dialog)
    assert refused.row == 5 and not dialog.next_button.isVisible() and not dialog.page_label.isVisible()
