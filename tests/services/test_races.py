"""Two people, one record (issue 14): two workers, each with an engine and a context of their own,
change one record at the same moment (a barrier starts them together), 20 times per service, on
a SQLite file and on PostgreSQL. Exactly one wins; the other is refused in words (StaleRecord
naming who changed it, or a ConflictError on the record's new state); nothing is written twice
and no one's save is lost.

``print_figures`` (run with ``-s``) prints pairs, winners and lost updates for each race.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from diversion_desktop.domain.permissions import Principal, Role
from diversion_desktop.domain.programme import Attendance, Status
from diversion_desktop.services import audit
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.corrections import CorrectionService
from diversion_desktop.services.errors import ConflictError, ServiceError, StaleRecord
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.store.models import Appointment, AuditEvent, Referral, TimelineEvent
from tests.conftest import FakeClock
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401 - fixtures

TRIALS = 20
ALICE = Principal(username="alice", roles=frozenset(Role))
BOB = Principal(username="bob", roles=frozenset(Role))


@dataclass
class Pair:
    """The two workers' contexts on one database, and the clock they share."""

    a: AppContext
    b: AppContext
    clock: FakeClock


@pytest.fixture(params=["sqlite", "postgresql"])
def pair(request: pytest.FixtureRequest, db_url: str) -> Iterator[Pair]:
    url = db_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    clock = FakeClock()
    a = open_context(url, clock=clock, principal=ALICE)  # migrates a new PostgreSQL database
    b = open_context(url, clock=clock, principal=BOB, migrate=False)
    yield Pair(a, b, clock)
    a.engine.dispose()
    b.engine.dispose()


@dataclass
class Outcome:
    won: object = None
    refused: ServiceError | None = None


def race(first: Callable[[], object], second: Callable[[], object]) -> tuple[Outcome, Outcome]:
    """Run both at once; each outcome is what it returned or the ServiceError it raised."""
    barrier = threading.Barrier(2)
    outcomes = (Outcome(), Outcome())
    crashed: list[BaseException] = []

    def run(action: Callable[[], object], outcome: Outcome) -> None:
        barrier.wait()
        try:
            outcome.won = action() or "saved"
        except ServiceError as exc:
            outcome.refused = exc
        except BaseException as exc:  # noqa: BLE001 - shown in the test's thread
            crashed.append(exc)

    threads = [
        threading.Thread(target=run, args=(action, outcome))
        for action, outcome in zip((first, second), outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if crashed:
        raise crashed[0]
    return outcomes


def one_winner(outcomes: tuple[Outcome, Outcome]) -> tuple[int, ServiceError]:
    """Which of the two won (0 or 1), and what the other was told: exactly one wins."""
    winners = [i for i, o in enumerate(outcomes) if o.refused is None]
    assert len(winners) == 1, f"both {'won' if len(winners) == 2 else 'lost'}: {outcomes}"
    loser = outcomes[1 - winners[0]].refused
    assert isinstance(loser, ConflictError), loser  # StaleRecord is one; nothing else is a fair refusal
    return winners[0], loser


FIGURES: list[str] = []


def figures(name: str, pair: Pair, winners: int, stale: int, lost: int) -> None:
    FIGURES.append(
        f"{pair.a.engine.dialect.name:10} {name:28} pairs {TRIALS}, one winner {winners}, "
        f"told stale {stale}, lost updates {lost}"
    )


@pytest.fixture(scope="module", autouse=True)
def print_figures() -> Iterator[None]:
    yield
    print("\n" + "\n".join(FIGURES))


# -- setting a record up -----------------------------------------------------------------------
def new_referral(pair: Pair, make_draft, trial: int) -> int:
    """A new person's referral, taken now (each trial its own person: one diversion at a time)."""
    pair.clock.advance(days=7)
    draft = make_draft(
        date_of_birth=date(1970, 1, 1) + timedelta(days=trial * 40), incident_at=pair.clock() - timedelta(hours=12)
    )
    return IntakeService(pair.a).save(draft).id


def booked(pair: Pair, referral_id: int, days: int = 1) -> int:
    """An appointment ``days`` ahead; the clock then moves past it, so it can be recorded."""
    when = pair.clock().replace(hour=10, minute=0, second=0) + timedelta(days=days)
    row = ProgrammeService(pair.a).book(referral_id, when)
    pair.clock.set(when + timedelta(hours=1))
    return row.id


def awaiting_confirmation(pair: Pair, make_draft, trial: int) -> int:
    referral_id = new_referral(pair, make_draft, trial)
    for _ in range(2):  # two misses: beyond the one rebooking allowed
        ProgrammeService(pair.a).record(booked(pair, referral_id), Attendance.NOT_ATTENDED)
    assert ReferralService(pair.a).detail(referral_id).status == Status.AWAITING_CONFIRMATION.value
    return referral_id


def count(ctx: AppContext, model: type, *conditions: object) -> int:
    with ctx.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def audit_intact(ctx: AppContext) -> bool:
    with ctx.reading() as session:
        return audit.verify(session).ok


# -- the races -------------------------------------------------------------------------------
def test_recording_attendance_twice(pair: Pair, make_draft) -> None:
    """Issue 14 §1: one records attended, the other not attended, on one appointment."""
    winners = stale = lost = 0
    for trial in range(TRIALS):
        referral_id = new_referral(pair, make_draft, trial)
        appointment_id = booked(pair, referral_id)
        outcomes = race(
            lambda: ProgrammeService(pair.a).record(appointment_id, Attendance.ATTENDED),
            lambda: ProgrammeService(pair.b).record(appointment_id, Attendance.NOT_ATTENDED),
        )
        winner, told = one_winner(outcomes)
        winners += 1
        stale += isinstance(told, StaleRecord)
        assert "already recorded" in str(told) or isinstance(told, StaleRecord)
        with pair.a.reading() as session:
            referral = session.get(Referral, referral_id)
            appointment = session.get(Appointment, appointment_id)
            counted = (referral.sessions_attended, referral.misses)
            expected = Attendance.ATTENDED if winner == 0 else Attendance.NOT_ATTENDED
            lost += appointment.attendance != expected.value
        assert counted == ((1, 0) if winner == 0 else (0, 1))
        assert (
            count(
                pair.a, AuditEvent, AuditEvent.action == "attendance_recorded", AuditEvent.record_id == appointment_id
            )
            == 1
        )
        assert (
            count(pair.a, TimelineEvent, TimelineEvent.referral_id == referral_id, TimelineEvent.kind == "attendance")
            == 1
        )
    assert audit_intact(pair.a)
    figures("record attendance", pair, winners, stale, lost)
    assert lost == 0


def test_saving_session_notes_from_a_stale_form(pair: Pair, make_draft) -> None:
    """Issue 14 §2: both open one appointment and save notes; the second, stale, is refused."""
    winners = stale = lost = 0
    for trial in range(TRIALS):
        appointment_id = booked(pair, new_referral(pair, make_draft, trial))
        shown = [
            r
            for r in ProgrammeService(pair.a).list_for_centre_day("newbury", pair.clock().date())
            if r.id == appointment_id
        ][0]
        texts = ("Alice: discussed harm reduction.", "Bob: gave leaflets.")
        outcomes = race(
            lambda: ProgrammeService(pair.a).record_session_notes(appointment_id, texts[0], shown.version),
            lambda: ProgrammeService(pair.b).record_session_notes(appointment_id, texts[1], shown.version),
        )
        winner, told = one_winner(outcomes)
        winners += 1
        assert isinstance(told, StaleRecord) and ("alice" if winner == 0 else "bob") in str(told)
        stale += 1
        with pair.a.reading() as session:
            lost += session.get(Appointment, appointment_id).session_notes != texts[winner]
    figures("session notes (stale form)", pair, winners, stale, lost)
    assert lost == 0


def test_booking_from_a_stale_referral(pair: Pair, make_draft) -> None:
    winners = stale = lost = 0
    for trial in range(TRIALS):
        referral_id = new_referral(pair, make_draft, trial)
        version = ReferralService(pair.a).detail(referral_id).version
        day = pair.clock().replace(hour=10, minute=0, second=0) + timedelta(days=1)
        outcomes = race(
            lambda: ProgrammeService(pair.a).book(referral_id, day, expected_version=version),
            lambda: ProgrammeService(pair.b).book(referral_id, day + timedelta(hours=4), expected_version=version),
        )
        winner, told = one_winner(outcomes)
        winners += 1
        stale += isinstance(told, StaleRecord)
        lost += count(pair.a, Appointment, Appointment.referral_id == referral_id) != 1
    figures("book from the referral page", pair, winners, stale, lost)
    assert stale == TRIALS and lost == 0


def test_confirming_one_next_step_twice(pair: Pair, make_draft) -> None:
    """Issue 14 §1: two coordinators confirm one next step (neither passes a version)."""
    winners = stale = lost = 0
    for trial in range(TRIALS):
        referral_id = awaiting_confirmation(pair, make_draft, trial)
        outcomes = race(
            lambda: ProgrammeService(pair.a).confirm_next_step(referral_id, "Alice's note"),
            lambda: ProgrammeService(pair.b).confirm_next_step(referral_id, "Bob's note"),
        )
        winner, told = one_winner(outcomes)
        winners += 1
        stale += isinstance(told, StaleRecord)
        confirmed = count(
            pair.a, AuditEvent, AuditEvent.action == "next_step_confirmed", AuditEvent.record_id == referral_id
        )
        with pair.a.reading() as session:
            by = session.get(Referral, referral_id).next_step_confirmed_by
        lost += confirmed != 1 or by != ("alice", "bob")[winner]
        assert (
            count(pair.a, TimelineEvent, TimelineEvent.referral_id == referral_id, TimelineEvent.kind == "confirmed")
            == 1
        )
    assert audit_intact(pair.a)
    figures("confirm next step", pair, winners, stale, lost)
    assert lost == 0


def test_correcting_one_attendance_twice(pair: Pair, make_draft) -> None:
    winners = stale = lost = 0
    for trial in range(TRIALS):
        referral_id = new_referral(pair, make_draft, trial)
        appointment_id = booked(pair, referral_id)
        ProgrammeService(pair.a).record(appointment_id, Attendance.ATTENDED)
        version = ReferralService(pair.a).detail(referral_id).appointments[0].version
        outcomes = race(
            lambda: CorrectionService(pair.a).correct_attendance(
                appointment_id, Attendance.NOT_ATTENDED, "Sheet shows no one", version
            ),
            lambda: CorrectionService(pair.b).correct_attendance(
                appointment_id, Attendance.CANCELLED, "The centre cancelled", version
            ),
        )
        winner, told = one_winner(outcomes)
        winners += 1
        stale += isinstance(told, StaleRecord)
        with pair.a.reading() as session:
            now = session.get(Appointment, appointment_id).attendance
        lost += now != (Attendance.NOT_ATTENDED, Attendance.CANCELLED)[winner].value
        assert (
            count(
                pair.a, AuditEvent, AuditEvent.action == "attendance_corrected", AuditEvent.record_id == appointment_id
            )
            == 1
        )
    figures("correct attendance", pair, winners, stale, lost)
    assert stale == TRIALS and lost == 0


def test_withdrawing_one_next_step_twice(pair: Pair, make_draft) -> None:
    winners = stale = lost = 0
    for trial in range(TRIALS):
        referral_id = awaiting_confirmation(pair, make_draft, trial)
        ProgrammeService(pair.a).confirm_next_step(referral_id)
        version = ReferralService(pair.a).detail(referral_id).version
        outcomes = race(
            lambda: CorrectionService(pair.a).withdraw_next_step(referral_id, "Wrong person", version),
            lambda: CorrectionService(pair.b).withdraw_next_step(referral_id, "Miss was recorded in error", version),
        )
        winner, told = one_winner(outcomes)
        winners += 1
        stale += isinstance(told, StaleRecord)
        lost += (
            count(pair.a, AuditEvent, AuditEvent.action == "next_step_withdrawn", AuditEvent.record_id == referral_id)
            != 1
        )
    assert audit_intact(pair.a)
    figures("withdraw next step", pair, winners, stale, lost)
    assert stale == TRIALS and lost == 0


def test_editing_one_person_from_two_stale_forms(pair: Pair, make_draft) -> None:
    """Issue 14 §2: two people take a referral for one person and change the address; the second,
    stale form would put its address over the first's."""
    winners = stale = lost = 0
    for trial in range(TRIALS):
        person_id = (
            IntakeService(pair.a)
            .save(
                make_draft(
                    date_of_birth=date(1960, 1, 1) + timedelta(days=trial * 40),
                    address="1 Old Street",
                    incident_at=pair.clock() - timedelta(hours=12),
                    consent=False,
                )
            )
            .person_id
        )
        person = PeopleService(pair.a).get(person_id)
        pair.clock.advance(days=1)
        draft = make_draft(
            person_id=person.id,
            person_version=person.version,
            surname=person.surname,
            forenames=person.forenames,
            date_of_birth=person.date_of_birth,
            incident_at=pair.clock() - timedelta(hours=12),
            consent=False,
        )
        addresses = ("2 New Road", "3 Other Lane")
        outcomes = race(
            lambda: IntakeService(pair.a).save(replace(draft, address=addresses[0])),
            lambda: IntakeService(pair.b).save(replace(draft, address=addresses[1])),
        )
        winner, told = one_winner(outcomes)
        winners += 1
        assert isinstance(told, StaleRecord) and ("alice", "bob")[winner] in str(told)
        stale += 1
        lost += PeopleService(pair.a).get(person_id).address != addresses[winner]
    assert audit_intact(pair.a)
    figures("person edit (intake form)", pair, winners, stale, lost)
    assert lost == 0
