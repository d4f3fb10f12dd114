"""What a document is made from: plain, frozen values, one class per document.

The services fill these from the store; the tests fill them by hand. Nothing
here knows about the database or the screen. Text fields hold exactly what the
user typed: the document modules escape it before it becomes PDF markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from diversion_desktop.domain.age import Pathway, age_on
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.schemes import Centre, Contact, Scheme, SchemeKind


class DocumentKind(StrEnum):
    REFERRAL_LETTER = "referral_letter"
    YOT_NOTICE = "yot_notice"
    APPOINTMENT_LETTER = "appointment_letter"
    MISSED_APPOINTMENT_NOTICE = "missed_appointment_notice"
    PROSECUTION_FILE_NOTE = "prosecution_file_note"
    FUTURE_INELIGIBILITY_NOTICE = "future_ineligibility_notice"
    COMPLETION_LETTER = "completion_letter"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self.value]

    @property
    def code(self) -> str:
        """Short suffix that turns a referral reference into a document reference."""
        return _KIND_CODES[self.value]


_KIND_LABELS = {
    "referral_letter": "Referral letter",
    "yot_notice": "Notice to the Youth Offending Team",
    "appointment_letter": "Appointment letter",
    "missed_appointment_notice": "Missed appointment notice",
    "prosecution_file_note": "Prosecution file note",
    "future_ineligibility_notice": "Future ineligibility notice",
    "completion_letter": "Completion letter",
}
_KIND_CODES = {
    "referral_letter": "RL",
    "yot_notice": "YOT",
    "appointment_letter": "AP",
    "missed_appointment_notice": "MA",
    "prosecution_file_note": "PF",
    "future_ineligibility_notice": "FI",
    "completion_letter": "CL",
}


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
        return cls(area=scheme.area, kind=scheme.kind, police=scheme.police, yot=scheme.yot,
                   data_protection_text=scheme.data_protection_text,
                   sessions_for_completion=scheme.sessions_for_completion,
                   rebookings_allowed=scheme.rebookings_allowed)


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
class _Document:
    KIND: ClassVar[DocumentKind]

    facts: ReferralFacts
    issued_on: date
    # Left empty, the reference is the referral's with the document's code added.
    document_reference: str = field(default="", kw_only=True)

    @property
    def reference(self) -> str:
        return self.document_reference or f"{self.facts.reference}-{self.KIND.code}"


@dataclass(frozen=True)
class ReferralLetter(_Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.REFERRAL_LETTER
    first_appointment: AppointmentDetails | None = None


@dataclass(frozen=True)
class YotNotice(_Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.YOT_NOTICE
    first_appointment: AppointmentDetails | None = None


@dataclass(frozen=True)
class AppointmentLetter(_Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.APPOINTMENT_LETTER
    appointment: AppointmentDetails
    rebooked: bool = False
    # Empty: the usual list for the person's age.
    what_to_bring: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissedAppointmentNotice(_Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.MISSED_APPOINTMENT_NOTICE
    missed: AppointmentDetails
    next_appointment: AppointmentDetails | None = None
    rebookings_left: int | None = None


@dataclass(frozen=True)
class ProsecutionFileNote(_Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.PROSECUTION_FILE_NOTE
    decision: ConfirmedStep
    appointments: tuple[AppointmentDetails, ...] = ()
    timeline: tuple[TimelineItem, ...] = ()


@dataclass(frozen=True)
class FutureIneligibilityNotice(_Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.FUTURE_INELIGIBILITY_NOTICE
    decision: ConfirmedStep
    # What ended the diversion, said in the notice with its dates: the appointments not
    # attended, and those rebooked at the person's request (both count as misses).
    missed: tuple[AppointmentDetails, ...] = ()
    rebooked: tuple[AppointmentDetails, ...] = ()


@dataclass(frozen=True)
class CompletionLetter(_Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.COMPLETION_LETTER
    completed_on: date
    sessions_attended: int


DocumentData = (ReferralLetter | YotNotice | AppointmentLetter | MissedAppointmentNotice
                | ProsecutionFileNote | FutureIneligibilityNotice | CompletionLetter)
