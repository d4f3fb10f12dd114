"""The referral page's corrections (issue 13 §4), typed and clicked as a person would: "Correct
attendance…" only for those who may, "Withdraw confirmation…" for a coordinator, and withdrawn
documents listed as withdrawn, never removed."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import datetime, time, timedelta

import pytest

from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService
from tests.conftest import EVERY_ROLE
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    ALEX,
    CORA,
    FIXED_NOW,
    SAM,
    STATION,
    TODAY,
    book,
    cell,
    click,
    click_row,
    column_texts,
    missed_twice,
    open_by_reference,
    page,
    record,
    refer,
    views_ctx,
    views_runner,
    wait_idle,
)

ATTENDANCE = 4  # the appointments table's column


def missed_this_morning(ctx, surname: str = "Slip"):
    """A referral whose appointment this morning Sam recorded as not attended."""
    saved = refer(ctx, surname=surname, taken=FIXED_NOW - timedelta(days=2))
    ctx.sign_in_as(SAM)
    when = FIXED_NOW.replace(hour=9)
    appointment = book(ctx, saved.id, when, booked_at=when - timedelta(days=1))
    record(ctx, appointment, Attendance.NOT_ATTENDED, when + timedelta(hours=1))
    return saved


def test_the_worker_who_recorded_it_corrects_it_the_same_day(qtbot, page, views_ctx, views_runner) -> None:
    saved = missed_this_morning(views_ctx)
    open_by_reference(qtbot, page, saved.reference)
    assert page.correct_button.isVisible() and not page.correct_button.isEnabled()  # nothing chosen yet
    click_row(qtbot, page.appointments_table, 0)
    assert page.correct_button.isEnabled()
    assert not page.withdraw_button.isVisible()
    click(qtbot, page.correct_button)
    dialog = page.correction_dialog
    assert dialog is not None and dialog.isVisible()
    assert "recorded as not attended" in dialog.intro.text()
    assert [dialog.attendance.itemText(i) for i in range(dialog.attendance.count())] == [
        "Attended",
        "Cancelled by provider",
    ]

    click(qtbot, dialog.ok_button)  # no reason given
    assert dialog.isVisible()
    assert dialog.fields["reason"].error.text() == "Give the reason for the correction."

    qtbot.keyClicks(dialog.reason, "Ticked the wrong line on the sheet")
    with qtbot.waitSignal(page.sig_changed, timeout=10000):
        click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    qtbot.waitUntil(lambda: page.correction_dialog is None, timeout=10000)
    qtbot.waitUntil(lambda: cell(page.appointments_table, 0, ATTENDANCE) == "Attended", timeout=10000)
    assert "corrected to attended" in page.message.text()
    assert "Corrected" in column_texts(page.timeline_table, 1)
    views_ctx.sign_in_as(EVERY_ROLE)
    assert ReferralService(views_ctx).detail(saved.id).appointments[0].attendance == "attended"


@pytest.mark.parametrize("who", [ALEX, STATION], ids=["another worker", "station staff"])
def test_others_are_not_shown_the_correction(qtbot, page, views_ctx, who) -> None:
    saved = missed_this_morning(views_ctx)
    views_ctx.sign_in_as(who)
    open_by_reference(qtbot, page, saved.reference)
    click_row(qtbot, page.appointments_table, 0)
    assert not page.correct_button.isVisible() and not page.correct_button.isEnabled()
    assert not page.withdraw_button.isVisible()


def test_a_coordinator_withdraws_a_confirmation_then_corrects(qtbot, page, views_ctx, views_runner) -> None:
    saved = missed_twice(views_ctx, surname="Absent")  # recorded by "tester" two and four days ago
    ProgrammeService(views_ctx).confirm_next_step(saved.id)
    notice, _pdf = DocumentService(views_ctx).issue(saved.id, "future_ineligibility_notice")
    views_ctx.sign_in_as(CORA)
    open_by_reference(qtbot, page, saved.reference)
    assert not page.correct_button.isVisible()  # confirmed: withdraw first
    assert page.withdraw_button.isVisible() and page.withdraw_button.isEnabled()

    click(qtbot, page.withdraw_button)
    dialog = page.correction_dialog
    assert dialog is not None and "marked withdrawn (never deleted)" in dialog.intro.text()
    click(qtbot, dialog.ok_button)
    assert dialog.fields["reason"].error.text() == "Give the reason for withdrawing the confirmation."
    qtbot.keyClicks(dialog.reason, "The centre's sign-in sheet shows the second session attended")
    with qtbot.waitSignal(page.sig_changed, timeout=10000):
        click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    qtbot.waitUntil(lambda: page.detail is not None and not page.detail.next_step, timeout=10000)
    wait_idle(qtbot, views_runner)
    assert "Proposed next step: Barred from future diversion." in page.next_step_label.text()
    assert notice.document_reference in page.message.text()
    assert not page.withdraw_button.isVisible()
    listed = column_texts(page.documents.issued_table, 1)
    assert listed == [f"Future ineligibility notice\n{notice.document_reference} — WITHDRAWN"]

    # Now the coordinator may correct the second (later) appointment, days after it was recorded.
    assert page.correct_button.isVisible()
    click_row(qtbot, page.appointments_table, 1)
    click(qtbot, page.correct_button)
    dialog = page.correction_dialog
    qtbot.keyClicks(dialog.reason, "Sign-in sheet")
    with qtbot.waitSignal(page.sig_changed, timeout=10000):
        click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    qtbot.waitUntil(lambda: page.detail is not None and page.detail.status == "awaiting_appointment", timeout=10000)
    assert column_texts(page.appointments_table, ATTENDANCE) == ["Not attended", "Attended"]
    assert "None proposed" in page.next_step_label.text()


def test_a_day_later_the_worker_is_not_shown_the_correction(qtbot, page, views_ctx) -> None:
    saved = refer(views_ctx, surname="Yesterday", taken=FIXED_NOW - timedelta(days=3))
    views_ctx.sign_in_as(SAM)
    when = datetime.combine(TODAY - timedelta(days=1), time(10))
    appointment = book(views_ctx, saved.id, when, booked_at=when - timedelta(days=1))
    record(views_ctx, appointment, Attendance.NOT_ATTENDED, when + timedelta(hours=1))
    open_by_reference(qtbot, page, saved.reference)
    click_row(qtbot, page.appointments_table, 0)
    assert not page.correct_button.isVisible()
