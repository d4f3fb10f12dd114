"""Nobody is told to do what they may not do, and a withheld field is not "not recorded"
(issue 13 §3.5 and §3.10): each screen driven as the role that found the fault."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from PySide6.QtCore import Qt

from diversion_desktop.domain.eligibility import SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.ui.appointments_view import AppointmentsView
from diversion_desktop.ui.intake_form import IntakeForm
from diversion_desktop.ui.queues_view import QueuesView
from diversion_desktop.ui.search_panel import SearchPanel
from tests.conftest import as_role
from tests.ui.conftest import type_text
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    FIXED_NOW,
    TODAY,
    book,
    click,
    click_row,
    find_row,
    open_by_reference,
    refer,
    show_referral_page,
    views_ctx,
    views_runner,
    views_settings,
    wait_idle,
)
from tests.ui.test_intake_flow import fill_adult, type_into

CRANSTOUN_WORKER = as_role(Role.SUPPORT_WORKER, organisation="Cranstoun", username="sw")
COORDINATOR = as_role(Role.COORDINATOR, username="coord")
STATION = as_role(Role.STATION_STAFF, username="pc")
PERSON = 2  # the appointments table's person column


def appointments_view(qtbot, ctx, runner, settings) -> AppointmentsView:
    settings.last_centre = "newbury"
    view = AppointmentsView(ctx, runner, settings)
    qtbot.addWidget(view)
    view.resize(1100, 600)
    with qtbot.waitActive(view):
        view.show()
    wait_idle(qtbot, runner)
    return view


# -- §3.5: hints and buttons follow the permissions ------------------------------------------------
def test_a_support_worker_recording_not_attended_is_not_told_to_print_notices(
    qtbot, views_ctx, views_runner, views_settings
):
    saved = refer(views_ctx, surname="Absent", forenames="Ash")
    book(views_ctx, saved.id, FIXED_NOW.replace(hour=9), "newbury", booked_at=FIXED_NOW.replace(hour=7))
    views_ctx.sign_in_as(CRANSTOUN_WORKER)
    view = appointments_view(qtbot, views_ctx, views_runner, views_settings)
    assert view.attended_button.isVisible() and view.letters_button.isVisible()
    assert not view.missed_button.isVisible()  # missed notices are a coordinator's (next-step documents)
    click_row(qtbot, view.table, find_row(view.table, PERSON, "ABSENT, Ash"))
    click(qtbot, view.not_attended_button)
    wait_idle(qtbot, views_runner)
    assert "Recorded: not attended — ABSENT, Ash" in view.status.text()
    assert "notice" not in view.status.text() and "print" not in view.status.text()


def test_a_coordinator_recording_nothing_sees_no_attendance_buttons(qtbot, views_ctx, views_runner, views_settings):
    views_ctx.sign_in_as(COORDINATOR)
    view = appointments_view(qtbot, views_ctx, views_runner, views_settings)
    for button in (
        view.attended_button,
        view.not_attended_button,
        view.cancelled_button,
        view.rebook_button,
        view.record_caption,
        view.letters_button,
    ):
        assert not button.isVisible()
    assert view.missed_button.isVisible() and view.open_button.isVisible()


def test_a_support_worker_on_an_overdue_referral_is_not_told_to_confirm(qtbot, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Late", taken=FIXED_NOW - timedelta(days=60))  # deadline: 56 days
    views_ctx.sign_in_as(CRANSTOUN_WORKER)
    page = show_referral_page(qtbot, views_ctx, views_runner)
    open_by_reference(qtbot, page, saved.reference)
    assert not page.confirm_button.isVisible()
    assert "Confirm the next step" not in page.booking_note.text()
    assert page.booking_note.text() == (
        "The deadline has passed: no appointment can be booked. A coordinator confirms the next step."
    )
    assert page.book_button.isVisible() and not page.book_button.isEnabled()


def test_station_staff_are_offered_no_booking(qtbot, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Station")
    views_ctx.sign_in_as(STATION)
    page = show_referral_page(qtbot, views_ctx, views_runner)
    open_by_reference(qtbot, page, saved.reference)
    assert not page.book_button.isVisible() and not page.can_book()
    assert not page.booking_note.text().startswith("Book")
    assert not page.confirm_button.isVisible()


def test_the_queue_says_what_is_missing_without_asking_a_coordinator_to_record_it(qtbot, views_ctx, views_runner):
    taken = FIXED_NOW - timedelta(days=60)
    saved = refer(views_ctx, surname="Booked", taken=taken)
    book(views_ctx, saved.id, datetime.combine(TODAY - timedelta(days=5), time(10)), booked_at=taken)
    views_ctx.sign_in_as(COORDINATOR)
    view = QueuesView(views_ctx, views_runner)
    qtbot.addWidget(view)
    wait_idle(qtbot, views_runner)
    rows = view.models["overdue"].rows
    assert [r.reference for r in rows] == [saved.reference]
    assert rows[0].note.endswith("the booked appointment's attendance is not yet recorded.")
    assert "record the" not in rows[0].note


def test_a_support_worker_finding_a_person_is_not_offered_a_new_referral(qtbot, views_ctx, views_runner):
    refer(views_ctx, surname="Findable")
    views_ctx.sign_in_as(CRANSTOUN_WORKER)
    panel = SearchPanel(views_ctx, views_runner)
    qtbot.addWidget(panel)
    panel.show()
    type_text(qtbot, panel.search_box, "findable")
    qtbot.waitUntil(lambda: panel.people_model.rowCount() == 1, timeout=5000)
    assert not panel.new_referral_button.isVisible()
    with qtbot.assertNotEmitted(panel.sig_new_referral_for):
        index = panel.people_view.model().index(0, 0)
        qtbot.mouseDClick(
            panel.people_view.viewport(), Qt.MouseButton.LeftButton, pos=panel.people_view.visualRect(index).center()
        )


def test_station_staff_are_not_offered_the_supervisor_override(qtbot, views_ctx, views_runner, views_settings):
    views_ctx.sign_in_as(STATION)
    form = IntakeForm(views_ctx, views_runner, views_settings)
    qtbot.addWidget(form)
    form.resize(1200, 900)
    form.show()
    fill_adult(qtbot, form, quantity="25")  # over the small-quantity limit
    assert form.decision_label.text() == "Not eligible for diversion"
    assert not form.override_box.isVisible()
    views_ctx.sign_in_as(COORDINATOR)  # a supervisor at the same form
    type_into(qtbot, form, "Place", " (corner)")
    assert form.override_box.isVisible()


# -- §3.10: withheld is not missing -----------------------------------------------------------------
def test_a_support_worker_is_told_police_fields_are_withheld_not_missing(qtbot, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Withheld")  # crime reference and officer recorded
    views_ctx.sign_in_as(CRANSTOUN_WORKER)
    page = show_referral_page(qtbot, views_ctx, views_runner)
    open_by_reference(qtbot, page, saved.reference)
    assert page._values["crime_reference"].text() == "Not shown to your role"
    assert page._values["officer"].text() == "Not shown to your role"
    assert "43000001/26" not in page._values["crime_reference"].text()


def test_police_see_a_missing_crime_reference_as_not_recorded(qtbot, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Recorded")
    draft = IntakeDraft(
        scheme_code="west-berkshire",
        surname="Unrecorded",
        forenames="Uma",
        date_of_birth=date(1990, 5, 1),
        incident_at=FIXED_NOW - timedelta(hours=3),
        substances=[SubstanceFind("cannabis", Decimal("2"), "g")],
        consent=True,
    )
    blank = IntakeService(views_ctx).save(draft)
    views_ctx.sign_in_as(STATION)
    page = show_referral_page(qtbot, views_ctx, views_runner)
    open_by_reference(qtbot, page, blank.reference)
    assert page._values["crime_reference"].text() == "Not recorded"
    open_by_reference(qtbot, page, saved.reference)
    assert page._values["crime_reference"].text() == "43000001/26"
    assert page._values["officer"].text() == "PC Test (1234)"
    assert page._values["station"].text() == "Newbury"
