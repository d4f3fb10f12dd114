"""The booking rules enforced on a real database (issue 13 §3.14): bookings in the past, double
bookings and overlapping sessions of one person are refused with nothing written; a booking close
to another of theirs is made only once confirmed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from diversion_desktop.domain.programme import Attendance, Status
from diversion_desktop.services.errors import NeedsConfirmation, ValidationError


@pytest.fixture
def referral(intake, make_draft):
    """An eligible adult in West Berkshire, referred on 2 March 2026 (due 27 April)."""
    return intake.save(make_draft())


def refused(programme, count_rows, referral_id: int, when: datetime) -> str:
    before = count_rows()
    with pytest.raises(ValidationError) as caught:
        programme.book(referral_id, when)
    assert count_rows() == before  # nothing written, not even an audit row
    return caught.value.errors["scheduled_at"]


def test_a_booking_in_the_past_is_refused(programme, referrals, referral, clock, count_rows) -> None:
    clock.set(datetime(2026, 3, 6, 12, 0))
    assert "is in the past" in refused(programme, count_rows, referral.id, datetime(2026, 3, 6, 11, 59))
    assert "is in the past" in refused(programme, count_rows, referral.id, datetime(2026, 3, 4, 10, 0))
    assert referrals.detail(referral.id).status == Status.AWAITING_APPOINTMENT.value
    assert programme.book(referral.id, datetime(2026, 3, 6, 12, 0)).id  # from now on is fine


def test_a_double_booking_and_one_a_minute_apart_are_refused(programme, referral, at, count_rows) -> None:
    first = programme.book(referral.id, at(5))
    assert "at the same time" in refused(programme, count_rows, referral.id, at(5))
    assert "1 min apart" in refused(programme, count_rows, referral.id, at(5) + timedelta(minutes=1))
    assert "overlap" in refused(programme, count_rows, referral.id, at(5) - timedelta(minutes=20))
    assert first.id


def test_a_booking_close_to_another_asks_first(programme, referrals, referral, at, count_rows) -> None:
    programme.book(referral.id, at(5))
    close = at(5) + timedelta(minutes=45)
    before = count_rows()
    with pytest.raises(NeedsConfirmation) as caught:
        programme.book(referral.id, close)
    assert caught.value.warnings == (
        "The person has another appointment at 05/03/2026 10:00, only 45 min before this one.",
    )
    assert count_rows() == before
    row = programme.book(referral.id, close, confirmed=True)
    assert [a.id for a in referrals.detail(referral.id).appointments][-1] == row.id
    assert programme.book(referral.id, at(5) + timedelta(hours=3)).id  # far enough: no question


def test_a_cancelled_appointment_frees_its_time(programme, referral, at, clock) -> None:
    first = programme.book(referral.id, at(5))
    clock.set(at(5) - timedelta(hours=1))
    programme.record(first.id, Attendance.CANCELLED)
    assert programme.book(referral.id, at(5)).id  # the same slot again, nothing to ask


def test_a_rebooking_is_held_to_the_same_refusals(programme, referral, at, clock) -> None:
    first = programme.book(referral.id, at(5))
    other = programme.book(referral.id, at(9))
    clock.set(at(5) + timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        programme.record(first.id, Attendance.REBOOKED, "Asked to move", at(5) - timedelta(days=1))
    assert "is in the past" in caught.value.errors["new_time"]
    with pytest.raises(ValidationError) as caught:
        programme.record(first.id, Attendance.REBOOKED, "Asked to move", at(9) + timedelta(minutes=10))
    assert "would overlap" in caught.value.errors["new_time"]
    moved = programme.record(first.id, Attendance.REBOOKED, "Asked to move", at(6))
    assert moved is not None and moved.scheduled_at == at(6) and other.id
