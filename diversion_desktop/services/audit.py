"""The audit trail: who did what to which record, and who opened it, hash-chained.

Every service that changes a record or opens a person's record or a document calls
``record`` with the session of its own transaction, so the audit row is written with the
change or not at all. Each row's ``hash`` is SHA-256 over its content and the previous row's
hash; ids are given in sequence under the writing lock, so ``verify`` finds an edited row,
a deleted row (the next row's ``prev_hash`` no longer matches, or an id is missing) and rows
added out of turn. The database refuses UPDATE and DELETE on the table besides (triggers in
revision 0005). Deleting the newest rows leaves a shorter chain that still verifies:
``verify`` reports the newest hash, so an administrator who notes it can tell.

Rows written from revision 0007 on (version 2) hash a salted digest of their values instead of
the values, so that ``erase`` can empty the values of rows about an anonymised person or referral
and the chain still verifies; the database allows that one change (revision 0007's triggers).
An erasure is valid only for a person or referral that the chain itself shows anonymised by
retention (its ``person_anonymised`` or ``referral_anonymised`` row, after the erased one).

Rows written from revision 0010 on (version 3) are hashed under a secret key kept outside the
database (store/audit_chain.py), so that rewriting the chain after dropping the triggers does not
verify; the rows before revision 0010's marker row verify as written before keyed hashing.
``verify`` also checks the users table against the chain: a user without the row that created
them (inserted by hand), or whose roles are not the ones the chain last gave them, is reported.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from diversion_desktop.store import audit_chain
from diversion_desktop.store.audit_chain import GENESIS, KEYED_VERSION, MARKER_ACTION
from diversion_desktop.store.models import AuditEvent, IssuedDocument, User

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


VERSION = KEYED_VERSION  # rows written now: the salted digest of the values, keyed (revision 0010)
ERASABLE_VERSIONS = (2, KEYED_VERSION)  # their hash covers a digest, so their values can be emptied
ERASED = "(erased when the record was anonymised)"
_content_digest = audit_chain.content_digest
_row_hash = audit_chain.row_hash


def lock_chain(session: Session) -> None:
    """Only one writer extends the chain at a time. SQLite's writing transactions are already one
    at a time (BEGIN IMMEDIATE); PostgreSQL takes a lock held until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(7270501)"))


def record(
    session: Session,
    username: str,
    at: datetime,
    action: str,
    *,
    entity: str = "",
    record_id: int | None = None,
    reference: str = "",
    person_id: int | None = None,
    changes: Sequence[Change] = (),
    detail: str = "",
) -> AuditEvent:
    """Append one audit row in ``session``'s transaction (the caller's unit of work)."""
    lock_chain(session)
    session.flush()  # earlier rows of this transaction are in the table before we read the last one
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    event_id, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    changes_json = (
        json.dumps(
            [[name, _plain(old), _plain(new)] for name, old, new in changes], ensure_ascii=False, separators=(",", ":")
        )
        if changes
        else ""
    )
    at = at.replace(microsecond=0)
    salt = secrets.token_hex(16)
    event = AuditEvent(
        id=event_id,
        at=at,
        username=username,
        action=action,
        entity=entity,
        record_id=record_id,
        record_reference=reference,
        person_id=person_id,
        changes=changes_json,
        detail=detail,
        prev_hash=prev_hash,
        hash_version=VERSION,
        salt=salt,
        content_digest=_content_digest(salt, changes_json, detail),
    )
    event.hash = _row_hash(event)
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
            return (
                f"The audit trail is intact: {self.rows:,} row(s), each chained to the one before. "
                f"Newest hash {self.newest_hash}."
            )
        shown = "\n".join(f"- {p}" for p in self.problems[:20])
        more = f"\n… and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        return (
            f"The audit trail has been changed: {len(self.problems)} problem(s) in {self.rows:,} row(s).\n{shown}{more}"
        )


