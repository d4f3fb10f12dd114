"""Revision 0011 (a version on people, referrals and appointments), both ways, on a database in use,
on SQLite and PostgreSQL: stored records start at version 1, every row is kept, and the triggers
that keep the referrals' copies of the person's groups (revision 0006) still work: no table was
copied."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text

from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.store.migrate import alembic_config, current_revision
from tests.conftest import EVERY_ROLE, FakeClock
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401 - fixtures

TABLES = ("people", "referrals", "appointments")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, db_url: str) -> str:
    return db_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def test_0011_both_ways_keeps_every_row_and_the_triggers(url: str, make_draft) -> None:
    clock = FakeClock()
    ctx = open_context(url, clock=clock, user="tester", principal=EVERY_ROLE)
    engine = ctx.engine
    try:
        # A database in use: a referral with an appointment recorded, taken back to 0010.
        saved = IntakeService(ctx).save(make_draft())
        first = ProgrammeService(ctx).book(saved.id, datetime(2026, 3, 3, 10))
        clock.set(datetime(2026, 3, 3, 11))
        ProgrammeService(ctx).record(first.id, Attendance.ATTENDED)
        command.downgrade(alembic_config(engine), "0010")
        assert all("version" not in {c["name"] for c in inspect(engine).get_columns(t)} for t in TABLES)
        before = {t: _rows(engine, t) for t in TABLES}

        command.upgrade(alembic_config(engine), "0011")
        assert current_revision(engine) == "0011"
        with engine.connect() as connection:
            for table in TABLES:
                assert connection.execute(text(f"SELECT DISTINCT version FROM {table}")).scalars().all() == [1]
        assert {t: _rows(engine, t, without="version") for t in TABLES} == before

        # Versions count on from 1; the person's groups still reach the referrals (the triggers).
        programme = ProgrammeService(ctx)
        row = programme.book(saved.id, datetime(2026, 3, 5, 10))
        assert row.version == 1
        clock.set(datetime(2026, 3, 5, 11))
        programme.record(row.id, Attendance.ATTENDED, expected_version=row.version)
        with engine.begin() as connection:
            assert (
                connection.execute(text("SELECT version FROM appointments WHERE id = :i"), {"i": row.id}).scalar() == 2
            )
            assert connection.execute(text("SELECT version FROM referrals")).scalar() == 3  # booked, then recorded
            connection.execute(text("UPDATE people SET sex = 'Female'"))
            assert connection.execute(text("SELECT person_sex FROM referrals")).scalar() == "Female"

        command.downgrade(alembic_config(engine), "0010")
        assert all("version" not in {c["name"] for c in inspect(engine).get_columns(t)} for t in TABLES)
        with engine.begin() as connection:
            connection.execute(text("UPDATE people SET sex = 'Male'"))
            assert connection.execute(text("SELECT person_sex FROM referrals")).scalar() == "Male"
            assert connection.execute(text("SELECT count(*) FROM appointments")).scalar() == 2
        command.upgrade(alembic_config(engine), "head")
    finally:
        engine.dispose()


def _rows(engine, table: str, without: str = "") -> list[tuple]:
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
        keep = [i for i, name in enumerate(result.keys()) if name != without]
        return [tuple(row[i] for i in keep) for row in result]
