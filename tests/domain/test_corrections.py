"""Who may correct a mistaken attendance, and when; and the next step proposed again (issue 13 §4)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.corrections import (
    Corrector,
    Recorded,
    correction_problems,
    correction_refusal,
    reassess_corrected,
    withdrawal_problems,
)
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import Attendance, Status
from diversion_desktop.domain.schemes import SchemeKind

A = Attendance.ATTENDED
N = Attendance.NOT_ATTENDED
C = Attendance.CANCELLED
R = Attendance.REBOOKED

TODAY = date(2026, 4, 10)
THIS_MORNING = datetime(2026, 4, 10, 9, 30)
YESTERDAY = datetime(2026, 4, 9, 16, 0)

WORKER = Corrector("sam", own_same_day=True, any_before_confirmation=False)
OTHER_WORKER = Corrector("alex", own_same_day=True, any_before_confirmation=False)
COORDINATOR = Corrector("cora", own_same_day=False, any_before_confirmation=True)
BOTH = Corrector("sam", own_same_day=True, any_before_confirmation=True)
NEITHER = Corrector("stan", own_same_day=False, any_before_confirmation=False)


@pytest.mark.parametrize(
    ("who", "attendance", "by", "at", "confirmed", "refused_because"),
    [
        # the support worker who recorded it, the same day
        (WORKER, N, "sam", THIS_MORNING, False, None),
        (WORKER, N, "SAM", THIS_MORNING, False, None),  # user names ignore case
        (WORKER, A, "sam", YESTERDAY, False, "only on the same day"),
        (WORKER, A, "sam", None, False, "only on the same day"),
        (OTHER_WORKER, N, "sam", THIS_MORNING, False, "recorded by sam"),
        (WORKER, N, "", THIS_MORNING, False, "recorded by someone else"),
        (WORKER, N, "sam", THIS_MORNING, True, "withdraw the confirmation"),
        # a coordinator, any entry, any day, until the next step is confirmed
        (COORDINATOR, N, "sam", YESTERDAY, False, None),
        (COORDINATOR, A, "", None, False, None),
        (COORDINATOR, N, "sam", YESTERDAY, True, "withdraw the confirmation"),
        (BOTH, R, "alex", YESTERDAY, False, None),
        # nothing to correct; no right at all
        (COORDINATOR, None, "", None, False, "record it instead"),
        (NEITHER, N, "stan", THIS_MORNING, False, "may not correct"),
    ],
)
def test_who_may_correct_when(who, attendance, by, at, confirmed, refused_because) -> None:
    refusal = correction_refusal(who, Recorded(attendance, by, at, confirmed), TODAY)
    if refused_because is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_because in refusal


@pytest.mark.parametrize(
    ("current", "new", "reason", "fields"),
    [
        (N, A, "Ticked the wrong box", set()),
        (A, N, "Wrong person", set()),
        (R, C, "The centre closed, not the person's request", set()),
        (A, A, "same", {"attendance"}),
        (N, R, "a rebooking", {"attendance"}),
        (N, A, "   ", {"reason"}),
        (N, A, "x" * 2001, {"reason"}),
        (A, A, "", {"attendance", "reason"}),
    ],
)
def test_what_a_correction_must_give(current, new, reason, fields) -> None:
    assert set(correction_problems(current, new, reason)) == fields


@pytest.mark.parametrize(
    ("reason", "fields"),
    [("Attendance was recorded on the wrong referral", set()), ("", {"reason"}), ("x" * 2001, {"reason"})],
)
def test_a_withdrawal_needs_a_reason(reason: str, fields: set[str]) -> None:
    assert set(withdrawal_problems(reason)) == fields


DUE = date(2026, 4, 27)


@pytest.mark.parametrize(
    ("kind", "pathway", "record", "index", "corrected", "today", "status", "step"),
    [
        # two misses proposed a consequence; one was in fact attended: back to awaiting an appointment
        (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.ADULT, [N, N], 1, A, TODAY, Status.AWAITING_APPOINTMENT, None),
        # a mistaken "attended" made the programme complete; it was a miss: a consequence is proposed
        (
            SchemeKind.DEFERRED_PROSECUTION,
            Pathway.ADULT,
            [N, A, A],
            2,
            N,
            TODAY,
            Status.AWAITING_CONFIRMATION,
            NextStep.REPORT_FOR_PROSECUTION,
        ),
        (
            SchemeKind.DEFERRED_PROSECUTION,
            Pathway.YOUTH,
            [N, A, A],
            2,
            N,
            TODAY,
            Status.AWAITING_CONFIRMATION,
            NextStep.FUTURE_DIVERSION_BARRED,
        ),
        # a miss that was the provider's cancellation: still open
        (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.ADULT, [R, N], 1, C, TODAY, Status.AWAITING_APPOINTMENT, None),
        # past the deadline the corrected record still proposes the consequence
        (
            SchemeKind.VOLUNTARY_ATTENDANCE,
            Pathway.ADULT,
            [A, N],
            1,
            C,
            date(2026, 5, 1),
            Status.AWAITING_CONFIRMATION,
            NextStep.FUTURE_DIVERSION_BARRED,
        ),
        # a miss that was attended completes the programme
        (
            SchemeKind.VOLUNTARY_ATTENDANCE,
            Pathway.ADULT,
            [A, N],
            1,
            A,
            TODAY,
            Status.COMPLETED,
            NextStep.NO_FURTHER_ACTION,
        ),
    ],
)
def test_the_next_step_is_proposed_again_from_the_corrected_record(
    make_scheme, kind, pathway, record, index, corrected, today, status, step
) -> None:
    scheme = make_scheme(kind=kind.value, sessions_for_completion=2, rebookings_allowed=1)
    state = reassess_corrected(scheme, pathway, record, index, corrected, DUE, today)
    assert (state.status, state.proposed_step) == (status, step)
