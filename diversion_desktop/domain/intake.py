"""What the intake form collects, and the field checks made where it is typed.

``validate`` returns a message per field so the form can show each one beside
its field; the service runs the same checks before it writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from diversion_desktop.domain.age import AGE_OF_CRIMINAL_RESPONSIBILITY, Pathway, age_on, pathway_for
from diversion_desktop.domain.eligibility import IntakeFacts, Offence, PriorHistory, SubstanceFind
from diversion_desktop.domain.fields import INTAKE_FIELDS, Kind, PersonDetails
from diversion_desktop.domain.schemes import KNOWN_UNITS, Scheme
from diversion_desktop.domain.typed_text import text_problem

# Beyond these nobody is holding a "small quantity" by mistake: treat as a typing error.
ABSURD_QUANTITY = {"g": Decimal(100000), "mg": Decimal(100000000), "tablets": Decimal(100000), "ml": Decimal(100000)}
OLDEST_PLAUSIBLE_AGE = 120


@dataclass(frozen=True)
class IntakeDraft(PersonDetails):
    """Everything typed into the intake form (or read from an import row): the person's details
    (domain/fields.py), their name and date of birth, and the referral."""

    scheme_code: str = ""
    person_id: int | None = None
    # The chosen person's record version as the form showed it: a save over someone else's
    # change to that record is refused, not written back over it (services/concurrency.py).
    person_version: int | None = None
    surname: str = ""
    forenames: str = ""
    date_of_birth: date | None = None
    incident_at: datetime | None = None
    incident_place: str = ""
    crime_reference: str = ""
    officer_name: str = ""
    officer_collar_number: str = ""
    station: str = ""
    officer_notes: str = ""  # police only: never shown to the provider
    offence: Offence = Offence.POSSESSION
    substances: list[SubstanceFind] = field(default_factory=list)
    suspected_supply: bool = False
    consent: bool = False
    override_reason: str = ""

    def pathway(self) -> Pathway | None:
        if self.date_of_birth is None or self.incident_at is None:
            return None
        return pathway_for(self.date_of_birth, self.incident_at.date())

    def facts(self, prior: PriorHistory) -> IntakeFacts:
        assert self.date_of_birth is not None and self.incident_at is not None
        return IntakeFacts(
            incident_date=self.incident_at.date(),
            date_of_birth=self.date_of_birth,
            offence=self.offence,
            substances=tuple(self.substances),
            suspected_supply=self.suspected_supply,
            consent=self.consent,
            prior=prior,
        )


# The longest text each field may hold (domain/fields.py; the database columns are made to these
# sizes): anything longer is refused at the field rather than cut or left to the database.
TEXT_LIMITS: dict[str, int] = {f.name: f.max_length for f in INTAKE_FIELDS if f.max_length is not None}

NAME_FIELDS = frozenset(f.name for f in INTAKE_FIELDS if f.kind is Kind.NAME)
SEVERAL_LINES = frozenset(f.name for f in INTAKE_FIELDS if f.kind is Kind.LINES)
EMAIL_FIELDS = tuple(f.name for f in INTAKE_FIELDS if f.kind is Kind.EMAIL)


def validate(draft: IntakeDraft, scheme: Scheme | None, now: datetime) -> dict[str, str]:
    """Field name → message for every field that cannot be saved as it is."""
    errors: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = str(getattr(draft, name, "") or "")
        if len(value.strip()) > limit:
            errors[name] = f"At most {limit:,} characters ({len(value.strip()):,} typed)."
        elif problem := text_problem(value, name=name in NAME_FIELDS, lines=name in SEVERAL_LINES):
            errors[name] = problem[0].upper() + problem[1:] + "."
    if scheme is None:
        errors["scheme_code"] = "Choose the area where the incident happened."
    if not draft.surname.strip():
        errors["surname"] = "Enter the surname."
    if not draft.forenames.strip():
        errors["forenames"] = "Enter the forename(s)."
    if draft.incident_at is None:
        errors["incident_at"] = "Enter the date and time of the incident."
    elif draft.incident_at > now:
        errors["incident_at"] = "The incident cannot be in the future."
    dob = draft.date_of_birth
    if dob is None:
        errors["date_of_birth"] = "Enter the date of birth."
    elif dob > now.date():
        errors["date_of_birth"] = "The date of birth cannot be in the future."
    elif age_on(dob, now.date()) > OLDEST_PLAUSIBLE_AGE:
        errors["date_of_birth"] = f"Check the date of birth: that would make the person over {OLDEST_PLAUSIBLE_AGE}."
    elif draft.incident_at is not None:
        if dob > draft.incident_at.date():
            errors["date_of_birth"] = "The date of birth is after the incident."
        elif age_on(dob, draft.incident_at.date()) < AGE_OF_CRIMINAL_RESPONSIBILITY:
            errors["date_of_birth"] = (
                f"The person was under {AGE_OF_CRIMINAL_RESPONSIBILITY} on the incident date "
                "(below the age of criminal responsibility): no referral can be made."
            )
    if draft.pathway() is Pathway.YOUTH and not draft.guardian_name.strip():
        errors["guardian_name"] = "Under 18: enter the parent or guardian's name."
    errors.update(_substance_errors(draft.substances, scheme))
    for name in EMAIL_FIELDS:
        value = getattr(draft, name)
        if value and "@" not in value:
            errors[name] = "Enter an e-mail address like name@example.org, or leave it empty."
    return errors


def _substance_errors(finds: list[SubstanceFind], scheme: Scheme | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not finds:
        errors["substances"] = "Add at least one substance found."
    for index, find in enumerate(finds):
        key = f"substances[{index}]"
        if scheme is not None and find.substance not in scheme.limits:
            known = ", ".join(sorted(scheme.limits))
            errors[key] = f"Unknown substance '{find.substance}' for {scheme.area} (known: {known})."
        elif find.unit not in KNOWN_UNITS:
            errors[key] = f"Unknown unit '{find.unit}' (use {', '.join(KNOWN_UNITS)})."
        elif find.quantity <= 0:
            errors[key] = "The quantity must be more than zero."
        elif find.quantity > ABSURD_QUANTITY[find.unit]:
            errors[key] = f"{find.quantity} {find.unit} is not a plausible quantity; check the figure."
    return errors
