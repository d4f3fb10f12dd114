"""Importing the pilots' records: referrals and appointments from a CSV or XLSX file.

The domain decides, exactly as at intake. Rows are taken in the order of their
incident date, as if typed in one by one:

- the person is found as at intake (same normalised name and date of birth,
  an alias included); people who only *may* be the same are listed in the
  report and a new person is made;
- a row **without an outcome** is a new intake: ``intake.validate`` checks it
  and ``eligibility.decide`` makes the decision, against the person's history
  so far (including rows imported before it); its appointments are then
  recorded and ``programme.assess`` says where the diversion stands, so an
  unconfirmed consequence is only *proposed*;
- a row **with an outcome** is history: ``completed`` closes with no further
  action; ``not_attended`` takes the next step the scheme kind and age give
  (``next_step_for_non_attendance``) as confirmed, and bars the person through
  ``bar_person`` exactly as a coordinator's confirmation does; ``not_eligible``
  and ``declined`` close as such. The decision is still worked out and kept; if
  today's rules disagree with the recorded outcome the report says so.

A referral keeps its given ``reference``; a reference already in the database
is reported "already imported" and skipped, so importing a file twice creates
nothing the second time. Any refused row means nothing is written, unless
``skip_invalid``: then the other rows go in (all or nothing) and the refused
rows (with a ``problem`` column) are written beside the input for fixing and
importing again. ``dry_run`` writes nothing and reports what would happen.

The file is read, and every decision made (in ``services.import_planning``),
before the first write, reading the database without locking it. Rows are then
written with Core bulk inserts, ``WRITE_CHUNK`` referrals per transaction, so
other people's saves wait for one chunk (well under a second), not for the
whole import. To whoever runs it the import stays all or nothing: if a chunk
fails, the chunks already written are deleted again before the error is shown;
only if that too fails (the server is gone) does what was written stay, and the
message says so: importing the same file again skips those references and brings
in the rest. See docs/import-export.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from diversion_desktop.domain.eligibility import Decision
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.typed_text import shown_safely
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ServiceError, StorageError
from diversion_desktop.services.import_planning import Group, Planner, check_repeats, row_problem_texts, row_problems
from diversion_desktop.spreadsheets import import_format as fmt
from diversion_desktop.spreadsheets.import_format import AppointmentLine, Problem
from diversion_desktop.spreadsheets.reader import Sheet, Spreadsheet, SpreadsheetError, open_spreadsheet
from diversion_desktop.spreadsheets.writer import RAW, Column, SheetData, write_csv, write_xlsx
from diversion_desktop.store.models import Person, Referral

Progress = Callable[[int, int], None]

# Referrals written per transaction: each holds the write lock (SQLite) well under a second, so an
# intake saved on another workstation during a long import waits briefly instead of failing.
WRITE_CHUNK = 500
# SQLite queues no one for its write lock: a waiting writer retries every 100 ms at most (its busy
# handler), so the import pauses a little longer than that between chunks, or it would take the
# lock again first every time. PostgreSQL needs no pause: its inserts block no one.
SQLITE_PAUSE = 0.11

CREATED = "created"
READY = "ready"  # would be created: a dry run, or held back because other rows were refused
ALREADY = "already imported"
REFUSED = "refused"
class ImportFileError(ServiceError):
    """The file as a whole cannot be imported (unreadable, wrong columns); nothing was written."""


# -- the report ------------------------------------------------------------------------------
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


@dataclass(frozen=True)
class ImportReport:
    files: tuple[str, ...]
    dry_run: bool
    skip_invalid: bool
    written: bool
    rows: tuple[RowResult, ...]
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
        counts = (f"{self.referrals} referral(s) with {self.appointments} appointment(s); people: "
                  f"{self.people_created} new, {self.people_matched} already known")
        if self.written:
            head = f"Imported {counts}."
        elif self.dry_run:
            head = f"Dry run: would import {counts}." if self.referrals else "Dry run: nothing new to import."
        elif self.referrals:
            head = f"Ready to import {counts}."
        else:
            head = "Nothing new to import."
        lines = [head, f"Already imported: {self.already_imported} referral row(s). "
                       f"Refused: {self.refused_rows} row(s)."]
        if self.empty_rows:
            lines.append(f"{self.empty_rows} empty row(s) skipped.")
        lines.extend(self.notes)
        if self.written:
            lines.append("Written all or nothing.")
        elif self.dry_run:
            lines.append("Nothing was written.")
        elif not self.ok:
            lines.append("Nothing was written: fix the refused rows and import again, or import with "
                         "'skip refused rows' (--skip-invalid) to take the others now.")
        for path in self.refused_files:
            lines.append(f"Refused rows written to {path} (fix them there and import that file).")
        return "\n".join(lines)

    def lines(self, only_problems: bool = False) -> list[str]:
        return list(self.each_line(only_problems))

    def each_line(self, only_problems: bool = False) -> Iterator[str]:
        """The report's lines one at a time (a large file's report is printed without a copy)."""
        return (r.text() for r in self.rows if not only_problems or r.refused or r.attention)


@dataclass(frozen=True)
class ImportRecord:
    """Who imported what: handed to the audit hook inside the import's transaction."""

    user: str
    at: datetime
    files: tuple[str, ...]
    referrals: tuple[str, ...]
    people_created: int
    refused_rows: int


