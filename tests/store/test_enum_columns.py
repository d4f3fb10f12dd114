"""The enum columns (store/models.py TextEnum), on SQLite and PostgreSQL: members in, members out,
the same text stored as before they were typed; a blank outcome or next step stays blank; text that
names no member is refused before it is written, while a query comparing with such text finds nothing."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import StatementError

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import Decision, Offence
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import (
    OPEN_STATUSES,
    Attendance,
    Outcome,
    SessionType,
    Status,
)
from diversion_desktop.domain.schemes import SchemeKind
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.store.models import OPEN_STATUSES_SQL, Appointment, Referral
from tests.conftest import EVERY_ROLE, FakeClock
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401 - fixtures


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, db_url: str) -> str:
    return db_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def test_enum_columns_round_trip_as_todays_text(url: str, make_draft) -> None:
    ctx = open_context(url, clock=FakeClock(), user="tester", principal=EVERY_ROLE)
    try:
        saved = IntakeService(ctx).save(make_draft())
        booked = ProgrammeService(ctx).book(saved.id, datetime(2026, 3, 3, 10))
        with ctx.engine.connect() as connection:  # stored: the plain text, as before
            assert tuple(
                connection.execute(
                    text(
                        "SELECT scheme_kind, offence, pathway, decision, status, outcome, proposed_step, next_step "
                        "FROM referrals"
                    )
                ).one()
            ) == ("voluntary_attendance", "possession", "adult", "eligible", "booked", "", "", "")
            assert tuple(connection.execute(text("SELECT session_type, attendance FROM appointments")).one()) == (
                "assessment",
                None,
            )
        with ctx.reading() as session:
            referral = session.scalars(select(Referral)).one()
            values = (referral.scheme_kind, referral.offence, referral.pathway, referral.decision, referral.status)
            assert values == (
                SchemeKind.VOLUNTARY_ATTENDANCE,
                Offence.POSSESSION,
                Pathway.ADULT,
                Decision.ELIGIBLE,
                Status.BOOKED,
            )
            assert [type(v) for v in values] == [SchemeKind, Offence, Pathway, Decision, Status]
            assert (referral.outcome, referral.proposed_step, referral.next_step) == ("", "", "")  # blank: not yet
            appointment = session.get(Appointment, booked.id)
            assert appointment is not None
            assert (appointment.session_type, appointment.attendance) == (SessionType.ASSESSMENT, None)
            assert type(appointment.session_type) is SessionType
            # Set by its text, a value is the member at once (services build results from changed records).
            referral.outcome = "completed"
            referral.next_step = "no_further_action"
            assert type(referral.outcome) is Outcome and type(referral.next_step) is NextStep
            appointment.attendance = "attended"
            assert appointment.attendance is Attendance.ATTENDED
            session.rollback()
            # Queries: by member, by text, by a list; text no status has finds nothing.
            count = select(func.count()).select_from(Referral)
            assert session.scalar(count.where(Referral.status == Status.BOOKED)) == 1
            assert session.scalar(count.where(Referral.status == "booked")) == 1
            assert session.scalar(count.where(Referral.status.in_(OPEN_STATUSES))) == 1
            assert session.scalar(count.where(text(OPEN_STATUSES_SQL))) == 1
            assert session.scalar(count.where(Referral.status == "no_such_status")) == 0
            assert session.scalar(count.where(Referral.outcome == "")) == 1
        with pytest.raises(ValueError, match="'no_such_status' is not a Status"):
            Referral(status="no_such_status")
        with pytest.raises(StatementError, match="'no_such_status' is not a Status"), ctx.engine.begin() as connection:
            connection.execute(update(Referral).values(status="no_such_status"))
        with pytest.raises(StatementError, match="'' is not a SessionType"), ctx.engine.begin() as connection:
            connection.execute(
                insert(Appointment.__table__).values(  # a blank only where blank means "not yet"
                    referral_id=saved.id,
                    scheduled_at=datetime(2026, 3, 4),
                    session_type="",
                    created_at=datetime(2026, 3, 2),
                )
            )
        with ctx.engine.connect() as connection:
            assert connection.execute(text("SELECT status FROM referrals")).scalar() == "booked"
    finally:
        ctx.engine.dispose()


def test_the_open_statuses_are_one_list() -> None:
    assert OPEN_STATUSES == (Status.AWAITING_APPOINTMENT, Status.BOOKED, Status.AWAITING_CONFIRMATION)
    assert [s for s in Status if s.is_open] == list(OPEN_STATUSES)
    assert OPEN_STATUSES_SQL == "status IN ('awaiting_appointment', 'booked', 'awaiting_confirmation')"
