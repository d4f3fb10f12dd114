"""The support worker's appointments view, driven with the mouse and keyboard."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt

from diversion_desktop.domain.permissions import Principal, Role
from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui.appointments_view import AppointmentsView
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    FIXED_NOW,
    TODAY,
    book,
    cell,
    click,
    click_row,
    column_texts,
    find_row,
    open_message_boxes,
    record,
    refer,
    replace_text,
    views_ctx,
    views_runner,
    views_settings,
    wait_idle,
)

TIME, REFERENCE, PERSON, SESSION, WORKER, ATTENDANCE = range(6)


@pytest.fixture
def day_data(views_ctx):
    """Two appointments today at Newbury, one tomorrow, one today at Thatcham."""
    early = refer(views_ctx, surname="Early", forenames="Erin")
    late = refer(views_ctx, surname="Late", forenames="Lee")
    tomorrow = refer(views_ctx, surname="Tomorrow", forenames="Tam")
    elsewhere = refer(views_ctx, surname="Elsewhere", forenames="Eli")
    ids = {
        "early": book(
            views_ctx, early.id, FIXED_NOW.replace(hour=9, minute=30), "newbury", booked_at=FIXED_NOW.replace(hour=6)
        ),
        "late": book(views_ctx, late.id, FIXED_NOW.replace(hour=14), "newbury"),
        "tomorrow": book(views_ctx, tomorrow.id, datetime.combine(TODAY + timedelta(days=1), time(10)), "newbury"),
        "elsewhere": book(views_ctx, elsewhere.id, FIXED_NOW.replace(hour=15), "thatcham"),
    }
    return {"early": early, "late": late, "tomorrow": tomorrow, "elsewhere": elsewhere, "appointments": ids}


@pytest.fixture
def view(qtbot, views_ctx, views_runner, views_settings, day_data):
    views_settings.last_centre = "newbury"
    widget = AppointmentsView(views_ctx, views_runner, views_settings)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    with qtbot.waitActive(widget):
        widget.show()
    wait_idle(qtbot, views_runner)
    return widget


def test_lists_the_days_appointments_of_the_chosen_centre(qtbot, view, views_runner, views_settings):
    assert view.centre.currentText() == "West Berkshire — Cranstoun Newbury Drop-in"
    assert view.day.text() == "10/03/2026"
    assert column_texts(view.table, TIME) == ["09:30", "14:00"]
    assert column_texts(view.table, PERSON) == ["EARLY, Erin", "LATE, Lee"]
    assert column_texts(view.table, SESSION) == ["Assessment", "Assessment"]
    assert column_texts(view.table, ATTENDANCE) == ["Not yet recorded", "Not yet recorded"]
    assert "Tuesday 10 March 2026" in view.heading.text()
    assert "2 appointment(s); 2 still to record." in view.status.text()

    # The next centre in the list, chosen with the keyboard; the choice is remembered.
    view.centre.setFocus()
    qtbot.keyClick(view.centre, Qt.Key.Key_Down)
    wait_idle(qtbot, views_runner)
    assert view.centre_code() == "thatcham"
    assert views_settings.last_centre == "thatcham"
    assert column_texts(view.table, PERSON) == ["ELSEWHERE, Eli"]


def test_the_chosen_centre_is_remembered_for_next_time(
    qtbot,
    views_ctx,
    views_runner,
    views_settings,
    day_data,
) -> None:
    views_settings.last_centre = "thatcham"
    widget = AppointmentsView(views_ctx, views_runner, views_settings)
    qtbot.addWidget(widget)
    wait_idle(qtbot, views_runner)
    assert widget.centre_code() == "thatcham"
    assert column_texts(widget.table, PERSON) == ["ELSEWHERE, Eli"]


def test_every_centre_of_every_scheme_is_offered(view):
    items = [(view.centre.itemText(i), view.centre.itemData(i)) for i in range(view.centre.count())]
    assert ("West Berkshire — Newbury Youth Hub", "newbury-youth") in items
    assert ("Windsor and Maidenhead — Cranstoun Windsor Drop-in", "windsor") in items
    assert view.centre.accessibleName() == "Centre"
    assert view.day.accessibleName() == "Day"


def test_day_buttons_and_typed_day(qtbot, view, views_runner):
    click(qtbot, view.next_button)
    wait_idle(qtbot, views_runner)
    assert view.day.text() == "11/03/2026"
    assert column_texts(view.table, PERSON) == ["TOMORROW, Tam"]

    click(qtbot, view.previous_button)
    click(qtbot, view.previous_button)
    wait_idle(qtbot, views_runner)
    assert view.day.text() == "09/03/2026"
    assert view.model.rowCount() == 0
    assert view.status.text() == "No appointments at this centre on this day."

    click(qtbot, view.today_button)
    wait_idle(qtbot, views_runner)
    assert view.day.text() == "10/03/2026"
    assert view.model.rowCount() == 2

    replace_text(qtbot, view.day, "11/03/2026")
    qtbot.keyClick(view.day, Qt.Key.Key_Return)
    wait_idle(qtbot, views_runner)
    assert column_texts(view.table, PERSON) == ["TOMORROW, Tam"]

    replace_text(qtbot, view.day, "31/02/2026")
    qtbot.keyClick(view.day, Qt.Key.Key_Return)
    wait_idle(qtbot, views_runner)
    assert view.day_field.error.isVisible()
    assert "real date" in view.day_field.error.text()
    assert view.model.rowCount() == 0  # never the list of another day under a wrong date


def test_attended_is_recorded_for_the_selected_appointment(qtbot, view, views_runner, day_data):
    row = find_row(view.table, PERSON, "LATE, Lee")
    click_row(qtbot, view.table, row)
    assert view.attended_button.isEnabled()
    with qtbot.waitSignal(view.sig_changed, timeout=10000) as changed:
        click(qtbot, view.attended_button)
    assert changed.args == [day_data["late"].id]
    wait_idle(qtbot, views_runner)
    row = find_row(view.table, PERSON, "LATE, Lee")
    assert cell(view.table, row, ATTENDANCE) == "Attended"
    assert view.selected().referral_id == day_data["late"].id  # the same appointment stays selected
    assert "Recorded: attended" in view.status.text()
    for button in (view.attended_button, view.not_attended_button, view.cancelled_button, view.rebook_button):
        assert not button.isEnabled()  # recorded once only
    assert view.table.hasFocus()


def test_not_attended_by_keyboard_alone(qtbot, view, views_ctx, views_runner, day_data):
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    assert view.selected().referral_id == day_data["early"].id
    with qtbot.waitSignal(view.sig_changed, timeout=10000):
        qtbot.keyClick(view, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # "&Not attended"
    wait_idle(qtbot, views_runner)
    assert cell(view.table, 0, ATTENDANCE) == "Not attended"
    detail = ReferralService(views_ctx).detail(day_data["early"].id)
    assert detail.appointments[0].attendance == "not_attended"


def test_rebook_asks_for_reason_and_new_time_at_the_fields(
    qtbot,
    view,
    views_ctx,
    views_runner,
    day_data,
) -> None:
    click_row(qtbot, view.table, find_row(view.table, PERSON, "LATE, Lee"))
    click(qtbot, view.rebook_button)
    dialog = view.rebook_dialog
    assert dialog is not None and dialog.isVisible()
    assert "LATE, Lee" in dialog.intro.text()

    click(qtbot, dialog.ok_button)  # nothing typed
    assert dialog.isVisible()
    assert dialog.fields["rebook_reason"].error.text() == "Give the reason for rebooking."
    assert dialog.fields["new_time"].error.text() == "Choose the new date and time."
    assert dialog.reason.accessibleName() == "Reason for rebooking"
    assert dialog.new_time.accessibleName() == "New date and time"

    qtbot.keyClicks(dialog.reason, "Asked to come another day (work)")
    qtbot.keyClicks(dialog.new_time, "12/03/2026 11:30")
    with qtbot.waitSignal(view.sig_changed, timeout=10000) as changed:
        click(qtbot, dialog.ok_button)
    assert changed.args == [day_data["late"].id]
    wait_idle(qtbot, views_runner)
    qtbot.waitUntil(lambda: view.rebook_dialog is None)
    row = find_row(view.table, PERSON, "LATE, Lee")
    assert cell(view.table, row, ATTENDANCE) == "Rebooked: Asked to come another day (work)"
    assert "Rebooked for 12/03/2026 11:30" in view.status.text()

    click(qtbot, view.next_button)
    click(qtbot, view.next_button)
    wait_idle(qtbot, views_runner)
    assert column_texts(view.table, PERSON) == ["LATE, Lee"]
    assert column_texts(view.table, TIME) == ["11:30"]
    assert column_texts(view.table, ATTENDANCE) == ["Not yet recorded"]


def test_a_second_rebooking_is_refused_with_the_reason_in_the_dialog(
    qtbot,
    view,
    views_ctx,
    views_runner,
    day_data,
) -> None:
    # West Berkshire allows one rebooking: use it up with a missed appointment first.
    missed = refer(views_ctx, surname="Again", forenames="Ash", taken=FIXED_NOW - timedelta(days=3))
    first = book(views_ctx, missed.id, datetime.combine(TODAY - timedelta(days=2), time(10)), "newbury")
    record(views_ctx, first, Attendance.NOT_ATTENDED, datetime.combine(TODAY - timedelta(days=2), time(11)))
    book(views_ctx, missed.id, FIXED_NOW.replace(hour=16), "newbury")
    view.refresh()
    wait_idle(qtbot, views_runner)
    click_row(qtbot, view.table, find_row(view.table, PERSON, "AGAIN, Ash"))
    click(qtbot, view.rebook_button)
    dialog = view.rebook_dialog
    qtbot.keyClicks(dialog.reason, "Unwell")
    qtbot.keyClicks(dialog.new_time, "13/03/2026 10:00")
    click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    assert dialog.isVisible()
    assert "No rebookings left" in dialog.general_error.text()
    assert dialog.ok_button.isEnabled()
    click(qtbot, dialog.cancel_button)
    qtbot.waitUntil(lambda: view.rebook_dialog is None)


def test_future_appointment_can_only_be_cancelled_or_rebooked(qtbot, view, views_runner, day_data):
    click(qtbot, view.next_button)
    wait_idle(qtbot, views_runner)
    click_row(qtbot, view.table, 0)
    assert not view.attended_button.isEnabled()
    assert not view.not_attended_button.isEnabled()
    assert "in the future" in view.attended_button.toolTip()
    assert view.cancelled_button.isEnabled()
    assert view.rebook_button.isEnabled()
    with qtbot.waitSignal(view.sig_changed, timeout=10000) as changed:
        click(qtbot, view.cancelled_button)
    assert changed.args == [day_data["tomorrow"].id]
    wait_idle(qtbot, views_runner)
    assert cell(view.table, 0, ATTENDANCE) == "Cancelled by provider"


def test_a_conflict_is_shown_in_a_message(qtbot, view, views_ctx, views_runner, day_data):
    # Someone else records the appointment after this list was loaded.
    record(views_ctx, day_data["appointments"]["early"], Attendance.ATTENDED, FIXED_NOW)
    click_row(qtbot, view.table, find_row(view.table, PERSON, "EARLY, Erin"))
    click(qtbot, view.not_attended_button)
    qtbot.waitUntil(lambda: bool(open_message_boxes(view)))
    box = open_message_boxes(view)[0]
    # The list was read before: the save is refused as made on a stale copy, naming who changed it.
    assert "was changed by tester at" in box.text() and "(attendance recorded)" in box.text()
    wait_idle(qtbot, views_runner)
    assert view.status.text().startswith("Not recorded: The appointment of")
    box.close()
    assert cell(view.table, find_row(view.table, PERSON, "EARLY, Erin"), ATTENDANCE) == "Attended"


def test_double_click_enter_and_button_open_the_referral(qtbot, view, day_data):
    row = find_row(view.table, PERSON, "LATE, Lee")
    with qtbot.waitSignal(view.sig_open_referral) as opened:
        click_row(qtbot, view.table, row, double=True)
    assert opened.args == [day_data["late"].id]

    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(view.sig_open_referral) as opened:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert opened.args == [day_data["early"].id]

    with qtbot.waitSignal(view.sig_open_referral) as opened:
        click(qtbot, view.open_button)
    assert opened.args == [day_data["early"].id]


def test_export_the_days_list(qtbot, view, views_ctx, day_data, monkeypatch, tmp_path) -> None:
    import csv

    from PySide6.QtCore import QPoint

    from diversion_desktop.ui import export_action

    monkeypatch.setattr(export_action, "ask_export_path", lambda _p, name, fmt: str(tmp_path / f"{name}.{fmt}"))
    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    dialog = view.export_dialog
    qtbot.waitUntil(lambda: "2 row(s)" in dialog.intro.text(), timeout=10000)  # Early and Late, not the others
    qtbot.mouseClick(dialog.protect, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.protect.height() // 2))
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    with qtbot.waitSignal(dialog.sig_exported, timeout=10000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    path = tmp_path / f"appointments-newbury-{FIXED_NOW.date().isoformat()}.csv"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 and {r["centre"] for r in rows} <= {"newbury", "Cranstoun Newbury Drop-in"}
    dialog.close()


def test_session_notes_typed_and_kept(qtbot, view, views_ctx, views_runner) -> None:
    from diversion_desktop.services.referrals import ReferralService
    from tests.ui.conftest import type_text

    click_row(qtbot, view.table, find_row(view.table, PERSON, "LATE, Lee"))
    click(qtbot, view.notes_button)
    dialog = view.notes_dialog
    type_text(qtbot, dialog.notes, "Talked about use; Zoë's plan & next steps.")
    with qtbot.waitSignal(dialog.finished, timeout=10000):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, views_runner)
    row = view.selected()
    assert row is not None and "Session notes saved" in view.status.text()
    detail = ReferralService(views_ctx).detail(row.referral_id)
    assert [a.session_notes for a in detail.appointments] == ["Talked about use; Zoë's plan & next steps."]


def test_no_session_notes_for_station_staff(qtbot, views_ctx, views_runner, views_settings, day_data) -> None:
    from diversion_desktop.domain.permissions import Role
    from tests.conftest import as_role

    views_ctx.sign_in_as(as_role(Role.STATION_STAFF, Role.COORDINATOR))
    widget = AppointmentsView(views_ctx, views_runner, views_settings)
    qtbot.addWidget(widget)
    assert not widget.notes_button.isVisibleTo(widget)
    wait_idle(qtbot, views_runner)


def _centre_choices(qtbot, views_ctx, views_runner, views_settings) -> list[str]:
    """The Centre list as the signed-in user sees it, stepping through it with the keyboard."""
    widget = AppointmentsView(views_ctx, views_runner, views_settings)
    qtbot.addWidget(widget)
    with qtbot.waitActive(widget):
        widget.show()
    wait_idle(qtbot, views_runner)
    widget.centre.setFocus()
    qtbot.keyClick(widget.centre, Qt.Key.Key_Home)
    seen = [widget.centre.currentText()]
    for _ in range(widget.centre.count() + 1):
        qtbot.keyClick(widget.centre, Qt.Key.Key_Down)
        if widget.centre.currentText() != seen[-1]:
            seen.append(widget.centre.currentText())
    wait_idle(qtbot, views_runner)
    return seen


def test_a_support_worker_chooses_only_among_their_organisations_centres(
    qtbot, views_ctx, views_runner, views_settings
):
    views_ctx.sign_in_as(Principal("worker", frozenset({Role.SUPPORT_WORKER}), "Cranstoun"))
    assert _centre_choices(qtbot, views_ctx, views_runner, views_settings) == [
        "West Berkshire — Cranstoun Newbury Drop-in",
        "West Berkshire — Cranstoun Thatcham Drop-in",
        "Windsor and Maidenhead — Cranstoun Maidenhead Drop-in",
        "Windsor and Maidenhead — Cranstoun Windsor Drop-in",
    ]


def test_a_coordinator_chooses_among_every_centre(qtbot, views_ctx, views_runner, views_settings):
    views_ctx.sign_in_as(Principal("coordinator", frozenset({Role.COORDINATOR})))
    choices = _centre_choices(qtbot, views_ctx, views_runner, views_settings)
    assert "West Berkshire — Newbury Youth Hub" in choices and len(choices) == 5
