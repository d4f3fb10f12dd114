"""Human-readable unique references, numbered inside the saving transaction.

The counter row is updated in the same transaction as the record it names, so
two workstations can never be handed the same number: the database serialises
the update (SQLite's write lock, a row lock on PostgreSQL).
"""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from diversion_desktop.store.models import ReferenceCounter


def next_number(session: Session, series: str) -> int:
    updated = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.series == series)
        .values(last_value=ReferenceCounter.last_value + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
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


# -- blocks of numbers, for imports ------------------------------------------------------
PERSON_SERIES = "person"
_NUMBERED = re.compile(r"^([A-Z]{1,4})-(\d{4})-(\d{1,9})$")


def format_person_reference(number: int) -> str:
    return f"P{number:06d}"


def last_number(session: Session, series: str) -> int:
    """The last number handed out in a series (0 if none), without taking one."""
    return session.scalar(select(ReferenceCounter.last_value).where(ReferenceCounter.series == series)) or 0


def take_numbers(session: Session, series: str, count: int) -> int:
    """Take ``count`` consecutive numbers at once; returns the first."""
    if count < 1:
        raise ValueError("count must be 1 or more")
    updated = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.series == series)
        .values(last_value=ReferenceCounter.last_value + count)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        session.add(ReferenceCounter(series=series, last_value=count))
        session.flush()
        return 1
    return last_number(session, series) - count + 1


def person_references(session: Session, count: int) -> list[str]:
    """``count`` new person references, numbered in one step."""
    if count == 0:
        return []
    first = take_numbers(session, PERSON_SERIES, count)
    return [format_person_reference(first + i) for i in range(count)]


def numbered_series(reference: str) -> tuple[str, int] | None:
    """('WB-2026', 12) for 'WB-2026-00012'; None for a reference not in that form."""
    match = _NUMBERED.match(reference)
    if match is None:
        return None
    return f"{match.group(1)}-{match.group(2)}", int(match.group(3))


def reserve_up_to(session: Session, series: str, number: int) -> None:
    """Make sure the series never hands out ``number`` or below again (after an import
    brought references numbered in it)."""
    updated = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.series == series, ReferenceCounter.last_value < number)
        .values(last_value=number)
    )
    if updated.rowcount == 0 and session.get(ReferenceCounter, series) is None:  # type: ignore[attr-defined]  # as above
        session.add(ReferenceCounter(series=series, last_value=number))
        session.flush()
