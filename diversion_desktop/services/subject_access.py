"""Subject-access export: everything held about one person, as a readable PDF and a JSON file.

"Everything" is every column of the person's record and of each record merged into it, their
aliases, every referral with all its fields, substances, appointments (with session notes),
timeline and the issued documents' details, the merges, and the audit rows about them
(``AuditEvent.person_id``). The issued documents' PDF bytes are not copied: each is listed with
its reference, recipient, date, size and SHA-256, and can be reprinted on request. The columns
are read from the tables themselves, so a field added later is exported without a change here.

Asking for a record that was merged into another exports the person it was merged into, with
every record merged into them. Writing the files and the audit row happen together: if either
fails, the files are removed and nothing is recorded.

With a password the two files go into one AES-256 encrypted ZIP instead (``spreadsheets.encrypted``:
the same format as the list exports, opened with ``OPENS_WITH``), streamed into it so the
unencrypted PDF and JSON never touch the disk. The password is checked before anything is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from diversion_desktop import __version__
from diversion_desktop.documents import subject_access as document
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.owner_only import write_private
from diversion_desktop.services import lookup
from diversion_desktop.services.audit import log
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import StorageError, ValidationError
from diversion_desktop.services.merge import merged_into
from diversion_desktop.spreadsheets.encrypted import OPENS_WITH, PasswordError, check_password, encrypted_zip
from diversion_desktop.store.models import (
    Appointment,
    AuditEvent,
    IssuedDocument,
    Person,
    PersonAlias,
    PersonMerge,
    Referral,
    ReferralSubstance,
    TimelineEvent,
)

Row = dict[str, Any]


@dataclass(frozen=True)
class PersonBrief:
    """Who an export is about, to confirm before making it."""

    id: int
    reference: str
    name: str
    date_of_birth: date
    merged_into_reference: str  # "" unless the record was merged into another
    anonymised: bool


@dataclass(frozen=True)
class SubjectAccessResult:
    """What was written. Unencrypted: the PDF and the JSON file in the folder (``zip_path`` None).
    With a password: the one encrypted ZIP ``zip_path`` holding both under their own names
    (``entries``); ``pdf_path`` and ``json_path`` are then None, as no such file is on the disk."""

    pdf_path: Path | None
    json_path: Path | None
    person_reference: str
    referrals: int
    audit_events: int
    zip_path: Path | None = None
    entries: tuple[str, ...] = ()  # the files inside the ZIP

    @property
    def encrypted(self) -> bool:
        return self.zip_path is not None

    @property
    def files(self) -> tuple[Path, ...]:
        """The files written into the folder."""
        if self.zip_path is not None:
            return (self.zip_path,)
        return tuple(p for p in (self.pdf_path, self.json_path) if p is not None)

    def summary(self) -> str:
        text = (
            f"Subject-access export of {self.person_reference}: {self.referrals} referral(s), "
            f"{self.audit_events} audit entr{'y' if self.audit_events == 1 else 'ies'}.\n"
        )
        if self.zip_path is not None:
            return (
                text + f"{self.zip_path}\nThe ZIP holds {' and '.join(self.entries)} and is AES-256 "
                f"encrypted: open it with {OPENS_WITH}."
            )
        return text + f"{self.pdf_path}\n{self.json_path}"


def _columns(obj: Any, skip: Iterable[str] = ()) -> Row:  # noqa: ANN401 - any mapped row
    """Every mapped column of a row, by name, in the table's order (not the referral's copies of its
    person's groups, which the ORM does not map: the person's own are in the export)."""
    skipped = set(skip)
    mapped = {attr.key for attr in sa_inspect(obj).mapper.column_attrs}
    return {
        column.key: getattr(obj, column.key)
        for column in obj.__table__.columns
        if column.key in mapped and column.key not in skipped
    }


def _json_value(value: Any) -> Any:  # noqa: ANN401 - json.dumps default hook
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not exported")


def _name(person: Person) -> str:
    return f"{person.forenames} {person.surname}".strip()


class SubjectAccessService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def find(self, reference: str) -> PersonBrief:
        """The person a reference names, to confirm before exporting."""
        self.ctx.require(Permission.SUBJECT_ACCESS)
        with self.ctx.reading() as session:
            person = lookup.person_by_reference(session, reference)
            into = session.get(Person, person.merged_into_id) if person.merged_into_id else None
            return PersonBrief(
                id=person.id,
                reference=person.reference,
                name=_name(person),
                date_of_birth=person.date_of_birth,
                merged_into_reference=into.reference if into else "",
                anonymised=person.anonymised_at is not None,
            )

    def export(self, person_id: int, out_dir: Path, password: str | None = None) -> tuple[Path, ...]:
        """Write the PDF and the JSON file into ``out_dir``: the files written, (pdf path, json path),
        or with a password (zip path,)."""
        return self.export_with_summary(person_id, out_dir, password).files

    def export_with_summary(self, person_id: int, out_dir: Path, password: str | None = None) -> SubjectAccessResult:
        """Write the export into ``out_dir``: the PDF and the JSON file, or with a password one
        AES-256 encrypted ZIP holding both. A password too weak for ``check_password`` is refused
        (ValidationError) before anything is read or written."""
        principal = self.ctx.require(Permission.SUBJECT_ACCESS)
        if password is not None:
            try:
                check_password(password)
            except PasswordError as exc:
                raise ValidationError({"password": str(exc)}) from exc
        out_dir = Path(out_dir)
        made_at = self.ctx.now()
        # Read and lay out first, so the database is locked for writing only while the files and
        # the audit row are written.
        with self.ctx.reading() as session:
            person = lookup.person(session, person_id)
            while person.merged_into_id is not None:  # the person it was merged into
                person = lookup.person(session, person.merged_into_id)
            content = self._content(session, person, made_at, principal.username)
            person_id, reference, name = person.id, person.reference, _name(person)
        stem = f"subject-access-{reference}-{made_at:%Y%m%d-%H%M%S}"
        json_path, pdf_path, zip_path = (out_dir / f"{stem}.{ext}" for ext in ("json", "pdf", "zip"))
        pdf = document.render(
            document.SubjectAccessReport(
                reference=f"SAR-{reference}-{made_at:%Y%m%d}",
                made_at=made_at,
                made_by=principal.username,
                person_reference=reference,
                person_name=name,
                json_file_name=json_path.name,
                content=content,
            )
        )
        text = json.dumps(content, default=_json_value, ensure_ascii=False, indent=2)
        merged_refs = [r["reference"] for r in content["merged_records"]]
        if password is None:
            files = f"files {pdf_path.name} and {json_path.name} (NOT encrypted)"
        else:
            files = f"file {zip_path.name} (AES-256 encrypted ZIP holding {pdf_path.name} and {json_path.name})"
        written: list[Path] = []
        try:
            with self.ctx.unit_of_work() as session:
                out_dir.mkdir(parents=True, exist_ok=True)
                if password is None:
                    written.append(json_path)
                    write_private(json_path, text.encode("utf-8"))  # the same bytes as in a ZIP
                    written.append(pdf_path)
                    write_private(pdf_path, pdf)
                else:
                    written.append(zip_path)
                    with encrypted_zip(zip_path, password) as archive:  # the entries are encrypted as written
                        with archive.entry(pdf_path.name) as stream:
                            stream.write(pdf)
                        with archive.entry(json_path.name) as stream:
                            stream.write(text.encode("utf-8"))
                log(
                    session,
                    self.ctx,
                    "subject_access_export",
                    entity="person",
                    record_id=person_id,
                    reference=reference,
                    person_id=person_id,
                    detail=f"Subject-access export: {len(content['referrals'])} referral(s), "
                    f"{len(content['audit_events'])} audit entries"
                    + (f", with merged record(s) {', '.join(merged_refs)}" if merged_refs else "")
                    + f"; {files}.",
                )
        except OSError as exc:
            _remove(written)
            raise StorageError(
                f"The export could not be written to {out_dir}: {exc.strerror or exc}. Nothing was exported."
            ) from exc
        except BaseException:
            _remove(written)
            raise
        referrals, audit_events = len(content["referrals"]), len(content["audit_events"])
        if password is not None:
            return SubjectAccessResult(
                pdf_path=None,
                json_path=None,
                person_reference=reference,
                referrals=referrals,
                audit_events=audit_events,
                zip_path=zip_path,
                entries=(pdf_path.name, json_path.name),
            )
        return SubjectAccessResult(
            pdf_path=pdf_path,
            json_path=json_path,
            person_reference=reference,
            referrals=referrals,
            audit_events=audit_events,
        )

    # -- gathering -------------------------------------------------------------------------------------
    def _content(self, session: Session, person: Person, made_at: datetime, made_by: str) -> Row:
        merged = list(session.scalars(merged_into([person.id])))
        people = [person, *merged]
        ids = [p.id for p in people]
        references = {p.id: p.reference for p in people}
        referrals = list(
            session.scalars(
                select(Referral).where(Referral.person_id.in_(ids)).order_by(Referral.referral_date, Referral.id)
            )
        )
        referral_refs = {r.id: r.reference for r in referrals}
        return {
            "export": {
                "made_at": made_at,
                "made_by": made_by,
                "application": f"Diversion Desktop {__version__}",
                "database": self.ctx.database_label,
                "person_reference": person.reference,
                "issued_documents_note": "Issued letters and notices are listed by their details; the PDF files "
                "themselves are not included and can be provided on request.",
            },
            "person": self._person(session, person, references, referral_refs),
            "aliases": [
                _columns(a, skip={"surname_norm", "forenames_norm"})
                for a in session.scalars(
                    select(PersonAlias).where(PersonAlias.person_id.in_(ids)).order_by(PersonAlias.id)
                )
            ],
            "merged_records": [self._person(session, p, references, referral_refs) for p in merged],
            "referrals": [self._referral(session, r) for r in referrals],
            "merges": self._merges(session, ids),
            "audit_events": [
                self._audit(e)
                for e in session.scalars(
                    select(AuditEvent).where(AuditEvent.person_id.in_(ids)).order_by(AuditEvent.id)
                )
            ],
        }

    @staticmethod
    def _person(session: Session, person: Person, references: dict[int, str], referral_refs: dict[int, str]) -> Row:
        row = _columns(person, skip={"surname_norm", "forenames_norm"})
        if person.merged_into_id is not None:
            into = references.get(person.merged_into_id) or session.scalar(
                select(Person.reference).where(Person.id == person.merged_into_id)
            )
            row["merged_into"] = into
        if person.barred_by_referral_id is not None:
            row["barred_by_referral"] = referral_refs.get(person.barred_by_referral_id) or session.scalar(
                select(Referral.reference).where(Referral.id == person.barred_by_referral_id)
            )
        return row

    @staticmethod
    def _referral(session: Session, referral: Referral) -> Row:
        row = _columns(referral)
        row["reasons"] = list(referral.reasons or [])
        row["substances"] = [
            _columns(s, skip={"referral_id"})
            for s in session.scalars(
                select(ReferralSubstance)
                .where(ReferralSubstance.referral_id == referral.id)
                .order_by(ReferralSubstance.id)
            )
        ]
        row["appointments"] = [
            _columns(a, skip={"referral_id"})
            for a in session.scalars(
                select(Appointment)
                .where(Appointment.referral_id == referral.id)
                .order_by(Appointment.scheduled_at, Appointment.id)
            )
        ]
        row["timeline"] = [
            _columns(t, skip={"referral_id"})
            for t in session.scalars(
                select(TimelineEvent).where(TimelineEvent.referral_id == referral.id).order_by(TimelineEvent.id)
            )
        ]
        # The documents' details and sizes, without loading the PDFs themselves.
        columns = [c for c in IssuedDocument.__table__.columns if c.key not in ("content", "referral_id")]
        documents = []
        for found in session.execute(
            select(*columns, func.length(IssuedDocument.content).label("pdf_bytes"))
            .where(IssuedDocument.referral_id == referral.id)
            .order_by(IssuedDocument.issued_at, IssuedDocument.id)
        ):
            values = dict(found._mapping)  # noqa: SLF001 (Row._mapping is SQLAlchemy's public API, underscored so no column name clashes)
            values["pdf_bytes"] = values["pdf_bytes"] or 0
            values["pdf_included"] = False
            documents.append(values)
        row["issued_documents"] = documents
        return row

    @staticmethod
    def _merges(session: Session, ids: list[int]) -> list[Row]:
        merges = session.scalars(
            select(PersonMerge)
            .where(or_(PersonMerge.kept_person_id.in_(ids), PersonMerge.merged_person_id.in_(ids)))
            .order_by(PersonMerge.id)
        )
        result = []
        for merge in merges:
            kept = session.scalar(select(Person.reference).where(Person.id == merge.kept_person_id))
            other = session.scalar(select(Person.reference).where(Person.id == merge.merged_person_id))
            moved = merge.moved or {}
            referral_ids = list(moved.get("referral_ids", []))
            moved_refs = (
                list(
                    session.scalars(
                        select(Referral.reference).where(Referral.id.in_(referral_ids)).order_by(Referral.id)
                    )
                )
                if referral_ids
                else []
            )
            result.append(
                {
                    "merge": merge.id,
                    "kept_record": kept,
                    "merged_record": other,
                    "referrals_moved": moved_refs,
                    "reason": merge.reason,
                    "merged_at": merge.merged_at,
                    "merged_by": merge.merged_by,
                    "undone_at": merge.undone_at,
                    "undone_by": merge.undone_by,
                }
            )
        return result

    @staticmethod
    def _audit(event: AuditEvent) -> Row:
        try:
            changes = json.loads(event.changes) if event.changes else []
        except ValueError:
            changes = [["(unreadable)", None, event.changes]]
        return {
            "at": event.at,
            "username": event.username,
            "action": event.action,
            "entity": event.entity,
            "record_reference": event.record_reference,
            "changes": changes,
            "detail": event.detail,
            "values_erased_at": event.erased_at,
        }


def _remove(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass
