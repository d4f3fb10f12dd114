"""What a referral becomes, and what its timeline says, at each turn of its life.

The eligibility decision, each attendance (and the deadline passing), a coordinator's
confirmation, a withdrawal and a correction each give a :class:`Transition`: where the referral
then stands and the timeline events that say so. Intake, attendance, corrections, the import and
the bulk sample data all take their values from here (``services/lifecycle.py`` applies a
transition to a referral); the words of the timeline are written here only.

A transition carries no clock: whoever applies it says when it happened. An outcome is dated
that day, and a next step that the transition sets is confirmed then, by whoever applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import EligibilityResult
from diversion_desktop.domain.next_step import (
    HOME_OFFICE_OUTCOME_COMPLETED,
    NextStep,
    next_step_for_completion,
    next_step_for_non_attendance,
)
from diversion_desktop.domain.programme import (
    Attendance,
    Outcome,
    SessionType,
    Status,
    assess,
    attended_count,
    deadlines,
    miss_count,
)
from diversion_desktop.domain.schemes import Scheme


@dataclass(frozen=True)
class TimelineEvent:
    kind: str
    text: str


@dataclass(frozen=True)
class Standing:
    """Where a referral stands: its status, outcome, next step (proposed, then confirmed) and counts."""

    status: Status
    outcome: Outcome | None = None
    proposed_step: NextStep | None = None
    proposed_reason: str = ""
    next_step: NextStep | None = None  # confirmed
    attended: int = 0
    misses: int = 0

    @property
    def for_case_file(self) -> bool:
        return self.next_step is not None and self.next_step.for_case_file


@dataclass(frozen=True)
class Transition:
    """Where the referral stands after something happened, and the timeline events saying so."""

    to: Standing
    events: tuple[TimelineEvent, ...] = ()
    deadlines: tuple[date, date] | None = None  # (first attendance by, completed by): set by a diversion only
    bars_person: bool = False  # a step confirmed now bars the person from any later diversion

    def with_events(self, before: Sequence[TimelineEvent] = (), after: Sequence[TimelineEvent] = ()) -> Transition:
        """The same transition with events of the action that caused it around its own."""
        return replace(self, events=(*before, *self.events, *after))


# -- the decision ------------------------------------------------------------------------------------------
def decision_event(eligible: bool, pathway: Pathway, rule_version: str, reasons: Sequence[str]) -> TimelineEvent:
    verdict = "Eligible" if eligible else "Not eligible"
    return TimelineEvent("decision", f"{verdict} ({pathway.value} pathway, rules {rule_version}): " + " ".join(reasons))


def override_event(reason: str) -> TimelineEvent:
    return TimelineEvent("override", f"Ineligible decision overridden by supervisor: {reason}")


def imported_event(file_name: str, row: int) -> TimelineEvent:
    return TimelineEvent("imported", f"Imported from {file_name} (referrals row {row}).")


def after_decision(
    scheme: Scheme,
    result: EligibilityResult,
    referral_date: date,
    *,
    override: str = "",
    recorded: Outcome | None = None,
    reasons: Sequence[str] | None = None,
) -> Transition:
    """The referral as the decision leaves it: diverted (awaiting an appointment, with its
    deadlines) when eligible or overridden, else not eligible or declined (closed that day).

    ``recorded``: the outcome an imported history records, which says whether the person was
    diverted whatever the rules say today; ``reasons``: the reasons to show, where the import
    notes such a difference."""
    if recorded is None:
        diverted = result.eligible or bool(override)
        declined = not diverted and result.declined_only
    else:
        diverted = recorded in (Outcome.COMPLETED, Outcome.NOT_ATTENDED)
        declined = recorded is Outcome.DECLINED
    eligible = result.eligible if recorded is None else diverted
    events = [
        decision_event(eligible, result.pathway, result.rule_version, result.reasons if reasons is None else reasons)
    ]
    if override:
        events.append(override_event(override))
    if diverted:
        return Transition(Standing(Status.AWAITING_APPOINTMENT), tuple(events), deadlines(scheme, referral_date))
    if declined:
        return Transition(Standing(Status.DECLINED, Outcome.DECLINED), tuple(events))
    return Transition(Standing(Status.NOT_ELIGIBLE, Outcome.NOT_ELIGIBLE), tuple(events))


# -- attendance --------------------------------------------------------------------------------------------
def booked_event(session_type: SessionType, when: datetime, centre_name: str) -> TimelineEvent:
    return TimelineEvent("booked", f"{session_type.label} booked for {when:%d/%m/%Y %H:%M} at {centre_name}.")


def attendance_event(
    scheduled_at: datetime, session_type: SessionType, attendance: Attendance, reason: str = ""
) -> TimelineEvent:
    return TimelineEvent(
        "attendance",
        f"{scheduled_at:%d/%m/%Y %H:%M} {session_type.label}: "
        f"{attendance.label.lower()}" + (f" ({reason})" if reason else "") + ".",
    )


def rebooked_event(new_time: datetime) -> TimelineEvent:
    return TimelineEvent("booked", f"Rebooked for {new_time:%d/%m/%Y %H:%M}.")


def completed_event(explanation: str) -> TimelineEvent:
    return TimelineEvent(
        "completed",
        f"Programme completed: {explanation} No further action (Home Office outcome {HOME_OFFICE_OUTCOME_COMPLETED}).",
    )


def proposed_event(step: NextStep, explanation: str) -> TimelineEvent:
    return TimelineEvent(
        "proposed", f"Next step proposed: {step.label}. {explanation} Awaiting a coordinator's confirmation."
    )


def after_attendance(
    scheme: Scheme,
    pathway: Pathway,
    current: Standing,
    attendances: Sequence[Attendance | None],
    due_date: date,
    today: date,
) -> Transition:
    """The referral once its appointments (time order; None = still booked) are as given, on
    ``today``: after a booking, each attendance recorded, and when the deadline has passed.

    Completion closes at once with no further action (no coordinator need confirm it). A
    non-attendance step is proposed only when none stands: a coordinator confirms it."""
    state = assess(scheme, pathway, attendances, due_date, today)
    if state.status is Status.COMPLETED:
        step = next_step_for_completion()
        return Transition(
            Standing(Status.COMPLETED, Outcome.COMPLETED, step, state.explanation, step, state.attended, state.misses),
            (completed_event(state.explanation),),
        )
    proposed, reason = current.proposed_step, current.proposed_reason
    events: tuple[TimelineEvent, ...] = ()
    if state.proposed_step is not None and current.proposed_step is None:
        proposed, reason = state.proposed_step, state.explanation
        events = (proposed_event(proposed, reason),)
    return Transition(
        replace(
            current,
            status=state.status,
            proposed_step=proposed,
            proposed_reason=reason,
            attended=state.attended,
            misses=state.misses,
        ),
        events,
    )


# -- the next step -------------------------------------------------------------------------------------------
def confirmed_event(step: NextStep, note: str = "") -> TimelineEvent:
    return TimelineEvent("confirmed", f"Next step confirmed: {step.label}." + (f" Note: {note}" if note else ""))


def after_confirmation(current: Standing, note: str = "") -> Transition:
    """A coordinator confirms the proposed step: only then does it take effect."""
    step = current.proposed_step
    assert step is not None, "nothing proposed to confirm"
    if step is NextStep.NO_FURTHER_ACTION:  # a withdrawn completion confirmed again
        status, outcome = Status.COMPLETED, Outcome.COMPLETED
    else:
        status, outcome = Status.CLOSED, Outcome.NOT_ATTENDED
    return Transition(
        replace(current, status=status, outcome=outcome, next_step=step),
        (confirmed_event(step, note),),
        bars_person=step.bars_person,
    )


def after_withdrawal(current: Standing, reason: str, documents: Sequence[str] = ()) -> Transition:
    """A coordinator withdraws a confirmed step, with a reason: it waits again for a coordinator
    (confirmed again, or proposed anew once the record is corrected)."""
    step = current.next_step
    assert step is not None, "nothing confirmed to withdraw"
    text = f"Confirmation of the next step withdrawn ({step.label}): {reason}"
    if documents:
        text += f" Documents marked withdrawn: {', '.join(documents)}."
    return Transition(
        replace(
            current,
            status=Status.AWAITING_CONFIRMATION,
            outcome=None,
            proposed_step=current.proposed_step or step,
            next_step=None,
        ),
        (TimelineEvent("withdrawn", text),),
    )


def after_correction(
    scheme: Scheme,
    pathway: Pathway,
    current: Standing,
    attendances: Sequence[Attendance | None],
    due_date: date,
    today: date,
    *,
    scheduled_at: datetime,
    session_type: SessionType,
    was: Attendance,
    corrected: Attendance,
    reason: str,
) -> Transition:
    """An attendance corrected (``attendances`` as corrected): the next step is proposed again
    from the corrected record, by the same rules that proposed it first."""
    event = TimelineEvent(
        "corrected",
        f"{scheduled_at:%d/%m/%Y %H:%M} {session_type.label}: attendance corrected "
        f"from {was.label.lower()} to {corrected.label.lower()} ({reason}).",
    )
    unproposed = replace(current, proposed_step=None, proposed_reason="")
    transition = after_attendance(scheme, pathway, unproposed, attendances, due_date, today)
    after: tuple[TimelineEvent, ...] = ()
    if current.proposed_step is not None and transition.to.proposed_step is None:
        after = (
            TimelineEvent(
                "proposed",
                f"The proposed next step ({current.proposed_step.label}) no longer follows from the corrected record.",
            ),
        )
    return transition.with_events(before=(event,), after=after)


# -- imported history ------------------------------------------------------------------------------------------
def after_imported_history(
    scheme: Scheme, pathway: Pathway, recorded: Outcome, on: date, attendances: Sequence[Attendance | None]
) -> Transition:
    """A diverted referral whose spreadsheet records its outcome (completed or not attended, on
    ``on``): closed as recorded, its step confirmed that day, whatever its appointments say."""
    attended, misses = attended_count(attendances), miss_count(attendances)
    if recorded is Outcome.COMPLETED:
        step = next_step_for_completion()
        return Transition(
            Standing(Status.COMPLETED, Outcome.COMPLETED, step, "Recorded as completed.", step, attended, misses),
            (
                TimelineEvent(
                    "completed",
                    f"Programme completed on {on:%d/%m/%Y} (imported history). "
                    f"No further action (Home Office outcome {HOME_OFFICE_OUTCOME_COMPLETED}).",
                ),
            ),
        )
    assert recorded is Outcome.NOT_ATTENDED, recorded
    step = next_step_for_non_attendance(scheme.kind, pathway)
    return Transition(
        Standing(Status.CLOSED, Outcome.NOT_ATTENDED, step, "Recorded as not attended.", step, attended, misses),
        (
            TimelineEvent(
                "confirmed", f"Next step confirmed: {step.label} (imported history: not attended, {on:%d/%m/%Y})."
            ),
        ),
        bars_person=step.bars_person,
    )
