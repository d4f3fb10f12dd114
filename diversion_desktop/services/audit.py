"""The audit trail: who did what to which record, and who opened it, hash-chained.

Every service that changes a record or opens a person's record or a document calls
``record`` with the session of its own transaction, so the audit row is written with the
change or not at all. Each row's ``hash`` is SHA-256 over its content and the previous row's
hash; ids are given in sequence under the writing lock, so ``verify`` finds an edited row,
a deleted row (the next row's ``prev_hash`` no longer matches, or an id is missing) and rows
added out of turn. The database refuses UPDATE and DELETE on the table besides (triggers in
revision 0005). Deleting the newest rows leaves a shorter chain that still verifies:
``verify`` reports the newest hash, so an administrator who notes it can tell.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from diversion_desktop.store.models import AuditEvent

GENESIS = "0" * 64
Change = tuple[str, Any, Any]  # field, from, to


def _plain(value: Any) -> Any:  # noqa: ANN401 - any field value
    """A field value as JSON can hold it, the same way every time (the hash depends on it)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def changes_between(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The fields whose value differs, as (field, from, to), in ``after``'s order."""
    return [(name, before.get(name), value) for name, value in after.items() if before.get(name) != value]


def created(values: Mapping[str, Any]) -> list[Change]:
    """A new record's fields, each from nothing to its value (empty values left out)."""
    return [(name, None, value) for name, value in values.items() if value not in (None, "", [], {})]


def _content_hash(event_id: int, at: datetime, username: str, action: str, entity: str, record_id: int | None,
                  reference: str, person_id: int | None, changes: str, detail: str, prev_hash: str) -> str:
    content = json.dumps([event_id, at.isoformat(), username, action, entity, record_id, reference, person_id,
                          changes, detail, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Only one writer extends the chain at a time. SQLite's writing transactions are already one
    at a time (BEGIN IMMEDIATE); PostgreSQL takes a lock held until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7270501)"))


def record(session: Session, username: str, at: datetime, action: str, *, entity: str = "",
           record_id: int | None = None, reference: str = "", person_id: int | None = None,
           changes: Sequence[Change] = (), detail: str = "") -> AuditEvent:
    """Append one audit row in ``session``'s transaction (the caller's unit of work)."""
    _lock_chain(session)
    session.flush()  # earlier rows of this transaction are in the table before we read the last one
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    event_id, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    changes_json = json.dumps([[name, _plain(old), _plain(new)] for name, old, new in changes],
                              ensure_ascii=False, separators=(",", ":")) if changes else ""
    at = at.replace(microsecond=0)
    event = AuditEvent(id=event_id, at=at, username=username, action=action, entity=entity, record_id=record_id,
                       record_reference=reference, person_id=person_id, changes=changes_json, detail=detail,
                       prev_hash=prev_hash)
    event.hash = _content_hash(event_id, at, username, action, entity, record_id, reference, person_id,
                               changes_json, detail, prev_hash)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    newest_hash: str
    problems: tuple[str, ...]

    def summary(self) -> str:
        if self.ok:
            return (f"The audit trail is intact: {self.rows:,} row(s), each chained to the one before. "
                    f"Newest hash {self.newest_hash}.")
        shown = "\n".join(f"- {p}" for p in self.problems[:20])
        more = f"\n… and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        return f"The audit trail has been changed: {len(self.problems)} problem(s) in {self.rows:,} row(s).\n{shown}{more}"


def verify_rows(rows: Iterable[AuditEvent | Any]) -> VerifyResult:  # noqa: ANN401 - rows with the columns
    """Check the chain row by row in id order."""
    problems: list[str] = []
    expected_prev, expected_id, count = GENESIS, 1, 0
    for row in rows:
        count += 1
        if row.id != expected_id:
            problems.append(f"row {expected_id}" + (f" to {row.id - 1}" if row.id - 1 > expected_id else "")
                            + " missing (deleted)" if row.id > expected_id else f"row {row.id} out of sequence")
        if row.prev_hash != expected_prev:
            problems.append(f"row {row.id}: does not follow the row before it (a row before it was changed "
                            "or deleted)")
        actual = _content_hash(row.id, row.at, row.username, row.action, row.entity, row.record_id,
                               row.record_reference, row.person_id, row.changes, row.detail, row.prev_hash)
        if actual != row.hash:
            problems.append(f"row {row.id}: its content does not match its hash (the row was edited)")
        expected_prev, expected_id = row.hash, row.id + 1
    return VerifyResult(ok=not problems, rows=count, newest_hash=expected_prev, problems=tuple(problems))


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    return verify_rows(_in_order(session, batch))


def _in_order(session: Session, batch: int) -> Iterator[Any]:  # noqa: ANN401
    columns = (AuditEvent.id, AuditEvent.at, AuditEvent.username, AuditEvent.action, AuditEvent.entity,
               AuditEvent.record_id, AuditEvent.record_reference, AuditEvent.person_id, AuditEvent.changes,
               AuditEvent.detail, AuditEvent.prev_hash, AuditEvent.hash)
    after = 0
    while True:
        rows = session.execute(select(*columns).where(AuditEvent.id > after).order_by(AuditEvent.id)
                               .limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def log(session: Session, ctx: Any, action: str, **details: Any) -> AuditEvent:  # noqa: ANN401
    """``record`` as the signed-in user of ``ctx`` (an AppContext), now."""
    return record(session, ctx.user, ctx.now(), action, **details)
