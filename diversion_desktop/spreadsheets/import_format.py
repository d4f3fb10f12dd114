"""The import template: its two sheets, their columns, and each row read into typed values.

A referral is one row of the ``referrals`` sheet; a referral with several
substances repeats its ``reference`` on extra rows where only ``substance``,
``quantity`` and ``unit`` differ. Appointments are rows of the ``appointments``
sheet, linked by ``reference``. As CSV the two sheets are two files:
``NAME.csv`` and ``NAME.appointments.csv``.

Reading a row never stops at the first problem: every cell is checked and each
problem names its column. What needs the schemes or the database (the area,
the substance, the person, the decision) is checked by the import service.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from diversion_desktop.domain.eligibility import Offence
from diversion_desktop.domain.fields import PERSON_FIELDS, REFERRAL_FIELDS, Kind
from diversion_desktop.domain.people_codes import ETHNICITY_2021, SEX
from diversion_desktop.domain.programme import Attendance, Outcome, SessionType
from diversion_desktop.domain.schemes import KNOWN_UNITS
from diversion_desktop.domain.typed_text import text_problem
from diversion_desktop.spreadsheets import cells
from diversion_desktop.spreadsheets.cells import CellError, Choices, code_key
from diversion_desktop.spreadsheets.writer import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    TEXT,
    Column,
    SheetData,
    write_csv,
    write_xlsx,
)

REFERRALS = "referrals"
APPOINTMENTS = "appointments"

REFERRAL_COLUMNS = (
    "reference",
    "surname",
    "forenames",
    "date_of_birth",
    "sex",
    "ethnicity",
    "postcode",
    "area",
    "incident_date",
    "crime_reference",
    "officer_collar_number",
    "offence",
    "substance",
    "quantity",
    "unit",
    "suspected_supply",
    "consent",
    "guardian_name",
    "outcome",
    "outcome_date",
)
APPOINTMENT_COLUMNS = ("reference", "appointment_at", "centre", "session_type", "attendance")
# Only these differ between the rows of one referral.
SUBSTANCE_COLUMNS = ("substance", "quantity", "unit")
# Added to the refused rows written back for fixing; ignored when read again.
PROBLEM_COLUMN = "problem"

EXPECTED = {REFERRALS: REFERRAL_COLUMNS, APPOINTMENTS: APPOINTMENT_COLUMNS}

_KINDS = {
    "date_of_birth": DATE,
    "incident_date": DATETIME,
    "quantity": DECIMAL,
    "suspected_supply": BOOL,
    "consent": BOOL,
    "outcome_date": DATE,
    "appointment_at": DATETIME,
}
REFERRAL_SHEET_COLUMNS = tuple(Column(name, _KINDS.get(name, TEXT)) for name in REFERRAL_COLUMNS)
APPOINTMENT_SHEET_COLUMNS = tuple(Column(name, _KINDS.get(name, TEXT)) for name in APPOINTMENT_COLUMNS)

# The template's columns that are fields of a person or a referral (domain/fields.py).
_FIELD_COLUMNS = {f.import_column: f for f in (*PERSON_FIELDS, *REFERRAL_FIELDS) if f.import_column}
# Longest values the database keeps (a choice is checked against its codes instead).
MAX_LENGTH = {
    "reference": 24,
    **{
        column: f.max_length
        for column, f in _FIELD_COLUMNS.items()
        if f.max_length is not None and f.kind is not Kind.CHOICE
    },
}
REPEATING_COLUMNS = frozenset({"forenames", "postcode", "area", "officer_collar_number", "substance", "centre"})
NAME_COLUMNS = frozenset(column for column, f in _FIELD_COLUMNS.items() if f.kind is Kind.NAME)
_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9/_.\-]*$")

_SEX = Choices(SEX, {"m": "Male", "f": "Female"})
_ETHNICITY = Choices(ETHNICITY_2021)
_UNIT = Choices(
    KNOWN_UNITS,
    {
        "gram": "g",
        "grams": "g",
        "gm": "g",
        "milligram": "mg",
        "milligrams": "mg",
        "tablet": "tablets",
        "tabs": "tablets",
        "pills": "tablets",
        "millilitres": "ml",
    },
)
_OFFENCE = Choices(
    [o.value for o in Offence],
    {
        "possession_with_intent_to_supply": Offence.POSSESSION_WITH_INTENT.value,
        "pwits": Offence.POSSESSION_WITH_INTENT.value,
    },
)
_OUTCOME = Choices([o.value for o in Outcome])
_SESSION = Choices([s.value for s in SessionType], {s.label: s.value for s in SessionType})
_ATTENDANCE = Choices(
    [a.value for a in Attendance],
    {
        "cancelled by provider": Attendance.CANCELLED.value,
        "did not attend": Attendance.NOT_ATTENDED.value,
        "dna": Attendance.NOT_ATTENDED.value,
    },
)


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be imported: the column at fault (empty for the row as a whole) and why."""

    column: str
    reason: str

    def text(self) -> str:
        return f"{self.column}: {self.reason}" if self.column else self.reason


