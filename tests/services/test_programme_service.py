"""After intake, on a real database: booking, attendance, rebooking, completion, next steps."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from diversion_desktop.domain.eligibility import Offence
from diversion_desktop.domain.programme import Attendance, SessionType, Status
from diversion_desktop.services.errors import ConflictError, NotFound, ValidationError

BARRED_REASON = "An earlier diversion ended in non-attendance: the person is barred from further diversion."


@pytest.fixture
def referral(intake, make_draft):
    """An eligible adult in West Berkshire, referred on 2 March 2026 (due 27 April)."""
    return intake.save(make_draft())


# -- booking ---------------------------------------------------------------------------
def test_book_an_appointment(programme, referrals, referral, at) -> None:
    row = programme.book(referral.id, at(5), session_type=SessionType.HARM_REDUCTION, worker=" Sam Worker ")
    assert row.referral_reference == "WB-2026-00001"
    assert row.person_name == "SMITH, John"
    assert (row.centre_code, row.centre_name) == ("newbury", "Cranstoun Newbury Drop-in")
    assert row.session_type == "harm_reduction" and row.worker == "Sam Worker"
    assert row.attendance is None
    detail = referrals.detail(referral.id)
    assert detail.status == Status.BOOKED.value
    assert [a.id for a in detail.appointments] == [row.id]
    assert detail.timeline[-1].kind == "booked"
    assert "Harm reduction booked for 05/03/2026 10:00 at Cranstoun Newbury Drop-in" in detail.timeline[-1].text


def test_book_at_another_centre_of_the_scheme(programme, referral, at) -> None:
    row = programme.book(referral.id, at(5), centre_code="thatcham")
    assert row.centre_name == "Cranstoun Thatcham Drop-in"


@pytest.mark.parametrize(
    ("when", "centre", "field", "words"),
    [
        (datetime(2026, 3, 5, 10), "maidenhead", "centre_code", "not a centre of the West Berkshire scheme"),
        (datetime(2026, 3, 1, 10), "", "scheduled_at", "before the referral was made"),
        (datetime(2026, 4, 28, 10), "", "scheduled_at", "after the deadline (27/04/2026)"),
    ],
)
def test_booking_refused(
    programme, referrals, referral, count_rows, when: datetime, centre: str, field: str, words: str
) -> None:
    before = count_rows()
    with pytest.raises(ValidationError) as caught:
        programme.book(referral.id, when, centre_code=centre)
    assert words in caught.value.errors[field]
    assert count_rows() == before
    assert referrals.detail(referral.id).status == Status.AWAITING_APPOINTMENT.value


def test_booking_on_the_deadline_day_is_allowed(programme, referral) -> None:
    assert programme.book(referral.id, datetime(2026, 4, 27, 16, 0)).id


@pytest.mark.parametrize("changes", [dict(consent=False), dict(offence=Offence.SUPPLY)], ids=["declined", "ineligible"])
def test_no_booking_for_a_referral_that_was_not_diverted(programme, intake, make_draft, changes, at) -> None:
    saved = intake.save(make_draft(**changes))
    with pytest.raises(ConflictError, match="no appointment can be booked"):
        programme.book(saved.id, at(5))


def test_not_found(programme, referrals) -> None:
    with pytest.raises(NotFound):
        programme.book(999, datetime(2026, 3, 5))
    with pytest.raises(NotFound):
        programme.record(999, Attendance.ATTENDED)
    with pytest.raises(NotFound):
        programme.confirm_next_step(999)
    with pytest.raises(NotFound):
        referrals.detail(999)
    with pytest.raises(NotFound):
        referrals.find("WB-2026-99999")


# -- attendance ------------------------------------------------------------------------
def test_attendance_cannot_be_recorded_before_the_day(programme, referral, clock, at) -> None:
    row = programme.book(referral.id, at(5))
    for outcome in (Attendance.ATTENDED, Attendance.NOT_ATTENDED):
        with pytest.raises(ValidationError) as caught:
            programme.record(row.id, outcome)
        assert "in the future" in caught.value.errors["attendance"]
    clock.set(at(5, hour=9))  # the same day, before the time: allowed
    assert programme.record(row.id, Attendance.ATTENDED) is None


def test_attendance_recorded_once(programme, referrals, referral, clock, at) -> None:
    row = programme.book(referral.id, at(5))
    clock.set(at(5, hour=11))
    programme.record(row.id, Attendance.ATTENDED)
    detail = referrals.detail(referral.id)
    assert detail.sessions_attended == 1
    assert detail.status == Status.AWAITING_APPOINTMENT.value  # one of two sessions
    assert detail.appointments[0].attendance == "attended"
    assert detail.timeline[-1].text == "05/03/2026 10:00 Assessment: attended."
    with pytest.raises(ConflictError, match="already recorded"):
        programme.record(row.id, Attendance.NOT_ATTENDED)


def test_completion_after_the_sessions_for_completion(programme, referrals, people, referral, attend) -> None:
    attend(referral.id)
    assert referrals.detail(referral.id).status == Status.AWAITING_APPOINTMENT.value
    attend(referral.id, session_type=SessionType.PSYCHOSOCIAL)
    detail = referrals.detail(referral.id)
    assert detail.status == Status.COMPLETED.value
    assert detail.outcome == "completed"
    assert detail.outcome_date == date(2026, 3, 8)
    assert detail.next_step == "no_further_action" == detail.proposed_step
    assert detail.next_step_confirmed_by == "tester"
    assert detail.sessions_attended == 2
    assert not detail.is_open
    assert detail.timeline[-1].kind == "completed"
    assert "Home Office outcome 22" in detail.timeline[-1].text
    person = people.get(referral.person_id)
    assert not person.barred
    assert person.completed_diversions == 1
    with pytest.raises(ConflictError):
        programme.book(referral.id, datetime(2026, 3, 20))
    with pytest.raises(ConflictError, match="no next step awaiting confirmation"):
        programme.confirm_next_step(referral.id)


def test_one_time_only_after_completion(programme, intake, make_draft, referral, attend) -> None:
    attend(referral.id)
    attend(referral.id)
    again = intake.save(make_draft(person_id=referral.person_id, scheme_code="windsor-and-maidenhead"))
    assert again.decision == "not_eligible"
    assert "already completed a diversion (1)" in again.reasons[0]
    assert "one time only" in again.reasons[0]


# -- rebooking -------------------------------------------------------------------------
def test_rebooking_needs_a_reason_and_a_new_time(programme, referral, count_rows, at) -> None:
    row = programme.book(referral.id, at(5))
    before = count_rows()
    with pytest.raises(ValidationError) as caught:
        programme.record(row.id, Attendance.REBOOKED, reason="  ")
    assert set(caught.value.errors) == {"rebook_reason", "new_time"}
    with pytest.raises(ValidationError) as caught:
        programme.record(row.id, Attendance.REBOOKED, reason="Working that day")
    assert set(caught.value.errors) == {"new_time"}
    with pytest.raises(ValidationError) as caught:
        programme.record(row.id, Attendance.REBOOKED, new_time=at(9))
    assert set(caught.value.errors) == {"rebook_reason"}
    with pytest.raises(ValidationError) as caught:
        programme.record(row.id, Attendance.REBOOKED, reason="x", new_time=at(1))
    assert "before the referral" in caught.value.errors["new_time"]
    assert count_rows() == before


def test_rebooking_within_the_limit(programme, referrals, referral, at) -> None:
    row = programme.book(referral.id, at(5), worker="Sam")
    new = programme.record(row.id, Attendance.REBOOKED, reason=" Working that day ", new_time=at(9))
    assert new is not None
    assert new.scheduled_at == at(9) and new.centre_code == "newbury" and new.worker == "Sam"
    assert new.attendance is None
    detail = referrals.detail(referral.id)
    assert [(a.attendance, a.rebook_reason) for a in detail.appointments] == [
        ("rebooked", "Working that day"),
        (None, ""),
    ]
    assert detail.status == Status.BOOKED.value
    assert detail.rebookings_left == 0
    assert [e.kind for e in detail.timeline][-2:] == ["attendance", "booked"]
    assert "(Working that day)" in detail.timeline[-2].text
    # The one allowed rebooking is used: no second one.
    with pytest.raises(ValidationError) as caught:
        programme.record(new.id, Attendance.REBOOKED, reason="Ill", new_time=at(12))
    assert "No rebookings left (1 allowed)" in caught.value.errors["attendance"]


def test_a_rebooking_can_be_made_ahead_of_the_day(programme, referral) -> None:
    row = programme.book(referral.id, datetime(2026, 4, 1, 10))
    assert (
        programme.record(row.id, Attendance.REBOOKED, reason="Holiday", new_time=datetime(2026, 4, 8, 10)) is not None
    )


def test_provider_cancellations_do_not_count(programme, referrals, referral, clock, at) -> None:
    for day in (4, 5, 6):
        row = programme.book(referral.id, at(day))
        clock.set(at(day, hour=11))
        programme.record(row.id, Attendance.CANCELLED)
    detail = referrals.detail(referral.id)
    assert detail.status == Status.AWAITING_APPOINTMENT.value
    assert detail.rebookings_left == 1
    assert detail.timeline[-1].text.endswith("cancelled by provider.")
    row = programme.book(referral.id, at(9))
    assert programme.record(row.id, Attendance.REBOOKED, reason="Ill", new_time=at(10)) is not None


# -- not attended: proposal, confirmation, consequences ---------------------------------
CONSEQUENCES = [  # area, youth?, proposed step, reported for the case file?, the other area
    ("west-berkshire", False, "future_diversion_barred", False, "windsor-and-maidenhead"),
    ("west-berkshire", True, "future_diversion_barred", False, "windsor-and-maidenhead"),
    ("windsor-and-maidenhead", False, "report_for_prosecution", True, "west-berkshire"),
    ("windsor-and-maidenhead", True, "future_diversion_barred", False, "west-berkshire"),
]


@pytest.mark.parametrize(
    ("area", "youth", "step", "case_file", "other_area"),
    CONSEQUENCES,
    ids=["voluntary-adult", "voluntary-youth", "deferred-adult", "deferred-youth"],
)
def test_not_attended_is_proposed_then_confirmed_and_bars_everywhere(
    intake,
    programme,
    referrals,
    people,
    make_draft,
    make_youth_draft,
    attend,
    clock,
    area: str,
    youth: bool,
    step: str,
    case_file: bool,
    other_area: str,
) -> None:
    draft = (make_youth_draft if youth else make_draft)(scheme_code=area)
    saved = intake.save(draft)
    attend(saved.id, Attendance.NOT_ATTENDED)  # the one allowed miss
    detail = referrals.detail(saved.id)
    assert detail.status == Status.AWAITING_APPOINTMENT.value and detail.rebookings_left == 0
    assert detail.proposed_step == ""
    attend(saved.id, Attendance.NOT_ATTENDED)  # beyond the allowed rebookings

    detail = referrals.detail(saved.id)
    assert detail.status == Status.AWAITING_CONFIRMATION.value
    assert detail.proposed_step == step
    assert "Not attended after 1 allowed rebooking(s)." in detail.proposed_reason
    assert detail.timeline[-1].kind == "proposed"
    # A consequence never takes effect by itself.
    assert detail.next_step == "" and not detail.for_case_file
    assert not people.get(saved.person_id).barred
    assert [q.reference for q in referrals.queue("awaiting_confirmation")] == [saved.reference]
    with pytest.raises(ConflictError):
        programme.book(saved.id, clock() + timedelta(days=1))

    clock.advance(hours=2)
    assert programme.confirm_next_step(saved.id, note=" Letters returned ") == step

    detail = referrals.detail(saved.id)
    assert detail.status == Status.CLOSED.value
    assert detail.outcome == "not_attended"
    assert detail.next_step == step
    assert detail.next_step_confirmed_by == "tester"
    assert detail.next_step_confirmed_at == clock().replace(microsecond=0)
    assert detail.for_case_file is case_file
    assert detail.timeline[-1].kind == "confirmed" and "Note: Letters returned" in detail.timeline[-1].text
    assert people.get(saved.person_id).barred
    assert referrals.queue("awaiting_confirmation") == []
    with pytest.raises(ConflictError):
        programme.confirm_next_step(saved.id)  # already confirmed

    # Barred in any scheme: a new referral in the other area is refused for the history.
    later = (make_youth_draft if youth else make_draft)(
        scheme_code=other_area, person_id=saved.person_id, incident_at=clock() - timedelta(hours=5)
    )
    refused = intake.save(later)
    assert refused.decision == "not_eligible" and refused.status == Status.NOT_ELIGIBLE.value
    assert refused.reasons == (BARRED_REASON,)


def test_barred_person_found_under_a_new_record_is_still_barred_when_chosen(
    intake, programme, people, make_draft, attend
) -> None:
    saved = intake.save(make_draft())
    attend(saved.id, Attendance.NOT_ATTENDED)
    attend(saved.id, Attendance.NOT_ATTENDED)
    programme.confirm_next_step(saved.id)
    match = people.possible_matches("Smith", "Johnny", make_draft().date_of_birth)[0]
    assert match.person.barred and match.score == 80
    assert intake.save(make_draft(person_id=match.person.id)).reasons == (BARRED_REASON,)


def test_override_of_a_barred_history_is_possible_with_a_reason(intake, programme, make_draft, attend) -> None:
    saved = intake.save(make_draft())
    attend(saved.id, Attendance.NOT_ATTENDED)
    attend(saved.id, Attendance.NOT_ATTENDED)
    programme.confirm_next_step(saved.id)
    again = intake.save(make_draft(person_id=saved.person_id, override_reason="Earlier bar was a recording error."))
    assert again.overridden and again.status == Status.AWAITING_APPOINTMENT.value


def test_attendance_cannot_be_recorded_once_awaiting_confirmation(programme, referral, attend, clock) -> None:
    attend(referral.id, Attendance.NOT_ATTENDED)
    pending = programme.book(referral.id, clock() + timedelta(days=2))
    attend(referral.id, Attendance.NOT_ATTENDED, days=1)
    clock.advance(days=2)
    with pytest.raises(ConflictError, match="can no longer be recorded"):
        programme.record(pending.id, Attendance.ATTENDED)


# -- deadline passed -------------------------------------------------------------------
def test_deadline_passed_is_proposed_on_request_and_confirmed(
    programme, referrals, people, referral, attend, clock
) -> None:
    attend(referral.id)  # one of two sessions
    with pytest.raises(ConflictError, match="not overdue"):
        programme.propose_overdue(referral.id)
    clock.set(datetime(2026, 4, 27, 18, 0))  # the deadline day: still in time
    with pytest.raises(ConflictError, match="not overdue"):
        programme.propose_overdue(referral.id)
    clock.set(datetime(2026, 4, 28, 9, 0))
    detail = referrals.detail(referral.id)
    assert detail.status == Status.AWAITING_APPOINTMENT.value  # nothing stored yet...
    assert detail.proposed_step == "future_diversion_barred"  # ...but the page shows the proposal
    assert "Deadline 27/04/2026 passed" in detail.proposed_reason
    assert programme.propose_overdue(referral.id) == "future_diversion_barred"
    detail = referrals.detail(referral.id)
    assert detail.status == Status.AWAITING_CONFIRMATION.value
    assert "Deadline 2026-04-27 passed" in detail.proposed_reason
    assert not people.get(referral.person_id).barred
    assert programme.confirm_next_step(referral.id) == "future_diversion_barred"
    assert people.get(referral.person_id).barred


def test_confirm_on_an_overdue_referral_proposes_first(programme, referrals, intake, make_draft, clock) -> None:
    saved = intake.save(make_draft(scheme_code="windsor-and-maidenhead"))
    clock.set(datetime(2026, 4, 14, 9, 0))  # the day after the 42-day deadline
    assert programme.confirm_next_step(saved.id) == "report_for_prosecution"
    detail = referrals.detail(saved.id)
    assert detail.for_case_file and detail.status == Status.CLOSED.value
    assert [e.kind for e in detail.timeline][-2:] == ["proposed", "confirmed"]


@pytest.mark.parametrize(
    "changes",
    [dict(), dict(consent=False), dict(suspected_supply=True)],
    ids=["open-in-time", "declined", "ineligible"],
)
def test_confirm_when_nothing_is_proposed(programme, intake, make_draft, count_rows, changes) -> None:
    saved = intake.save(make_draft(**changes))
    before = count_rows()
    with pytest.raises(ConflictError, match="no next step awaiting confirmation"):
        programme.confirm_next_step(saved.id)
    assert count_rows() == before


def test_propose_overdue_needs_an_open_referral(programme, intake, make_draft, clock) -> None:
    saved = intake.save(make_draft(consent=False))
    clock.advance(days=100)
    with pytest.raises(ConflictError, match="not open for attendance"):
        programme.propose_overdue(saved.id)


def test_sessions_kept_in_time_but_recorded_after_the_deadline_complete(
    programme, referrals, people, referral, clock
) -> None:
    """Both sessions attended by the deadline, both recorded the day after: completed, not barred."""
    first = programme.book(referral.id, datetime(2026, 4, 20, 10))
    second = programme.book(referral.id, datetime(2026, 4, 27, 10))  # the deadline day
    clock.set(datetime(2026, 4, 28, 9))
    # Still booked: the coordinator is shown the overdue referral, but no consequence yet.
    assert [q.reference for q in referrals.queue("overdue")] == [referral.reference]
    assert "attendance is not yet recorded" in referrals.queue("overdue")[0].note
    assert referrals.queue("overdue")[0].proposed_step == ""
    assert referrals.queue("awaiting_confirmation") == []
    assert referrals.detail(referral.id).proposed_step == ""
    with pytest.raises(ConflictError, match="still to be recorded"):
        programme.propose_overdue(referral.id)
    with pytest.raises(ConflictError):
        programme.confirm_next_step(referral.id)

    programme.record(first.id, Attendance.ATTENDED)
    assert referrals.detail(referral.id).status == Status.BOOKED.value
    programme.record(second.id, Attendance.ATTENDED)
    detail = referrals.detail(referral.id)
    assert detail.status == Status.COMPLETED.value and detail.next_step == "no_further_action"
    assert "proposed" not in [e.kind for e in detail.timeline]
    assert not people.get(referral.person_id).barred


def test_missed_last_session_recorded_after_the_deadline_is_then_proposed(
    programme, referrals, referral, clock
) -> None:
    first = programme.book(referral.id, datetime(2026, 4, 20, 10))
    second = programme.book(referral.id, datetime(2026, 4, 27, 10))
    clock.set(datetime(2026, 4, 29, 9))
    programme.record(first.id, Attendance.ATTENDED)
    programme.record(second.id, Attendance.NOT_ATTENDED)
    detail = referrals.detail(referral.id)
    assert detail.status == Status.AWAITING_CONFIRMATION.value
    assert detail.proposed_step == "future_diversion_barred"
    assert "Deadline 2026-04-27 passed" in detail.proposed_reason


def test_rebooking_cannot_go_past_the_deadline(programme, referral, at) -> None:
    row = programme.book(referral.id, at(5))
    with pytest.raises(ValidationError) as caught:
        programme.record(row.id, Attendance.REBOOKED, reason="Away", new_time=datetime(2026, 4, 28, 10))
    assert "after the deadline (27/04/2026)" in caught.value.errors["new_time"]
    assert programme.record(row.id, Attendance.REBOOKED, reason="Away", new_time=datetime(2026, 4, 27, 10))


# -- the centre's day list ------------------------------------------------------------
def test_list_for_centre_day(programme, intake, make_draft, make_youth_draft, at) -> None:
    adult = intake.save(make_draft())
    youth = intake.save(make_youth_draft())
    programme.book(adult.id, at(5, hour=14))
    programme.book(adult.id, at(6))
    programme.book(youth.id, at(5, hour=11))  # at the youth centre
    other = intake.save(make_draft(surname="Other", forenames="Ann"))
    programme.book(other.id, at(5, hour=9))
    rows = programme.list_for_centre_day("newbury", date(2026, 3, 5))
    assert [(r.person_name, r.scheduled_at.hour) for r in rows] == [("OTHER, Ann", 9), ("SMITH, John", 14)]
    youth_rows = programme.list_for_centre_day("newbury-youth", date(2026, 3, 5))
    assert [r.person_name for r in youth_rows] == ["YOUNG, Amy"]
    assert youth_rows[0].centre_name == "Newbury Youth Hub"
    assert programme.list_for_centre_day("thatcham", date(2026, 3, 5)) == []
