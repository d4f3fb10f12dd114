"""Human-readable unique references, numbered inside the saving transaction.

The counter row is updated in the same transaction as the record it names, so
two workstations can never be handed the same number: the database serialises
the update (SQLite's write lock, a row lock on PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from diversion_desktop.store.models import ReferenceCounter


def next_number(session: Session, series: str) -> int:
    updated = session.execute(
        update(ReferenceCounter).where(ReferenceCounter.series == series)
        .values(last_value=ReferenceCounter.last_value + 1))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(ReferenceCounter(series=series, last_value=1))
        session.flush()
        return 1
    value = session.scalar(select(ReferenceCounter.last_value).where(ReferenceCounter.series == series))
    assert value is not None
    return value


def person_reference(session: Session) -> str:
    return f"P{next_number(session, 'person'):06d}"


def referral_reference(session: Session, prefix: str, year: int) -> str:
    return f"{prefix}-{year}-{next_number(session, f'{prefix}-{year}'):05d}"
