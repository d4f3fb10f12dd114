"""The life of a diversion after intake: attendance, rebooking, deadline, next step.

Pure functions over the appointments recorded so far; the services store what
they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import (
    NextStep,
    next_step_for_completion,
    next_step_for_non_attendance,
)
from diversion_desktop.domain.schemes import Scheme

SESSION_NOTES_LIMIT = 20_000  # characters of a support worker's notes of one session


class Status(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    DECLINED = "declined"
    AWAITING_APPOINTMENT = "awaiting_appointment"
    BOOKED = "booked"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    COMPLETED = "completed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


# A referral in these states is a diversion still awaiting its outcome. The one list: the queues,
# retention, the screens and the partial index ix_referrals_open (store/models.py) all read it.
OPEN_STATUSES = (Status.AWAITING_APPOINTMENT, Status.BOOKED, Status.AWAITING_CONFIRMATION)
# A referral in these states may have appointments booked and recorded (and letters about them):
# the programme is under way, no next step is waiting for a coordinator.
BOOKABLE_STATUSES = (Status.AWAITING_APPOINTMENT, Status.BOOKED)

# A referral's outcome and next step before it has them: blank (the empty text, as stored), so
# ``if referral.outcome:`` reads "has one". Typed ``Outcome | Blank``, ``NextStep | Blank``.
Blank = Literal[""]


class Queue(StrEnum):
    """The queues of open referrals waiting for someone (services/referrals.py), in their order on
    screen."""

    AWAITING_APPOINTMENT = "awaiting_appointment"  # a first appointment: the booking queue
    OVERDUE = "overdue"
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # a coordinator's confirmation of a next step


class Outcome(StrEnum):
    COMPLETED = "completed"
    NOT_ATTENDED = "not_attended"
    NOT_ELIGIBLE = "not_eligible"
    DECLINED = "declined"


class Attendance(StrEnum):
    ATTENDED = "attended"
    NOT_ATTENDED = "not_attended"
    CANCELLED = "cancelled"
    REBOOKED = "rebooked"

    @property
    def label(self) -> str:
        return {
            "attended": "Attended",
            "not_attended": "Not attended",
            "cancelled": "Cancelled by provider",
            "rebooked": "Rebooked",
        }[self.value]

    @property
    def counts_as_miss(self) -> bool:
        """A non-attendance, and a rebooking at the person's request, count against the person;
        a cancellation by the provider never does. The one statement of this rule."""
        return self in (Attendance.NOT_ATTENDED, Attendance.REBOOKED)


def miss_count(attendances: Sequence[Attendance | None]) -> int:
    return sum(1 for a in attendances if a is not None and a.counts_as_miss)


def attended_count(attendances: Sequence[Attendance | None]) -> int:
    return sum(1 for a in attendances if a is Attendance.ATTENDED)


class SessionType(StrEnum):
    ASSESSMENT = "assessment"
    HARM_REDUCTION = "harm_reduction"
    PSYCHOSOCIAL = "psychosocial"
    PRESCRIBING_REVIEW = "prescribing_review"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def deadlines(scheme: Scheme, referral_date: date) -> tuple[date, date]:
    """(first attendance by, programme completed by)."""
    return (
        referral_date + timedelta(days=scheme.days_to_first_attendance),
        referral_date + timedelta(days=scheme.days_to_complete),
    )


@dataclass(frozen=True)
class ProgrammeState:
    status: Status
    attended: int
    misses: int
    rebookings_left: int
    proposed_step: NextStep | None
    explanation: str


def assess(
    scheme: Scheme, pathway: Pathway, attendances: Sequence[Attendance | None], due_date: date, today: date
) -> ProgrammeState:
    """Where a diversion stands, given its appointments in time order (None = still booked).

    What counts as a miss is ``Attendance.counts_as_miss``. Appointments are booked on or
    before the deadline, so while one is still unrecorded the deadline waits for
    it: the person may have attended in time.
    """
    attended = attended_count(attendances)
    misses = miss_count(attendances)
    left = max(scheme.rebookings_allowed - misses, 0)
    pending = any(a is None for a in attendances)

    if attended >= scheme.sessions_for_completion:
        return ProgrammeState(
            Status.COMPLETED,
            attended,
            misses,
            left,
            next_step_for_completion(),
            f"All {scheme.sessions_for_completion} sessions attended.",
        )
    consequence = next_step_for_non_attendance(scheme.kind, pathway)
    if misses > scheme.rebookings_allowed:
        return ProgrammeState(
            Status.AWAITING_CONFIRMATION,
            attended,
            misses,
            0,
            consequence,
            f"Not attended after {scheme.rebookings_allowed} allowed rebooking(s).",
        )
    if today > due_date and not pending:
        return ProgrammeState(
            Status.AWAITING_CONFIRMATION,
            attended,
            misses,
            left,
            consequence,
            f"Deadline {due_date.isoformat()} passed without completing the programme.",
        )
    if pending:
        return ProgrammeState(Status.BOOKED, attended, misses, left, None, "Appointment booked.")
    return ProgrammeState(
        Status.AWAITING_APPOINTMENT, attended, misses, left, None, "Waiting for the next appointment to be booked."
    )


def can_rebook(scheme: Scheme, attendances: Sequence[Attendance | None]) -> bool:
    return miss_count(attendances) < scheme.rebookings_allowed


# -- booking rules -------------------------------------------------------------------------
# A booking is checked against the clock and the person's other appointments. Refused: a time
# already past (history comes in through the import, which records what happened and books
# nothing), and a time within SESSION_LENGTH of another of the person's appointments (the two
# sessions would overlap: one person cannot be in both). Warned, and booked only once the user
# confirms: a time within CLOSE_BOOKINGS of another of theirs (two sessions close together are
# usually a slip of the date or hour). Only appointments still booked or attended hold their
# time: one cancelled, rebooked or missed leaves its slot free.
SESSION_LENGTH = timedelta(minutes=30)
CLOSE_BOOKINGS = timedelta(hours=2)


@dataclass(frozen=True)
class BookingCheck:
    """What the rules say of a proposed appointment time: refusals stop it, warnings ask first."""

    refusals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return not self.refusals


def holds_its_time(attendance: Attendance | None) -> bool:
    """Whether an appointment still occupies its slot (booked, or attended)."""
    return attendance is None or attendance is Attendance.ATTENDED


def check_booking(when: datetime, now: datetime, others: Sequence[datetime]) -> BookingCheck:
    """The rules for booking ``when`` at ``now``, given the times of the person's other
    appointments that hold their time (``holds_its_time``)."""
    refusals: list[str] = []
    warnings: list[str] = []
    if when < now:
        refusals.append(f"{when:%d/%m/%Y %H:%M} is in the past: book a time from now on.")
    for other in sorted(others):
        gap = abs(when - other)
        if gap < SESSION_LENGTH:
            same = "at the same time" if gap == timedelta(0) else f"{_minutes(gap)} apart"
            refusals.append(
                f"The person already has an appointment at {other:%d/%m/%Y %H:%M} ({same}): the two would overlap."
            )
        elif gap < CLOSE_BOOKINGS:
            warnings.append(
                f"The person has another appointment at {other:%d/%m/%Y %H:%M}, only "
                f"{_minutes(gap)} {'after' if when < other else 'before'} this one."
            )
    return BookingCheck(tuple(refusals), tuple(warnings))


def _minutes(gap: timedelta) -> str:
    minutes = int(gap.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{minutes} min"
