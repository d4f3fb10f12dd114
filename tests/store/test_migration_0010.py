"""Revision 0010 (audit rows keyed with a secret outside the database) on a trail written at 0009."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from diversion_desktop.services import audit
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.store.database import make_engine
from diversion_desktop.store.migrate import alembic_config
from diversion_desktop.store.models import AuditEvent
from tests.conftest import EVERY_ROLE, FakeClock

AT = datetime(2026, 3, 2, 10, 0)


def test_old_rows_verify_up_to_the_marker_and_later_rows_are_keyed(tmp_path: Path) -> None:
    path = tmp_path / "in-use.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0009")
    with engine.begin() as connection:  # rows as revision 0009's code wrote them: version 2, no key
        prev = audit.GENESIS
        for row_id in (1, 2):
            salt, changes = f"{row_id:032d}", '[["status","booked","completed"]]'
            row = type(
                "Row",
                (),
                dict(
                    id=row_id,
                    at=AT,
                    username="tester",
                    action="changed",
                    entity="referral",
                    record_id=1,
                    record_reference="WB-2026-00001",
                    person_id=7,
                    changes=changes,
                    detail="",
                    prev_hash=prev,
                    hash_version=2,
                    content_digest=audit._content_digest(salt, changes, ""),
                ),
            )
            row_hash = audit._row_hash(row)
            connection.execute(
                text(
                    "INSERT INTO audit_events (id, at, username, action, entity, record_id, record_reference, "
                    "person_id, "
                    "changes, detail, prev_hash, hash, hash_version, salt, content_digest) VALUES (:id, :at, 'tester', "
                    "'changed', 'referral', 1, 'WB-2026-00001', 7, :changes, '', :prev, :hash, 2, :salt, :digest)"
                ),
                {
                    "id": row_id,
                    "at": AT,
                    "changes": changes,
                    "prev": prev,
                    "hash": row_hash,
                    "salt": salt,
                    "digest": row.content_digest,
                },
            )
            prev = row_hash
    engine.dispose()

    ctx = open_context(url, clock=FakeClock(AT), user="tester", principal=EVERY_ROLE)  # upgrades to 0010
    try:
        with ctx.unit_of_work() as session:
            audit.log(session, ctx, "changed", entity="referral", record_id=1, reference="WB-2026-00001", person_id=7)
        with ctx.reading() as session:
            rows = session.query(AuditEvent).order_by(AuditEvent.id).all()
            assert [(r.hash_version, r.action) for r in rows] == [
                (2, "changed"),
                (2, "changed"),
                (3, audit.MARKER_ACTION),
                (3, "changed"),
            ]
            assert "rows 1 to 2 were hashed without the audit key" in rows[2].detail
            assert audit.verify(session).ok
        with ctx.unit_of_work() as session:  # keyed rows are erasable like version 2 rows
            assert audit.erase(session, AT, person_ids=[7]) == 3
    finally:
        ctx.engine.dispose()
    # Without the marker (deleted, to pass the rows after it off as old), the keyed rows are reported.
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("DROP TRIGGER audit_events_no_delete")
        connection.execute("DELETE FROM audit_events WHERE id >= 3")
        connection.commit()
    ctx = open_context(url, clock=FakeClock(AT), user="tester", principal=EVERY_ROLE)
    try:
        with ctx.reading() as session:
            result = audit.verify(session)
        assert not result.ok and "none is keyed with the audit key and no marker row follows" in result.summary()
    finally:
        ctx.engine.dispose()
