"""One declaration per field of a person, a referral and an appointment.

Each field says once what every part of the application needs to know about it: its label on
the form and in records, the longest value kept, what kind of value it is, who may see it, whether
it is personal data, what retention keeps of it, and its column in the exports and the import
template. The intake form builds its inputs from these lists and the field checks, audit,
exports, subject-access output, retention and redaction read them, so a new field is added here,
to the database (a migration and its model column) and, where it needs a place of its own, on the
form. ``tests/test_field_list.py`` holds each length to its database column and each consumer
to the list.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from diversion_desktop.domain.people_codes import ETHNICITY_2021, OFFICER_OBSERVED, SEX
from diversion_desktop.domain.permissions import Permission


class Kind(StrEnum):
    TEXT = "text"  # one line
    NAME = "name"  # a person's name: must hold a visible letter
    ADDRESS = "address"  # one line on the form, a wide column in the exports
    POSTCODE = "postcode"  # kept in capitals
    EMAIL = "email"
    CHOICE = "choice"  # one of ``choices`` (or blank)
    DATE = "date"
    LINES = "lines"  # several lines: line breaks and tabs allowed


class Retention(StrEnum):
    """What anonymisation (services/retention.py) keeps of a field."""

    KEEP = "keep"  # kept for the statistics
    BLANK = "blank"  # emptied
    ANONYMISED = "anonymised"  # replaced by the word "Anonymised"
    MONTH = "month"  # a date kept to the 1st of its month


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # on the form (and what a screen reader says)
    max_length: int | None  # the longest text kept; None: not text, or no limit of its own here
    kind: Kind = Kind.TEXT
    # Who may see it: None for anyone who may see the record; otherwise the permission needed
    # (services/scope.py blanks it for the others and names it withheld).
    visible_to: Permission | None = None
    personal: bool = True  # personal data of the person the record is about (declared; not yet read)
    retention: Retention = Retention.BLANK
    # The intake form's group ("person", "guardian": their inputs are built from this list in its
    # order; "incident", "decision": placed by hand); "" for a field typed elsewhere.
    group: str = ""
    required: bool = False  # on the form (bold label); the checks themselves are in domain/intake.py
    choices: tuple[str, ...] = ()
    hint: str = ""  # placeholder text on the form
    record_label: str = ""  # in records and the subject-access export; "" for the name in words
    export: str | None = ""  # column of the partners' export; "" for the name; None for not exported
    import_column: str | None = None  # column of the import template, where it has one
    audited: bool = True  # a person's: its old and new values are in the audit row when the intake changes it

    @property
    def shown_as(self) -> str:
        return self.record_label or self.name.replace("_", " ").capitalize()

    @property
    def export_column(self) -> str:
        return self.export or self.name


_FIELD = "field"


def _detail(label: str, max_length: int, kind: Kind = Kind.TEXT, **facts: Any) -> Any:  # noqa: ANN401 (a dataclass field, typed by its attribute)
    """One of a person's details: a text attribute of ``PersonDetails``, empty unless given, and
    what the list says of it (the rest of ``Field``)."""
    return dataclasses.field(default="", metadata={_FIELD: (label, max_length, kind, facts)})


@dataclass(frozen=True, kw_only=True)
class PersonDetails:
    """What is recorded of a person beyond the name and date of birth: one attribute per field,
    declared once here with what the list says of it. What the form or an import gives
    (``IntakeDraft``) and what the screens are given (``PersonRecord``) are made of it, so a detail
    added here is carried by both. The order is the form's within each group, the people export's
    and the audit rows'."""

    sex: str = _detail(
        "Sex", 20, Kind.CHOICE, retention=Retention.KEEP, group="person", choices=SEX, import_column="sex"
    )
    ethnicity_self: str = _detail(
        "Self-defined ethnicity",
        80,
        Kind.CHOICE,
        retention=Retention.KEEP,
        group="person",
        choices=ETHNICITY_2021,
        record_label="Ethnicity (self-defined)",
        export="ethnicity",
        import_column="ethnicity",
    )
    ethnicity_observed: str = _detail(
        "Officer-observed ethnicity",
        80,
        Kind.CHOICE,
        retention=Retention.KEEP,
        group="person",
        choices=OFFICER_OBSERVED,
        record_label="Ethnicity (officer-observed)",
    )
    address: str = _detail("Address", 500, Kind.ADDRESS, group="person")
    postcode: str = _detail("Postcode", 10, Kind.POSTCODE, group="person", import_column="postcode")
    phone: str = _detail("Phone", 40, group="person")
    email: str = _detail("E-mail", 200, Kind.EMAIL, group="person")
    language: str = _detail("Preferred language", 60, group="person", record_label="Preferred language")
    needs: str = _detail(
        "Needs (interpreter, easy-read)", 200, group="person", record_label="Needs (interpreter, easy-read)"
    )
    guardian_name: str = _detail(
        "Parent or guardian name",
        200,
        Kind.NAME,
        group="guardian",
        record_label="Parent or guardian",
        import_column="guardian_name",
    )
    guardian_relationship: str = _detail("Relationship", 60, group="guardian", record_label="Relationship")
    guardian_phone: str = _detail(
        "Parent or guardian phone", 40, group="guardian", record_label="Parent or guardian's phone"
    )
    guardian_address: str = _detail(
        "Parent or guardian address",
        500,
        Kind.ADDRESS,
        group="guardian",
        hint="if different from the young person's",
        record_label="Parent or guardian's address",
        export=None,
    )
    pnc_reference: str = _detail(
        "PNC reference",
        20,
        visible_to=Permission.VIEW_POLICE_FIELDS,
        group="person",
        record_label="Police National Computer reference",
    )


