"""Two people, one record: saves made from a stale copy are refused, never merged silently.

People, referrals and appointments carry a ``version`` that the ORM raises on every change
(``version_id_col``, store/models.py): its UPDATE says ``WHERE version = :read``, so a write
that lost a race matches no row and SQLAlchemy raises StaleDataError (``unit_of_work`` turns it
into StaleRecord). A screen also hands back the version it showed (``expected_version``), so a
save from a form opened before someone else's save is refused before anything is written.

A service that reads, checks and then writes takes its rows with ``lock``: ``SELECT … FOR
UPDATE`` on PostgreSQL, so a second writer waits and then checks the record as the first left
it. SQLite has no row locks and needs none: a writing unit of work holds the file's write lock
from BEGIN IMMEDIATE (store/database.py), so its reads are already the latest.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from diversion_desktop.services.errors import NotFound, StaleRecord
from diversion_desktop.store.models import Appointment, AuditEvent, Person, Referral

Versioned = TypeVar("Versioned", Person, Referral, Appointment)


def lock(session: Session, model: type[Versioned], record_id: int) -> Versioned | None:
    """The row, locked for this transaction (PostgreSQL) and read afresh."""
    return session.get(model, record_id, with_for_update=True, populate_existing=True)


def lock_appointment(session: Session, appointment_id: int) -> Appointment:
    """An appointment and its referral, both locked: the referral first, always, so two writers
    on one referral's appointments queue on the referral instead of deadlocking."""
    referral_id = session.scalar(select(Appointment.referral_id).where(Appointment.id == appointment_id))
    if referral_id is None:
        raise NotFound(f"No appointment with id {appointment_id}.")
    lock(session, Referral, referral_id)
    appointment = lock(session, Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"No appointment with id {appointment_id}.")
    return appointment


def check_version(session: Session, record: Person | Referral | Appointment, expected_version: int | None) -> None:
    """Refuse (StaleRecord) if the record is no longer the version the screen read; None: the
    caller read no version (the command line, which reads and writes at once)."""
    if expected_version is not None and record.version != expected_version:
        raise StaleRecord(stale_message(session, record))


def stale_message(session: Session, record: Person | Referral | Appointment | None) -> str:
    """Who changed ``record`` and when, from the audit trail, in words for the person whose
    save was refused."""
    what, about = _described(record)
    last = None
    if about is not None:
        last = session.execute(
            select(AuditEvent.username, AuditEvent.at, AuditEvent.action)
            .where(about, AuditEvent.changes != "")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()
    changed = (
        f"{what} was changed by {last.username} at {last.at:%d/%m/%Y %H:%M} "
        f"({last.action.replace('_', ' ')}) after you opened it."
        if last is not None
        else f"{what} was changed by someone else after you opened it."
    )
    return f"{changed} Your change was not saved. Reload to see the record as it is now, then make your change again."


def _described(record: Person | Referral | Appointment | None) -> tuple[str, ColumnElement[bool] | None]:
    if isinstance(record, Appointment):
        return (
            f"The appointment of {record.scheduled_at:%d/%m/%Y %H:%M}",
            (AuditEvent.entity == "appointment") & (AuditEvent.record_id == record.id),
        )
    if isinstance(record, Referral):
        # The referral's state changes with its appointments: their rows carry its reference.
        return (f"Referral {record.reference}", AuditEvent.record_reference == record.reference)
    if isinstance(record, Person):
        return (
            f"The record of {record.forenames} {record.surname} ({record.reference})",
            AuditEvent.person_id == record.id,
        )
    return "This record", None
