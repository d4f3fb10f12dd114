"""Plain read-only values the services hand to the GUI and the command line.

Never live ORM objects: these are built inside the transaction and are safe to
pass between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import Decision, Offence
from diversion_desktop.domain.fields import PersonDetails
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import (
    OPEN_STATUSES,
    Attendance,
    Blank,
    Outcome,
    SessionType,
    Status,
)
from diversion_desktop.domain.schemes import SchemeKind


@dataclass(frozen=True)
class ReferralBrief:
    id: int
    reference: str
    area: str
    scheme_kind: SchemeKind
    referral_date: date
    decision: Decision
    status: Status
    outcome: Outcome | Blank
    next_step: NextStep | Blank
    provider: str = ""  # the provider it was sent to (a support worker sees only their own)


@dataclass(frozen=True)
class PersonRecord(PersonDetails):  # the person's details (domain/fields.py), keyword only
    id: int
    reference: str
    surname: str
    forenames: str
    date_of_birth: date
    barred: bool = False
    aliases: tuple[str, ...] = ()
    referrals: tuple[ReferralBrief, ...] = ()
    # Fields blanked because the reader's role may not see them (services/scope.py): a withheld
    # field is not a missing one, and the screens say so.
    withheld: frozenset[str] = frozenset()
    version: int = 0  # as read (services/concurrency.py)

    @property
    def display_name(self) -> str:
        return f"{self.surname.upper()}, {self.forenames}"

    @property
    def completed_diversions(self) -> int:
        return sum(1 for r in self.referrals if r.outcome == Outcome.COMPLETED)

    @property
    def open_diversion(self) -> str:
        """The reference of a diversion still open (awaiting its outcome), or ""."""
        return next((r.reference for r in self.referrals if r.status in OPEN_STATUSES), "")


@dataclass(frozen=True)
class PossibleMatch:
    person: PersonRecord
    score: int


@dataclass(frozen=True)
class SavedReferral:
    id: int
    reference: str
    person_id: int
    person_reference: str
    decision: Decision
    overridden: bool
    reasons: tuple[str, ...]
    status: Status
    pathway: Pathway
    first_attendance_due: date | None
    due_date: date | None
    centre_code: str


@dataclass(frozen=True)
class SubstanceRow:
    substance: str
    label: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    referral_id: int
    referral_reference: str
    person_name: str
    scheduled_at: datetime
    centre_code: str | None  # None: not recorded (imported history)
    centre_name: str
    session_type: SessionType
    worker: str
    attendance: Attendance | None
    rebook_reason: str
    session_notes: str = ""  # the provider's; hidden from police station staff
    recorded_by: str = ""  # who recorded the attendance (or last corrected it), and when
    recorded_at: datetime | None = None
    version: int = 0  # as read: hand it back to save a change (services/concurrency.py)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    text: str
    actor: str


@dataclass(frozen=True)
class ReferralDetail:
    id: int
    reference: str
    person: PersonRecord
    scheme_code: str
    area: str
    scheme_kind: SchemeKind
    pathway: Pathway
    age_at_incident: int
    referral_date: date
    incident_at: datetime
    incident_place: str
    crime_reference: str
    officer_name: str
    officer_collar_number: str
    station: str
    offence: Offence
    suspected_supply: bool
    consent: bool
    decision: Decision
    reasons: tuple[str, ...]
    rule_version: str
    settings_hash: str
    decided_by: str
    override_reason: str
    override_by: str
    provider: str
    centre_code: str
    centre_name: str
    first_attendance_due: date | None
    due_date: date | None
    status: Status
    outcome: Outcome | Blank
    outcome_date: date | None
    proposed_step: NextStep | Blank
    proposed_reason: str
    next_step: NextStep | Blank
    next_step_confirmed_by: str
    next_step_confirmed_at: datetime | None
    for_case_file: bool
    sessions_attended: int
    sessions_required: int
    rebookings_left: int
    substances: tuple[SubstanceRow, ...]
    appointments: tuple[AppointmentRow, ...]
    timeline: tuple[TimelineEntry, ...]
    officer_notes: str = ""  # police only
    legal_hold: bool = False
    legal_hold_reason: str = ""
    withheld: frozenset[str] = frozenset()  # as PersonRecord.withheld: blanked for the role, not missing
    version: int = 0  # the referral's, as read (services/concurrency.py)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class QueueRow:
    referral_id: int
    reference: str
    person_name: str
    area: str
    pathway: Pathway
    status: Status
    referral_date: date
    first_attendance_due: date | None
    due_date: date | None
    proposed_step: NextStep | Blank
    note: str
