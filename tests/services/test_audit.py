"""The audit trail: rows chained by hash, append-only, and a check that finds tampering."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from diversion_desktop.services import audit
from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import PermissionDenied
from diversion_desktop.domain.permissions import Role
from diversion_desktop.store.models import AuditEvent
from tests.conftest import as_role


def _write(ctx: AppContext, n: int) -> None:
    for i in range(n):
        with ctx.unit_of_work() as session:
            audit.log(session, ctx, "changed", entity="referral", record_id=i, reference=f"WB-2026-{i:05d}",
                      person_id=7, changes=[("status", "booked", "completed"), ("note", None, "Zoë & <b>")])


def test_rows_chain_and_verify(ctx: AppContext) -> None:
    _write(ctx, 5)
    with ctx.reading() as session:
        rows = session.query(AuditEvent).order_by(AuditEvent.id).all()
        assert [r.id for r in rows] == [1, 2, 3, 4, 5]
        assert rows[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    result = AuditTrailService(ctx).verify()
    assert result.ok and result.rows == 5 and "intact" in result.summary()


def test_a_rolled_back_change_leaves_no_audit_row(ctx: AppContext) -> None:
    with pytest.raises(RuntimeError), ctx.unit_of_work() as session:
        audit.log(session, ctx, "changed")
        raise RuntimeError("the change failed")
    with ctx.reading() as session:
        assert audit.count(session) == 0


def test_the_database_refuses_update_and_delete(ctx: AppContext) -> None:
    _write(ctx, 2)
    for sql in ("UPDATE audit_events SET detail = 'x'", "DELETE FROM audit_events WHERE id = 1"):
        with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as connection:
            connection.exec_driver_sql(sql)


def _tamper(path: Path, *statements: str) -> None:
    """What someone with the file and a SQLite tool could do: drop the guard, change rows."""
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TRIGGER audit_events_no_update")
        connection.execute("DROP TRIGGER audit_events_no_delete")
        for sql in statements:
            connection.execute(sql)


@pytest.mark.parametrize(("statements", "found"), [
    (("UPDATE audit_events SET username = 'someone' WHERE id = 3",), "row 3: its content does not match"),
    (("DELETE FROM audit_events WHERE id = 2",), "row 2 missing"),
    (("UPDATE audit_events SET changes = '[]' WHERE id = 4",), "row 4: its content"),
])
def test_verify_finds_tampering(ctx: AppContext, db_path: Path, statements: tuple[str, ...], found: str) -> None:
    _write(ctx, 5)
    ctx.engine.dispose()
    _tamper(db_path, *statements)
    result = AuditTrailService(ctx).verify()
    assert not result.ok and found in result.summary()


def test_rehashing_an_edited_row_still_breaks_the_next(ctx: AppContext, db_path: Path) -> None:
    """Recomputing the edited row's own hash does not help: the next row names the old one."""
    _write(ctx, 4)
    with ctx.reading() as session:
        row = session.get(AuditEvent, 2)
        fake = audit._content_hash(row.id, row.at, "someone", row.action, row.entity, row.record_id,
                                   row.record_reference, row.person_id, row.changes, row.detail, row.prev_hash)
    ctx.engine.dispose()
    _tamper(db_path, f"UPDATE audit_events SET username = 'someone', hash = '{fake}' WHERE id = 2")
    result = AuditTrailService(ctx).verify()
    assert not result.ok and "row 3: does not follow" in result.summary()


def test_viewer_filters_and_export(ctx: AppContext, tmp_path: Path) -> None:
    _write(ctx, 3)
    service = AuditTrailService(ctx)
    total, rows = service.events(AuditFilters(username="tester", action="changed"))
    assert total == 3 and rows[0].changes_text() == "status: booked → completed; note:  → Zoë & <b>"
    assert service.events(AuditFilters(username="nobody"))[0] == 0
    written = service.export(AuditFilters(), tmp_path / "audit.csv")
    assert written == 3
    text = (tmp_path / "audit.csv").read_text(encoding="utf-8-sig")
    assert "Zoë & <b>" in text and text.count("\n") == 4


def test_only_administrators_see_the_trail(ctx: AppContext) -> None:
    ctx.sign_in_as(as_role(Role.COORDINATOR))
    with pytest.raises(PermissionDenied):
        AuditTrailService(ctx).events(AuditFilters())
    with pytest.raises(PermissionDenied):
        AuditTrailService(ctx).verify()