# The name and date of birth are searched, keyed and required: each record declares them itself.
IDENTITY: tuple[Field, ...] = (
    Field(
        "surname",
        "Surname",
        100,
        Kind.NAME,
        retention=Retention.ANONYMISED,
        group="person",
        required=True,
        import_column="surname",
    ),
    Field(
        "forenames",
        "Forenames",
        150,
        Kind.NAME,
        retention=Retention.ANONYMISED,
        group="person",
        required=True,
        import_column="forenames",
    ),
    Field(
        "date_of_birth",
        "Date of birth",
        None,
        Kind.DATE,
        retention=Retention.MONTH,
        group="person",
        required=True,
        import_column="date_of_birth",
    ),
)
# The person's details by name, as copied from the form to the record and from the record to the screens.
PERSON_DETAILS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(PersonDetails))
PERSON_FIELDS: tuple[Field, ...] = (
    *IDENTITY,
    *(Field(f.name, *f.metadata[_FIELD][:3], **f.metadata[_FIELD][3]) for f in dataclasses.fields(PersonDetails)),
)

# The referral's and the appointment's typed text (their other columns are set by the services).
REFERRAL_FIELDS: tuple[Field, ...] = (
    Field("incident_place", "Place", 200, group="incident", record_label="Incident place"),
    Field(
        "crime_reference",
        "Crime reference",
        40,
        visible_to=Permission.VIEW_POLICE_FIELDS,
        group="incident",
        import_column="crime_reference",
    ),
    Field("officer_name", "Officer name", 100, Kind.NAME, visible_to=Permission.VIEW_POLICE_FIELDS, group="incident"),
    Field(
        "officer_collar_number",
        "Collar number",
        20,
        visible_to=Permission.VIEW_POLICE_FIELDS,
        group="incident",
        record_label="Officer's collar number",
        import_column="officer_collar_number",
    ),
    Field("station", "Station", 100, visible_to=Permission.VIEW_POLICE_FIELDS, group="incident"),
    Field(
        "officer_notes",
        "Officer's notes",
        5000,
        Kind.LINES,
        visible_to=Permission.VIEW_POLICE_FIELDS,
        group="incident",
        record_label="Officer's notes",
    ),
    Field("override_reason", "Override justification", 2000, Kind.LINES, group="decision"),
    # Typed in their own dialogs, checked there (services/free_text.py): no limit of the form's.
    Field("proposed_reason", "Reason for the proposed step", None, Kind.LINES),
    Field("legal_hold_reason", "Legal hold reason", None, Kind.LINES),
)

APPOINTMENT_FIELDS: tuple[Field, ...] = (
    Field("worker", "Worker", 100),
    Field("rebook_reason", "Reason for rebooking", None, Kind.LINES, record_label="Reason for rebooking"),
    Field("session_notes", "Session notes", None, Kind.LINES, visible_to=Permission.VIEW_SESSION_NOTES),
)

# The fields typed on the intake form (a person's and its referral's): checked by domain/intake.py.
INTAKE_FIELDS = tuple(f for f in (*PERSON_FIELDS, *REFERRAL_FIELDS) if f.group)


def cleared_by_retention(fields: tuple[Field, ...]) -> tuple[str, ...]:
    return tuple(f.name for f in fields if f.retention is Retention.BLANK)


def withheld_without(permission: Permission, fields: tuple[Field, ...]) -> frozenset[str]:
    return frozenset(f.name for f in fields if f.visible_to is permission)
