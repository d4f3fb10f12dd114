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

The file is read once into the import's private working file (services/import_work.py),
then every decision is made (in ``services.import_planning``) before the first write, reading
the database without locking it; the referrals come from the working file in incident order,
so the memory used does not grow with the file. Rows are then written with Core bulk inserts,
``WRITE_CHUNK`` referrals per transaction, so other people's saves wait for one chunk (well
under a second), not for the whole import. To whoever runs it the import stays all or nothing:
if a chunk fails, the chunks already written are deleted again before the error is shown; only
if that too fails (the server is gone) does what was written stay, and the message says so:
importing the same file again skips those references and brings in the rest. The report's rows
are read from a private file too (services/import_report.py), deleted when the report is
closed or let go. See docs/import-export.md.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from diversion_desktop.domain.eligibility import Decision
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ServiceError, StorageError
from diversion_desktop.services.import_planning import Group, Key, Planner, _Plan, line_key, row_problems
from diversion_desktop.services.import_report import (
    ALREADY,
    CREATED,
    READY,
    REFUSED,
    ImportReport,
    ReportRows,
    ReportWriter,
    RowResult,
)
from diversion_desktop.services.import_work import (
    WorkFile,
    day,
    encode_appointment,
    encode_referral,
    from_day,
    from_texts,
    incident_order,
    texts,
)
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
_BATCH = 1000  # rows put in the working file at a time

_SHEETS = (fmt.REFERRALS, fmt.APPOINTMENTS)  # the report lists the referrals sheet first
_OK = "ok"  # in the working file: "created", or "ready" when not written


