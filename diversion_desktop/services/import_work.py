"""An import's working file: the file's rows sorted on disk, so a file of any size is decided
in incident order in a memory that does not grow with it.

A 274,664-row file used to be held whole (every row, person, plan and report row: 1.9 GB). The
rows are now read once into a temporary SQLite file (``lines``, ``appointments``, one
``groups`` row per referral with its incident date, indexed in incident order), and what the
planner learns as it goes is kept there too: the people already in the database that the file
may name (``known``, ``known_keys``), the references already imported (``existing``), the
people decided so far (``people``), the persons of refused referrals (``tainted``), the plans to
write (``plans``) and the report's rows as each referral is decided (``pending``). Every query
is answered by an index, so SQLite never sorts in a temporary file of its own.

The file holds personal data: it is made in a private workspace (``private_files.Workspace``,
a folder readable by its owner only, files 0600) and deleted with it when the import ends, or
when its report is let go (the report's rows live in a second file of the same workspace,
services/import_report.py). A workspace left by a killed process is deleted at the next start.
The file is never a database anyone opens: no journal, no syncing (a failure throws it away).
"""

from __future__ import annotations

import marshal
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from diversion_desktop.domain.eligibility import Offence
from diversion_desktop.domain.programme import Attendance, Outcome, SessionType
from diversion_desktop.spreadsheets.import_format import AppointmentLine, Problem, ReferralLine
from diversion_desktop.store.private_files import Workspace

# SQLite's page cache for the working file. The operating system caches the file itself, so a
# small cache costs little time and keeps the memory flat whatever the size of the import.
CACHE_KIB = 8000

_SCHEMA = """
CREATE TABLE lines (row INTEGER PRIMARY KEY, reference TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX lines_of_referral ON lines (reference, row);
CREATE TABLE appointments (row INTEGER PRIMARY KEY, reference TEXT NOT NULL, data BLOB NOT NULL);
CREATE INDEX appointments_of_referral ON appointments (reference, row);
-- One per referral (a reference, or a row without one): its first row and that row's incident and person.
CREATE TABLE groups (id INTEGER PRIMARY KEY, reference TEXT UNIQUE, first_row INTEGER NOT NULL,
                     incident INTEGER NOT NULL, surname_norm TEXT, forenames_norm TEXT, dob INTEGER);
CREATE INDEX groups_in_incident_order ON groups (incident, first_row);
CREATE INDEX groups_by_dob ON groups (dob);
CREATE INDEX groups_by_name ON groups (surname_norm, forenames_norm);
CREATE TABLE existing (reference TEXT PRIMARY KEY, person_ref TEXT, surname_norm TEXT, forenames_norm TEXT,
                       dob INTEGER) WITHOUT ROWID;
CREATE TABLE known (id INTEGER PRIMARY KEY, reference TEXT, surname TEXT, forenames TEXT, dob INTEGER,
                    barred INTEGER, completed INTEGER NOT NULL DEFAULT 0, blanks TEXT, initial TEXT,
                    surname_norm TEXT, forenames_norm TEXT);
CREATE INDEX known_by_dob ON known (dob, id);
CREATE INDEX known_by_name ON known (surname_norm, forenames_norm, id);
CREATE TABLE known_keys (surname_norm TEXT, forenames_norm TEXT, dob INTEGER, id INTEGER,
                         PRIMARY KEY (surname_norm, forenames_norm, dob)) WITHOUT ROWID;
CREATE TABLE tainted (surname_norm TEXT, forenames_norm TEXT, dob INTEGER, row INTEGER,
                      PRIMARY KEY (surname_norm, forenames_norm, dob)) WITHOUT ROWID;
CREATE TABLE people (seq INTEGER PRIMARY KEY, surname_norm TEXT, forenames_norm TEXT, dob INTEGER,
                     surname TEXT, forenames TEXT, first_row INTEGER, known_id INTEGER, blanks TEXT,
                     barred INTEGER, completed INTEGER, fields BLOB, reference TEXT, id INTEGER,
                     initial TEXT, new_index INTEGER);
CREATE UNIQUE INDEX people_by_key ON people (surname_norm, forenames_norm, dob);
CREATE INDEX new_people_by_dob ON people (dob, seq) WHERE known_id IS NULL;
CREATE INDEX known_people ON people (known_id, seq) WHERE known_id IS NOT NULL;
CREATE TABLE plans (seq INTEGER PRIMARY KEY, reference TEXT, person_seq INTEGER, bars_at TEXT,
                    referral_id INTEGER, data BLOB);
CREATE TABLE pending (sheet INTEGER, row INTEGER, reference TEXT, result TEXT, person_seq INTEGER,
                      matched INTEGER, decision TEXT, status TEXT, reasons BLOB, problems BLOB, notes BLOB,
                      attention BLOB, PRIMARY KEY (sheet, row)) WITHOUT ROWID;
"""


