"""What a signed-in user may see of the case records, beyond their role's permissions.

A support worker sees only the referrals sent to their own provider's centres (the referral's
``provider`` is the provider of the centre it was sent to); police roles see every referral.
Police-only fields (crime reference, officer, station, officer notes, PNC reference, referrals
held by other providers) are blanked for anyone without VIEW_POLICE_FIELDS, and session notes
for anyone without VIEW_SESSION_NOTES. One place, so every service redacts the same way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, true

from diversion_desktop.domain.fields import (
    PERSON_FIELDS,
    REFERRAL_FIELDS,
    withheld_without,
)
from diversion_desktop.domain.permissions import Permission, Principal
from diversion_desktop.services.dto import AppointmentRow, PersonRecord, ReferralDetail
from diversion_desktop.services.errors import NotFound
from diversion_desktop.store.models import Referral

T = TypeVar("T")

# Blanked for anyone without VIEW_POLICE_FIELDS; named in the record's ``withheld``.
# (domain/fields.py: the fields visible to VIEW_POLICE_FIELDS only)
POLICE_REFERRAL_FIELDS = withheld_without(Permission.VIEW_POLICE_FIELDS, REFERRAL_FIELDS)
POLICE_PERSON_FIELDS = withheld_without(Permission.VIEW_POLICE_FIELDS, PERSON_FIELDS)


def referral_condition(principal: Principal) -> ColumnElement[bool]:
    """The referrals ``principal`` may see, as a condition on the referrals table."""
    if principal.provider_scoped:
        return Referral.provider == principal.organisation
    return true()


def may_see_referral(principal: Principal, provider: str) -> bool:
    return not principal.provider_scoped or provider == principal.organisation


def check_referral(principal: Principal, provider: str, reference: str) -> None:
    """Refuse a referral outside the user's scope exactly as one that does not exist, so asking
    for another provider's reference learns nothing about it."""
    if not may_see_referral(principal, provider):
        raise NotFound(f"No referral {reference} that you may see.")


def redact_person(record: PersonRecord, principal: Principal) -> PersonRecord:
    if principal.may(Permission.VIEW_POLICE_FIELDS):
        return record
    history = tuple(r for r in record.referrals if may_see_referral(principal, r.provider))
    blanked: dict[str, Any] = dict.fromkeys(POLICE_PERSON_FIELDS, "")
    return replace(record, **blanked, referrals=history, withheld=record.withheld | POLICE_PERSON_FIELDS)


def redact_appointment(row: AppointmentRow, principal: Principal) -> AppointmentRow:
    if principal.may(Permission.VIEW_SESSION_NOTES) or not row.session_notes:
        return row
    return replace(row, session_notes="")


def redact_referral(detail: ReferralDetail, principal: Principal) -> ReferralDetail:
    changes: dict[str, Any] = {}  # ReferralDetail's fields, of their own types
    if not principal.may(Permission.VIEW_POLICE_FIELDS):
        changes.update({name: "" for name in POLICE_REFERRAL_FIELDS})
        changes["withheld"] = detail.withheld | POLICE_REFERRAL_FIELDS
        changes["person"] = redact_person(detail.person, principal)
    if not principal.may(Permission.VIEW_SESSION_NOTES):
        changes["appointments"] = tuple(redact_appointment(a, principal) for a in detail.appointments)
    return replace(detail, **changes) if changes else detail
