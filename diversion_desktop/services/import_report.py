"""An import's report: a line for every row of the file, kept in a private file, not in memory.

A large file's report has hundreds of thousands of rows; :class:`ReportRows` reads them from a
SQLite file in the import's private workspace (services/import_work.py) a batch at a time, in
file order (the referrals sheet first). The file and its workspace are deleted when the report
is closed (``ImportReport.close()``), or when the report is let go, or when the program ends.
"""

from __future__ import annotations

import marshal
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from diversion_desktop.domain.typed_text import shown_safely
from diversion_desktop.services.import_work import connect
from diversion_desktop.spreadsheets.import_format import Problem
from diversion_desktop.store.private_files import Workspace

CREATED = "created"
READY = "ready"  # would be created: a dry run, or held back because other rows were refused
ALREADY = "already imported"
REFUSED = "refused"

_BATCH = 1000  # rows read at a time
_CACHE_KIB = 2000


@dataclass(frozen=True)
class RowResult:
    """What happened (or would happen) to one row of the file."""

    sheet: str  # "referrals" or "appointments"
    row: int
    reference: str
    result: str  # created | ready | already imported | refused
    person: str = ""  # "new person P000124" or "matched to person P000012 (SMITH, John, born …)"
    decision: str = ""  # "eligible" / "not eligible"
    status: str = ""
    reasons: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    # To check by hand: possible matches with other people, history that today's rules would decide otherwise.
    attention: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.result == REFUSED

    def details(self) -> str:
        """Everything after the result, in words."""
        parts: list[str] = []
        if self.problems:
            parts.append("; ".join(p.text() for p in self.problems))
        if self.person:
            parts.append(self.person)
        if self.decision:
            verdict = self.decision + (": " + " ".join(self.reasons) if self.reasons else "")
            parts.append(verdict)
        if self.status:
            parts.append(f"status {self.status.replace('_', ' ')}")
        parts.extend(self.attention)
        parts.extend(self.notes)
        # A refused cell is quoted as it was: escapes, never raw control characters, reach a screen.
        return shown_safely(" — ".join(parts))

    def text(self) -> str:
        head = f"{self.sheet} row {self.row}" + (f" {self.reference}" if self.reference else "")
        details = self.details()
        return f"{head}: {self.result}" + (f" — {details}" if details else "")


# -- the rows on disk ----------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE rows (pos INTEGER PRIMARY KEY, sheet TEXT, row INTEGER, reference TEXT, result TEXT, person TEXT,
                   decision TEXT, status TEXT, reasons BLOB, problems BLOB, notes BLOB, attention BLOB);
-- The refused rows and those to check by hand, in order: what "only problems" shows.
CREATE TABLE flagged (pos INTEGER PRIMARY KEY, row_pos INTEGER NOT NULL);
"""
_COLUMNS = "sheet, row, reference, result, person, decision, status, reasons, problems, notes, attention"


class ReportWriter:
    """Writes the report's rows, in order, into a file of the import's workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.path = workspace.file("report.sqlite3")
        self.db = connect(self.path, _CACHE_KIB)
        self.db.executescript(_SCHEMA)
        self.db.execute("BEGIN")
        self.count = 0
        self.flagged = 0
        self._rows: list[tuple] = []
        self._flags: list[tuple[int]] = []

    def add(self, row: RowResult) -> None:
        self.count += 1
        self._rows.append(
            (
                self.count,
                row.sheet,
                row.row,
                row.reference,
                row.result,
                row.person,
                row.decision,
                row.status,
                marshal.dumps(row.reasons),
                marshal.dumps(tuple((p.column, p.reason) for p in row.problems)),
                marshal.dumps(row.notes),
                marshal.dumps(row.attention),
            )
        )
        if row.refused or row.attention:
            self.flagged += 1
            self._flags.append((self.count,))
        if len(self._rows) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self.db.executemany(f"INSERT INTO rows (pos, {_COLUMNS}) VALUES ({', '.join('?' * 12)})", self._rows)
        self.db.executemany("INSERT INTO flagged (row_pos) VALUES (?)", self._flags)
        self._rows, self._flags = [], []

    def finish(self) -> ReportRows:
        """The rows written, to read (the workspace now belongs to them)."""
        self._flush()
        self.db.execute("COMMIT")
        return ReportRows(_ReportFile(self.workspace, self.db, self.count, self.flagged))


def _release(db: sqlite3.Connection, workspace: Workspace) -> None:
    db.close()
    workspace.close()


