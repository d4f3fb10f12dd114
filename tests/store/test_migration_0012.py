"""Revision 0012 (foreign keys on barred_by_referral_id, merged_into_id and issued_documents.appointment_id)
on a database in use at 0011, on SQLite and PostgreSQL: a link to a row that is not there is cleared,
every other value and row is kept (aliases and name keys too: SQLite does not copy ``people``, which
would delete them), the person's groups still reach the referrals (the trigger on ``people``), the
keys then refuse a dangling link, and the downgrade takes them away again."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.store.migrate import alembic_config, current_revision
from tests.conftest import EVERY_ROLE, FakeClock
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401 - fixtures

MISSING = 987654  # an id no row has
LINKS = {
    ("people", "barred_by_referral_id"): "referrals",
    ("people", "merged_into_id"): "people",
    ("issued_documents", "appointment_id"): "appointments",
}
TABLES = ("people", "person_aliases", "person_name_keys", "referrals", "appointments", "issued_documents")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, db_url: str) -> str:
    return db_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")


def _keys(engine: Engine) -> dict[tuple[str, str], str]:
    inspector = inspect(engine)
    return {
        (table, fk["constrained_columns"][0]): fk["referred_table"]
        for table in ("people", "issued_documents")
        for fk in inspector.get_foreign_keys(table)
        if (table, fk["constrained_columns"][0]) in LINKS
    }


def _rows(engine: Engine, table: str) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()]


def _issue(connection, referral_id: int, appointment_id: int) -> None:
    connection.execute(
        text(
            "INSERT INTO issued_documents (referral_id, appointment_id, kind, document_reference, title, recipient, "
            "issued_at, issued_by, template_version, page_count, sha256, content, withdrawn_by, withdrawn_reason) "
            "VALUES (:r, :a, 'appointment_letter', :ref, 'Appointment', 'John Smith', '2026-03-02 10:00:00', "
            "'tester', '1', 1, :sha, :content, '', '')"
        ),
        {
            "r": referral_id,
            "a": appointment_id,
            "ref": f"DOC-{appointment_id}",
            "sha": "0" * 64,
            "content": b"%PDF-1.4",
        },
    )


def test_0012_clears_dangling_links_keeps_every_row_and_both_ways(url: str, make_draft) -> None:
    clock = FakeClock()
    ctx = open_context(url, clock=clock, user="tester", principal=EVERY_ROLE)
    engine = ctx.engine
    try:
        # A database in use at 0011: two people, a referral with an attended appointment, an alias.
        first = IntakeService(ctx).save(make_draft())
        second = IntakeService(ctx).save(make_draft(surname="Jones-Brown", forenames="Ann"))
        appointment = ProgrammeService(ctx).book(first.id, datetime(2026, 3, 3, 10))
        clock.set(datetime(2026, 3, 3, 11))
        ProgrammeService(ctx).record(appointment.id, Attendance.ATTENDED)
        command.downgrade(alembic_config(engine), "0011")
        assert _keys(engine) == {}
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO person_aliases (person_id, surname, forenames, surname_norm, "
                    "forenames_norm) VALUES (:p, 'Smyth', 'Jon', 'smyth', 'jon')"
                ),
                {"p": first.person_id},
            )
            # Good links, and links to rows that are not there (written when nothing checked them).
            connection.execute(
                text("UPDATE people SET barred_by_referral_id = :r, merged_into_id = NULL WHERE id = :p"),
                {"r": first.id, "p": first.person_id},
            )
            connection.execute(
                text("UPDATE people SET barred_by_referral_id = :m, merged_into_id = :m WHERE id = :p"),
                {"m": MISSING, "p": second.person_id},
            )
            _issue(connection, first.id, appointment.id)
            _issue(connection, first.id, MISSING)
        before = {t: _rows(engine, t) for t in TABLES}
        assert before["person_aliases"] and before["person_name_keys"]  # ("brown", of "Jones-Brown")

        command.upgrade(alembic_config(engine), "0012")
        assert current_revision(engine) == "0012"
        assert _keys(engine) == LINKS
        after = {t: _rows(engine, t) for t in TABLES}
        people = {p["id"]: p for p in after["people"]}
        assert (people[first.person_id]["barred_by_referral_id"], people[first.person_id]["merged_into_id"]) == (
            first.id,
            None,
        )
        assert (people[second.person_id]["barred_by_referral_id"], people[second.person_id]["merged_into_id"]) == (
            None,
            None,
        )
        assert [d["appointment_id"] for d in after["issued_documents"]] == [appointment.id, None]
        # Apart from the cleared links, every row as it was (the columns re-added on SQLite come last).
        cleared = {
            (second.person_id, "barred_by_referral_id"),
            (second.person_id, "merged_into_id"),
            (before["issued_documents"][1]["id"], "appointment_id"),
        }
        for table in TABLES:
            assert [
                {k: (None if (row["id"], k) in cleared else v) for k, v in row.items()} for row in before[table]
            ] == after[table], table

        with engine.begin() as connection:
            connection.execute(text("UPDATE people SET sex = 'Female' WHERE id = :p"), {"p": first.person_id})
            assert (
                connection.execute(text("SELECT person_sex FROM referrals WHERE id = :r"), {"r": first.id}).scalar()
                == "Female"
            )  # the trigger on people stayed
        for table, column in LINKS:
            with pytest.raises(IntegrityError), engine.begin() as connection:
                connection.execute(text(f"UPDATE {table} SET {column} = :m"), {"m": MISSING})
        # The links still work as they did: a merged record naming the kept one.
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE people SET merged_into_id = :k WHERE id = :p"),
                {"k": first.person_id, "p": second.person_id},
            )

        command.downgrade(alembic_config(engine), "0011")
        assert _keys(engine) == {}
        assert {t: len(_rows(engine, t)) for t in TABLES} == {t: len(before[t]) for t in TABLES}
        with engine.begin() as connection:  # no key: a dangling link is written again, as at 0011
            connection.execute(
                text("UPDATE people SET merged_into_id = :m WHERE id = :p"), {"m": MISSING, "p": second.person_id}
            )
            assert (
                connection.execute(
                    text("SELECT barred_by_referral_id FROM people WHERE id = :p"), {"p": first.person_id}
                ).scalar()
                == first.id
            )
        command.upgrade(alembic_config(engine), "head")
        assert _rows(engine, "people")[-1]["merged_into_id"] is None
    finally:
        engine.dispose()


def test_a_referral_with_documents_for_its_appointments_can_still_be_deleted(url: str, make_draft) -> None:
    """An import taking back its referrals deletes them with their appointments and documents in one
    statement: the new key on the documents' appointment does not stop it."""
    ctx = open_context(url, clock=FakeClock(), user="tester", principal=EVERY_ROLE)
    try:
        saved = IntakeService(ctx).save(make_draft())
        appointment = ProgrammeService(ctx).book(saved.id, datetime(2026, 3, 3, 10))
        with ctx.engine.begin() as connection:
            _issue(connection, saved.id, appointment.id)
            connection.execute(text("DELETE FROM referrals WHERE id = :r"), {"r": saved.id})
            assert connection.execute(text("SELECT count(*) FROM issued_documents")).scalar() == 0
            assert connection.execute(text("SELECT count(*) FROM appointments")).scalar() == 0
    finally:
        ctx.engine.dispose()
