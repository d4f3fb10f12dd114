"""After intake: attendance, rebookings, the deadline and the proposed next step."""

from __future__ import annotations

from datetime import date

import pytest

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import Attendance, Status, assess, can_rebook, deadlines
from diversion_desktop.domain.schemes import SchemeKind

A = Attendance.ATTENDED
N = Attendance.NOT_ATTENDED
C = Attendance.CANCELLED
R = Attendance.REBOOKED
PENDING = None

DUE = date(2026, 4, 27)
BEFORE = date(2026, 4, 1)
AFTER = date(2026, 4, 28)


@pytest.fixture
def scheme(make_scheme):
    """Two sessions make the programme; one rebooking allowed (voluntary attendance)."""
    return make_scheme(sessions_for_completion=2, rebookings_allowed=1)


@pytest.mark.parametrize(
    ("attendances", "status", "attended", "misses", "left"),
    [
        ([], Status.AWAITING_APPOINTMENT, 0, 0, 1),
        ([PENDING], Status.BOOKED, 0, 0, 1),
        ([A], Status.AWAITING_APPOINTMENT, 1, 0, 1),
        ([A, PENDING], Status.BOOKED, 1, 0, 1),
        ([N], Status.AWAITING_APPOINTMENT, 0, 1, 0),  # one miss: the allowed rebooking used
        ([R, PENDING], Status.BOOKED, 0, 1, 0),  # a rebooking at the person's request counts
        ([C, PENDING], Status.BOOKED, 0, 0, 1),  # provider cancellation never counts
        ([C, C, C, C, PENDING], Status.BOOKED, 0, 0, 1),
        ([C, C, A, C, A], Status.COMPLETED, 2, 0, 1),
        ([A, A], Status.COMPLETED, 2, 0, 1),
        ([R, A, A], Status.COMPLETED, 2, 1, 0),
        ([A, A, A], Status.COMPLETED, 3, 0, 1),
        ([N, N], Status.AWAITING_CONFIRMATION, 0, 2, 0),  # beyond the allowed rebooking
        ([R, N], Status.AWAITING_CONFIRMATION, 0, 2, 0),
        ([A, R, N], Status.AWAITING_CONFIRMATION, 1, 2, 0),
        ([N, C, A], Status.AWAITING_APPOINTMENT, 1, 1, 0),
    ],
)
def test_assess_before_the_deadline(scheme, attendances, status, attended, misses, left) -> None:
    state = assess(scheme, Pathway.ADULT, attendances, DUE, BEFORE)
    assert (state.status, state.attended, state.misses, state.rebookings_left) == (status, attended, misses, left)
    if status is Status.COMPLETED:
        assert state.proposed_step is NextStep.NO_FURTHER_ACTION
        assert "All 2 sessions attended" in state.explanation
    elif status is Status.AWAITING_CONFIRMATION:
        assert state.proposed_step is NextStep.FUTURE_DIVERSION_BARRED
        assert "after 1 allowed rebooking" in state.explanation
    else:
        assert state.proposed_step is None


@pytest.mark.parametrize(
    ("attendances", "today", "status"),
    [
        ([A], DUE, Status.AWAITING_APPOINTMENT),  # the deadline day itself is still in time
        ([A], AFTER, Status.AWAITING_CONFIRMATION),
        ([], AFTER, Status.AWAITING_CONFIRMATION),
        ([C, C], AFTER, Status.AWAITING_CONFIRMATION),
        # Appointments are booked on or before the deadline: until one is recorded the person
        # may have attended in time, so nothing is proposed yet.
        ([PENDING], AFTER, Status.BOOKED),
        ([A, PENDING], AFTER, Status.BOOKED),
        ([N, N, PENDING], AFTER, Status.AWAITING_CONFIRMATION),  # misses beyond the limit still decide
        ([A, A], AFTER, Status.COMPLETED),  # completed in time, recorded late
    ],
)
def test_deadline(scheme, attendances, today: date, status: Status) -> None:
    state = assess(scheme, Pathway.ADULT, attendances, DUE, today)
    assert state.status is status
    if status is Status.AWAITING_CONFIRMATION:
        assert state.proposed_step is NextStep.FUTURE_DIVERSION_BARRED
    if status is Status.AWAITING_CONFIRMATION and attendances != [N, N, PENDING]:
        assert "Deadline 2026-04-27 passed" in state.explanation
    if status is Status.BOOKED:
        assert state.proposed_step is None


@pytest.mark.parametrize(
    ("kind", "pathway", "step"),
    [
        (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.ADULT, NextStep.FUTURE_DIVERSION_BARRED),
        (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.YOUTH, NextStep.FUTURE_DIVERSION_BARRED),
        (SchemeKind.DEFERRED_PROSECUTION, Pathway.ADULT, NextStep.REPORT_FOR_PROSECUTION),
        (SchemeKind.DEFERRED_PROSECUTION, Pathway.YOUTH, NextStep.FUTURE_DIVERSION_BARRED),
    ],
)
@pytest.mark.parametrize(("attendances", "today"), [([N, N], BEFORE), ([A], AFTER)], ids=["misses", "deadline"])
def test_proposed_step_follows_kind_and_pathway(make_scheme, kind, pathway, step, attendances, today) -> None:
    scheme = make_scheme(kind=kind.value, rebookings_allowed=1)
    state = assess(scheme, pathway, attendances, DUE, today)
    assert state.status is Status.AWAITING_CONFIRMATION
    assert state.proposed_step is step


@pytest.mark.parametrize(
    ("allowed", "attendances", "status"),
    [
        (0, [N], Status.AWAITING_CONFIRMATION),
        (0, [R, PENDING], Status.AWAITING_CONFIRMATION),
        (0, [C, PENDING], Status.BOOKED),
        (2, [N, N], Status.AWAITING_APPOINTMENT),
        (2, [N, R, PENDING], Status.BOOKED),
        (2, [N, N, N], Status.AWAITING_CONFIRMATION),
    ],
)
def test_rebookings_allowed_setting(make_scheme, allowed: int, attendances, status: Status) -> None:
    scheme = make_scheme(rebookings_allowed=allowed)
    assert assess(scheme, Pathway.YOUTH, attendances, DUE, BEFORE).status is status


@pytest.mark.parametrize(
    ("allowed", "attendances", "can"),
    [
        (1, [], True),
        (1, [PENDING], True),
        (1, [C, C, PENDING], True),
        (1, [R, PENDING], False),
        (1, [N, PENDING], False),
        (0, [PENDING], False),
        (2, [R, PENDING], True),
        (2, [R, N, PENDING], False),
    ],
)
def test_can_rebook(make_scheme, allowed: int, attendances, can: bool) -> None:
    assert can_rebook(make_scheme(rebookings_allowed=allowed), attendances) is can


def test_deadlines_from_the_referral_date(west_berks, windsor) -> None:
    assert deadlines(west_berks, date(2026, 3, 2)) == (date(2026, 3, 23), date(2026, 4, 27))
    assert deadlines(windsor, date(2026, 3, 2)) == (date(2026, 3, 16), date(2026, 4, 13))
    assert deadlines(west_berks, date(2026, 12, 20)) == (date(2027, 1, 10), date(2027, 2, 14))


@pytest.mark.parametrize("status", list(Status))
def test_status_open_and_label(status: Status) -> None:
    assert status.is_open is (status in (Status.AWAITING_APPOINTMENT, Status.BOOKED, Status.AWAITING_CONFIRMATION))
    assert status.label[0].isupper() and "_" not in status.label


def test_cancelled_label_says_by_provider() -> None:
    assert Attendance.CANCELLED.label == "Cancelled by provider"