def verify_rows(rows: Iterable[AuditEvent | Any], key: bytes | None = None) -> VerifyResult:
    """Check the chain row by row in id order. Rows hashed without the key (versions 1 and 2) are
    accepted only before the marker row that revision 0010 wrote; every row after it, and every
    row of a chain begun keyed, must be keyed."""
    key = key if key is not None else audit_chain.audit_key()
    problems: list[str] = []
    expected_prev, expected_id, count = GENESIS, 1, 0
    unkeyed = 0  # rows before keyed hashing, not yet followed by the marker
    keyed_seen = False
    for row in rows:
        count += 1
        if row.id != expected_id:
            problems.append(
                f"row {expected_id}" + (f" to {row.id - 1}" if row.id - 1 > expected_id else "") + " missing (deleted)"
                if row.id > expected_id
                else f"row {row.id} out of sequence"
            )
        if row.prev_hash != expected_prev:
            problems.append(f"row {row.id}: does not follow the row before it (a row before it was changed or deleted)")
        if row.hash_version not in (1, 2, KEYED_VERSION):
            problems.append(f"row {row.id}: unknown hash version {row.hash_version} (the row was edited)")
        elif _row_hash(row, key) != row.hash or (
            row.hash_version in ERASABLE_VERSIONS
            and row.erased_at is None
            and _content_digest(row.salt, row.changes, row.detail) != row.content_digest
        ):
            problems.append(
                f"row {row.id}: its content does not match its hash (the row was edited"
                + (
                    ", or this computer's audit key is not the one it was written with)"
                    if row.hash_version == KEYED_VERSION
                    else ")"
                )
            )
        elif row.erased_at is not None and (row.changes or row.detail or row.salt):
            problems.append(f"row {row.id}: marked erased but holds values (the row was edited)")
        if row.hash_version == KEYED_VERSION:
            if unkeyed and row.action != MARKER_ACTION:
                problems.append(
                    f"row {row.id}: keyed rows follow {unkeyed} row(s) written without the key and no "
                    "marker (the chain was rewritten)"
                )
            unkeyed, keyed_seen = 0, True
        elif row.hash_version in (1, 2):
            if keyed_seen:
                problems.append(
                    f"row {row.id}: written without the key after keyed hashing began (the chain was rewritten)"
                )
            unkeyed += 1
        expected_prev, expected_id = row.hash, row.id + 1
    if unkeyed and not keyed_seen:
        problems.append(
            f"rows 1 to {count}: none is keyed with the audit key and no marker row follows them (the "
            "chain was rewritten, or the database was never upgraded to revision 0010)"
        )
    elif unkeyed:
        problems.append(
            f"the last {unkeyed} row(s) were written without the key after keyed hashing began (the "
            "chain was rewritten)"
        )
    return VerifyResult(ok=not problems, rows=count, newest_hash=expected_prev, problems=tuple(problems))


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    result = verify_rows(_in_order(session, batch))
    unexplained = [
        f"row {row_id}: its values were erased but the chain does not show its record anonymised by retention"
        for row_id in session.scalars(_erased_without_cause())
    ]
    users = _users_not_in_chain(session)
    if not unexplained and not users:
        return result
    return replace(result, ok=False, problems=result.problems + tuple(unexplained) + tuple(users))


def _erased_without_cause() -> Select:
    """Erased rows that no retention row of the chain explains: an erasure is allowed by the
    database, so one made by hand (to hide what a row said) is found here, even if the person or
    referral was also marked anonymised by hand. The explaining row is ``person_anonymised`` for
    the row's person, or ``referral_anonymised`` for the row's referral or the referral of its
    document, written after the erased row and not itself erased."""
    event = AuditEvent
    cause = aliased(AuditEvent)
    after = (cause.id > event.id) & cause.erased_at.is_(None)
    person_gone = exists().where(
        after, cause.action == "person_anonymised", cause.entity == "person", cause.record_id == event.person_id
    )
    referral_gone = exists().where(
        after,
        cause.action == "referral_anonymised",
        cause.entity == "referral",
        cause.record_reference == event.record_reference,
    )
    document_gone = exists().where(
        after,
        cause.action == "referral_anonymised",
        cause.entity == "referral",
        IssuedDocument.document_reference == event.record_reference,
        cause.record_id == IssuedDocument.referral_id,
    )
    return (
        select(event.id)
        .where(event.erased_at.is_not(None), ~person_gone, ~referral_gone, ~document_gone)
        .order_by(event.id)
    )