@dataclass(slots=True)
class ReferralLine:
    row: int
    reference: str = ""
    surname: str = ""
    forenames: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    ethnicity: str = ""
    postcode: str = ""
    area: str = ""
    incident_at: datetime | None = None
    crime_reference: str = ""
    officer_collar_number: str = ""
    offence: Offence | None = None
    substance: str = ""
    quantity: Decimal | None = None
    unit: str = ""
    suspected_supply: bool | None = None
    consent: bool | None = None
    guardian_name: str = ""
    outcome: Outcome | None = None
    outcome_date: date | None = None
    problems: list[Problem] = field(default_factory=list)

    def shared(self) -> tuple[Any, ...]:
        """Every value that must be the same on all rows of one referral."""
        return tuple(getattr(self, name) for name in SHARED_FIELDS)


SHARED_FIELDS = (
    "surname",
    "forenames",
    "date_of_birth",
    "sex",
    "ethnicity",
    "postcode",
    "area",
    "incident_at",
    "crime_reference",
    "officer_collar_number",
    "offence",
    "suspected_supply",
    "consent",
    "guardian_name",
    "outcome",
    "outcome_date",
)
# Field of the line → column of the sheet, where they differ.
FIELD_COLUMN = {"incident_at": "incident_date"}


@dataclass(slots=True)
class AppointmentLine:
    row: int
    reference: str = ""
    appointment_at: datetime | None = None
    centre: str = ""  # empty: not recorded (allowed for a past appointment: the planner decides)
    session_type: SessionType | None = None
    attendance: Attendance | None = None
    problems: list[Problem] = field(default_factory=list)


# -- headers -----------------------------------------------------------------------------
def header_key(header: str) -> str:
    return code_key(header.replace("\ufeff", ""))


