"""The merge and undo dialogs, driven as a coordinator would: type, pick, read, give a reason, confirm."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.ui import merge_dialog
from diversion_desktop.ui.merge_dialog import MergeDialog, UndoMergeDialog
from tests.conftest import EVERY_ROLE, as_role
from tests.ui.conftest import type_text

TIMEOUT = 20000
SQL_TEXT = "'; DROP TABLE people; --"
INCIDENT = datetime(2026, 3, 9, 21, 30)


@pytest.fixture(autouse=True)
def collect_on_the_gui_thread(qapp) -> Iterator[None]:
    """Dialogs closed at teardown are freed here, on the GUI thread: left to the cyclic
    collector, a widget could be deleted on a later test's worker thread, which Qt forbids."""
    yield
    qapp.processEvents()
    gc.collect()


@pytest.fixture
def records(gui_ctx, make_draft):
    """John Smith (P000001) and "Jon Smyth" (P000002) with the same date of birth; Joan
    Smithson (P000003) born on another day."""
    intake = IntakeService(gui_ctx)
    return (
        intake.save(make_draft(incident_at=INCIDENT)),
        intake.save(make_draft(surname="Smyth", forenames="Jon", incident_at=INCIDENT, consent=False)),
        intake.save(
            make_draft(surname="Smithson", forenames="Joan", date_of_birth=date(1991, 5, 17), incident_at=INCIDENT)
        ),
    )


@pytest.fixture
def confirm(monkeypatch):
    """The confirmation question, answered Confirm; the questions asked are kept."""
    asked: list[str] = []

    def answer(_parent, _title: str, text: str) -> bool:
        asked.append(text)
        return True

    monkeypatch.setattr(merge_dialog, "ask_confirmation", answer)
    return asked


def pick(qtbot, picker, text: str, rows: int = 1) -> None:
    """Type a search and wait for its answer (the first row is then chosen)."""
    picker.search_box.clear()
    type_text(qtbot, picker.search_box, text)
    qtbot.waitUntil(lambda: picker.summary.text().endswith(("found.", f"“{text}”.")), timeout=TIMEOUT)
    assert picker.results.rowCount() == rows


def open_merge(qtbot, gui_ctx, gui_runner) -> MergeDialog:
    dialog = MergeDialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_merge_two_records_as_a_coordinator(qtbot, gui_ctx, gui_runner, records, confirm) -> None:
    first, second, _third = records
    dialog = open_merge(qtbot, gui_ctx, gui_runner)
    assert not dialog.merge_button.isEnabled()
    pick(qtbot, dialog.keep, "P000001")
    assert "SMITH, John (P000001)" in dialog.keep.chosen_label.text()
    assert dialog.keep.history.rowCount() == 1
    pick(qtbot, dialog.other, "Smyth")
    assert "SMYTH, Jon (P000002)" in dialog.other.chosen_label.text()
    assert dialog.other.history.rowCount() == 1 and dialog.merge_button.isEnabled()
    assert not dialog.dates_differ.isVisible()

    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)  # no reason yet
    assert "Give the reason" in dialog.error.text() and confirm == []
    type_text(qtbot, dialog.reason, SQL_TEXT)
    with qtbot.waitSignal(dialog.sig_merged, timeout=TIMEOUT) as merged:
        qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert "Merge SMYTH, Jon (P000002) into SMITH, John (P000001)? 1 referral(s) will move." in confirm[0]
    result = merged.args[0]
    assert result.referrals_moved == (second.reference,)
    assert "P000002 merged into P000001" in dialog.status.text() and not dialog.merge_button.isEnabled()
    kept = PeopleService(gui_ctx).get(first.person_id)
    assert [r.reference for r in kept.referrals] == [first.reference, second.reference]


def test_the_kept_record_is_not_offered_as_the_other(qtbot, gui_ctx, gui_runner, records) -> None:
    dialog = open_merge(qtbot, gui_ctx, gui_runner)
    pick(qtbot, dialog.keep, "P000001")
    pick(qtbot, dialog.other, "P000001", rows=0)
    assert "No one found" in dialog.other.summary.text() and not dialog.merge_button.isEnabled()


def test_different_dates_of_birth_need_the_box_ticked(qtbot, gui_ctx, gui_runner, records, confirm) -> None:
    dialog = open_merge(qtbot, gui_ctx, gui_runner)
    pick(qtbot, dialog.keep, "P000001")
    pick(qtbot, dialog.other, "Smithson")
    assert dialog.dates_differ.isVisible() and "17/05/1990 and 17/05/1991" in dialog.dates_differ.text()
    type_text(qtbot, dialog.reason, "Year typed wrongly at the second referral")
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert "tick the box" in dialog.error.text() and confirm == []
    dialog.dates_differ.click()
    with qtbot.waitSignal(dialog.sig_merged, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert PeopleService(gui_ctx).get(records[0].person_id).date_of_birth == date(1990, 5, 17)


def test_a_very_long_reason_is_refused_with_its_length(qtbot, gui_ctx, gui_runner, records, confirm) -> None:
    dialog = open_merge(qtbot, gui_ctx, gui_runner)
    pick(qtbot, dialog.keep, "P000001")
    pick(qtbot, dialog.other, "Smyth")
    dialog.reason.setPlainText("x" * 100_000)  # pasted
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert "too long (100,000 characters)" in dialog.error.text() and confirm == []


def test_refused_by_the_service_for_a_station_user(qtbot, gui_ctx, gui_runner, records, confirm) -> None:
    dialog = open_merge(qtbot, gui_ctx, gui_runner)
    pick(qtbot, dialog.keep, "P000001")
    pick(qtbot, dialog.other, "Smyth")
    type_text(qtbot, dialog.reason, "same")
    gui_ctx.sign_in_as(as_role(Role.STATION_STAFF, username="pc"))  # e.g. signed in again meanwhile
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    assert "pc may not do this" in dialog.error.text()
    gui_ctx.sign_in_as(EVERY_ROLE)
    assert len(PeopleService(gui_ctx).get(records[0].person_id).referrals) == 1


def test_undo_a_merge(qtbot, gui_ctx, gui_runner, records, confirm) -> None:
    from diversion_desktop.services.merge import MergeService

    first, second, _third = records
    MergeService(gui_ctx).merge(first.person_id, second.person_id, "same person")
    dialog = UndoMergeDialog(gui_ctx, gui_runner)
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(qtbot, dialog.reference, "P-2")  # the merged record finds its merges too
    with qtbot.waitSignal(gui_runner.sig_finished, timeout=TIMEOUT):
        qtbot.keyClick(dialog.reference, Qt.Key.Key_Return)
    assert dialog.merges.rowCount() == 1 and dialog.undo_button.isEnabled()
    assert "can be undone" in dialog.merges.data(dialog.merges.index(0, 7))
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert "Give the reason" in dialog.error.text()
    type_text(qtbot, dialog.reason, "Two different people")
    with qtbot.waitSignal(dialog.sig_undone, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert "Undo merge 1?" in confirm[0]
    qtbot.waitUntil(lambda: "not possible" in (dialog.merges.data(dialog.merges.index(0, 7)) or ""), timeout=TIMEOUT)
    assert not dialog.undo_button.isEnabled()
    assert [r.reference for r in PeopleService(gui_ctx).get(second.person_id).referrals] == [second.reference]
