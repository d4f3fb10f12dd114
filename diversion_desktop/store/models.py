"""Database tables as typed SQLAlchemy 2 models.

Schema changes go through Alembic revisions in ``store/migrations``; never edit
a released revision, add a new one.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    relationship,
    validates,
)
from sqlalchemy.sql import false, text

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import Decision, Offence
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

# Deterministic constraint names keep migrations portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Open referrals (domain.programme.OPEN_STATUSES), as the partial index's condition. Queries that
# should use ix_referrals_open say exactly this (services/referrals.py uses the same constant).
OPEN_STATUSES_SQL = "status IN (" + ", ".join(f"'{s.value}'" for s in OPEN_STATUSES) + ")"


class TextEnum(TypeDecorator[Any]):
    """A domain enum stored as its value's text in a VARCHAR, as before the models were typed (no
    native enum type, no CHECK: the schema and the stored values are unchanged). Reading gives the
    member; writing takes a member or its text and refuses any other text, before it is stored.
    ``blank``: the empty text is allowed too and stays the empty text (see ``Blank``).
    ``compared``: the type of a value a query compares the column with, which may be any text (a
    filter asking for a status no record has finds nothing, as it always did)."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int, blank: bool = False, compared: bool = False) -> None:
        super().__init__(length)
        self._length = length
        self.enum = enum
        self.blank = blank
        self.compared = compared
        self._members = {m.value: m for m in enum}  # a dict, not enum(value): a million rows read fast

    def member(self, value: Any) -> Any:
        """``value`` (a member or its text) as the member; None and a blank as they are."""
        if value is None or (value == "" and self.blank):
            return value
        member = self._members.get(value)
        if member is None:
            raise ValueError(f"{value!r} is not a {self.enum.__name__}")
        return member

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if self.compared and value not in self._members:
            return value
        member = self.member(value)
        return member.value if member else member

    def coerce_compared_value(self, op: Any, value: Any) -> TextEnum:
        return TextEnum(self.enum, self._length, self.blank, compared=True)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or (value == "" and self.blank):
            return value
        return self._members[value]


def _linked_index(table: str, column: str) -> Index:
    """A partial index of the rows whose ``column`` (a foreign key, often NULL) names a row."""
    where = text(f"{column} IS NOT NULL")
    return Index(f"ix_{table}_{column}", column, sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _as_member(record: Base, key: str, value: Any) -> Any:
    """A value set on a TextEnum column, as its member at once: a record changed in a unit of work
    holds members, as one read from the database does (services build their results from both)."""
    column_type = record.__table__.c[key].type
    assert isinstance(column_type, TextEnum)
    return column_type.member(value)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    surname: Mapped[str] = mapped_column(String(100))
    forenames: Mapped[str] = mapped_column(String(150))
    surname_norm: Mapped[str] = mapped_column(String(100))
    forenames_norm: Mapped[str] = mapped_column(String(150))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(20), default="")
    ethnicity_self: Mapped[str] = mapped_column(String(80), default="")
    ethnicity_observed: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(60), default="")
    needs: Mapped[str] = mapped_column(String(200), default="")
    guardian_name: Mapped[str] = mapped_column(String(200), default="")
    guardian_relationship: Mapped[str] = mapped_column(String(60), default="")
    guardian_phone: Mapped[str] = mapped_column(String(40), default="")
    guardian_address: Mapped[str] = mapped_column(Text, default="")
    pnc_reference: Mapped[str] = mapped_column(String(20), default="")
    barred: Mapped[bool] = mapped_column(Boolean, default=False)
    barred_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The referral whose next step barred the person (a key from revision 0012). use_alter: people and
    # referrals refer to each other, so neither table can be created (or dropped) first.
    barred_by_referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id", use_alter=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Merged into another record (services/merge.py): the history moved there; this record stays so
    # its reference still finds the person, and so the merge can be undone.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Raised by the ORM on every change (revision 0011): a save from a stale copy is refused.
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    aliases: Mapped[list[PersonAlias]] = relationship(back_populates="person", cascade="all, delete-orphan")
    referrals: Mapped[list[Referral]] = relationship(back_populates="person", foreign_keys="Referral.person_id")

    __mapper_args__ = {"version_id_col": version}
    # Search (services/people.py) is a range on a normalised key ordered as the results are
    # shown: surname, forenames, date of birth. Both name indexes carry the other name and the
    # date of birth so a search reads the index alone until it has its page of people.
    __table_args__ = (
        Index("ix_people_surname_key", "surname_norm", "forenames_norm", "date_of_birth"),
        Index("ix_people_forenames_key", "forenames_norm", "surname_norm", "date_of_birth"),
        Index("ix_people_date_of_birth", "date_of_birth"),
        # Deleting a referral or a person looks for the rows naming it (the foreign keys): these hold
        # only the few rows that name one.
        _linked_index("people", "barred_by_referral_id"),
        _linked_index("people", "merged_into_id"),
    )