def record_import(session: Session, record: ImportRecord) -> None:
    """The import in the audit trail, in the import's own transaction: one row naming the
    files and every referral it brought in (the rows themselves are in the files)."""
    from diversion_desktop.services.audit import record as audit_record

    references = ", ".join(record.referrals)
    audit_record(session, record.user, record.at, "records_imported", entity="import",
                 detail=f"{len(record.referrals)} referral(s), {record.people_created} new person(s), "
                        f"{record.refused_rows} refused row(s) from {', '.join(record.files)}: {references}")


AuditHook = Callable[[Session, ImportRecord], None]


# -- what was read ---------------------------------------------------------------------------
@dataclass
class _Source:
    spreadsheet: Spreadsheet
    sheet: Sheet
    kind: str



class ImportService:
    def __init__(self, ctx: AppContext, audit: AuditHook = record_import) -> None:
        self.ctx = ctx
        self.audit = audit

    @staticmethod
    def write_template(path: Path) -> list[Path]:
        """An empty template (XLSX with both sheets, or two CSV files); returns the files written."""
        try:
            return fmt.write_template(Path(path))
        except OSError as exc:
            raise ImportFileError(f"Cannot write the template {path}: {exc}") from exc

    # -- the whole import --------------------------------------------------------------------
    def run(self, paths: Path | str | Sequence[Path | str], *, dry_run: bool = False,
            skip_invalid: bool = False, progress: Progress | None = None) -> ImportReport:
        """Check every row, decide, and (unless a dry run, or rows were refused without
        ``skip_invalid``) write the good rows, all or nothing."""
        self.ctx.require(Permission.IMPORT_RECORDS)
        files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
        sources = self._open(files)
        try:
            return self._run(files, sources, dry_run, skip_invalid, progress)
        finally:
            for source in sources:
                source.spreadsheet.close()

    def _run(self, files: list[Path], sources: list[_Source], dry_run: bool, skip_invalid: bool,
             progress: Progress | None) -> ImportReport:
        referral_source = next(s for s in sources if s.kind == fmt.REFERRALS)
        appointment_source = next((s for s in sources if s.kind == fmt.APPOINTMENTS), None)
        groups, orphans = self._read(referral_source, appointment_source)
        notes = [f"Appointments read from {appointment_source.sheet.path.name}"
                 + (f", sheet '{appointment_source.sheet.name}'" if appointment_source.sheet.path.suffix.lower()
                    != ".csv" else "") + "."] if appointment_source is not None else []
        if dry_run:
            with self.ctx.reading() as session:
                planner = Planner(self.ctx, session, referral_source.sheet.path.name, for_writing=False)
                planner.plan(groups, orphans, progress)
                planner.preview_references(session)
                return self._report(files, planner, groups, orphans, sources, dry_run=True,
                                    skip_invalid=skip_invalid, written=False, refused_files=(), notes=notes)
        refused_files: list[Path] = []
        try:
            # Planned on what the database holds now, without the write lock: others keep saving.
            with self.ctx.reading() as session:
                planner = Planner(self.ctx, session, referral_source.sheet.path.name)
                planner.plan(groups, orphans, progress)
                refused = planner.refused_rows(groups, orphans)
                write = bool(planner.plans) and (not refused or skip_invalid)
                if refused and skip_invalid:
                    refused_files = self._write_refused(referral_source, appointment_source, groups, orphans)
                if not write:
                    planner.preview_references(session)
            if write:
                self._write(planner, files, refused, progress)
        except BaseException:
            for path in refused_files:  # the database kept nothing: neither should the disk
                path.unlink(missing_ok=True)
            raise
        if progress is not None:
            progress(planner.steps, planner.steps)
        return self._report(files, planner, groups, orphans, sources, dry_run=False, skip_invalid=skip_invalid,
                            written=write, refused_files=tuple(refused_files), notes=notes)

    def _write(self, planner: Planner, files: list[Path], refused: int, progress: Progress | None) -> None:
        """Write every plan, ``WRITE_CHUNK`` referrals per transaction, then bar people and record
        the import in the audit trail; on any failure take back what was written."""
        plans = planner.plans
        referral_ids: list[int] = []  # committed, so they are ours to take back
        person_ids: list[int] = []
        try:
            with self.ctx.unit_of_work() as session:
                planner.reserve(session)
            for start in range(0, len(plans), WRITE_CHUNK):
                with self.ctx.unit_of_work() as session:
                    written = planner.write_chunk(session, plans[start:start + WRITE_CHUNK])
                referral_ids += written[0]
                person_ids += written[1]
                if self.ctx.engine.dialect.name == "sqlite" and start + WRITE_CHUNK < len(plans):
                    time.sleep(SQLITE_PAUSE)
                if progress is not None:  # planning was the first steps, writing the rest
                    done = min(start + WRITE_CHUNK, len(plans))
                    progress(planner.planned + (planner.steps - planner.planned) * done // len(plans) - 1,
                             planner.steps)
            with self.ctx.unit_of_work() as session:
                planner.finish(session)
                self.audit(session, ImportRecord(
                    user=self.ctx.user, at=self.ctx.now(), files=tuple(str(f) for f in files),
                    referrals=tuple(p.group.reference for p in plans),
                    people_created=sum(1 for p in planner.people if p.new), refused_rows=refused))
        except BaseException as exc:
            taken_back = self._take_back(referral_ids, person_ids)
            if not isinstance(exc, ServiceError) or not referral_ids:
                raise
            if taken_back:
                raise StorageError(f"{exc} The import stopped part-way; the {len(referral_ids):,} referral(s) "
                                   "written before it were taken out again, so nothing of this file was "
                                   "imported.") from exc
            raise StorageError(f"{exc} The import stopped part-way: {len(referral_ids):,} of {len(plans):,} "
                               "referral(s) were written and could not be taken out again. Import the same "
                               "file again to bring in the rest: the referrals already in the database are "
                               "skipped.") from exc

    def _take_back(self, referral_ids: list[int], person_ids: list[int]) -> bool:
        """Delete the referrals (their substances, appointments and timeline go with them) and the
        people this import wrote; True if done."""
        if not referral_ids and not person_ids:
            return True
        try:
            with self.ctx.unit_of_work() as session:
                for start in range(0, len(referral_ids), 500):
                    session.execute(delete(Referral).where(Referral.id.in_(referral_ids[start:start + 500])))
                for start in range(0, len(person_ids), 500):
                    session.execute(delete(Person).where(Person.id.in_(person_ids[start:start + 500])))
        except ServiceError:
            return False
        return True

    # -- reading -----------------------------------------------------------------------------
    def _open(self, files: list[Path]) -> list[_Source]:
        if not files:
            raise ImportFileError("Choose a file to import.")
        opened: list[Spreadsheet] = []
        sources: list[_Source] = []
        problems: list[str] = []
        try:
            wanted = list(files)
            for path in files:  # a CSV pair: NAME.csv with NAME.appointments.csv
                if path.suffix.lower() != ".csv":
                    continue
                if path.stem.endswith("." + fmt.APPOINTMENTS):
                    partner = path.with_name(path.stem[: -len(fmt.APPOINTMENTS) - 1] + path.suffix)
                else:
                    partner = fmt.appointments_csv_for(path)
                if partner.is_file() and partner not in wanted:
                    wanted.append(partner)
            for path in wanted:
                try:
                    spreadsheet = open_spreadsheet(path)
                except SpreadsheetError as exc:
                    raise ImportFileError(str(exc)) from None
                opened.append(spreadsheet)
                if not spreadsheet.sheets:
                    problems.append(f"{path.name} is empty: it has no header row.")
                for sheet in spreadsheet.sheets:
                    kind = fmt.classify(sheet.name, sheet.headers)
                    where = path.name if path.suffix.lower() == ".csv" else f"{path.name}, sheet '{sheet.name}'"
                    if kind is None:
                        if len(spreadsheet.sheets) == 1:
                            kind = fmt.REFERRALS
                        else:
                            continue  # another sheet of the workbook (notes, lists): not for import
                    problem = fmt.header_problem(sheet.headers, kind)
                    if problem:
                        problems.append(f"{where} ({kind}): {problem}")
                        continue
                    if any(s.kind == kind for s in sources):
                        problems.append(f"{where}: a second {kind} sheet; import one file (or workbook) at a time.")
                        continue
                    sources.append(_Source(spreadsheet, sheet, kind))
            if problems:
                raise ImportFileError("The file cannot be imported:\n" + "\n".join(f"- {p}" for p in problems)
                                      + "\nNothing was written.")
            if not any(s.kind == fmt.REFERRALS for s in sources):
                raise ImportFileError("No referrals sheet was found (a sheet named 'referrals', or a CSV file "
                                      "with the referrals columns). Nothing was written.")
        except BaseException:
            for spreadsheet in opened:
                spreadsheet.close()
            raise
        return sources

    def _read(self, referrals: _Source, appointments: _Source | None) -> tuple[list[Group], list[AppointmentLine]]:
        """Every row, typed, grouped by reference; appointment rows whose reference is not in
        the referrals sheet are returned apart (they may name a referral already imported)."""
        sheet = referrals.sheet
        positions = fmt.column_positions(sheet.headers)
        groups: dict[str, Group] = {}
        loose: list[Group] = []
        try:
            for number, values in sheet.rows():
                line = fmt.read_referral(number, values, positions, sheet.serial_epoch)
                if not line.reference:
                    group = Group(reference="", lines=[line])
                    loose.append(group)
                else:
                    group = groups.setdefault(line.reference, Group(reference=line.reference, lines=[]))
                    group.lines.append(line)
                for problem in line.problems:
                    group.refuse(fmt.REFERRALS, number, problem)
            orphans: list[AppointmentLine] = []
            if appointments is not None:
                positions = fmt.column_positions(appointments.sheet.headers)
                for number, values in appointments.sheet.rows():
                    line = fmt.read_appointment(number, values, positions, appointments.sheet.serial_epoch)
                    group = groups.get(line.reference)
                    if group is None:
                        orphans.append(line)
                        continue
                    group.appointments.append(line)
                    for problem in line.problems:
                        group.refuse(fmt.APPOINTMENTS, number, problem)
        except SpreadsheetError as exc:
            raise ImportFileError(str(exc)) from None
        for group in groups.values():
            check_repeats(group)
        return [*groups.values(), *loose], orphans

    # -- refused rows back to a spreadsheet ---------------------------------------------------------
    def _write_refused(self, referrals: _Source, appointments: _Source | None, groups: list[Group],
                       orphans: list[AppointmentLine]) -> list[Path]:
        problems: dict[str, dict[int, str]] = {fmt.REFERRALS: {}, fmt.APPOINTMENTS: {}}
        for group in groups:
            if not group.refused:
                continue
            for (sheet, row), text in row_problem_texts(group).items():
                problems[sheet][row] = text
        for line in orphans:
            if line.problems:
                problems[fmt.APPOINTMENTS][line.row] = "; ".join(p.text() for p in line.problems)

        def rows_of(source: _Source, kind: str) -> tuple[list[Column], Iterable[list[Any]]]:
            sheet = source.sheet
            keep = [i for i, h in enumerate(sheet.headers) if fmt.header_key(h) != fmt.PROBLEM_COLUMN]
            cols = [Column(sheet.headers[i], RAW) for i in keep] + [Column(fmt.PROBLEM_COLUMN)]
            wanted = problems[kind]

            def generate() -> Iterable[list[Any]]:
                for number, values in sheet.rows():
                    if number in wanted:
                        yield [values[i] if i < len(values) else None for i in keep] + [wanted[number]]

            return cols, generate()

        target = fmt.refused_path_for(referrals.sheet.path)
        written: list[Path] = []
        try:
            if target.suffix.lower() == ".csv":
                cols, rows = rows_of(referrals, fmt.REFERRALS)
                write_csv(target, cols, rows)
                written.append(target)
                if appointments is not None and problems[fmt.APPOINTMENTS]:
                    other = fmt.appointments_csv_for(target)
                    cols, rows = rows_of(appointments, fmt.APPOINTMENTS)
                    write_csv(other, cols, rows)
                    written.append(other)
            else:
                sheets = [SheetData(fmt.REFERRALS, *rows_of(referrals, fmt.REFERRALS))]
                if appointments is not None:
                    sheets.append(SheetData(fmt.APPOINTMENTS, *rows_of(appointments, fmt.APPOINTMENTS)))
                else:
                    sheets.append(SheetData(fmt.APPOINTMENTS, fmt.APPOINTMENT_SHEET_COLUMNS, []))
                write_xlsx(target, sheets)
                written.append(target)
        except OSError as exc:
            for path in written:
                path.unlink(missing_ok=True)
            raise ImportFileError(f"The refused rows could not be written to {target} ({exc}); "
                                  "nothing was imported.") from exc
        return written

    # -- the report --------------------------------------------------------------------------------
    def _report(self, files: list[Path], planner: Planner, groups: list[Group], orphans: list[AppointmentLine],
                sources: list[_Source], *, dry_run: bool, skip_invalid: bool, written: bool,
                refused_files: tuple[Path, ...], notes: list[str]) -> ImportReport:
        ok_result = CREATED if written else READY
        rows: list[RowResult] = []
        plans = {id(p.group): p for p in planner.plans}
        for group in groups:
            plan = plans.get(id(group))
            if group.refused:
                texts = row_problems(group)
                for line in group.lines:
                    rows.append(RowResult(fmt.REFERRALS, line.row, group.reference, REFUSED,
                                          problems=tuple(texts[(fmt.REFERRALS, line.row)])))
                for appointment in group.appointments:
                    rows.append(RowResult(fmt.APPOINTMENTS, appointment.row, group.reference, REFUSED,
                                          problems=tuple(texts[(fmt.APPOINTMENTS, appointment.row)])))
                continue
            if plan is None:  # already imported
                known = planner.existing.get(group.reference)
                note = (f"{group.reference} is already in the database (person {known[0]}); skipped"
                        if known else "already in the database; skipped")
                for line in group.lines:
                    rows.append(RowResult(fmt.REFERRALS, line.row, group.reference, ALREADY, notes=(note,)))
                for appointment in group.appointments:
                    rows.append(RowResult(fmt.APPOINTMENTS, appointment.row, group.reference, ALREADY))
                continue
            values = plan.values
            person = plan.person
            reference = person.reference or "(new)"
            if plan.person_matched:
                person_text = f"matched to person {reference} ({person.label()})"
                if person.new:
                    person_text += f", new in this import (row {person.first_row})"
            elif written or not person.reference:
                person_text = f"new person {reference} ({person.label()})"
            else:
                person_text = f"new person, would be {reference} ({person.label()})"
            decision = "eligible" if values["decision"] == Decision.ELIGIBLE.value else "not eligible"
            for index, line in enumerate(group.lines):
                if index == 0:
                    rows.append(RowResult(fmt.REFERRALS, line.row, group.reference, ok_result, person=person_text,
                                          decision=decision, status=values["status"],
                                          reasons=tuple(values["reasons"]), notes=tuple(plan.notes),
                                          attention=tuple(plan.attention)))
                else:
                    rows.append(RowResult(fmt.REFERRALS, line.row, group.reference, ok_result,
                                          notes=(f"another substance of the referral on row {group.first.row}",)))
            for appointment in sorted(group.appointments, key=lambda a: a.row):
                attendance = appointment.attendance.value.replace("_", " ") if appointment.attendance else "not yet recorded"
                assert appointment.appointment_at is not None and appointment.session_type is not None
                rows.append(RowResult(fmt.APPOINTMENTS, appointment.row, group.reference, ok_result,
                                      notes=(f"{appointment.appointment_at:%d/%m/%Y %H:%M} "
                                             f"{appointment.session_type.value.replace('_', ' ')}: {attendance}"
                                             + ("" if appointment.centre else "; centre not recorded"),)))
        for line in orphans:
            if line.problems:
                rows.append(RowResult(fmt.APPOINTMENTS, line.row, line.reference, REFUSED, problems=tuple(line.problems)))
            else:
                rows.append(RowResult(fmt.APPOINTMENTS, line.row, line.reference, ALREADY,
                                      notes=("its referral is already in the database; skipped",)))
        rows.sort(key=lambda r: (r.sheet != fmt.REFERRALS, r.row))
        empty = sum(s.sheet.empty_rows for s in sources)
        return ImportReport(
            files=tuple(str(f) for f in files), dry_run=dry_run, skip_invalid=skip_invalid, written=written,
            rows=tuple(rows), referrals=len(planner.plans),
            people_created=sum(1 for p in planner.people if p.new),
            people_matched=len({id(p.person) for p in planner.plans if p.person_matched and not p.person.new}),
            appointments=sum(len(p.appointments) for p in planner.plans),
            already_imported=sum(1 for r in rows if r.result == ALREADY and r.sheet == fmt.REFERRALS),
            refused_rows=sum(1 for r in rows if r.refused), empty_rows=empty,
            refused_files=tuple(str(p) for p in refused_files), notes=tuple(notes))