class _ReportFile:
    """The open report file, shared by the views of one report; deleted (with its workspace) by
    ``close()``, when the last view is let go, or when the program ends."""

    def __init__(self, workspace: Workspace, db: sqlite3.Connection, count: int, flagged: int) -> None:
        self.db = db
        self.count = count
        self.flagged = flagged
        self.lock = threading.Lock()  # a worker may still read while the GUI thread pages
        self.closed = False
        self._finalizer = weakref.finalize(self, _release, db, workspace)

    def read(self, flagged: bool, start: int, stop: int) -> list[RowResult]:
        """Rows at positions ``start`` (0-based) up to ``stop``, of all rows or of the flagged ones."""
        if stop <= start:
            return []
        if flagged:
            sql = (
                f"SELECT {_COLUMNS} FROM flagged f JOIN rows r ON r.pos = f.row_pos "
                "WHERE f.pos > ? AND f.pos <= ? ORDER BY f.pos"
            )
        else:
            sql = f"SELECT {_COLUMNS} FROM rows WHERE pos > ? AND pos <= ? ORDER BY pos"
        with self.lock:
            if self.closed:
                raise ValueError("The import's report was closed.")
            found = self.db.execute(sql, (start, stop)).fetchall()
        loads = marshal.loads
        return [
            RowResult(
                sheet,
                row,
                reference,
                result,
                person,
                decision,
                status,
                loads(reasons),
                tuple(Problem(c, r) for c, r in loads(problems)),
                loads(notes),
                loads(attention),
            )
            for sheet, row, reference, result, person, decision, status, reasons, problems, notes, attention in found
        ]

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._finalizer()


class ReportRows(Sequence[RowResult]):
    """The report's rows in file order (the referrals sheet first), read from its private file a
    batch at a time: iterate, index or slice them; ``flagged()`` gives only the refused rows and
    those to check by hand."""

    def __init__(self, store: _ReportFile, flagged: bool = False) -> None:
        self._store = store
        self._flagged = flagged

    def __len__(self) -> int:
        return self._store.flagged if self._flagged else self._store.count

    @overload
    def __getitem__(self, index: int) -> RowResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[RowResult]: ...

    def __getitem__(self, index: int | slice) -> RowResult | list[RowResult]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            rows = (
                self._store.read(self._flagged, start, stop)
                if step == 1
                else [self[i] for i in range(start, stop, step)]
            )
            return rows
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        return self._store.read(self._flagged, position, position + 1)[0]

    def __iter__(self) -> Iterator[RowResult]:
        for start in range(0, len(self), _BATCH):
            yield from self._store.read(self._flagged, start, start + _BATCH)

    def flagged(self) -> ReportRows:
        return ReportRows(self._store, flagged=True)

    def close(self) -> None:
        """Delete the report's file now (it is deleted anyway when the report is let go)."""
        self._store.close()

    def __repr__(self) -> str:
        return f"<ReportRows: {len(self)} row(s)>"


@dataclass(frozen=True)
class ImportReport:
    files: tuple[str, ...]
    dry_run: bool
    skip_invalid: bool
    written: bool
    rows: ReportRows  # every row's result, read from the report's private file
    referrals: int  # referrals created (or that would be)
    people_created: int
    people_matched: int
    appointments: int
    already_imported: int  # referral rows already in the database
    refused_rows: int
    empty_rows: int
    refused_files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """No row was refused."""
        return self.refused_rows == 0

    def summary(self) -> str:
        counts = (
            f"{self.referrals} referral(s) with {self.appointments} appointment(s); people: "
            f"{self.people_created} new, {self.people_matched} already known"
        )
        if self.written:
            head = f"Imported {counts}."
        elif self.dry_run:
            head = f"Dry run: would import {counts}." if self.referrals else "Dry run: nothing new to import."
        elif self.referrals:
            head = f"Ready to import {counts}."
        else:
            head = "Nothing new to import."
        lines = [
            head,
            f"Already imported: {self.already_imported} referral row(s). Refused: {self.refused_rows} row(s).",
        ]
        if self.empty_rows:
            lines.append(f"{self.empty_rows} empty row(s) skipped.")
        lines.extend(self.notes)
        if self.written:
            lines.append("Written all or nothing.")
        elif self.dry_run:
            lines.append("Nothing was written.")
        elif not self.ok:
            lines.append(
                "Nothing was written: fix the refused rows and import again, or import with "
                "'skip refused rows' (--skip-invalid) to take the others now."
            )
        for path in self.refused_files:
            lines.append(f"Refused rows written to {path} (fix them there and import that file).")
        return "\n".join(lines)

    def lines(self, only_problems: bool = False) -> list[str]:
        return list(self.each_line(only_problems))

    def each_line(self, only_problems: bool = False) -> Iterator[str]:
        """The report's lines one at a time (a large file's report is printed without a copy)."""
        return (r.text() for r in (self.rows.flagged() if only_problems else self.rows))

    def close(self) -> None:
        """Delete the report's private file now; its rows cannot be read after this."""
        self.rows.close()