class PersonAlias(Base):
    """A previous or alias name; searched like the main name."""

    __tablename__ = "person_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    surname: Mapped[str] = mapped_column(String(100))
    forenames: Mapped[str] = mapped_column(String(150), default="")
    surname_norm: Mapped[str] = mapped_column(String(100))
    forenames_norm: Mapped[str] = mapped_column(String(150), default="")

    person: Mapped[Person] = relationship(back_populates="aliases")

    __table_args__ = (
        Index("ix_person_aliases_surname_norm", "surname_norm"),
        Index("ix_person_aliases_forenames_norm", "forenames_norm"),
        Index("ix_person_aliases_person_id", "person_id"),
    )


class PersonNameKey(Base):
    """A key that finds a person by a later part of their surname (domain/names.py
    surname_part_keys): "smith" for "Jones-Smith". Written with the surname (services/people.py
    write_name_keys), so a search stays a range of one index; the first part is the person's own
    surname key."""

    __tablename__ = "person_name_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_person_name_keys_key", "key", "person_id"),
        Index("ix_person_name_keys_person_id", "person_id"),
    )


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    scheme_code: Mapped[str] = mapped_column(String(60))
    area: Mapped[str] = mapped_column(String(100))
    scheme_kind: Mapped[SchemeKind] = mapped_column(TextEnum(SchemeKind, 30))
    referral_date: Mapped[date] = mapped_column(Date)
    incident_at: Mapped[datetime] = mapped_column(DateTime)
    incident_place: Mapped[str] = mapped_column(String(200), default="")
    crime_reference: Mapped[str] = mapped_column(String(40), default="")
    officer_name: Mapped[str] = mapped_column(String(100), default="")
    officer_collar_number: Mapped[str] = mapped_column(String(20), default="")
    station: Mapped[str] = mapped_column(String(100), default="")
    offence: Mapped[Offence] = mapped_column(TextEnum(Offence, 30))
    suspected_supply: Mapped[bool] = mapped_column(Boolean, default=False)
    consent: Mapped[bool] = mapped_column(Boolean, default=False)
    pathway: Mapped[Pathway] = mapped_column(TextEnum(Pathway, 10))
    age_at_incident: Mapped[int] = mapped_column(Integer)
    decision: Mapped[Decision] = mapped_column(TextEnum(Decision, 20))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    rule_version: Mapped[str] = mapped_column(String(20))
    settings_hash: Mapped[str] = mapped_column(String(32))
    scheme_settings: Mapped[dict] = mapped_column(JSON, default=dict)
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")
    override_by: Mapped[str] = mapped_column(String(100), default="")
    override_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    provider: Mapped[str] = mapped_column(String(150), default="")
    centre_code: Mapped[str] = mapped_column(String(60), default="")
    first_attendance_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[Status] = mapped_column(TextEnum(Status, 30))
    outcome: Mapped[Outcome | Blank] = mapped_column(TextEnum(Outcome, 20, blank=True), default="")
    outcome_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    proposed_step: Mapped[NextStep | Blank] = mapped_column(TextEnum(NextStep, 40, blank=True), default="")
    proposed_reason: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[NextStep | Blank] = mapped_column(TextEnum(NextStep, 40, blank=True), default="")
    next_step_confirmed_by: Mapped[str] = mapped_column(String(100), default="")
    next_step_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    for_case_file: Mapped[bool] = mapped_column(Boolean, default=False)
    # Kept with the appointments so queues need no join to know who has attended.
    sessions_attended: Mapped[int] = mapped_column(Integer, default=0)
    misses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    officer_notes: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))  # police only
    # Retention skips a referral under a legal hold (a pending prosecution).
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # as Person.version

    person: Mapped[Person] = relationship(back_populates="referrals", foreign_keys=[person_id])

    @validates("scheme_kind", "offence", "pathway", "decision", "status", "outcome", "proposed_step", "next_step")
    def _enum_member(self, key: str, value: Any) -> Any:
        return _as_member(self, key, value)

    substances: Mapped[list[ReferralSubstance]] = relationship(
        back_populates="referral", cascade="all, delete-orphan", order_by="ReferralSubstance.id"
    )
    appointments: Mapped[list[Appointment]] = relationship(
        back_populates="referral", order_by="Appointment.scheduled_at"
    )
    events: Mapped[list[TimelineEvent]] = relationship(back_populates="referral", order_by="TimelineEvent.id")

    # The referral list (services/referral_list.py) sorts on one of these and filters on status
    # and area inside the same index, so a page at any offset is read from the index alone.
    # ix_referrals_open holds only the open referrals, for the coordinator's queues and their
    # counts (services/referrals.py).
    # The evaluation adds up from its three indexes alone (services/evaluation.py EVALUATION_INDEXES);
    # the person-history index also serves every lookup of a person's referrals.
    # person_sex and person_ethnicity_self copy the person's sex and self-defined ethnicity for the
    # evaluation's fairness counts (one index instead of a join with a million people). The database
    # keeps them equal to the person's (triggers, revision 0006) whatever writes, so the ORM neither
    # reads nor writes them: they are columns of the table only.
    __mapper_args__ = {"exclude_properties": ["person_sex", "person_ethnicity_self"], "version_id_col": version}
    __table_args__ = (
        Column("person_sex", String(20), nullable=False, server_default=text("''")),
        Column("person_ethnicity_self", String(80), nullable=False, server_default=text("''")),
        Index("ix_referrals_person_id", "person_id"),  # narrow: the referral list names it (INDEXED BY)
        Index(
            "ix_referrals_person_history",
            "person_id",
            "referral_date",
            "scheme_code",
            "age_at_incident",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
        ),
        Index(
            "ix_referrals_evaluation_by_day",
            "referral_date",
            "scheme_code",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
            "age_at_incident",
            "outcome_date",
            "person_id",
        ),
        Index(
            "ix_referrals_person_groups",
            "person_sex",
            "person_ethnicity_self",
            "referral_date",
            "scheme_code",
            "age_at_incident",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
        ),
        Index("ix_referrals_list_date", "referral_date", "status", "area"),
        Index("ix_referrals_list_due", "due_date", "status", "area"),
        Index("ix_referrals_list_reference", "reference", "status", "area"),
        Index("ix_referrals_list_status", "status", "area", "referral_date"),
        Index("ix_referrals_list_area", "area", "status", "referral_date"),
        Index(
            "ix_referrals_open",
            "status",
            "due_date",
            "first_attendance_due",
            "sessions_attended",
            sqlite_where=text(OPEN_STATUSES_SQL),
            postgresql_where=text(OPEN_STATUSES_SQL),
        ),
    )


