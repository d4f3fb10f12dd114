"""A referral's page: opening by reference, booking, and confirming the next step."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt

from diversion_desktop.domain.eligibility import SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui import dialogs
from diversion_desktop.ui.referral_page import ReferralPage
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    FIXED_NOW,
    TODAY,
    WINDSOR,
    Questions,
    cell,
    click,
    column_texts,
    completed,
    missed_twice,
    open_by_reference,
    page,
    refer,
    replace_text,
    views_ctx,
    views_runner,
    wait_idle,
)


def value(page: ReferralPage, name: str) -> str:
    return page._values[name].text()


def test_nothing_open_at_first(page):
    assert page.title.text() == "No referral open"
    assert not page.body.isVisible()
    assert not page.book_button.isEnabled()
    assert page.reference_edit.accessibleName() == "Referral reference"


def test_open_by_reference_shows_who_what_decision_and_timeline(qtbot, page, views_ctx):
    saved = refer(views_ctx, surname="Brown", forenames="Sam", date_of_birth=date(1990, 5, 1))
    open_by_reference(qtbot, page, saved.reference.lower())  # typed in lower case: still found
    assert page.title.text() == f"{saved.reference} — BROWN, Sam"
    assert value(page, "person_reference") == saved.person_reference
    assert value(page, "date_of_birth") == "01/05/1990"
    assert value(page, "pathway") == "Adult (aged 35 on the incident date)"
    assert value(page, "area") == "West Berkshire"
    assert value(page, "scheme") == "Voluntary attendance"
    assert value(page, "status") == "Awaiting appointment"
    assert value(page, "first_attendance_due") == "31/03/2026 (21 day(s) left)"
    assert value(page, "due_date") == "05/05/2026 (56 day(s) left)"
    assert value(page, "centre") == "Cranstoun Newbury Drop-in (Cranstoun)"
    assert value(page, "substances").endswith(": 2 g")
    assert page.decision_label.text() == "Eligible for diversion"
    assert "• The person agrees to take part." in page.reasons_label.text()
    assert "rule version" in page.rule_label.text()
    assert not page.override_label.isVisible()
    assert column_texts(page.timeline_table, 1) == ["Decision"]
    assert cell(page.timeline_table, 0, 3) == "tester"
    assert page.next_step_label.text() == "None proposed: the programme is under way."
    assert page.book_button.isEnabled()
    assert not page.confirm_button.isEnabled()


def test_youth_referral_shows_the_youth_pathway_and_guardian(qtbot, page, views_ctx):
    saved = refer(views_ctx, surname="Young", forenames="Kit", date_of_birth=date(2010, 3, 11))
    open_by_reference(qtbot, page, saved.reference)
    assert value(page, "pathway") == "Youth (aged 15 on the incident date)"
    assert value(page, "guardian") == "Pat Guardian — Parent"
    assert value(page, "centre") == "Newbury Youth Hub (West Berkshire Youth Service)"


def test_a_blank_officer_is_not_recorded_and_never_shown_as_the_station(qtbot, page, views_ctx):
    saved = IntakeService(views_ctx).save(
        IntakeDraft(
            scheme_code=WINDSOR,
            surname="Young",
            forenames="Kit",
            date_of_birth=date(2010, 3, 11),
            incident_at=FIXED_NOW - timedelta(hours=3),
            officer_name="",
            station="Windsor",
            substances=[SubstanceFind("cannabis", Decimal("2"), "g")],
            consent=True,
            guardian_name="Pat Guardian",
            guardian_relationship="Parent",
            guardian_address="3 Other Road, Windsor SL4 1AA",
        )
    )
    open_by_reference(qtbot, page, saved.reference)
    assert value(page, "officer") == "Not recorded"
    assert value(page, "station") == "Windsor"
    assert value(page, "guardian") == "Pat Guardian — Parent — 3 Other Road, Windsor SL4 1AA"


def test_an_unknown_reference_is_reported_at_the_field(qtbot, page, views_runner):
    replace_text(qtbot, page.reference_edit, "WB-1999-99999")
    click(qtbot, page.open_button)
    wait_idle(qtbot, views_runner)
    assert page.reference_field.error.isVisible()
    assert page.reference_field.error.text() == "No referral WB-1999-99999 that you may see."

    replace_text(qtbot, page.reference_edit, "")
    click(qtbot, page.open_button)
    assert page.reference_field.error.text().startswith("Enter a referral reference")


def test_book_an_appointment_through_the_dialog(qtbot, page, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Book", forenames="Bea")
    open_by_reference(qtbot, page, saved.reference)
    click(qtbot, page.book_button)
    dialog = page.book_dialog
    assert dialog is not None and dialog.isVisible()
    assert "by the deadline, 05/05/2026" in dialog.intro.text()
    assert [dialog.centre.itemData(i) for i in range(dialog.centre.count())] == ["newbury", "thatcham", "newbury-youth"]
    assert dialog.centre.currentData() == "newbury"
    assert dialog.session_type.currentText() == "Assessment"
    assert dialog.when.accessibleName() == "Date and time"

    click(qtbot, dialog.ok_button)  # no date yet
    assert dialog.fields["scheduled_at"].error.text() == "Enter the date and time of the appointment."

    qtbot.keyClicks(dialog.when, "12/03/2026 10:30")
    dialog.centre.setFocus()
    qtbot.keyClick(dialog.centre, Qt.Key.Key_Down)  # Thatcham
    qtbot.keyClicks(dialog.worker, "Jo Worker")
    with qtbot.waitSignal(page.sig_changed, timeout=10000) as changed:
        click(qtbot, dialog.ok_button)
    assert changed.args == [saved.id]
    wait_idle(qtbot, views_runner)
    qtbot.waitUntil(lambda: page.book_dialog is None)
    assert column_texts(page.appointments_table, 0) == ["12/03/2026 10:30"]
    assert column_texts(page.appointments_table, 1) == ["Cranstoun Thatcham Drop-in"]
    assert column_texts(page.appointments_table, 3) == ["Jo Worker"]
    assert column_texts(page.appointments_table, 4) == ["Not yet recorded"]
    assert value(page, "status") == "Booked"
    assert page.message.text() == "Booked 12/03/2026 10:30 at Cranstoun Thatcham Drop-in."
    assert column_texts(page.timeline_table, 1) == ["Decision", "Booked"]


def test_a_booking_after_the_deadline_is_refused_at_the_field(qtbot, page, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Late", forenames="Lou")
    open_by_reference(qtbot, page, saved.reference)
    click(qtbot, page.book_button)
    dialog = page.book_dialog
    qtbot.keyClicks(dialog.when, "31/02/2026 10:00")
    click(qtbot, dialog.ok_button)
    assert "real date and time" in dialog.fields["scheduled_at"].error.text()

    replace_text(qtbot, dialog.when, "06/05/2026 10:00")
    click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    assert dialog.isVisible()
    assert dialog.fields["scheduled_at"].error.text().startswith("The appointment is after the deadline (05/05/2026)")
    assert dialog.when.hasFocus()
    assert ReferralService(views_ctx).detail(saved.id).appointments == ()  # nothing written
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.book_dialog is None)


def test_confirm_next_step_asks_first_and_then_records_who_and_when(
    qtbot,
    page,
    views_ctx,
    monkeypatch,
) -> None:
    saved = missed_twice(views_ctx, WINDSOR, surname="Absent")  # adult, deferred prosecution
    open_by_reference(qtbot, page, saved.reference)
    assert value(page, "status") == "Awaiting confirmation"
    assert "Proposed next step: Report for the original offence (prosecution) and bar." in page.next_step_label.text()
    assert "Nothing happens until a coordinator confirms it." in page.next_step_label.text()
    assert page.confirm_button.isEnabled()
    assert not page.book_button.isEnabled()

    no = Questions(False)
    monkeypatch.setattr(dialogs, "ask_confirmation", no)
    click(qtbot, page.confirm_button)
    assert len(no.asked) == 1
    title, text = no.asked[0]
    assert title == "Confirm next step"
    assert "ABSENT, Alex will be reported for the original offence" in text
    assert "barred from any future diversion" in text
    assert f"{saved.reference} will be closed as not attended." in text
    assert page.message.text() == "Not confirmed: nothing has changed."
    assert ReferralService(views_ctx).detail(saved.id).status == "awaiting_confirmation"

    yes = Questions(True)
    monkeypatch.setattr(dialogs, "ask_confirmation", yes)
    with qtbot.waitSignal(page.sig_changed, timeout=10000) as changed:
        click(qtbot, page.confirm_button)
    assert changed.args == [saved.id]
    qtbot.waitUntil(lambda: "Confirmed next step" in page.next_step_label.text(), timeout=10000)
    shown = page.next_step_label.text()
    assert "Confirmed next step: Report for the original offence (prosecution) and bar." in shown
    assert "Confirmed by tester on 10/03/2026 12:00." in shown
    assert "Marked for the case file" in shown
    assert value(page, "status").startswith("Closed")
    assert "BARRED" in value(page, "person")
    assert not page.confirm_button.isVisible()
    assert not page.book_button.isEnabled()
    assert column_texts(page.timeline_table, 1)[-1] == "Confirmed"


def test_youth_in_deferred_prosecution_is_told_not_prosecuted(qtbot, page, views_ctx, monkeypatch):
    saved = missed_twice(views_ctx, WINDSOR, surname="Youngster", date_of_birth=date(2010, 1, 1))
    open_by_reference(qtbot, page, saved.reference)
    no = Questions(False)
    monkeypatch.setattr(dialogs, "ask_confirmation", no)
    click(qtbot, page.confirm_button)
    text = no.asked[0][1]
    assert "Barred from future diversion" in text
    assert "will not be prosecuted for this offence" in text
    assert "reported for the original offence" not in text


def test_overdue_referral_can_be_confirmed_but_not_booked(qtbot, page, views_ctx):
    saved = refer(views_ctx, surname="Overdue", taken=FIXED_NOW - timedelta(days=70))
    open_by_reference(qtbot, page, saved.reference)
    assert value(page, "due_date").endswith("PASSED")
    assert not page.book_button.isEnabled()
    assert "deadline has passed" in page.booking_note.text()
    assert page.confirm_button.isEnabled()
    assert "Proposed next step: Barred from future diversion." in page.next_step_label.text()


def test_completed_referral_shows_home_office_outcome_22(qtbot, page, views_ctx):
    saved = completed(views_ctx)
    open_by_reference(qtbot, page, saved.reference)
    shown = page.next_step_label.text()
    assert "Programme completed" in shown
    assert "Home Office outcome 22" in shown
    assert value(page, "sessions").startswith("2 of 2 attended")
    assert column_texts(page.appointments_table, 4) == ["Attended", "Attended"]
    assert not page.book_button.isEnabled()
    assert not page.confirm_button.isVisible()


def test_show_referral_by_id(qtbot, page, views_ctx):
    saved = refer(views_ctx, surname="Byid")
    with qtbot.waitSignal(page.sig_loaded, timeout=10000) as loaded:
        page.show_referral(saved.id)
    assert loaded.args == [saved.id]
    assert page.reference_edit.text() == saved.reference
    assert TODAY.strftime("%d/%m/%Y") == value(page, "referral_date")
