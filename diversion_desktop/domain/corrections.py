"""Correcting a mistaken attendance, and withdrawing a confirmed next step (issue 13 §4).

Mistakes are corrected, never hidden. An attendance recorded wrongly may be
corrected, with a reason, by the support worker who recorded it on the day they
recorded it, or by a coordinator at any time before the next step is confirmed.
Once a next step is confirmed nothing under it changes until a coordinator has
withdrawn the confirmation, with a reason. The next step is then proposed again
from the corrected record by the same ``assess`` that proposed it first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.programme import Attendance, ProgrammeState, assess
from diversion_desktop.domain.schemes import Scheme

# What an attendance may be corrected to. A rebooking makes a new appointment, so it is booked,
# not corrected into being; a mistaken rebooking may be corrected to any of these.
CORRECTED_TO = (Attendance.ATTENDED, Attendance.NOT_ATTENDED, Attendance.CANCELLED)
REASON_LIMIT = 2000  # characters of a correction's or a withdrawal's reason


@dataclass(frozen=True)
class Corrector:
    """Who asks to correct: their user name and which of the two rights they hold."""

    username: str
    own_same_day: bool  # a support worker: their own entries, on the day they made them
    any_before_confirmation: bool  # a coordinator: any entry, until the next step is confirmed


@dataclass(frozen=True)
class Recorded:
    """The attendance as it stands: what, by whom, when; and whether a next step is confirmed."""

    attendance: Attendance | None
    recorded_by: str
    recorded_at: datetime | None
    step_confirmed: bool


def correction_refusal(who: Corrector, recorded: Recorded, today: date) -> str | None:
    """None when ``who`` may correct this attendance today; else why not, in words."""
    if recorded.attendance is None:
        return "No attendance is recorded for this appointment yet: record it instead of correcting it."
    if recorded.step_confirmed:
        return (
            "The next step for this referral has been confirmed: a coordinator must first withdraw "
            "the confirmation, with a reason, before the attendance can be corrected."
        )
    if who.any_before_confirmation:
        return None
    if not who.own_same_day:
        return "You may not correct attendance."
    if recorded.recorded_by.casefold() != who.username.casefold():
        by = recorded.recorded_by or "someone else"
        return (
            f"This attendance was recorded by {by}: only they may correct it, on the same day, "
            "or a coordinator before the next step is confirmed."
        )
    if recorded.recorded_at is None or recorded.recorded_at.date() != today:
        on = f" on {recorded.recorded_at:%d/%m/%Y}" if recorded.recorded_at else ""
        return (
            f"This attendance was recorded{on}: a support worker may correct their own record only on "
            "the same day. Ask a coordinator to correct it."
        )
    return None


def correction_problems(current: Attendance | None, new: Attendance, reason: str) -> dict[str, str]:
    """What is wrong with a correction itself, by field (empty when it may go ahead)."""
    problems: dict[str, str] = {}
    if new not in CORRECTED_TO:
        problems["attendance"] = (
            "Correct it to attended, not attended or cancelled by the provider; book a new appointment for a rebooking."
        )
    elif new is current:
        problems["attendance"] = f"The attendance is already '{new.label.lower()}': choose what it should be."
    if not reason.strip():
        problems["reason"] = "Give the reason for the correction: it is kept in the audit trail."
    elif len(reason.strip()) > REASON_LIMIT:
        problems["reason"] = f"The reason is at most {REASON_LIMIT:,} characters."
    return problems


def withdrawal_problems(reason: str) -> dict[str, str]:
    if not reason.strip():
        return {"reason": "Give the reason for withdrawing the confirmation: it is kept in the audit trail."}
    if len(reason.strip()) > REASON_LIMIT:
        return {"reason": f"The reason is at most {REASON_LIMIT:,} characters."}
    return {}


def reassess_corrected(
    scheme: Scheme,
    pathway: Pathway,
    attendances: Sequence[Attendance | None],
    index: int,
    corrected: Attendance,
    due_date: date,
    today: date,
) -> ProgrammeState:
    """Where the diversion stands once the attendance at ``index`` (time order) is ``corrected``:
    the same assessment that proposed the next step first, over the corrected record."""
    record = list(attendances)
    record[index] = corrected
    return assess(scheme, pathway, record, due_date, today)
