"""Service fixtures: every service on the same real SQLite file (see tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from diversion_desktop.domain.programme import Attendance, SessionType
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import AppointmentRow
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService


@pytest.fixture
def intake(ctx: AppContext) -> IntakeService:
    return IntakeService(ctx)


@pytest.fixture
def people(ctx: AppContext) -> PeopleService:
    return PeopleService(ctx)


@pytest.fixture
def programme(ctx: AppContext) -> ProgrammeService:
    return ProgrammeService(ctx)


@pytest.fixture
def referrals(ctx: AppContext) -> ReferralService:
    return ReferralService(ctx)


@pytest.fixture
def attend(programme: ProgrammeService, clock) -> Callable[..., AppointmentRow]:
    """Book an appointment ``days`` after now, move the clock to it, record what happened."""

    def run(
        referral_id: int,
        outcome: Attendance = Attendance.ATTENDED,
        days: int = 3,
        session_type: SessionType = SessionType.ASSESSMENT,
    ) -> AppointmentRow:
        when = clock().replace(hour=10, minute=0, second=0) + timedelta(days=days)
        row = programme.book(referral_id, when, session_type=session_type, worker="Sam Worker")
        clock.set(when + timedelta(hours=1))
        programme.record(row.id, outcome)
        return row

    return run


@pytest.fixture
def at() -> Callable[..., datetime]:
    def make(day: int, month: int = 3, hour: int = 10, year: int = 2026) -> datetime:
        return datetime(year, month, day, hour, 0)

    return make
