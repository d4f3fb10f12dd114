"""Revision 0008 (withdrawn documents, appointments whose centre was not recorded), both ways, on a
database in use: every row and every PDF byte kept, the indexes still there."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command

from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.store.database import make_engine
from diversion_desktop.store.migrate import alembic_config, current_revision, head_revision
from tests.conftest import EVERY_ROLE, FakeClock


def rows(path: Path, sql: str) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def columns(path: Path, table: str) -> dict[str, bool]:
    """Each column of the table and whether it may be NULL."""
    return {r[1]: not r[3] for r in rows(path, f"PRAGMA table_info({table})")}


def test_0008_both_ways_keeps_every_row(tmp_path: Path, make_draft) -> None:
    path = tmp_path / "in-use.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    clock = FakeClock()
    ctx = open_context(url, clock=clock, user="tester", principal=EVERY_ROLE)
    saved = IntakeService(ctx).save(make_draft())
    programme = ProgrammeService(ctx)
    first = programme.book(saved.id, datetime(2026, 3, 3, 10))
    second = programme.book(saved.id, datetime(2026, 3, 5, 10))
    clock.set(datetime(2026, 3, 3, 11))
    programme.record(first.id, Attendance.ATTENDED)
    issued, pdf = DocumentService(ctx).issue(saved.id, "referral_letter")
    ctx.engine.dispose()
    assert columns(path, "appointments")["centre_code"] and "withdrawn_reason" in columns(path, "issued_documents")
    connection = sqlite3.connect(path)
    connection.execute("UPDATE appointments SET centre_code = NULL WHERE id = ?", (second.id,))  # not recorded
    connection.commit()
    connection.close()
    appointments = rows(path, "SELECT id, referral_id, scheduled_at, session_type, attendance FROM appointments")

    engine = make_engine(url)
    command.downgrade(alembic_config(engine), "0007")
    engine.dispose()
    assert not columns(path, "appointments")["centre_code"]
    assert "withdrawn_at" not in columns(path, "issued_documents")
    assert rows(path, "SELECT id, centre_code FROM appointments ORDER BY id") == [
        (first.id, "newbury"),
        (second.id, ""),
    ]

    ctx = open_context(url, clock=clock, user="tester", principal=EVERY_ROLE)  # upgrades through 0008 again
    try:
        assert current_revision(ctx.engine) == head_revision(ctx.engine)
        assert (
            rows(path, "SELECT id, referral_id, scheduled_at, session_type, attendance FROM appointments")
            == appointments
        )
        assert "ix_appointments_centre_code_scheduled_at" in {
            r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert rows(path, "SELECT withdrawn_at, withdrawn_by, withdrawn_reason FROM issued_documents") == [
            (None, "", "")
        ]
        info, again = DocumentService(ctx).stored(issued.id)
        assert again.content == pdf.content and not info.withdrawn
        with ctx.engine.begin() as connection:  # a centre not recorded may be NULL again
            connection.exec_driver_sql("UPDATE appointments SET centre_code = NULL WHERE id = ?", (second.id,))
        assert columns(path, "appointments")["centre_code"]
    finally:
        ctx.engine.dispose()
