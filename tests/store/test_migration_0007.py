"""Revision 0007 (audit values that anonymisation can erase) on a trail already written at 0006."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy.exc import DBAPIError

from diversion_desktop.services import audit
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.store.database import make_engine
from diversion_desktop.store.migrate import alembic_config
from diversion_desktop.store.models import AuditEvent
from tests.conftest import EVERY_ROLE, FakeClock

AT = datetime(2026, 3, 2, 10, 0)


def _write_as_0006(path: Path) -> None:
    """Two rows hashed over their values, as revision 0005's code wrote them."""
    prev = audit.GENESIS
    connection = sqlite3.connect(path)
    try:
        for row_id, surname in ((1, "Smith"), (2, "Smyth")):
            row = SimpleNamespace(
                id=row_id,
                at=AT,
                username="tester",
                action="person_changed",
                entity="person",
                record_id=7,
                record_reference="P000007",
                person_id=7,
                changes=f'[["surname",null,"{surname}"]]',
                detail="",
                prev_hash=prev,
                hash_version=1,
            )
            row.hash = audit._row_hash(row)
            connection.execute(
                "INSERT INTO audit_events (id, at, username, action, entity, record_id, "
                "record_reference, person_id, changes, detail, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.id,
                    AT.isoformat(sep=" "),
                    row.username,
                    row.action,
                    row.entity,
                    row.record_id,
                    row.record_reference,
                    row.person_id,
                    row.changes,
                    row.detail,
                    row.prev_hash,
                    row.hash,
                ),
            )
            prev = row.hash
        connection.commit()
    finally:
        connection.close()


def test_upgrade_keeps_the_old_rows_verifiable_and_new_rows_erasable(tmp_path: Path) -> None:
    path = tmp_path / "in-use.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0006")
    engine.dispose()
    _write_as_0006(path)

    ctx = open_context(url, clock=FakeClock(AT), user="tester", principal=EVERY_ROLE)  # upgrades to 0007
    try:
        with ctx.unit_of_work() as session:
            audit.log(
                session,
                ctx,
                "person_changed",
                entity="person",
                record_id=7,
                reference="P000007",
                person_id=7,
                changes=[("surname", "Smyth", "Smithe")],
            )
        with ctx.reading() as session:
            rows = session.query(AuditEvent).order_by(AuditEvent.id).all()
            # Revision 0010 then wrote its marker row (keyed, version 3), and rows are keyed since.
            assert [(r.hash_version, r.salt != "", len(r.content_digest)) for r in rows] == [
                (1, False, 0),
                (1, False, 0),
                (3, True, 64),
                (3, True, 64),
            ]
            assert rows[2].action == audit.MARKER_ACTION and rows[3].prev_hash == rows[2].hash
            assert audit.verify(session).ok
        with ctx.unit_of_work() as session:
            assert audit.erase(session, AT, person_ids=[7]) == 1  # the new row only
        with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE audit_events SET changes = '', detail = '', salt = '', erased_at = '2033-01-01' WHERE id = 1"
            )
        with ctx.reading() as session:
            assert [r.changes for r in session.query(AuditEvent).order_by(AuditEvent.id)] == [
                '[["surname",null,"Smith"]]',
                '[["surname",null,"Smyth"]]',
                "",
                "",
            ]
    finally:
        ctx.engine.dispose()