class ReferralSubstance(Base):
    __tablename__ = "referral_substances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    substance: Mapped[str] = mapped_column(String(60))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit: Mapped[str] = mapped_column(String(20))

    referral: Mapped[Referral] = relationship(back_populates="substances")

    __table_args__ = (Index("ix_referral_substances_referral_id", "referral_id"),)


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    scheduled_at: Mapped[datetime] = mapped_column(DateTime)
    # None: not recorded (history imported from the pilots' spreadsheets, revision 0008).
    centre_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    session_type: Mapped[SessionType] = mapped_column(TextEnum(SessionType, 30))
    worker: Mapped[str] = mapped_column(String(100), default="")
    attendance: Mapped[Attendance | None] = mapped_column(TextEnum(Attendance, 20), nullable=True)
    rebook_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    session_notes: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))  # provider only
    version: Mapped[int] = mapped_column(Integer, server_default="1")  # as Person.version

    referral: Mapped[Referral] = relationship(back_populates="appointments")

    @validates("session_type", "attendance")
    def _enum_member(self, key: str, value: Any) -> Any:
        return _as_member(self, key, value)

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        Index("ix_appointments_centre_code_scheduled_at", "centre_code", "scheduled_at"),
        Index("ix_appointments_referral_id", "referral_id"),
    )