def _users_not_in_chain(session: Session) -> list[str]:
    """Users the chain does not account for: no ``user_created`` row (inserted by hand), or roles
    other than the ones the chain last recorded for them."""
    recorded: dict[int | None, list | None] = {}
    for record_id, changes in session.execute(
        select(AuditEvent.record_id, AuditEvent.changes)
        .where(AuditEvent.entity == "user", AuditEvent.action.in_(("user_created", "user_roles_changed")))
        .order_by(AuditEvent.id)
    ):
        roles = next((new for name, _old, new in (json.loads(changes) if changes else []) if name == "roles"), None)
        if roles is not None or record_id not in recorded:
            recorded[record_id] = roles
    problems = []
    for user_id, username, roles in session.execute(select(User.id, User.username, User.roles).order_by(User.id)):
        if user_id not in recorded:
            problems.append(
                f"user {username}: not created through the application (no row of the audit trail "
                "created them: inserted by hand)"
            )
        elif (chained := recorded[user_id]) is not None and sorted(chained) != sorted(roles):
            problems.append(
                f"user {username}: roles {', '.join(sorted(roles))} are not the ones the audit trail "
                f"gave them ({', '.join(sorted(chained))}): changed by hand"
            )
    return problems


def had_users(session: Session) -> bool:
    """Whether the chain records that a user was ever created: such a database never goes back to
    setup mode, even if its users table is emptied by hand."""
    return session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user_created").limit(1)) is not None


def _in_order(session: Session, batch: int) -> Iterator[Any]:
    columns = (
        AuditEvent.id,
        AuditEvent.at,
        AuditEvent.username,
        AuditEvent.action,
        AuditEvent.entity,
        AuditEvent.record_id,
        AuditEvent.record_reference,
        AuditEvent.person_id,
        AuditEvent.changes,
        AuditEvent.detail,
        AuditEvent.prev_hash,
        AuditEvent.hash,
        AuditEvent.hash_version,
        AuditEvent.salt,
        AuditEvent.content_digest,
        AuditEvent.erased_at,
    )
    after = 0
    while True:
        rows = session.execute(select(*columns).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


# What a referral's rows are about: itself, its appointments (their rows carry the referral's
# reference) and its documents (their own references).
_REFERRAL_ENTITIES = ("referral", "appointment", "document")


def erase(
    session: Session,
    at: datetime,
    *,
    person_ids: Sequence[int] = (),
    references: Sequence[str] = (),
    keep_actions: Sequence[str] = (),
) -> int:
    """Empty the values of the rows about these people (every row carrying their id) and these
    referrals or documents (by reference), but not of rows of ``keep_actions`` (which record no
    personal values: the anonymising run's own), in ``session``'s transaction; how many rows.
    Rows written before revision 0007 keep their values: their hash covers them."""
    about: list[ColumnElement[bool]] = []
    if person_ids:
        about.append(AuditEvent.person_id.in_(list(person_ids)))
    if references:
        about.append(AuditEvent.record_reference.in_(list(references)) & AuditEvent.entity.in_(_REFERRAL_ENTITIES))
    if not about:
        return 0
    result = session.execute(
        update(AuditEvent)
        .where(
            or_(*about),
            AuditEvent.action.not_in(list(keep_actions)),
            AuditEvent.hash_version.in_(ERASABLE_VERSIONS),
            AuditEvent.erased_at.is_(None),
        )
        .values(changes="", detail="", salt="", erased_at=at.replace(microsecond=0)),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def log(session: Session, ctx: Any, action: str, **details: Any) -> AuditEvent:  # noqa: ANN401 (AppContext imports this module)
    """``record`` as the signed-in user of ``ctx`` (an AppContext), now."""
    return record(session, ctx.user, ctx.now(), action, **details)