def connect(path: Path, cache_kib: int) -> sqlite3.Connection:
    """A connection for a scratch file: no journal, no syncing, temporary tables in memory (the
    queries are all answered by indexes: nothing big is sorted), usable from another thread
    (an import runs on a worker; its report is read on the GUI thread, one at a time)."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = MEMORY", f"cache_size = {-cache_kib}"):
        db.execute(f"PRAGMA {pragma}")
    return db


class WorkFile:
    """The working file of one import, in its own private workspace (see the module's text)."""

    def __init__(self) -> None:
        self.workspace = Workspace("import-").open()
        try:
            self.path = self.workspace.file("work.sqlite3")
            self.db = connect(self.path, CACHE_KIB)
            self.db.executescript(_SCHEMA)
            self.db.execute("BEGIN")  # one transaction: nothing is committed until the file is let go
        except BaseException:
            self.workspace.close()
            raise

    def execute(self, sql: str, parameters: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, tuple(parameters))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def one(self, sql: str, parameters: Iterable[Any] = ()) -> Any:  # noqa: ANN401 (a row of the caller's own query)
        """The first row of a query, or None."""
        return self.db.execute(sql, tuple(parameters)).fetchone()

    def scalar(self, sql: str, parameters: Iterable[Any] = ()) -> Any:  # noqa: ANN401 (the column the caller asked for)
        row = self.one(sql, parameters)
        return None if row is None else row[0]

    def batches(self, sql: str, parameters: Iterable[Any] = (), size: int = 500) -> Iterator[list[Any]]:
        """A query's rows ``size`` at a time (the query may run while others write)."""
        cursor = self.db.execute(sql, tuple(parameters))
        while batch := cursor.fetchmany(size):
            yield batch

    def close(self) -> None:
        """Close the working file; the workspace (with the report's file) stays until the report goes."""
        if self.db is not None:
            self.db.close()
            self.db = None  # type: ignore[assignment]  # closed: used no more
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        """The import failed: the working file and its whole workspace go."""
        self.close()
        self.workspace.close()


# -- rows of the file, as compact records ------------------------------------------------------
# marshal, not pickle: plain values only (text, numbers, None), quick, and nothing in the file is code.
def day(value: date | None) -> int | None:
    return None if value is None else value.toordinal()


def from_day(value: int | None) -> date | None:
    return None if value is None else date.fromordinal(value)


def incident_order(value: datetime | None) -> int:
    """A sortable number for an incident (none sorts last, as ``datetime.max``)."""
    value = value or datetime.max
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    return (value.toordinal() * 86400 + seconds) * 1_000_000 + value.microsecond


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _from_moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _problems(problems: list[Problem]) -> tuple[tuple[str, str], ...]:
    return tuple((p.column, p.reason) for p in problems)


def _from_problems(problems: tuple[tuple[str, str], ...]) -> list[Problem]:
    return [Problem(column, reason) for column, reason in problems]


def encode_referral(line: ReferralLine) -> bytes:
    return marshal.dumps(
        (
            line.row,
            line.reference,
            line.surname,
            line.forenames,
            day(line.date_of_birth),
            line.sex,
            line.ethnicity,
            line.postcode,
            line.area,
            _moment(line.incident_at),
            line.crime_reference,
            line.officer_collar_number,
            line.offence.value if line.offence else None,
            line.substance,
            None if line.quantity is None else str(line.quantity),
            line.unit,
            line.suspected_supply,
            line.consent,
            line.guardian_name,
            line.outcome.value if line.outcome else None,
            day(line.outcome_date),
            _problems(line.problems),
        )
    )


def decode_referral(data: bytes) -> ReferralLine:
    (
        row,
        reference,
        surname,
        forenames,
        born,
        sex,
        ethnicity,
        postcode,
        area,
        incident,
        crime_reference,
        collar,
        offence,
        substance,
        quantity,
        unit,
        supply,
        consent,
        guardian,
        outcome,
        ended,
        problems,
    ) = marshal.loads(data)
    return ReferralLine(
        row=row,
        reference=reference,
        surname=surname,
        forenames=forenames,
        date_of_birth=from_day(born),
        sex=sex,
        ethnicity=ethnicity,
        postcode=postcode,
        area=area,
        incident_at=_from_moment(incident),
        crime_reference=crime_reference,
        officer_collar_number=collar,
        offence=Offence(offence) if offence else None,
        substance=substance,
        quantity=None if quantity is None else Decimal(quantity),
        unit=unit,
        suspected_supply=supply,
        consent=consent,
        guardian_name=guardian,
        outcome=Outcome(outcome) if outcome else None,
        outcome_date=from_day(ended),
        problems=_from_problems(problems),
    )


def encode_appointment(line: AppointmentLine) -> bytes:
    return marshal.dumps(
        (
            line.row,
            line.reference,
            _moment(line.appointment_at),
            line.centre,
            line.session_type.value if line.session_type else None,
            line.attendance.value if line.attendance else None,
            _problems(line.problems),
        )
    )


def decode_appointment(data: bytes) -> AppointmentLine:
    row, reference, when, centre, session, attendance, problems = marshal.loads(data)
    return AppointmentLine(
        row=row,
        reference=reference,
        appointment_at=_from_moment(when),
        centre=centre,
        session_type=SessionType(session) if session else None,
        attendance=Attendance(attendance) if attendance else None,
        problems=_from_problems(problems),
    )


def texts(values: Iterable[str | tuple[str, str]]) -> bytes:  # strings, or (column, reason) pairs
    return marshal.dumps(tuple(values))


def from_texts(data: bytes | None) -> tuple[Any, ...]:  # what texts() was given
    return () if data is None else marshal.loads(data)
