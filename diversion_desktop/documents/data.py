"""What documents are made from: the kinds of document, and the plain, frozen values they share.

Each document's own class (its fields beyond these) is in its module, beside its layout. The
services fill them from the store; the tests fill them by hand. Nothing here knows about the
database or the screen. Text fields hold exactly what the user typed: the document modules
escape it before it becomes PDF markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from diversion_desktop.domain.age import Pathway, age_on
from diversion_desktop.domain.document_kinds import DocumentKind
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.schemes import Centre, Contact, Scheme, SchemeKind

if TYPE_CHECKING:
    from diversion_desktop.documents.template import Composition


@dataclass(frozen=True)
class Party:
    """A person a document is addressed or copied to (the person, a parent or guardian)."""

    name: str
    address: tuple[str, ...] = ()
    relationship: str = ""  # for a parent or guardian: "mother", "foster carer", ...
    phone: str = ""


@dataclass(frozen=True)
class SchemeDetails:
    """The part of a scheme's settings that documents print: contacts, kind, wording."""

    area: str
    kind: SchemeKind
    police: Contact
    yot: Contact
    data_protection_text: str
    sessions_for_completion: int
    rebookings_allowed: int

    @classmethod
    def from_scheme(cls, scheme: Scheme) -> SchemeDetails:
        return cls(
            area=scheme.area,
            kind=scheme.kind,
            police=scheme.police,
            yot=scheme.yot,
            data_protection_text=scheme.data_protection_text,
            sessions_for_completion=scheme.sessions_for_completion,
            rebookings_allowed=scheme.rebookings_allowed,
        )


@dataclass(frozen=True)
class SubstanceFound:
    label: str  # as the scheme names it: "Cannabis (herbal)"
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class AppointmentDetails:
    at: datetime
    centre: Centre | None  # None: not recorded (imported history); no document names a place then
    session: str = "Assessment"  # the session type in words
    worker: str = ""
    attendance: str = ""  # what happened, in words; empty while still booked
    note: str = ""  # e.g. the reason for a rebooking


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    event: str
    by: str = ""


@dataclass(frozen=True)
class ConfirmedStep:
    """The next step a coordinator confirmed, with who and when."""

    step: NextStep
    confirmed_by: str
    confirmed_at: datetime
    reason: str = ""  # why it was proposed, e.g. "Not attended after 1 allowed rebooking."


@dataclass(frozen=True)
class ReferralFacts:
    """Everything about one referral that more than one document prints."""

    reference: str
    scheme: SchemeDetails
    pathway: Pathway
    forenames: str
    surname: str
    date_of_birth: date
    address: tuple[str, ...]
    referral_date: date
    incident_at: datetime
    incident_place: str
    substances: tuple[SubstanceFound, ...]
    centre: Centre  # the provider's centre the person was referred to
    first_attendance_due: date
    due_date: date  # the whole programme attended by
    guardian: Party | None = None
    crime_reference: str = ""
    officer: str = ""  # name and collar number as recorded
    station: str = ""
    decision: str = "Eligible"  # the eligibility decision in words
    decided_by: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.forenames} {self.surname}".strip()

    @property
    def person(self) -> Party:
        return Party(name=self.full_name, address=self.address)

    @property
    def youth(self) -> bool:
        return self.pathway is Pathway.YOUTH

    @property
    def age_at_incident(self) -> int:
        return age_on(self.date_of_birth, self.incident_at.date())

    @property
    def provider(self) -> str:
        return self.centre.provider


@dataclass(frozen=True)
class Document:
    """What every document is made from; each kind's module subclasses it with its own fields
    and lays it out in ``compose``."""

    KIND: ClassVar[DocumentKind]

    facts: ReferralFacts
    issued_on: date
    # Left empty, the reference is the referral's with the document's code added.
    document_reference: str = field(default="", kw_only=True)

    @property
    def reference(self) -> str:
        return self.document_reference or self.KIND.reference(self.facts.reference)

    def compose(self) -> Composition:
        raise NotImplementedError(f"{type(self).__name__} has no layout")
