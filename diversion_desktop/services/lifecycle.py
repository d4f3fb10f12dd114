"""Applying the domain's transitions (domain/lifecycle.py) to a referral: the one place that
writes a referral's status, outcome, next step, deadlines and timeline from them.

The referral's ``version`` is raised by the ORM as its row changes (services/concurrency.py);
nothing here bypasses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from diversion_desktop.domain.lifecycle import Standing, Transition
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import Outcome, Status
from diversion_desktop.services.timeline import add_event
from diversion_desktop.store.models import Person, Referral


def standing(referral: Referral) -> Standing:
    """Where a stored referral stands, for the domain's transitions."""
    return Standing(
        status=Status(referral.status),
        outcome=Outcome(referral.outcome) if referral.outcome else None,
        proposed_step=NextStep(referral.proposed_step) if referral.proposed_step else None,
        proposed_reason=referral.proposed_reason,
        next_step=NextStep(referral.next_step) if referral.next_step else None,
        attended=referral.sessions_attended or 0,
        misses=referral.misses or 0,
    )


def referral_values(transition: Transition, actor: str, when: datetime) -> dict[str, Any]:
    """The referral's columns as ``transition`` leaves them, at ``when`` by ``actor``: an outcome
    is dated that day, a confirmed step is confirmed then by the actor. The import and the bulk
    sample data write these values their own fast way."""
    to = transition.to
    values: dict[str, Any] = {
        "status": to.status.value,
        "outcome": to.outcome.value if to.outcome else "",
        "outcome_date": when.date() if to.outcome else None,
        "proposed_step": to.proposed_step.value if to.proposed_step else "",
        "proposed_reason": to.proposed_reason,
        "next_step": to.next_step.value if to.next_step else "",
        "next_step_confirmed_by": actor if to.next_step else "",
        "next_step_confirmed_at": when if to.next_step else None,
        "for_case_file": to.for_case_file,
        "sessions_attended": to.attended,
        "misses": to.misses,
    }
    if transition.deadlines is not None:
        values["first_attendance_due"], values["due_date"] = transition.deadlines
    return values


def apply_transition(session: Session, referral: Referral, transition: Transition, actor: str, when: datetime) -> None:
    """Write the transition to the referral (added to the session if new), its events to the
    timeline, and bar the person if the step confirmed bars them."""
    for name, value in referral_values(transition, actor, when).items():
        setattr(referral, name, value)
    if referral.id is None:
        session.add(referral)
        session.flush()
    for event in transition.events:
        add_event(session, referral, when, event.kind, event.text, actor)
    if transition.bars_person:
        bar_person(referral.person, referral.id, when)


def bar_person(person: Person, referral_id: int, now: datetime) -> None:
    if not person.barred:
        person.barred = True
        person.barred_at = now
        person.barred_by_referral_id = referral_id