class ImportFileError(ServiceError):
    """The file as a whole cannot be imported (unreadable, wrong columns); nothing was written."""


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
    audit_record(
        session,
        record.user,
        record.at,
        "records_imported",
        entity="import",
        detail=f"{len(record.referrals)} referral(s), {record.people_created} new person(s), "
        f"{record.refused_rows} refused row(s) from {', '.join(record.files)}: {references}",
    )


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
    def run(
        self,
        paths: Path | str | Sequence[Path | str],
        *,
        dry_run: bool = False,
        skip_invalid: bool = False,
        progress: Progress | None = None,
    ) -> ImportReport:
        """Check every row, decide, and (unless a dry run, or rows were refused without
        ``skip_invalid``) write the good rows, all or nothing. Close the report when done with
        it (``report.close()``): its rows are kept in a private file until then."""
        self.ctx.require(Permission.IMPORT_RECORDS)
        files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
        sources = self._open(files)
        try:
            work = WorkFile()
            try:
                return self._run(files, sources, work, dry_run, skip_invalid, progress)
            except BaseException:
                work.discard()  # the rows read so far go with it
                raise
        finally:
            for source in sources:
                source.spreadsheet.close()

    def _run(
        self,
        files: list[Path],
        sources: list[_Source],
        work: WorkFile,
        dry_run: bool,
        skip_invalid: bool,
        progress: Progress | None,
    ) -> ImportReport:
        referral_source = next(s for s in sources if s.kind == fmt.REFERRALS)
        appointment_source = next((s for s in sources if s.kind == fmt.APPOINTMENTS), None)
        self._read(referral_source, appointment_source, work)
        notes = (
            [
                f"Appointments read from {appointment_source.sheet.path.name}"
                + (
                    f", sheet '{appointment_source.sheet.name}'"
                    if appointment_source.sheet.path.suffix.lower() != ".csv"
                    else ""
                )
                + "."
            ]
            if appointment_source is not None
            else []
        )
        pending = _Pending(work)
        if dry_run:
            with self.ctx.reading() as session:
                planner = Planner(self.ctx, session, referral_source.sheet.path.name, work, for_writing=False)
                planner.plan(progress, pending.decided, pending.orphan)
                pending.flush()
                planner.preview_references(session)
            return self._report(
                files,
                planner,
                pending,
                sources,
                dry_run=True,
                skip_invalid=skip_invalid,
                written=False,
                refused_files=(),
                notes=notes,
            )
        refused_files: list[Path] = []
        try:
            # Planned on what the database holds now, without the write lock: others keep saving.
            with self.ctx.reading() as session:
                planner = Planner(self.ctx, session, referral_source.sheet.path.name, work)
                planner.plan(progress, pending.decided, pending.orphan)
                pending.flush()
                refused = pending.refused
                write = bool(planner.plan_count) and (not refused or skip_invalid)
                if refused and skip_invalid:
                    refused_files = self._write_refused(referral_source, appointment_source, work)
                if not write:
                    planner.preview_references(session)
            if write:
                self._write(planner, files, refused, progress)
            if progress is not None:
                progress(planner.steps, planner.steps)
            return self._report(
                files,
                planner,
                pending,
                sources,
                dry_run=False,
                skip_invalid=skip_invalid,
                written=write,
                refused_files=tuple(refused_files),
                notes=notes,
            )
        except BaseException:
            for path in refused_files:  # the database kept nothing: neither should the disk
                path.unlink(missing_ok=True)
            raise

    def _write(self, planner: Planner, files: list[Path], refused: int, progress: Progress | None) -> None:
        """Write every plan, ``WRITE_CHUNK`` referrals per transaction, then bar people and record
        the import in the audit trail; on any failure take back what was written."""
        total = planner.plan_count
        referral_ids = array("q")  # committed, so they are ours to take back
        person_ids = array("q")
        try:
            with self.ctx.unit_of_work() as session:
                planner.reserve(session)
            done = 0
            for chunk in planner.chunks(WRITE_CHUNK):
                with self.ctx.unit_of_work() as session:
                    written = planner.write_chunk(session, chunk)
                referral_ids.extend(written[0])
                person_ids.extend(written[1])
                done += len(chunk)
                if self.ctx.engine.dialect.name == "sqlite" and done < total:
                    time.sleep(SQLITE_PAUSE)
                if progress is not None:  # planning was the first steps, writing the rest
                    progress(planner.planned + (planner.steps - planner.planned) * done // total - 1, planner.steps)
            with self.ctx.unit_of_work() as session:
                planner.finish(session)
                self.audit(
                    session,
                    ImportRecord(
                        user=self.ctx.user,
                        at=self.ctx.now(),
                        files=tuple(str(f) for f in files),
                        referrals=tuple(planner.references()),
                        people_created=planner.people_created,
                        refused_rows=refused,
                    ),
                )
        except BaseException as exc:
            taken_back = self._take_back(referral_ids, person_ids)
            if not isinstance(exc, ServiceError) or not referral_ids:
                raise
            if taken_back:
                raise StorageError(
                    f"{exc} The import stopped part-way; the {len(referral_ids):,} referral(s) "
                    "written before it were taken out again, so nothing of this file was "
                    "imported."
                ) from exc
            raise StorageError(
                f"{exc} The import stopped part-way: {len(referral_ids):,} of {total:,} "
                "referral(s) were written and could not be taken out again. Import the same "
                "file again to bring in the rest: the referrals already in the database are "
                "skipped."
            ) from exc

    def _take_back(self, referral_ids: Sequence[int], person_ids: Sequence[int]) -> bool:
        """Delete the referrals (their substances, appointments and timeline go with them) and the
        people this import wrote; True if done."""
        if not referral_ids and not person_ids:
            return True
        try:
            with self.ctx.unit_of_work() as session:
                for start in range(0, len(referral_ids), 500):
                    session.execute(delete(Referral).where(Referral.id.in_(list(referral_ids[start : start + 500]))))
                for start in range(0, len(person_ids), 500):
                    session.execute(delete(Person).where(Person.id.in_(list(person_ids[start : start + 500]))))
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
                raise ImportFileError(
                    "The file cannot be imported:\n" + "\n".join(f"- {p}" for p in problems) + "\nNothing was written."
                )
            if not any(s.kind == fmt.REFERRALS for s in sources):
                raise ImportFileError(
                    "No referrals sheet was found (a sheet named 'referrals', or a CSV file "
                    "with the referrals columns). Nothing was written."
                )
        except BaseException:
            for spreadsheet in opened:
                spreadsheet.close()
            raise
        return sources

    def _read(self, referrals: _Source, appointments: _Source | None, work: WorkFile) -> None:
        """Every row, typed, into the working file: each referral's first row (its reference's
        first, or a row of its own without a usable reference) becomes its group, sorted there by
        incident date. Appointment rows are grouped by reference when the groups are read."""
        sheet = referrals.sheet
        positions = fmt.column_positions(sheet.headers)
        lines: list[tuple[Any, ...]] = []
        groups: list[tuple[Any, ...]] = []

        def flush() -> None:
            work.executemany("INSERT INTO lines VALUES (?, ?, ?)", lines)
            # A reference's first row makes its group; its later rows change nothing (they come in file order).
            work.executemany(
                "INSERT OR IGNORE INTO groups (reference, first_row, incident, surname_norm, "
                "forenames_norm, dob) VALUES (?, ?, ?, ?, ?, ?)",
                groups,
            )
            lines.clear()
            groups.clear()

        try:
            for number, values in sheet.rows():
                line = fmt.read_referral(number, values, positions, sheet.serial_epoch)
                key = line_key(line)
                lines.append((number, line.reference, encode_referral(line)))
                groups.append(
                    (
                        line.reference or None,
                        number,
                        incident_order(line.incident_at),
                        *((key[0], key[1], day(key[2])) if key else (None, None, None)),
                    )
                )
                if len(lines) >= _BATCH:
                    flush()
            flush()
            if appointments is not None:
                positions = fmt.column_positions(appointments.sheet.headers)
                found: list[tuple[Any, ...]] = []
                for number, values in appointments.sheet.rows():
                    appointment = fmt.read_appointment(number, values, positions, appointments.sheet.serial_epoch)
                    found.append((number, appointment.reference, encode_appointment(appointment)))
                    if len(found) >= _BATCH:
                        work.executemany("INSERT INTO appointments VALUES (?, ?, ?)", found)
                        found.clear()
                work.executemany("INSERT INTO appointments VALUES (?, ?, ?)", found)
        except SpreadsheetError as exc:
            raise ImportFileError(str(exc)) from None

    # -- refused rows back to a spreadsheet ---------------------------------------------------------
    def _write_refused(self, referrals: _Source, appointments: _Source | None, work: WorkFile) -> list[Path]:
        def refused_of(kind: str) -> Iterator[tuple[int, str]]:
            """(row, what is wrong) of each refused row of a sheet, in row order."""
            for batch in work.batches(
                "SELECT row, problems FROM pending WHERE sheet = ? AND result = ? ORDER BY row",
                (_SHEETS.index(kind), REFUSED),
            ):
                for row, problems in batch:
                    yield row, "; ".join(Problem(column, reason).text() for column, reason in from_texts(problems))

        def rows_of(source: _Source, kind: str) -> tuple[list[Column], Iterable[list[Any]]]:
            sheet = source.sheet
            keep = [i for i, h in enumerate(sheet.headers) if fmt.header_key(h) != fmt.PROBLEM_COLUMN]
            cols = [Column(sheet.headers[i], RAW) for i in keep] + [Column(fmt.PROBLEM_COLUMN)]

            def generate() -> Iterable[list[Any]]:
                refused = refused_of(kind)  # both in row order: each refused row is met as the sheet is read again
                wanted = next(refused, None)
                for number, values in sheet.rows():
                    while wanted is not None and wanted[0] < number:
                        wanted = next(refused, None)
                    if wanted is not None and wanted[0] == number:
                        yield [values[i] if i < len(values) else None for i in keep] + [wanted[1]]

            return cols, generate()

        target = fmt.refused_path_for(referrals.sheet.path)
        written: list[Path] = []
        try:
            if target.suffix.lower() == ".csv":
                cols, rows = rows_of(referrals, fmt.REFERRALS)
                write_csv(target, cols, rows)
                written.append(target)
                if appointments is not None and next(refused_of(fmt.APPOINTMENTS), None) is not None:
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
            raise ImportFileError(
                f"The refused rows could not be written to {target} ({exc}); nothing was imported."
            ) from exc
        return written

    # -- the report --------------------------------------------------------------------------------
    def _report(
        self,
        files: list[Path],
        planner: Planner,
        pending: _Pending,
        sources: list[_Source],
        *,
        dry_run: bool,
        skip_invalid: bool,
        written: bool,
        refused_files: tuple[Path, ...],
        notes: list[str],
    ) -> ImportReport:
        """The report's rows, in file order, from the working file into the report's own file;
        the working file goes, the report's stays until the report is closed."""
        writer = ReportWriter(pending.work.workspace)
        try:
            rows = self._report_rows(planner, pending, writer, written)
        except BaseException:
            writer.db.close()  # the workspace goes with the failed import
            raise
        pending.work.close()
        return ImportReport(
            files=tuple(str(f) for f in files),
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            written=written,
            rows=rows,
            referrals=planner.plan_count,
            people_created=planner.people_created,
            people_matched=planner.people_matched,
            appointments=planner.appointments,
            already_imported=pending.already,
            refused_rows=pending.refused,
            empty_rows=sum(s.sheet.empty_rows for s in sources),
            refused_files=tuple(str(p) for p in refused_files),
            notes=tuple(notes),
        )

    @staticmethod
    def _report_rows(planner: Planner, pending: _Pending, writer: ReportWriter, written: bool) -> ReportRows:
        """Each row's result in file order, with the person's words now that new people have
        their references."""
        for batch in pending.work.batches(
            "SELECT r.sheet, r.row, r.reference, r.result, r.matched, r.decision, r.status, r.reasons, r.problems, "
            "r.notes, r.attention, p.seq, p.surname, p.forenames, p.dob, p.known_id, p.first_row, p.reference, "
            "p.new_index FROM pending r LEFT JOIN people p ON p.seq = r.person_seq ORDER BY r.sheet, r.row",
            size=_BATCH,
        ):
            for (
                sheet,
                row,
                reference,
                result,
                matched,
                decision,
                status,
                reasons,
                problems,
                row_notes,
                attention,
                seq,
                surname,
                forenames,
                born,
                known_id,
                first_row,
                person_ref,
                new_index,
            ) in batch:
                person = ""
                if seq is not None:
                    shown = planner.person_reference(person_ref, new_index)
                    label = f"{surname.upper()}, {forenames}, born {from_day(born):%d/%m/%Y}"
                    if matched:
                        person = f"matched to person {shown or '(new)'} ({label})"
                        if known_id is None:
                            person += f", new in this import (row {first_row})"
                    elif written or not shown:
                        person = f"new person {shown or '(new)'} ({label})"
                    else:
                        person = f"new person, would be {shown} ({label})"
                writer.add(
                    RowResult(
                        _SHEETS[sheet],
                        row,
                        reference,
                        (CREATED if written else READY) if result == _OK else result,
                        person=person,
                        decision=decision or "",
                        status=status or "",
                        reasons=from_texts(reasons),
                        problems=tuple(Problem(column, reason) for column, reason in from_texts(problems)),
                        notes=from_texts(row_notes),
                        attention=from_texts(attention),
                    )
                )
        return writer.finish()  # the workspace is the report's from here


class _Pending:
    """Each row's result, put in the working file as its referral is decided (in incident
    order); :meth:`ImportService._report` reads them back in file order."""

    def __init__(self, work: WorkFile) -> None:
        self.work = work
        self.refused = 0  # rows
        self.already = 0  # referral rows already imported
        self._rows: list[tuple[Any, ...]] = []

    def _add(
        self,
        sheet: str,
        row: int,
        reference: str,
        result: str,
        *,
        person_seq: int | None = None,
        matched: bool = False,
        decision: str | None = None,
        status: str | None = None,
        reasons: Iterable[str] = (),
        problems: Iterable[Problem] = (),
        notes: Iterable[str] = (),
        attention: Iterable[str] = (),
    ) -> None:
        if result == REFUSED:
            self.refused += 1
        elif result == ALREADY and sheet == fmt.REFERRALS:
            self.already += 1
        self._rows.append(
            (
                _SHEETS.index(sheet),
                row,
                reference,
                result,
                person_seq,
                matched,
                decision,
                status,
                texts(reasons),
                texts((p.column, p.reason) for p in problems),
                texts(notes),
                texts(attention),
            )
        )
        if len(self._rows) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        self.work.executemany("INSERT INTO pending VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows)
        self._rows.clear()

    def decided(self, group: Group, plan: _Plan | None, existing: tuple[str, Key] | None) -> None:
        if group.refused:
            problems = row_problems(group)
            for line in group.lines:
                self._add(
                    fmt.REFERRALS, line.row, group.reference, REFUSED, problems=problems[(fmt.REFERRALS, line.row)]
                )
            for appointment in group.appointments:
                self._add(
                    fmt.APPOINTMENTS,
                    appointment.row,
                    group.reference,
                    REFUSED,
                    problems=problems[(fmt.APPOINTMENTS, appointment.row)],
                )
            return
        if plan is None:  # already imported
            note = (
                f"{group.reference} is already in the database (person {existing[0]}); skipped"
                if existing
                else "already in the database; skipped"
            )
            for line in group.lines:
                self._add(fmt.REFERRALS, line.row, group.reference, ALREADY, notes=(note,))
            for appointment in group.appointments:
                self._add(fmt.APPOINTMENTS, appointment.row, group.reference, ALREADY)
            return
        values = plan.values
        decision = "eligible" if values["decision"] == Decision.ELIGIBLE.value else "not eligible"
        for index, line in enumerate(group.lines):
            if index == 0:  # the person's words are made at the end, when new people have their references
                self._add(
                    fmt.REFERRALS,
                    line.row,
                    group.reference,
                    _OK,
                    person_seq=plan.person.seq,
                    matched=plan.person_matched,
                    decision=decision,
                    status=values["status"],
                    reasons=values["reasons"],
                    notes=plan.notes,
                    attention=plan.attention,
                )
            else:
                self._add(
                    fmt.REFERRALS,
                    line.row,
                    group.reference,
                    _OK,
                    notes=(f"another substance of the referral on row {group.first.row}",),
                )
        for appointment in sorted(group.appointments, key=lambda a: a.row):
            attendance = (
                appointment.attendance.value.replace("_", " ") if appointment.attendance else "not yet recorded"
            )
            assert appointment.appointment_at is not None and appointment.session_type is not None
            self._add(
                fmt.APPOINTMENTS,
                appointment.row,
                group.reference,
                _OK,
                notes=(
                    f"{appointment.appointment_at:%d/%m/%Y %H:%M} "
                    f"{appointment.session_type.value.replace('_', ' ')}: {attendance}"
                    + ("" if appointment.centre else "; centre not recorded"),
                ),
            )

    def orphan(self, line: AppointmentLine) -> None:
        """An appointment row whose referral is not in the file."""
        if line.problems:
            self._add(fmt.APPOINTMENTS, line.row, line.reference, REFUSED, problems=line.problems)
        else:
            self._add(
                fmt.APPOINTMENTS,
                line.row,
                line.reference,
                ALREADY,
                notes=("its referral is already in the database; skipped",),
            )