def classify(sheet_name: str, headers: Sequence[str]) -> str | None:
    """Which template sheet this is: by its columns when complete, else by its name, else by
    the columns it shares with each."""
    keys = {header_key(h) for h in headers}
    for kind in (REFERRALS, APPOINTMENTS):
        if keys >= set(EXPECTED[kind]) and keys <= set(EXPECTED[kind]) | {PROBLEM_COLUMN}:
            return kind
    name = code_key(sheet_name)
    for kind in (REFERRALS, APPOINTMENTS):
        if name == kind or name.endswith("." + kind) or name.endswith("_" + kind):
            return kind
    scores = {kind: len(keys & set(expected)) / len(expected) for kind, expected in EXPECTED.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else None


def header_problem(headers: Sequence[str], kind: str) -> str | None:
    """What is wrong with a sheet's header row, naming the missing and unknown columns."""
    expected = EXPECTED[kind]
    keys = [header_key(h) for h in headers]
    missing = [c for c in expected if c not in keys]
    unknown = []
    for position, (header, key) in enumerate(zip(headers, keys, strict=True), start=1):
        if key not in expected and key != PROBLEM_COLUMN:
            unknown.append(f"'{header}'" if header else f"(column {position} has no heading)")
    repeated = sorted({k for k in keys if k and keys.count(k) > 1})
    parts = []
    if missing:
        parts.append("missing " + ", ".join(missing))
    if unknown:
        parts.append("unknown " + ", ".join(unknown))
    if repeated:
        parts.append("repeated " + ", ".join(repeated))
    if not parts:
        return None
    return f"wrong columns: {'; '.join(parts)}. The {kind} columns are exactly: {', '.join(expected)} (in any order)."


def column_positions(headers: Sequence[str]) -> dict[str, int]:
    return {header_key(h): i for i, h in enumerate(headers)}


# -- rows --------------------------------------------------------------------------------
class _Row:
    """Reads one row's cells by column name, collecting a problem per bad cell."""

    def __init__(
        self, values: Sequence[Any], positions: Mapping[str, int], extra_from: int, serial_epoch: datetime | None
    ) -> None:
        self.values = values
        self.positions = positions
        self.epoch = serial_epoch
        self.problems: list[Problem] = []
        extra = [v for v in values[extra_from:] if not cells.is_empty(v)]
        if extra:
            self.problems.append(Problem("", f"has a value in a column with no heading ({cells.text(extra[0])!s:.40})"))

    def raw(self, column: str) -> Any:
        index = self.positions.get(column)
        return self.values[index] if index is not None and index < len(self.values) else None

    def _fail(self, column: str, error: CellError) -> None:
        self.problems.append(Problem(column, str(error)))

    def text(self, column: str, required: str = "") -> str:
        try:
            value = cells.text(self.raw(column))
        except CellError as error:
            self._fail(column, error)
            return ""
        problem = text_problem(value, name=column in NAME_COLUMNS)
        if problem:
            self.problems.append(Problem(column, problem))
            return ""
        if not value and required:
            self.problems.append(Problem(column, required))
        limit = MAX_LENGTH.get(column)
        if limit is not None and len(value) > limit:
            self.problems.append(Problem(column, f"is {len(value)} characters long; at most {limit} are kept"))
            return value[:limit]
        # Values that repeat down a column are kept once, so a large file's rows fit in memory.
        return sys.intern(value) if column in REPEATING_COLUMNS else value

    def date(self, column: str, required: str = "") -> date | None:
        try:
            value = cells.parse_date(self.raw(column), serial_epoch=self.epoch)
        except CellError as error:
            self._fail(column, error)
            return None
        if value is None and required:
            self.problems.append(Problem(column, required))
        return value

    def moment(self, column: str, required: str = "") -> datetime | None:
        try:
            value = cells.parse_datetime(self.raw(column), serial_epoch=self.epoch)
        except CellError as error:
            self._fail(column, error)
            return None
        if value is None and required:
            self.problems.append(Problem(column, required))
        return value

    def flag(self, column: str, required: str) -> bool | None:
        try:
            value = cells.parse_bool(self.raw(column))
        except CellError as error:
            self._fail(column, error)
            return None
        if value is None:
            self.problems.append(Problem(column, required))
        return value

    def quantity(self, column: str, required: str) -> Decimal | None:
        try:
            value = cells.parse_quantity(self.raw(column))
        except CellError as error:
            self._fail(column, error)
            return None
        if value is None:
            self.problems.append(Problem(column, required))
        return value

    def choice(self, column: str, choices: Choices, required: str = "") -> str:
        try:
            value = choices.parse(self.raw(column))
        except CellError as error:
            self._fail(column, error)
            return ""
        if value is None and required:
            self.problems.append(Problem(column, required))
        return value or ""


def parse_reference(value: Any) -> tuple[str, str]:
    """(the reference as kept, or '' with the reason)."""
    try:
        text = cells.text(value).upper()
    except CellError as error:
        return "", str(error)
    if not text:
        return "", "is empty: give the referral's reference (references link rows and stop duplicates)"
    if len(text) > MAX_LENGTH["reference"]:
        return "", f"'{text}' is longer than {MAX_LENGTH['reference']} characters"
    if not _REFERENCE.match(text):
        return "", f"'{text}' may hold only letters, digits and - / _ ."
    return text, ""


def read_referral(
    number: int, values: Sequence[Any], positions: Mapping[str, int], serial_epoch: datetime | None = None
) -> ReferralLine:
    """One row of the referrals sheet, with a problem for every cell that cannot be used."""
    r = _Row(values, positions, max(positions.values(), default=-1) + 1, serial_epoch)
    line = ReferralLine(row=number)
    line.reference, problem = parse_reference(r.raw("reference"))
    if problem:
        r.problems.append(Problem("reference", problem))
    line.surname = r.text("surname")
    line.forenames = r.text("forenames")
    line.date_of_birth = r.date("date_of_birth", "is empty: give the date of birth")
    line.sex = r.choice("sex", _SEX)
    line.ethnicity = r.choice("ethnicity", _ETHNICITY)
    line.postcode = r.text("postcode").upper()
    line.area = r.text("area", "is empty: give the area (the scheme) where the incident happened")
    line.incident_at = r.moment("incident_date", "is empty: give the date of the incident")
    line.crime_reference = r.text("crime_reference")
    line.officer_collar_number = r.text("officer_collar_number")
    offence = r.choice("offence", _OFFENCE, "is empty: give possession, possession_with_intent or supply")
    line.offence = Offence(offence) if offence else None
    line.substance = r.text("substance", "is empty: give the substance found")
    line.quantity = r.quantity("quantity", "is empty: give the quantity found")
    line.unit = r.choice("unit", _UNIT, f"is empty: give the unit ({', '.join(KNOWN_UNITS)})")
    line.suspected_supply = r.flag("suspected_supply", "is empty: answer yes or no")
    line.consent = r.flag("consent", "is empty: answer yes or no (did the person agree to take part?)")
    line.guardian_name = r.text("guardian_name")
    outcome = r.choice("outcome", _OUTCOME)
    line.outcome = Outcome(outcome) if outcome else None
    line.outcome_date = r.date("outcome_date")
    if line.outcome_date is not None and line.outcome is None and not any(p.column == "outcome" for p in r.problems):
        r.problems.append(Problem("outcome_date", "is given but outcome is empty: give the outcome, or clear the date"))
    if (
        line.outcome in (Outcome.COMPLETED, Outcome.NOT_ATTENDED)
        and line.outcome_date is None
        and not any(p.column == "outcome_date" for p in r.problems)
    ):
        r.problems.append(
            Problem("outcome_date", f"is empty: give the date the diversion ended ({line.outcome.value})")
        )
    line.problems = r.problems
    return line


def read_appointment(
    number: int, values: Sequence[Any], positions: Mapping[str, int], serial_epoch: datetime | None = None
) -> AppointmentLine:
    """One row of the appointments sheet, with a problem for every cell that cannot be used."""
    r = _Row(values, positions, max(positions.values(), default=-1) + 1, serial_epoch)
    line = AppointmentLine(row=number)
    line.reference, problem = parse_reference(r.raw("reference"))
    if problem:
        r.problems.append(Problem("reference", problem))
    line.appointment_at = r.moment("appointment_at", "is empty: give the date and time of the appointment")
    line.centre = r.text("centre")  # the pilots rarely recorded it; the planner says when it is needed
    session = r.choice("session_type", _SESSION, "is empty: give " + ", ".join(s.value for s in SessionType))
    line.session_type = SessionType(session) if session else None
    attendance = r.choice("attendance", _ATTENDANCE)
    line.attendance = Attendance(attendance) if attendance else None
    line.problems = r.problems
    return line


# -- files -------------------------------------------------------------------------------
def appointments_csv_for(path: Path) -> Path:
    """The appointments file that goes with a referrals CSV: NAME.csv → NAME.appointments.csv."""
    return path.with_name(f"{path.stem}.{APPOINTMENTS}{path.suffix}")


def refused_path_for(path: Path) -> Path:
    """Where the refused rows of an import go: NAME.xlsx → NAME.refused.xlsx."""
    stem = path.stem
    if stem.endswith(f".{APPOINTMENTS}"):
        stem = stem[: -len(APPOINTMENTS) - 1]
    return path.with_name(f"{stem}.refused{path.suffix.lower()}")


def write_template(path: Path) -> list[Path]:
    """An empty template: an XLSX with both sheets, or two CSV files. Returns the files written."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        write_csv(path, REFERRAL_SHEET_COLUMNS, [])
        appointments = appointments_csv_for(path)
        write_csv(appointments, APPOINTMENT_SHEET_COLUMNS, [])
        return [path, appointments]
    write_xlsx(
        path, [SheetData(REFERRALS, REFERRAL_SHEET_COLUMNS, []), SheetData(APPOINTMENTS, APPOINTMENT_SHEET_COLUMNS, [])]
    )
    return [path]
