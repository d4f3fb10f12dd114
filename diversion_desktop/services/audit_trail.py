"""The administrators' view of the audit trail: filter, check the chain, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from diversion_desktop.domain.permissions import Permission
from diversion_desktop.services import audit
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.spreadsheets.writer import INT, Column, columns, write_csv
from diversion_desktop.store.models import AuditEvent, Person

PAGE = 500
EXPORT_COLUMNS = (
    Column("id", INT),
    *columns(["at", "username", "action", "entity"]),
    Column("record_id", INT),
    Column("reference"),
    Column("person_id", INT),
    *columns(["changes", "detail", "prev_hash", "hash", "erased_at"]),
)


@dataclass(frozen=True)
class AuditFilters:
    username: str = ""
    person_reference: str = ""  # a person's reference (P-…)
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    username: str
    action: str
    entity: str
    record_id: int | None
    reference: str
    person_id: int | None
    changes: tuple[tuple[str, object, object], ...]
    detail: str
    person_reference: str = ""  # the person's reference (P-…), filled in by ``events``
    erased_at: datetime | None = None  # its values erased when the record was anonymised

    def changes_text(self) -> str:
        if self.erased_at is not None:
            return f"{audit.ERASED} {self.erased_at:%d/%m/%Y}"
        return "; ".join(f"{name}: {_short(old)} → {_short(new)}" for name, old, new in self.changes)


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _row(event: AuditEvent) -> AuditRow:
    changes = tuple(tuple(c) for c in json.loads(event.changes)) if event.changes else ()
    return AuditRow(
        event.id,
        event.at,
        event.username,
        event.action,
        event.entity,
        event.record_id,
        event.record_reference,
        event.person_id,
        changes,
        event.detail,
        erased_at=event.erased_at,
    )


class AuditTrailService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def _query(self, session: Session, filters: AuditFilters) -> Select:
        stmt = select(AuditEvent)
        if filters.username.strip():
            stmt = stmt.where(AuditEvent.username == filters.username.strip().lower())
        if filters.action.strip():
            stmt = stmt.where(AuditEvent.action == filters.action.strip())
        if filters.date_from:
            stmt = stmt.where(AuditEvent.at >= datetime.combine(filters.date_from, time.min))
        if filters.date_to:
            stmt = stmt.where(AuditEvent.at < datetime.combine(filters.date_to + timedelta(days=1), time.min))
        if filters.person_reference.strip():
            reference = filters.person_reference.strip().upper()
            person_id = session.scalar(select(Person.id).where(Person.reference == reference))
            if person_id is None:
                raise ValidationError({"person": f"There is no person with the reference {reference}."})
            stmt = stmt.where(AuditEvent.person_id == person_id)
        return stmt

    def events(self, filters: AuditFilters, limit: int = PAGE, offset: int = 0) -> tuple[int, list[AuditRow]]:
        """(how many match, the newest first from ``offset``)."""
        self.ctx.require(Permission.VIEW_AUDIT)
        with self.ctx.reading() as session:
            stmt = self._query(session, filters)
            total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = [_row(r) for r in session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))]
            ids = {r.person_id for r in rows if r.person_id is not None}
            references = {
                person_id: reference
                for person_id, reference in session.execute(
                    select(Person.id, Person.reference).where(Person.id.in_(ids))
                )
            }
            return total, [
                replace(r, person_reference=references.get(r.person_id, "")) if r.person_id else r for r in rows
            ]

    def actions(self) -> list[str]:
        self.ctx.require(Permission.VIEW_AUDIT)
        with self.ctx.reading() as session:
            return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))

    def verify(self) -> audit.VerifyResult:
        self.ctx.require(Permission.VIEW_AUDIT)
        with self.ctx.reading() as session:
            result = audit.verify(session)
        with self.ctx.unit_of_work() as session:
            audit.log(
                session,
                self.ctx,
                "audit_verified",
                entity="audit",
                detail=f"{result.rows} row(s); {'intact' if result.ok else 'CHANGED'}",
            )
        return result

    def export(self, filters: AuditFilters, out: Path) -> int:
        """The matching rows, oldest first, as CSV (UTF-8 with BOM, for Excel); the number written.
        Written by the spreadsheet writer, so text that a spreadsheet program would run as a formula
        (a user name typed at sign-in, a reason) is neutralised, and the file is owner-only.
        Audited: exporting the audit trail is itself in it."""
        self.ctx.require(Permission.VIEW_AUDIT)
        with self.ctx.reading() as session:
            stmt = self._query(session, filters).order_by(AuditEvent.id)
            rows = (
                [
                    event.id,
                    event.at.isoformat(sep=" "),
                    event.username,
                    event.action,
                    event.entity,
                    event.record_id,
                    event.record_reference,
                    event.person_id,
                    event.changes,
                    event.detail,
                    event.prev_hash,
                    event.hash,
                    event.erased_at.isoformat(sep=" ") if event.erased_at else "",
                ]
                for event in _batched(session, stmt)
            )
            written = write_csv(Path(out), EXPORT_COLUMNS, rows)
        with self.ctx.unit_of_work() as session:
            audit.log(session, self.ctx, "audit_exported", entity="audit", detail=f"{written} row(s) to {out.name}")
        return written


def _batched(session: Session, stmt: Select) -> Iterator[AuditEvent]:
    yield from session.scalars(stmt.execution_options(yield_per=2000))
