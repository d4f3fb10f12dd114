"""Correcting a mistaken attendance from the day's appointments, as a support worker would: record
"not attended" on the wrong row, then "Correct attendance…" there, without opening the referral."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from diversion_desktop.domain.permissions import Principal
from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.corrections import CorrectionService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui.appointments_view import AppointmentsView
from diversion_desktop.ui.main_window import MainWindow
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    ALEX,
    CORA,
    FIXED_NOW,
    SAM,
    STATION,
    book,
    cell,
    click,
    click_row,
    missed_twice,
    open_message_boxes,
    record,
    refer,
    views_ctx,
    views_runner,
    views_settings,
    wait_idle,
)

ATTENDANCE = 5  # the day's table's column


def booked_this_morning(ctx, surname: str = "Slip") -> tuple[int, int]:
    """A referral with an appointment at Newbury at 09:00 today, nothing recorded: (referral, appointment)."""
    saved = refer(ctx, surname=surname, taken=FIXED_NOW - timedelta(days=2))
    when = FIXED_NOW.replace(hour=9)
    return saved.id, book(ctx, saved.id, when, "newbury", booked_at=when - timedelta(days=1))


def show_view(qtbot, ctx, runner, settings, principal: Principal) -> AppointmentsView:
    ctx.sign_in_as(principal)
    settings.last_centre = "newbury"
    view = AppointmentsView(ctx, runner, settings)
    qtbot.addWidget(view)
    view.resize(1280, 600)
    with qtbot.waitActive(view):
        view.show()
    wait_idle(qtbot, runner)
    return view


def test_a_worker_corrects_a_not_attended_clicked_by_mistake(qtbot, views_ctx, views_runner, views_settings) -> None:
    referral_id, _appointment = booked_this_morning(views_ctx)
    view = show_view(qtbot, views_ctx, views_runner, views_settings, SAM)
    click_row(qtbot, view.table, 0)
    assert view.correct_button.isVisible()
    assert not view.correct_button.isEnabled()  # nothing recorded yet: record it instead
    assert "No attendance is recorded" in view.correct_button.toolTip()

    with qtbot.waitSignal(view.sig_changed, timeout=10000):
        click(qtbot, view.not_attended_button)  # the wrong row's button, say
    wait_idle(qtbot, views_runner)
    assert cell(view.table, 0, ATTENDANCE) == "Not attended"
    missed = ReferralService(views_ctx).detail(referral_id)
    assert (missed.sessions_attended, missed.rebookings_left) == (0, 0)  # West Berkshire allows one miss
    assert view.correct_button.isEnabled() and not view.attended_button.isEnabled()

    click(qtbot, view.correct_button)
    dialog = view.correction_dialog
    assert dialog is not None and dialog.isVisible()
    assert "SLIP" in dialog.intro.text() and "recorded as not attended" in dialog.intro.text()
    qtbot.keyClick(dialog.attendance, Qt.Key.Key_Home)
    assert dialog.attendance.currentText() == "Attended"
    click(qtbot, dialog.ok_button)  # no reason given: the dialog says so at the field
    assert dialog.isVisible()
    assert dialog.fields["reason"].error.text() == "Give the reason for the correction."

    qtbot.keyClicks(dialog.reason, "Clicked the row below by mistake")
    with qtbot.waitSignal(view.sig_changed, timeout=10000) as changed:
        click(qtbot, dialog.ok_button)
    assert changed.args == [referral_id]
    wait_idle(qtbot, views_runner)
    qtbot.waitUntil(lambda: view.correction_dialog is None, timeout=10000)
    assert cell(view.table, 0, ATTENDANCE) == "Attended"
    assert view.selected() is not None and view.selected().referral_id == referral_id
    assert "Corrected to attended — SLIP" in view.status.text()
    assert view.focusWidget() is view.table  # back on the list (the window is active again on a desktop)

    corrected = ReferralService(views_ctx).detail(referral_id)
    assert [a.attendance for a in corrected.appointments] == [Attendance.ATTENDED]
    assert corrected.appointments[0].recorded_by == "sam"
    # The miss is gone: the rebooking it used is given back and the session counts.
    assert (corrected.sessions_attended, corrected.rebookings_left) == (1, 1)
    assert corrected.status == missed.status == "awaiting_appointment"  # one more session to book
    assert [(e.kind, e.actor) for e in corrected.timeline if e.kind == "corrected"] == [("corrected", "sam")]
    assert "from not attended to attended (Clicked the row below by mistake)" in corrected.timeline[-1].text


@pytest.mark.parametrize(
    ("who", "visible", "enabled", "why"),
    [
        (SAM, True, True, "Correct the attendance recorded"),
        (ALEX, True, False, "recorded by sam: only they may correct it"),
        (CORA, True, True, "Correct the attendance recorded"),  # a coordinator records nothing, corrects any
        (STATION, False, False, ""),  # not even the day's list to choose from
    ],
    ids=["who recorded it", "another worker", "coordinator", "station staff"],
)
def test_the_correction_is_offered_only_to_who_may_make_it(
    qtbot, views_ctx, views_runner, views_settings, who, visible, enabled, why
) -> None:
    _referral, appointment = booked_this_morning(views_ctx)
    views_ctx.sign_in_as(SAM)
    record(views_ctx, appointment, Attendance.NOT_ATTENDED, FIXED_NOW - timedelta(hours=2))
    view = show_view(qtbot, views_ctx, views_runner, views_settings, who)
    for box in open_message_boxes(view):  # (station staff may not see the day at all)
        box.close()
    if view.model.rowCount():
        click_row(qtbot, view.table, 0)
    assert view.correct_button.isVisibleTo(view) is visible
    assert view.correct_button.isEnabled() is enabled
    assert why in view.correct_button.toolTip()


def test_a_confirmed_next_step_is_refused_in_the_dialog(qtbot, views_ctx, views_runner, views_settings) -> None:
    """The day's list does not know the referral's confirmation: the service refuses, the dialog says why."""
    saved = missed_twice(views_ctx, surname="Absent")
    ProgrammeService(views_ctx).confirm_next_step(saved.id)
    view = show_view(qtbot, views_ctx, views_runner, views_settings, CORA)
    click(qtbot, view.previous_button)
    click(qtbot, view.previous_button)
    wait_idle(qtbot, views_runner)
    click_row(qtbot, view.table, 0)
    click(qtbot, view.correct_button)
    dialog = view.correction_dialog
    qtbot.keyClicks(dialog.reason, "Sign-in sheet")
    click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    assert dialog.isVisible()
    assert "must first withdraw the confirmation" in dialog.general_error.text()
    assert "Not corrected" in view.status.text()
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: view.correction_dialog is None)
    assert cell(view.table, 0, ATTENDANCE) == "Not attended"


def test_a_record_changed_meanwhile_offers_a_reload(qtbot, views_ctx, views_runner, views_settings) -> None:
    _referral, appointment = booked_this_morning(views_ctx)
    views_ctx.sign_in_as(SAM)
    record(views_ctx, appointment, Attendance.NOT_ATTENDED, FIXED_NOW - timedelta(hours=2))
    view = show_view(qtbot, views_ctx, views_runner, views_settings, SAM)
    click_row(qtbot, view.table, 0)
    click(qtbot, view.correct_button)
    dialog = view.correction_dialog
    # Meanwhile a coordinator corrects it to cancelled, on another machine.
    views_ctx.sign_in_as(CORA)
    CorrectionService(views_ctx).correct_attendance(appointment, Attendance.CANCELLED, "Centre closed")
    views_ctx.sign_in_as(SAM)
    qtbot.keyClicks(dialog.reason, "Clicked the wrong row")
    click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    offers = [box for box in dialog.findChildren(QMessageBox) if box.objectName() == "staleRecordDialog"]
    assert len(offers) == 1 and offers[0].isVisible()
    click(qtbot, offers[0].button(QMessageBox.StandardButton.Ok))  # "Reload"
    qtbot.waitUntil(lambda: view.correction_dialog is None, timeout=10000)
    wait_idle(qtbot, views_runner)
    assert cell(view.table, 0, ATTENDANCE) == "Cancelled by provider"


def test_alt_e_records_attended_then_corrects_in_the_window(qtbot, gui_ctx, gui_settings) -> None:
    """ "Att&ended" and "Corr&ect attendance…" share Alt+E but are never enabled together, and no tab
    or menu of the window takes it: on a row to record it records, on a recorded row it corrects."""
    booked_this_morning(gui_ctx)
    gui_settings.last_centre = "newbury"
    window = MainWindow(gui_ctx, gui_settings)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
    window.show_appointments()
    view = window.appointments
    wait_idle(qtbot, window.runner)
    click_row(qtbot, view.table, 0)
    with qtbot.waitSignal(view.sig_changed, timeout=10000):
        qtbot.keyClick(view.table, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    wait_idle(qtbot, window.runner)
    assert cell(view.table, 0, ATTENDANCE) == "Attended"

    qtbot.keyClick(view.table, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: view.correction_dialog is not None and view.correction_dialog.isVisible(), timeout=5000)
    assert window.tabs.currentWidget() is view
    dialog = view.correction_dialog
    qtbot.keyClick(dialog.attendance, Qt.Key.Key_Home)
    assert dialog.attendance.currentText() == "Not attended"
    qtbot.keyClicks(dialog.reason, "Pressed twice")
    with qtbot.waitSignal(view.sig_changed, timeout=10000):
        click(qtbot, dialog.ok_button)
    wait_idle(qtbot, window.runner)
    assert cell(view.table, 0, ATTENDANCE) == "Not attended"
