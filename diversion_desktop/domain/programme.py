"""The life of a diversion after intake: attendance, rebooking, deadline, next step.

Pure functions over the appointments recorded so far; the services store what
they return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

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
        return self in (Status.AWAITING_APPOINTMENT, Status.BOOKED, Status.AWAITING_CONFIRMATION)


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
    return (referral_date + timedelta(days=scheme.days_to_first_attendance),
            referral_date + timedelta(days=scheme.days_to_complete))


@dataclass(frozen=True)
class ProgrammeState:
    status: Status
    attended: int
    misses: int
    rebookings_left: int
    proposed_step: NextStep | None
    explanation: str


def assess(scheme: Scheme, pathway: Pathway, attendances: Sequence[Attendance | None],
           due_date: date, today: date) -> ProgrammeState:
    """Where a diversion stands, given its appointments in time order (None = still booked).

    A miss is a non-attendance or a rebooking at the person's request; provider
    cancellations never count against the person. Appointments are booked on or
    before the deadline, so while one is still unrecorded the deadline waits for
    it: the person may have attended in time.
    """
    attended = sum(1 for a in attendances if a is Attendance.ATTENDED)
    misses = sum(1 for a in attendances if a in (Attendance.NOT_ATTENDED, Attendance.REBOOKED))
    left = max(scheme.rebookings_allowed - misses, 0)
    pending = any(a is None for a in attendances)

    if attended >= scheme.sessions_for_completion:
        return ProgrammeState(Status.COMPLETED, attended, misses, left, next_step_for_completion(),
                              f"All {scheme.sessions_for_completion} sessions attended.")
    consequence = next_step_for_non_attendance(scheme.kind, pathway)
    if misses > scheme.rebookings_allowed:
        return ProgrammeState(Status.AWAITING_CONFIRMATION, attended, misses, 0, consequence,
                              f"Not attended after {scheme.rebookings_allowed} allowed rebooking(s).")
    if today > due_date and not pending:
        return ProgrammeState(Status.AWAITING_CONFIRMATION, attended, misses, left, consequence,
                              f"Deadline {due_date.isoformat()} passed without completing the programme.")
    if pending:
        return ProgrammeState(Status.BOOKED, attended, misses, left, None, "Appointment booked.")
    return ProgrammeState(Status.AWAITING_APPOINTMENT, attended, misses, left, None,
                          "Waiting for the next appointment to be booked.")


def can_rebook(scheme: Scheme, attendances: Sequence[Attendance | None]) -> bool:
    misses = sum(1 for a in attendances if a in (Attendance.NOT_ATTENDED, Attendance.REBOOKED))
    return misses < scheme.rebookings_allowed