class ReferenceCounter(Base):
    """Next number for each reference series, taken inside the saving transaction."""

    __tablename__ = "reference_counters"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class TimelineEvent(Base):
    """What happened to a referral, in order, in words: the referral page's timeline."""

    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100), default="")

    referral: Mapped[Referral] = relationship(back_populates="events")

    __table_args__ = (Index("ix_timeline_events_referral_id", "referral_id"),)


class IssuedDocument(Base):
    """A letter or notice as issued: the exact PDF bytes, so a reprint is identical."""

    __tablename__ = "issued_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    document_reference: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    issued_by: Mapped[str] = mapped_column(String(100))
    template_version: Mapped[str] = mapped_column(String(20))
    page_count: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # Withdrawn with the next step it was issued under (revision 0008): marked, never deleted.
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    withdrawn_by: Mapped[str] = mapped_column(String(100), default="", server_default=text("''"))
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))

    __table_args__ = (
        Index("ix_issued_documents_referral_id", "referral_id"),
        Index("ix_issued_documents_issued_at", "issued_at"),
        _linked_index("issued_documents", "appointment_id"),  # as on people
    )


class User(Base):
    """Someone who signs in. ``roles`` holds domain.permissions.Role values."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(150), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisation: Mapped[str] = mapped_column(String(150), default="police")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64), default="")
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEvent(Base):
    """One change or one opening of a record, append-only and hash-chained (services/audit.py).

    ``hash`` is SHA-256 over this row's content and the previous row's hash, so an edited or
    deleted row breaks the chain; the database also refuses UPDATE and DELETE (triggers).

    From revision 0007 (``hash_version`` 2) the hash covers ``content_digest``, a salted digest of
    ``changes`` and ``detail``, instead of the values themselves: anonymisation may then erase a
    row's values (and its salt) and the chain still verifies. Erasing is the one UPDATE the
    database allows, and only that."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40), default="")
    record_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    record_reference: Mapped[str] = mapped_column(String(40), default="")
    person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    changes: Mapped[str] = mapped_column(Text, default="")  # JSON: [[field, from, to], ...]
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    hash_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    salt: Mapped[str] = mapped_column(String(32), default="", server_default=text("''"))
    content_digest: Mapped[str] = mapped_column(String(64), default="", server_default=text("''"))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_audit_events_person_id", "person_id"),
        Index("ix_audit_events_record_reference", "record_reference"),
        Index("ix_audit_events_username_at", "username", "at"),
        Index("ix_audit_events_at", "at"),
    )


class PersonMerge(Base):
    """Two records found to be one person: what moved, so the merge can be undone."""

    __tablename__ = "person_merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kept_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    merged_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    moved: Mapped[dict] = mapped_column(JSON, default=dict)  # referral and alias ids, flags before
    reason: Mapped[str] = mapped_column(Text, default="")
    merged_at: Mapped[datetime] = mapped_column(DateTime)
    merged_by: Mapped[str] = mapped_column(String(64))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    undone_by: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (
        Index("ix_person_merges_kept_person_id", "kept_person_id"),
        Index("ix_person_merges_merged_person_id", "merged_person_id"),
    )
