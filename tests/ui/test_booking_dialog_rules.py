"""The booking dialog shows the booking rules (issue 13 §3.14): a time in the past or a double
booking is refused at the field; a time close to another appointment asks first."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import datetime

from PySide6.QtCore import Qt

from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui import dialogs
from diversion_desktop.ui.referral_page import ReferralPage
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    Questions,
    book,
    click,
    column_texts,
    page,
    refer,
    replace_text,
    views_ctx,
    views_runner,
    wait_idle,
)


def open_booking(qtbot, page: ReferralPage, reference: str):
    replace_text(qtbot, page.reference_edit, reference)
    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        qtbot.keyClick(page.reference_edit, Qt.Key.Key_Return)
    click(qtbot, page.book_button)
    assert page.book_dialog is not None
    return page.book_dialog


def submit(qtbot, dialog, runner, when: str) -> None:
    replace_text(qtbot, dialog.when, when)
    click(qtbot, dialog.ok_button)
    wait_idle(qtbot, runner)


def test_past_and_double_bookings_are_refused_at_the_field(qtbot, page, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Twice", forenames="Tess")
    book(views_ctx, saved.id, datetime(2026, 3, 12, 10, 0))
    dialog = open_booking(qtbot, page, saved.reference)
    submit(qtbot, dialog, views_runner, "10/03/2026 11:00")  # now is 12:00 that day
    assert dialog.isVisible()
    assert dialog.fields["scheduled_at"].error.text() == "10/03/2026 11:00 is in the past: book a time from now on."
    submit(qtbot, dialog, views_runner, "12/03/2026 10:00")
    assert (
        "already has an appointment at 12/03/2026 10:00 (at the same time)"
        in dialog.fields["scheduled_at"].error.text()
    )
    submit(qtbot, dialog, views_runner, "12/03/2026 10:01")
    assert "(1 min apart)" in dialog.fields["scheduled_at"].error.text()
    assert len(ReferralService(views_ctx).detail(saved.id).appointments) == 1  # nothing more written


def test_a_booking_close_to_another_is_made_only_when_confirmed(qtbot, page, views_ctx, views_runner, monkeypatch):
    saved = refer(views_ctx, surname="Close", forenames="Cal")
    book(views_ctx, saved.id, datetime(2026, 3, 12, 10, 0))
    dialog = open_booking(qtbot, page, saved.reference)
    no = Questions(False)
    monkeypatch.setattr(dialogs, "ask_confirmation", no)
    submit(qtbot, dialog, views_runner, "12/03/2026 11:00")
    assert no.asked == [
        (
            "Book anyway?",
            "The person has another appointment at 12/03/2026 10:00, only 1 h "
            "before this one.\n\nBook this appointment anyway?",
        )
    ]
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    assert "only 1 h before this one" in dialog.general_error.text()
    assert len(ReferralService(views_ctx).detail(saved.id).appointments) == 1

    yes = Questions(True)
    monkeypatch.setattr(dialogs, "ask_confirmation", yes)
    with qtbot.waitSignal(page.sig_changed, timeout=10000):
        click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    assert len(yes.asked) == 1
    assert column_texts(page.appointments_table, 0) == ["12/03/2026 10:00", "12/03/2026 11:00"]
    assert page.message.text() == "Booked 12/03/2026 11:00 at Cranstoun Newbury Drop-in."
