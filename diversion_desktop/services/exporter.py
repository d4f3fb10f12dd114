"""Exports for partners: referrals, people, appointments and issued documents as CSV or XLSX.

Rows are read in chunks (``yield_per``) and written as they come, so an export
of a million rows never holds them all. Every export can be filtered by area
and by a date range, or limited to the rows a list in the GUI shows (their
ids). Exports of personal data can be password-protected: the file then goes
into an AES-256 encrypted ZIP (see ``spreadsheets.encrypted`` for the tools that
open it).

Two layouts of referrals:

- ``partner`` (the default): one row per referral with the columns partners'
  analysts rely on (``REFERRAL_COLUMNS``; documented in docs/import-export.md);
- ``import``: the import template itself (a ``referrals`` sheet with one row
  per substance and an ``appointments`` sheet), so records move from one
  database to another and back: export, import, export gives the same rows.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from diversion_desktop.domain.age import Pathway, age_band
from diversion_desktop.domain.fields import PERSON_FIELDS, Kind
from diversion_desktop.domain.next_step import HOME_OFFICE_OUTCOME_COMPLETED, next_step_for_non_attendance
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Outcome, Status
from diversion_desktop.domain.schemes import SchemeKind
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ServiceError, ValidationError
from diversion_desktop.spreadsheets import import_format as fmt
from diversion_desktop.spreadsheets.encrypted import (  # the password rule: the screens and the commands ask here
    MIN_PASSWORD_LENGTH,  # noqa: F401 - for the password fields of the screens
    OPENS_WITH,
    PasswordError,
    check_password,
    encrypted_zip,
)
from diversion_desktop.spreadsheets.writer import (
    BOOL,
    DATE,
    DATETIME,
    INT,
    TEXT,
    Column,
    SheetData,
    write_csv,
    write_xlsx,
)
from diversion_desktop.store.models import (
    Appointment,
    IssuedDocument,
    Person,
    PersonAlias,
    Referral,
    ReferralSubstance,
)

Progress = Callable[[int, int], None]

KINDS = ("referrals", "people", "appointments", "documents")
FORMATS = ("csv", "xlsx")
LAYOUTS = ("partner", "import")
PASSWORD_ENV = "DIVERSION_EXPORT_PASSWORD"
_YIELD_PER = 1000
MAX_IDS = 30000
XLSX_MAX_ROWS = 1_048_575  # an Excel sheet's rows, less the header

REFERRAL_COLUMNS: tuple[Column, ...] = (
    Column("reference"),
    Column("person_reference"),
    Column("age_band"),
    Column("area"),
    Column("scheme_kind"),
    Column("pathway"),
    Column("decision"),
    Column("reasons", width=60),
    Column("status"),
    Column("due_date", DATE),
    Column("next_step"),
    Column("outcome"),
    Column("outcome_date", DATE),
    Column("referral_date", DATE),
    Column("incident_date", DATE),
    Column("offence"),
    Column("substances"),
    Column("sex"),
    Column("ethnicity"),
    Column("centre"),
    Column("first_attendance_due", DATE),
    Column("sessions_attended", INT),
    Column("next_step_confirmed", BOOL),
    Column("overridden", BOOL),
    Column("home_office_outcome", INT),
)
# The person's fields the partners' export has (domain/fields.py), in the list's order.
EXPORTED_PERSON_FIELDS = tuple(f for f in PERSON_FIELDS if f.export is not None)
PEOPLE_COLUMNS: tuple[Column, ...] = (
    Column("person_reference"),
    *(
        Column(f.export_column, DATE if f.kind is Kind.DATE else TEXT, width=40 if f.kind is Kind.ADDRESS else None)
        for f in EXPORTED_PERSON_FIELDS
    ),
    Column("aliases"),
    Column("barred", BOOL),
    Column("barred_on", DATE),
    Column("referrals", INT),
)
APPOINTMENT_COLUMNS: tuple[Column, ...] = (
    *fmt.APPOINTMENT_SHEET_COLUMNS,
    Column("person_reference"),
    Column("area"),
    Column("centre_name"),
    Column("worker"),
    Column("rebook_reason"),
    Column("recorded_by"),
    Column("recorded_at", DATETIME),
)
DOCUMENT_COLUMNS: tuple[Column, ...] = (
    Column("document_reference"),
    Column("reference"),
    Column("person_reference"),
    Column("area"),
    Column("kind"),
    Column("title", width=40),
    Column("recipient", width=30),
    Column("issued_at", DATETIME),
    Column("issued_by"),
    Column("template_version"),
    Column("page_count", INT),
    Column("sha256", width=20),
)


@dataclass(frozen=True)
class ExportQuery:
    """What to export. Filters combine; ``ids`` limits to the rows a list shows (ids of the kind's rows)."""

    kind: str = "referrals"
    area: str | None = None  # a scheme code
    date_from: date | None = None
    date_to: date | None = None
    ids: tuple[int, ...] | None = None  # at most MAX_IDS; a longer list gives its filters or ``id_query``
    referral_ids: tuple[int, ...] | None = None  # appointments / documents of these referrals
    centre_code: str | None = None  # appointments at this centre
    status: str | None = None  # referrals in this status
    # A SELECT of the kind's ids (e.g. ``select(Referral.id).where(...)`` from a list's own service),
    # for a list too long to pass its ids: the export holds exactly the rows it selects.
    id_query: Any = field(default=None, compare=False)
    layout: str = "partner"  # referrals only: "partner" or "import"
    description: str = ""  # what the user was looking at, for the audit trail

    def describe(self) -> str:
        parts = [self.kind + (" (import layout)" if self.layout == "import" else "")]
        if self.description:
            parts.append(self.description)
        if self.area:
            parts.append(f"area {self.area}")
        if self.centre_code:
            parts.append(f"centre {self.centre_code}")
        if self.status:
            parts.append(f"status {self.status}")
        if self.date_from or self.date_to:
            parts.append(f"from {self.date_from or 'the start'} to {self.date_to or 'today'}")
        if self.ids is not None:
            parts.append(f"{len(self.ids)} chosen row(s)")
        return ", ".join(parts)


@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    rows: dict[str, int]  # per sheet (or file)
    encrypted: bool

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        counts = ", ".join(f"{n} row(s) of {name}" for name, n in self.rows.items())
        text = f"Exported {counts} to {', '.join(str(f) for f in self.files)}."
        if self.encrypted:
            text += f" The ZIP is AES-256 encrypted: open it with {OPENS_WITH}."
        return text


@dataclass(frozen=True)
class ExportRecord:
    """Who exported what: handed to the audit hook after the file is written."""

    user: str
    at: datetime
    what: str
    rows: int
    files: tuple[str, ...]
    encrypted: bool


def record_export(ctx: AppContext, record: ExportRecord) -> None:
    """Who exported what, when and where to, in the audit trail (after the file is written)."""
    from diversion_desktop.services.audit import record as audit_record

    with ctx.unit_of_work() as session:
        audit_record(
            session,
            record.user,
            record.at,
            "personal_data_exported",
            entity="export",
            detail=f"{record.what}: {record.rows} row(s) to {', '.join(record.files)}"
            f" ({'encrypted' if record.encrypted else 'NOT encrypted'})",
        )


AuditHook = Callable[[AppContext, ExportRecord], None]


@dataclass
class _Sheet:
    name: str
    columns: tuple[Column, ...]
    count: Callable[[Session], int]
    rows: Callable[[Session], Iterator[tuple[Any, ...]]]


class ExportService:
    def __init__(self, ctx: AppContext, audit: AuditHook = record_export) -> None:
        self.ctx = ctx
        self.audit = audit

    # -- checking what was asked ----------------------------------------------------------------
    def resolve_area(self, text: str | None) -> str | None:
        """A scheme code for an area typed as its code or its name; ValidationError if unknown."""
        if text is None or not text.strip():
            return None
        scheme = self.ctx.schemes.find(text)
        if scheme is None:
            known = ", ".join(f"{s.code} ({s.area})" for s in self.ctx.schemes)
            raise ValidationError({"area": f"Unknown area '{text}' (known: {known})."})
        return scheme.code

    def count(self, query: ExportQuery) -> int:
        self.ctx.require(Permission.EXPORT_PERSONAL_DATA)
        with self.ctx.reading() as session:
            return sum(sheet.count(session) for sheet in self._sheets(query))

    # -- the export -------------------------------------------------------------------------------
    def export(
        self,
        query: ExportQuery,
        out: Path,
        file_format: str | None = None,
        password: str | None = None,
        progress: Progress | None = None,
    ) -> ExportResult:
        """Write the export; with a password, into an AES-encrypted ZIP (``out`` gets '.zip')."""
        self.ctx.require(Permission.EXPORT_PERSONAL_DATA)
        out = Path(out)
        file_format = (file_format or out.suffix.lstrip(".")).lower()
        errors = self._check(query, file_format)
        if password is not None:
            try:
                check_password(password)
            except PasswordError as exc:
                errors["password"] = str(exc)
        if errors:
            raise ValidationError(errors)
        sheets = self._sheets(query)
        files, entries = _targets(out, file_format, [s.name for s in sheets], encrypted=password is not None)
        with self.ctx.reading() as session:
            counts = [sheet.count(session) for sheet in sheets]
            if file_format == "xlsx" and max(counts) > XLSX_MAX_ROWS:
                raise ValidationError(
                    {
                        "format": f"{max(counts):,} rows are more than an Excel sheet holds "
                        f"({XLSX_MAX_ROWS:,}): export as CSV, or choose fewer rows."
                    }
                )
            rows = self._write(session, sheets, files, entries, file_format, password, sum(counts), progress)
        result = ExportResult(files=tuple(files), rows=rows, encrypted=password is not None)
        self.audit(
            self.ctx,
            ExportRecord(
                user=self.ctx.user,
                at=self.ctx.now(),
                what=query.describe(),
                rows=result.total,
                files=tuple(str(f) for f in files),
                encrypted=result.encrypted,
            ),
        )
        return result

    def _check(self, query: ExportQuery, file_format: str) -> dict[str, str]:
        errors: dict[str, str] = {}
        if query.kind not in KINDS:
            errors["kind"] = f"Choose what to export: {', '.join(KINDS)} (not '{query.kind}')."
        if file_format not in FORMATS:
            errors["format"] = f"The format must be csv or xlsx (not '{file_format or 'none'}')."
        if query.layout not in LAYOUTS or (query.layout == "import" and query.kind != "referrals"):
            errors["layout"] = "The import layout is for referrals only."
        if query.area is not None and self.ctx.schemes.find(query.area) is None:
            errors["area"] = f"Unknown area '{query.area}'."
        if query.date_from and query.date_to and query.date_from > query.date_to:
            errors["date_to"] = "The end of the period is before its start."
        for name in ("ids", "referral_ids"):
            chosen = getattr(query, name)
            if chosen is not None and len(chosen) > MAX_IDS:
                errors[name] = (
                    f"{len(chosen)} rows were chosen; export at most {MAX_IDS} by their ids, or "
                    "export the list's filters instead."
                )
        return errors

    def _write(
        self,
        session: Session,
        sheets: list[_Sheet],
        files: list[Path],
        entries: list[str],
        file_format: str,
        password: str | None,
        total: int,
        progress: Progress | None,
    ) -> dict[str, int]:
        """Write to ``files`` (or, encrypted, to ``entries`` of the one ZIP), each first as FILE.part."""
        done_before = 0

        def tick(done: int) -> None:
            if progress is not None:
                progress(min(done_before + done, total), total)

        counts: dict[str, int] = {}
        files[0].parent.mkdir(parents=True, exist_ok=True)
        parts = [f.with_name(f.name + ".part") for f in files]
        try:
            with ExitStack() as stack:
                archive = stack.enter_context(encrypted_zip(parts[0], password)) if password is not None else None
                if file_format == "xlsx":
                    data = [SheetData(s.name, s.columns, s.rows(session)) for s in sheets]
                    target = stack.enter_context(archive.entry(entries[0])) if archive else parts[0]
                    for sheet, n in zip(sheets, write_xlsx(target, data, tick), strict=True):
                        counts[sheet.name] = n
                else:
                    for index, sheet in enumerate(sheets):
                        if archive is not None:
                            with archive.entry(entries[index]) as stream:
                                n = write_csv(stream, sheet.columns, sheet.rows(session), tick)
                        else:
                            n = write_csv(parts[index], sheet.columns, sheet.rows(session), tick)
                        counts[sheet.name] = n
                        done_before += n
            for part in parts:
                os.replace(part, part.with_name(part.name.removesuffix(".part")))
        except OSError as exc:
            for part in parts:
                part.unlink(missing_ok=True)
            raise ServiceError(f"The export could not be written to {files[0]}: {exc}") from exc
        except BaseException:
            for part in parts:
                part.unlink(missing_ok=True)
            raise
        return counts

    # -- the sheets of each kind --------------------------------------------------------------------
    def _sheets(self, query: ExportQuery) -> list[_Sheet]:
        if query.kind == "referrals" and query.layout == "import":
            return [
                _Sheet(
                    fmt.REFERRALS,
                    fmt.REFERRAL_SHEET_COLUMNS,
                    lambda s: self._count_substance_rows(s, query),
                    lambda s: self._import_referral_rows(s, query),
                ),
                _Sheet(
                    fmt.APPOINTMENTS,
                    fmt.APPOINTMENT_SHEET_COLUMNS,
                    lambda s: _count(s, self._appointments_of_referrals(query)),
                    lambda s: self._import_appointment_rows(s, query),
                ),
            ]
        builders = {
            "referrals": (REFERRAL_COLUMNS, self._referrals, self._referral_rows),
            "people": (PEOPLE_COLUMNS, self._people, self._people_rows),
            "appointments": (APPOINTMENT_COLUMNS, self._appointments, self._appointment_rows),
            "documents": (DOCUMENT_COLUMNS, self._documents, self._document_rows),
        }
        columns, base, rows = builders[query.kind]
        return [_Sheet(query.kind, columns, lambda s: _count(s, base(query)), lambda s: rows(s, query))]

    # -- referrals ------------------------------------------------------------------------------------
    def _referral_filter(self, query: ExportQuery) -> list[Any]:
        conditions: list[Any] = []
        if query.area:
            conditions.append(Referral.scheme_code == self._code(query.area))
        if query.date_from:
            conditions.append(Referral.referral_date >= query.date_from)
        if query.date_to:
            conditions.append(Referral.referral_date <= query.date_to)
        if query.kind == "referrals":
            if query.ids is not None:
                conditions.append(Referral.id.in_(query.ids))
            if query.id_query is not None:
                conditions.append(Referral.id.in_(query.id_query))
            if query.status:
                conditions.append(Referral.status == query.status)
        return conditions

    def _code(self, area: str) -> str:
        scheme = self.ctx.schemes.find(area)
        return scheme.code if scheme is not None else area

    def _referrals(self, query: ExportQuery) -> Select:
        return (
            select(
                Referral.id,
                Referral.reference,
                Person.reference,
                Referral.age_at_incident,
                Referral.area,
                Referral.scheme_kind,
                Referral.pathway,
                Referral.decision,
                Referral.reasons,
                Referral.status,
                Referral.due_date,
                Referral.next_step,
                Referral.proposed_step,
                Referral.outcome,
                Referral.outcome_date,
                Referral.referral_date,
                Referral.incident_at,
                Referral.offence,
                Person.sex,
                Person.ethnicity_self,
                Referral.centre_code,
                Referral.first_attendance_due,
                Referral.sessions_attended,
                Referral.override_reason,
            )
            .join(Person, Referral.person_id == Person.id)
            .where(*self._referral_filter(query))
            .order_by(Referral.incident_at, Referral.reference)
        )

    def _referral_rows(self, session: Session, query: ExportQuery) -> Iterator[tuple[Any, ...]]:
        today = self.ctx.today()
        for chunk in _partitions(session, self._referrals(query)):
            substances = _substances(session, [r[0] for r in chunk])
            for (
                rid,
                reference,
                person_ref,
                age,
                area,
                kind,
                pathway,
                decision,
                reasons,
                status,
                due,
                next_step,
                proposed,
                outcome,
                outcome_date,
                referral_date,
                incident_at,
                offence,
                sex,
                ethnicity,
                centre,
                first_due,
                attended,
                override,
            ) in chunk:
                step = next_step or proposed
                if not step and status == Status.AWAITING_APPOINTMENT.value and due is not None and due < today:
                    # Overdue with nothing booked: the step the app proposes (as the queues show it).
                    step = next_step_for_non_attendance(SchemeKind(kind), Pathway(pathway)).value
                yield (
                    reference,
                    person_ref,
                    age_band(age),
                    area,
                    kind,
                    pathway,
                    decision,
                    "; ".join(reasons or ()),
                    status,
                    due,
                    step,
                    outcome,
                    outcome_date,
                    referral_date,
                    incident_at.date(),
                    offence,
                    "; ".join(f"{s} {_quantity(q)} {u}" for s, q, u in substances.get(rid, ())),
                    sex,
                    ethnicity,
                    centre,
                    first_due,
                    attended,
                    bool(next_step),
                    bool(override),
                    HOME_OFFICE_OUTCOME_COMPLETED if outcome == Outcome.COMPLETED.value else None,
                )

    # -- referrals as the import template -------------------------------------------------------------------
    def _count_substance_rows(self, session: Session, query: ExportQuery) -> int:
        return (
            session.scalar(
                select(func.count())
                .select_from(ReferralSubstance)
                .join(Referral, ReferralSubstance.referral_id == Referral.id)
                .where(*self._referral_filter(query))
            )
            or 0
        )

    def _import_referral_rows(self, session: Session, query: ExportQuery) -> Iterator[tuple[Any, ...]]:
        stmt = (
            select(
                Referral.id,
                Referral.reference,
                Person.surname,
                Person.forenames,
                Person.date_of_birth,
                Person.sex,
                Person.ethnicity_self,
                Person.postcode,
                Referral.area,
                Referral.incident_at,
                Referral.crime_reference,
                Referral.officer_collar_number,
                Referral.offence,
                Referral.suspected_supply,
                Referral.consent,
                Person.guardian_name,
                Referral.outcome,
                Referral.outcome_date,
            )
            .join(Person, Referral.person_id == Person.id)
            .where(*self._referral_filter(query))
            .order_by(Referral.incident_at, Referral.reference)
        )
        for chunk in _partitions(session, stmt):
            substances = _substances(session, [r[0] for r in chunk])
            for (
                rid,
                reference,
                surname,
                forenames,
                dob,
                sex,
                ethnicity,
                postcode,
                area,
                incident_at,
                crime,
                collar,
                offence,
                supply,
                consent,
                guardian,
                outcome,
                outcome_date,
            ) in chunk:
                for substance, quantity, unit in substances.get(rid, ()):
                    yield (
                        reference,
                        surname,
                        forenames,
                        dob,
                        sex,
                        ethnicity,
                        postcode,
                        area,
                        incident_at,
                        crime,
                        collar,
                        offence,
                        substance,
                        quantity,
                        unit,
                        supply,
                        consent,
                        guardian,
                        outcome or None,
                        outcome_date if outcome else None,
                    )

    def _appointments_of_referrals(self, query: ExportQuery) -> Select:
        return (
            select(
                Referral.reference,
                Appointment.scheduled_at,
                Appointment.centre_code,
                Appointment.session_type,
                Appointment.attendance,
            )
            .join(Referral, Appointment.referral_id == Referral.id)
            .where(*self._referral_filter(query))
            .order_by(Referral.incident_at, Referral.reference, Appointment.scheduled_at, Appointment.id)
        )

    def _import_appointment_rows(self, session: Session, query: ExportQuery) -> Iterator[tuple[Any, ...]]:
        for chunk in _partitions(session, self._appointments_of_referrals(query)):
            yield from (tuple(row) for row in chunk)

    # -- people -----------------------------------------------------------------------------------------------
    def _people(self, query: ExportQuery) -> Select:
        referrals = (
            select(func.count())
            .select_from(Referral)
            .where(Referral.person_id == Person.id)
            .correlate(Person)
            .scalar_subquery()
        )
        stmt = select(
            Person.id,
            Person.reference,
            *(getattr(Person, f.name) for f in EXPORTED_PERSON_FIELDS),
            Person.barred,
            Person.barred_at,
            referrals,
        )
        if query.ids is not None:
            stmt = stmt.where(Person.id.in_(query.ids))
        if query.id_query is not None:
            stmt = stmt.where(Person.id.in_(query.id_query))
        filters = self._referral_filter(
            ExportQuery(kind="people", area=query.area, date_from=query.date_from, date_to=query.date_to)
        )
        if filters:
            stmt = stmt.where(exists(select(Referral.id).where(Referral.person_id == Person.id, *filters)))
        return stmt.order_by(Person.reference)

    def _people_rows(self, session: Session, query: ExportQuery) -> Iterator[tuple[Any, ...]]:
        for chunk in _partitions(session, self._people(query)):
            aliases: dict[int, list[str]] = defaultdict(list)
            for person_id, forenames, surname in session.execute(
                select(PersonAlias.person_id, PersonAlias.forenames, PersonAlias.surname)
                .where(PersonAlias.person_id.in_([r[0] for r in chunk]))
                .order_by(PersonAlias.id)
            ):
                aliases[person_id].append(f"{forenames} {surname}".strip())
            for pid, *values, barred, barred_at, referrals in chunk:
                yield (
                    *values,
                    "; ".join(aliases.get(pid, ())),
                    barred,
                    barred_at.date() if barred_at else None,
                    referrals,
                )

    # -- appointments ------------------------------------------------------------------------------------------
    def _appointments(self, query: ExportQuery) -> Select:
        conditions: list[Any] = []
        if query.area:
            conditions.append(Referral.scheme_code == self._code(query.area))
        if query.date_from:
            conditions.append(Appointment.scheduled_at >= datetime.combine(query.date_from, time(0)))
        if query.date_to:
            conditions.append(Appointment.scheduled_at < datetime.combine(query.date_to + timedelta(days=1), time(0)))
        if query.centre_code:
            conditions.append(Appointment.centre_code == query.centre_code)
        if query.ids is not None:
            conditions.append(Appointment.id.in_(query.ids))
        if query.id_query is not None:
            conditions.append(Appointment.id.in_(query.id_query))
        if query.referral_ids is not None:
            conditions.append(Appointment.referral_id.in_(query.referral_ids))
        return (
            select(
                Referral.reference,
                Appointment.scheduled_at,
                Appointment.centre_code,
                Appointment.session_type,
                Appointment.attendance,
                Person.reference,
                Referral.area,
                Referral.scheme_code,
                Appointment.worker,
                Appointment.rebook_reason,
                Appointment.recorded_by,
                Appointment.recorded_at,
            )
            .join(Referral, Appointment.referral_id == Referral.id)
            .join(Person, Referral.person_id == Person.id)
            .where(*conditions)
            .order_by(Appointment.scheduled_at, Referral.reference, Appointment.id)
        )

    def _appointment_rows(self, session: Session, query: ExportQuery) -> Iterator[tuple[Any, ...]]:
        for chunk in _partitions(session, self._appointments(query)):
            for (
                reference,
                when,
                centre,
                session_type,
                attendance,
                person_ref,
                area,
                scheme_code,
                worker,
                reason,
                recorded_by,
                recorded_at,
            ) in chunk:
                scheme = self.ctx.schemes.find(scheme_code)
                found = scheme.centre(centre) if scheme else None
                yield (
                    reference,
                    when,
                    centre,
                    session_type,
                    attendance,
                    person_ref,
                    area,
                    found.name if found else centre,
                    worker,
                    reason,
                    recorded_by,
                    recorded_at,
                )

    # -- documents --------------------------------------------------------------------------------------------
    def _documents(self, query: ExportQuery) -> Select:
        conditions: list[Any] = []
        if query.area:
            conditions.append(Referral.scheme_code == self._code(query.area))
        if query.date_from:
            conditions.append(IssuedDocument.issued_at >= datetime.combine(query.date_from, time(0)))
        if query.date_to:
            conditions.append(IssuedDocument.issued_at < datetime.combine(query.date_to + timedelta(days=1), time(0)))
        if query.ids is not None:
            conditions.append(IssuedDocument.id.in_(query.ids))
        if query.id_query is not None:
            conditions.append(IssuedDocument.id.in_(query.id_query))
        if query.referral_ids is not None:
            conditions.append(IssuedDocument.referral_id.in_(query.referral_ids))
        return (
            select(
                IssuedDocument.document_reference,
                Referral.reference,
                Person.reference,
                Referral.area,
                IssuedDocument.kind,
                IssuedDocument.title,
                IssuedDocument.recipient,
                IssuedDocument.issued_at,
                IssuedDocument.issued_by,
                IssuedDocument.template_version,
                IssuedDocument.page_count,
                IssuedDocument.sha256,
            )
            .join(Referral, IssuedDocument.referral_id == Referral.id)
            .join(Person, Referral.person_id == Person.id)
            .where(*conditions)
            .order_by(IssuedDocument.issued_at, IssuedDocument.id)
        )

    def _document_rows(self, session: Session, query: ExportQuery) -> Iterator[tuple[Any, ...]]:
        for chunk in _partitions(session, self._documents(query)):
            yield from (tuple(row) for row in chunk)


# -- helpers ---------------------------------------------------------------------------------------------------
def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def _partitions(session: Session, stmt: Select) -> Iterator[Sequence[Any]]:
    """The query's rows, ``_YIELD_PER`` at a time, streamed from the database."""
    result = session.execute(stmt.execution_options(yield_per=_YIELD_PER))
    yield from result.partitions()


def _substances(session: Session, referral_ids: Iterable[int]) -> dict[int, list[tuple[str, Any, str]]]:
    found: dict[int, list[tuple[str, Any, str]]] = defaultdict(list)
    for rid, substance, quantity, unit in session.execute(
        select(
            ReferralSubstance.referral_id,
            ReferralSubstance.substance,
            ReferralSubstance.quantity,
            ReferralSubstance.unit,
        )
        .where(ReferralSubstance.referral_id.in_(list(referral_ids)))
        .order_by(ReferralSubstance.referral_id, ReferralSubstance.id)
    ):
        found[rid].append((substance, quantity, unit))
    return found


def _quantity(value: object) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _targets(out: Path, file_format: str, sheets: Sequence[str], encrypted: bool) -> tuple[list[Path], list[str]]:
    """(files written, names inside the ZIP). One XLSX with a sheet each, or one CSV per sheet:
    OUT, then OUT-stem.<sheet>.csv beside it (the import's file pair). Encrypted: one ZIP, OUT or
    OUT.zip, holding the same names."""
    suffix = out.suffix.lower()
    if encrypted:
        archive = out if suffix == ".zip" else out.with_name(out.name + ".zip")
        base = out.stem if suffix == ".zip" else out.name
        for ext in (".csv", ".xlsx"):
            base = base.removesuffix(ext)
        names = (
            [f"{base}.{file_format}"]
            if file_format == "xlsx"
            else [f"{base}.csv" if i == 0 else f"{base}.{name}.csv" for i, name in enumerate(sheets)]
        )
        return [archive], names
    if file_format == "xlsx":
        return [out], [out.name]
    files = [
        out if i == 0 else out.with_name(f"{out.stem}.{name}{out.suffix or '.csv'}") for i, name in enumerate(sheets)
    ]
    return files, [f.name for f in files]


def password_from_environment() -> str | None:
    return os.environ.get(PASSWORD_ENV) or None
