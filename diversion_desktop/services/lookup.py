"""Finding a person or a referral by the reference users see (P000123 / P-000123, WB-2026-00001)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.domain.schemes import Scheme
from diversion_desktop.services.errors import ConflictError, NotFound
from diversion_desktop.services.references import format_person_reference
from diversion_desktop.store.models import Person, Referral

_PERSON = re.compile(r"^P-?(\d{1,9})$", re.IGNORECASE)


def person_reference_key(text: str) -> str | None:
    """The stored form of a person reference ("p-123" → "P000123"); None if it is not one."""
    match = _PERSON.match(text.strip())
    return format_person_reference(int(match.group(1))) if match else None


def person_by_reference(session: Session, text: str) -> Person:
    key = person_reference_key(text)
    if key is None:
        raise NotFound(f"'{text.strip()[:40]}' is not a person reference (they look like P000123).")
    person = session.scalar(select(Person).where(Person.reference == key))
    if person is None:
        raise NotFound(f"There is no person with the reference {key}.")
    return person


def referral_by_reference(session: Session, text: str) -> Referral:
    key = text.strip().upper()
    referral = session.scalar(select(Referral).where(Referral.reference == key))
    if referral is None:
        raise NotFound(f"There is no referral with the reference '{key[:40]}'.")
    return referral


def person(session: Session, person_id: int) -> Person:
    found = session.get(Person, person_id)
    if found is None:
        raise NotFound(f"No person with id {person_id}.")
    return found


def referral(session: Session, referral_id: int) -> Referral:
    found = session.get(Referral, referral_id)
    if found is None:
        raise NotFound(f"No referral with id {referral_id}.")
    return found


def scheme_of(schemes: SchemeRegistry, referral: Referral) -> Scheme:
    """The scheme a referral was made under, as configured now."""
    scheme = schemes.find(referral.scheme_code)
    if scheme is None:
        raise ConflictError(f"The scheme '{referral.scheme_code}' of {referral.reference} is no longer configured.")
    return scheme
