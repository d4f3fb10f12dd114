"""Issuing letters and notices: what is due, preview, issue (kept), reprint, batches.

Documents are rendered from plain data gathered here; an issued document is
kept as its exact PDF bytes with who issued it and when, so a reprint is
byte-identical. A preview stores nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.document_kinds import DocumentKind, SentTo
from diversion_desktop.domain.eligibility import Decision
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import BOOKABLE_STATUSES, Attendance, SessionType, Status
from diversion_desktop.domain.schemes import Centre, Scheme
from diversion_desktop.services.audit import created, log
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ConflictError, NotFound, ServiceError
from diversion_desktop.services.lookup import scheme_of
from diversion_desktop.services.scope import check_referral, referral_condition
from diversion_desktop.services.timeline import add_event

if TYPE_CHECKING:  # the documents load reportlab: imported where a document is made
    from diversion_desktop.documents.data import Document, ReferralFacts
from diversion_desktop.store.models import Appointment, IssuedDocument, Person, Referral, User

# Bump when a document's wording or layout changes; stored with each issued document.
# 2026.2: the YOT notice gives only the guardian address recorded.
# 2026.3: the YOT notice and prosecution file note name who decided and confirmed (and the file
# note's timeline who acted) by their display name, not their login.
TEMPLATE_VERSION = "2026.3"

Progress = Callable[[int, int], None]


def pdf_file_name(document_reference: str) -> str:
    """What to call a document's PDF file wherever it is saved from: its reference, as printed on
    it, so that a saved file can be matched to the paper."""
    return f"{document_reference}.pdf"


class WarningKind(StrEnum):
    NO_POSTAL_ADDRESS = "no_postal_address"


@dataclass(frozen=True)
class DocumentWarning:
    """Something to know before issuing a document; issuing is still allowed (the user decides)."""

    kind: WarningKind
    text: str


@dataclass(frozen=True)
class DueDocument:
    """A document the referral's state calls for, and whether it has been issued."""

    kind: str
    label: str
    recipient: str
    appointment_id: int | None
    issued_id: int | None  # the latest issue of this document, if any
    document_reference: str  # what it will carry when issued
    warnings: tuple[DocumentWarning, ...] = ()

    @property
    def issued(self) -> bool:
        return self.issued_id is not None

    @property
    def file_name(self) -> str:
        return pdf_file_name(self.document_reference)


@dataclass(frozen=True)
class IssuedInfo:
    id: int
    referral_id: int
    referral_reference: str
    kind: str
    label: str
    document_reference: str
    title: str
    recipient: str
    issued_at: datetime
    issued_by: str
    template_version: str
    page_count: int
    sha256: str
    # Withdrawn with the next step it was issued under: kept, reprinted byte-identical, listed as withdrawn.
    withdrawn_at: datetime | None = None
    withdrawn_by: str = ""
    withdrawn_reason: str = ""

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def file_name(self) -> str:
        return pdf_file_name(self.document_reference)


@dataclass(frozen=True)
class Pdf:
    """PDF bytes with what to call them (and, from a preview or an issue, any warnings)."""

    content: bytes
    title: str
    file_name: str
    page_count: int
    warnings: tuple[DocumentWarning, ...] = ()


class DocumentService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # -- what is due ---------------------------------------------------------------------
    def due(self, referral_id: int) -> list[DueDocument]:
        principal = self.ctx.require(Permission.VIEW_REFERRALS)
        with self.ctx.reading() as session:
            referral = self._visible(session, referral_id)
            issued = _latest_issues(session, referral_id)
            youth = referral.pathway == Pathway.YOUTH.value
            wanted: list[tuple[DocumentKind, int | None]] = []
            diverted = referral.status not in (Status.NOT_ELIGIBLE.value, Status.DECLINED.value)
            if diverted:
                wanted.append((DocumentKind.REFERRAL_LETTER, None))
            if youth:
                wanted.append((DocumentKind.YOT_NOTICE, None))
            for appointment in referral.appointments:
                if appointment.attendance is None and referral.status in BOOKABLE_STATUSES:
                    wanted.append((DocumentKind.APPOINTMENT_LETTER, appointment.id))
                elif appointment.attendance == Attendance.NOT_ATTENDED.value and referral.status in BOOKABLE_STATUSES:
                    wanted.append((DocumentKind.MISSED_APPOINTMENT_NOTICE, appointment.id))
            step = referral.next_step
            if referral.status == Status.CLOSED.value and step:
                if NextStep(step).for_case_file:
                    wanted.append((DocumentKind.PROSECUTION_FILE_NOTE, None))
                if NextStep(step).bars_person:
                    wanted.append((DocumentKind.FUTURE_INELIGIBILITY_NOTICE, None))
            if referral.status == Status.COMPLETED.value:
                wanted.append((DocumentKind.COMPLETION_LETTER, None))
            # Only what this user may issue: a support worker is not offered the YOT notice.
            return [
                DueDocument(
                    kind=k.value,
                    label=k.label,
                    recipient=self._recipient(referral, k),
                    appointment_id=a,
                    issued_id=issued.get((k.value, a)),
                    document_reference=k.reference(referral.reference, a),
                    warnings=self._warnings(referral, k),
                )
                for k, a in wanted
                if principal.may(k.details.permission)
            ]

    def _warnings(self, referral: Referral, kind: DocumentKind) -> tuple[DocumentWarning, ...]:
        """What the user must know before issuing: a letter to be posted with no address to post it to."""
        sent_to = kind.details.sent_to
        if sent_to is SentTo.PERSON and not _lines(referral.person.address):
            person = referral.person
            name = f"{person.forenames} {person.surname}".strip()
            return (
                DocumentWarning(
                    WarningKind.NO_POSTAL_ADDRESS,
                    f"{name} has no postal address recorded, so this letter cannot be posted. "
                    "Add the address to the person's record first, or hand the letter over "
                    "in person.",
                ),
            )
        if sent_to is SentTo.YOT and not self._scheme(referral).yot.address:
            return (
                DocumentWarning(
                    WarningKind.NO_POSTAL_ADDRESS,
                    f"The scheme settings give no postal address for {self._scheme(referral).yot.name}, "
                    "so this notice cannot be posted.",
                ),
            )
        return ()

    def _may_issue(self, kind: str) -> None:
        try:
            permission = DocumentKind(kind).details.permission
        except ValueError:
            raise ServiceError(f"'{kind}' is not a kind of document.") from None
        self.ctx.require(Permission.VIEW_REFERRALS, permission)

    def _visible(self, session: Session, referral_id: int) -> Referral:
        """The referral, if the signed-in user may see it (a support worker: their provider's only)."""
        referral = _referral(session, referral_id)
        check_referral(self.ctx.require(), referral.provider, referral.reference)
        return referral

    # -- preview / issue / reprint ----------------------------------------------------------
    def preview(self, referral_id: int, kind: str, appointment_id: int | None = None) -> Pdf:
        """Render without keeping anything."""
        from diversion_desktop.documents import render

        self._may_issue(kind)
        with self.ctx.reading() as session:
            referral = self._visible(session, referral_id)
            data = self._data(session, referral_id, kind, appointment_id, _PrintedNames(session))
            warnings = self._warnings(referral, DocumentKind(kind))
        rendered = render(data.KIND, data)
        return Pdf(rendered.content, rendered.title, pdf_file_name(rendered.reference), rendered.page_count, warnings)

    def issue(self, referral_id: int, kind: str, appointment_id: int | None = None) -> tuple[IssuedInfo, Pdf]:
        """Render and keep the exact bytes, with who issued it and when."""
        self._may_issue(kind)
        with self.ctx.unit_of_work() as session:
            record = self._issue(session, referral_id, kind, appointment_id, _PrintedNames(session))
            referral = record_referral(session, record)
            return _info(record, referral), _pdf(record, self._warnings(referral, DocumentKind(kind)))

    def _issue(
        self, session: Session, referral_id: int, kind: str, appointment_id: int | None, names: _PrintedNames
    ) -> IssuedDocument:
        from diversion_desktop.documents import render

        self._visible(session, referral_id)
        self._check_due(session, referral_id, kind, appointment_id)
        data = self._data(session, referral_id, kind, appointment_id, names)
        rendered = render(data.KIND, data)
        referral = _referral(session, referral_id)
        record = IssuedDocument(
            referral_id=referral_id,
            appointment_id=appointment_id,
            kind=kind,
            document_reference=rendered.reference,
            title=rendered.title,
            recipient=self._recipient(referral, DocumentKind(kind)),
            issued_at=self.ctx.now(),
            issued_by=self.ctx.user,
            template_version=TEMPLATE_VERSION,
            page_count=rendered.page_count,
            sha256=hashlib.sha256(rendered.content).hexdigest(),
            content=rendered.content,
        )
        session.add(record)
        session.flush()
        add_event(
            session,
            referral,
            record.issued_at,
            "document",
            f"{DocumentKind(kind).label} issued to {record.recipient} ({rendered.reference}).",
            self.ctx.user,
        )
        log(
            session,
            self.ctx,
            "document_issued",
            entity="document",
            record_id=record.id,
            reference=rendered.reference,
            person_id=referral.person_id,
            changes=created({"kind": kind, "recipient": record.recipient, "sha256": record.sha256}),
            detail=f"for {referral.reference}",
        )
        return record

    def _check_due(self, session: Session, referral_id: int, kind: str, appointment_id: int | None) -> None:
        session.flush()
        due = [d for d in self.due(referral_id) if d.kind == kind and d.appointment_id == appointment_id]
        if not due:
            referral = _referral(session, referral_id)
            raise ConflictError(
                f"A {kind.replace('_', ' ')} is not due for {referral.reference} "
                f"in its present state ({referral.status.replace('_', ' ')})."
            )

    def stored(self, document_id: int) -> tuple[IssuedInfo, Pdf]:
        """An issued document exactly as it was issued (a reprint); opening it is audited."""
        self.ctx.require(Permission.VIEW_REFERRALS)
        with self.ctx.unit_of_work() as session:
            record = session.get(IssuedDocument, document_id)
            if record is None:
                raise NotFound(f"No issued document with id {document_id}.")
            self._may_issue(record.kind)
            referral = self._visible(session, record.referral_id)
            if not record.content:  # retention removed the letter: only its details are kept
                raise ConflictError(
                    f"{record.document_reference} was removed when {referral.reference} was "
                    "anonymised under the retention rules; only its details are kept."
                )
            log(
                session,
                self.ctx,
                "document_opened",
                entity="document",
                record_id=record.id,
                reference=record.document_reference,
                person_id=referral.person_id,
                detail=f"for {referral.reference}",
            )
            return _info(record, referral), _pdf(record)

    def issued_for(self, referral_id: int) -> list[IssuedInfo]:
        self.ctx.require(Permission.VIEW_REFERRALS)
        with self.ctx.reading() as session:
            referral = self._visible(session, referral_id)
            records = session.scalars(
                select(IssuedDocument)
                .where(IssuedDocument.referral_id == referral_id)
                .order_by(IssuedDocument.issued_at, IssuedDocument.id)
            ).all()
            return [_info(r, referral) for r in records]

    def issue_all_due(self, referral_id: int) -> list[tuple[IssuedInfo, Pdf]]:
        """Issue every due document not yet issued (the headless ``letters --referral``)."""
        results = []
        for due in self.due(referral_id):
            if not due.issued:
                results.append(self.issue(referral_id, due.kind, due.appointment_id))
        return results

    # -- batches ------------------------------------------------------------------------------
    def appointment_batch(
        self, centre_code: str, day: date, progress: Progress | None = None
    ) -> tuple[list[IssuedInfo], Pdf]:
        """Every booked appointment's letter for one centre and day, issued and merged into one PDF."""
        principal = self.ctx.require(Permission.VIEW_REFERRALS, Permission.ISSUE_PROVIDER_DOCUMENTS)
        start, end = datetime.combine(day, time.min), datetime.combine(day, time.max)
        with self.ctx.reading() as session:
            rows = session.execute(
                select(Appointment.id, Appointment.referral_id)
                .join(Referral, Appointment.referral_id == Referral.id)
                .where(
                    Appointment.centre_code == centre_code,
                    Appointment.scheduled_at.between(start, end),
                    Appointment.attendance.is_(None),
                    Referral.status.in_(BOOKABLE_STATUSES),
                    referral_condition(principal),
                )
                .order_by(Appointment.scheduled_at, Appointment.id)
            ).all()
        if self._centre(centre_code) is None:
            raise ServiceError(f"'{centre_code}' is not a centre of any configured scheme.")
        return self._batch(
            [(r.referral_id, "appointment_letter", r.id) for r in rows],
            f"Appointment letters, {self._centre(centre_code).name}, {day:%d/%m/%Y}",  # type: ignore[union-attr]  # checked above
            f"appointment-letters-{centre_code}-{day.isoformat()}.pdf",
            progress,
        )

    def missed_batch(self, day: date, progress: Progress | None = None) -> tuple[list[IssuedInfo], Pdf]:
        """Every missed-appointment notice due for non-attendances recorded on ``day``."""
        principal = self.ctx.require(Permission.VIEW_REFERRALS, Permission.ISSUE_NEXT_STEP_DOCUMENTS)
        start, end = datetime.combine(day, time.min), datetime.combine(day, time.max)
        with self.ctx.reading() as session:
            rows = session.execute(
                select(Appointment.id, Appointment.referral_id)
                .join(Referral, Appointment.referral_id == Referral.id)
                .where(
                    Appointment.attendance == Attendance.NOT_ATTENDED.value,
                    Appointment.recorded_at.between(start, end),
                    Referral.status.in_(BOOKABLE_STATUSES),
                    referral_condition(principal),
                )
                .order_by(Appointment.scheduled_at, Appointment.id)
            ).all()
        return self._batch(
            [(r.referral_id, "missed_appointment_notice", r.id) for r in rows],
            f"Missed appointment notices, {day:%d/%m/%Y}",
            f"missed-appointment-notices-{day.isoformat()}.pdf",
            progress,
        )

    def _batch(
        self, items: list[tuple[int, str, int | None]], title: str, file_name: str, progress: Progress | None
    ) -> tuple[list[IssuedInfo], Pdf]:
        from diversion_desktop.documents import render_batch

        if not items:
            raise ServiceError(f"Nothing to print: no documents are due for {title[0].lower()}{title[1:]}.")
        total = len(items) * 2  # issuing each, then merging
        issued: list[IssuedInfo] = []
        datas = []
        with self.ctx.unit_of_work() as session:
            names = _PrintedNames(session)  # one lookup of users for the whole batch
            for index, (referral_id, kind, appointment_id) in enumerate(items):
                existing = session.scalar(
                    select(IssuedDocument)
                    .where(
                        IssuedDocument.referral_id == referral_id,
                        IssuedDocument.kind == kind,
                        IssuedDocument.appointment_id == appointment_id,
                        IssuedDocument.withdrawn_at.is_(None),
                    )
                    .order_by(IssuedDocument.id.desc())
                )
                record = existing or self._issue(session, referral_id, kind, appointment_id, names)
                issued.append(_info(record, record_referral(session, record)))
                datas.append(self._data(session, referral_id, kind, appointment_id, names))
                if progress is not None:
                    progress(index + 1, total)
        merged = render_batch(
            [(d.KIND, d) for d in datas],
            title=title,
            progress=(lambda done, _t: progress(len(items) + done, total)) if progress else None,
        )
        return issued, Pdf(merged.content, title, file_name, merged.page_count)

    # -- gathering the data ---------------------------------------------------------------------
    def _scheme(self, referral: Referral) -> Scheme:
        return scheme_of(self.ctx.schemes, referral)

    def _centre(self, code: str) -> Centre | None:
        return next((c for _s, c in self.ctx.schemes.all_centres() if c.code == code), None)

    def _recipient(self, referral: Referral, kind: DocumentKind) -> str:
        sent_to = kind.details.sent_to
        if sent_to is SentTo.YOT:
            return self._scheme(referral).yot.name
        if sent_to is SentTo.CASE_FILE:
            return "Police case file"
        return _person_recipient(referral.person, referral.pathway == Pathway.YOUTH.value)

    def _data(
        self, session: Session, referral_id: int, kind: str, appointment_id: int | None, names: _PrintedNames
    ) -> Document:
        from diversion_desktop import documents as d

        referral = _referral(session, referral_id)
        scheme = self._scheme(referral)
        person = referral.person
        facts = self._facts(referral, scheme, person, names)
        today = self.ctx.today()
        appointments = list(referral.appointments)
        booked = [a for a in appointments if a.attendance is None]

        def details(a: Appointment) -> d.AppointmentDetails:
            # A centre not recorded (imported history) stays unsaid: no letter names a place for it.
            centre = None if a.centre_code is None else scheme.centre(a.centre_code) or facts.centre
            return d.AppointmentDetails(
                at=a.scheduled_at,
                centre=centre,
                session=SessionType(a.session_type).label,
                worker=a.worker,
                attendance=Attendance(a.attendance).label if a.attendance else "",
                note=a.rebook_reason,
            )

        def chosen() -> Appointment:
            found = next((a for a in appointments if a.id == appointment_id), None)
            if found is None:
                raise NotFound(f"No appointment {appointment_id} on {referral.reference}.")
            return found

        first = details(booked[0]) if booked else None
        if kind == "referral_letter":
            return d.ReferralLetter(facts=facts, issued_on=today, first_appointment=first)
        if kind == "yot_notice":
            return d.YotNotice(facts=facts, issued_on=today, first_appointment=first)
        if kind == "appointment_letter":
            appointment = chosen()
            rebooked = any(a.attendance == Attendance.REBOOKED.value for a in appointments if a.id < appointment.id)
            return d.AppointmentLetter(
                facts=facts,
                issued_on=today,
                appointment=details(appointment),
                rebooked=rebooked,
                document_reference=DocumentKind.APPOINTMENT_LETTER.reference(referral.reference, appointment.id),
            )
        if kind == "missed_appointment_notice":
            missed = chosen()
            later = [a for a in booked if a.scheduled_at > missed.scheduled_at]
            left = max(scheme.rebookings_allowed - referral.misses, 0)
            return d.MissedAppointmentNotice(
                facts=facts,
                issued_on=today,
                missed=details(missed),
                next_appointment=details(later[0]) if later else None,
                rebookings_left=left,
                document_reference=DocumentKind.MISSED_APPOINTMENT_NOTICE.reference(referral.reference, missed.id),
            )
        if kind in ("prosecution_file_note", "future_ineligibility_notice"):
            if not referral.next_step or referral.next_step_confirmed_at is None:
                raise ConflictError(f"{referral.reference} has no confirmed next step.")
            step = d.ConfirmedStep(
                step=NextStep(referral.next_step),
                confirmed_by=names(referral.next_step_confirmed_by),
                confirmed_at=referral.next_step_confirmed_at,
                reason=referral.proposed_reason,
            )
            if kind == "future_ineligibility_notice":
                # The notice says what ended the diversion: the misses, with their dates.
                def with_attendance(attendance: Attendance) -> tuple[d.AppointmentDetails, ...]:
                    return tuple(details(a) for a in appointments if a.attendance == attendance.value)

                return d.FutureIneligibilityNotice(
                    facts=facts,
                    issued_on=today,
                    decision=step,
                    missed=with_attendance(Attendance.NOT_ATTENDED),
                    rebooked=with_attendance(Attendance.REBOOKED),
                )
            timeline = tuple(d.TimelineItem(at=e.at, event=e.text, by=names(e.actor)) for e in referral.events)
            return d.ProsecutionFileNote(
                facts=facts,
                issued_on=today,
                decision=step,
                appointments=tuple(details(a) for a in appointments),
                timeline=timeline,
            )
        if kind == "completion_letter":
            return d.CompletionLetter(
                facts=facts,
                issued_on=today,
                completed_on=referral.outcome_date or today,
                sessions_attended=referral.sessions_attended,
            )
        raise ServiceError(f"Unknown document kind '{kind}'.")

    def _facts(self, referral: Referral, scheme: Scheme, person: Person, names: _PrintedNames) -> ReferralFacts:
        from diversion_desktop import documents as d

        youth = referral.pathway == Pathway.YOUTH.value
        guardian = None
        if youth and person.guardian_name:
            guardian = d.Party(
                name=person.guardian_name,
                address=_lines(person.guardian_address),
                relationship=person.guardian_relationship,
                phone=person.guardian_phone,
            )
        centre = scheme.centre(referral.centre_code) or scheme.default_centre(youth)
        officer = " ".join(
            p
            for p in (
                referral.officer_name,
                f"({referral.officer_collar_number})" if referral.officer_collar_number else "",
            )
            if p
        )
        decision = "Eligible" if referral.decision == Decision.ELIGIBLE else "Not eligible"
        if referral.override_reason:
            decision += f" (overridden by supervisor: {referral.override_reason})"
        return d.ReferralFacts(
            reference=referral.reference,
            scheme=d.SchemeDetails.from_scheme(scheme),
            pathway=Pathway(referral.pathway),
            forenames=person.forenames,
            surname=person.surname,
            date_of_birth=person.date_of_birth,
            address=_lines(person.address) + ((person.postcode,) if person.postcode else ()),
            referral_date=referral.referral_date,
            incident_at=referral.incident_at,
            incident_place=referral.incident_place,
            substances=tuple(
                d.SubstanceFound(scheme.substance_label(s.substance), s.quantity, s.unit) for s in referral.substances
            ),
            centre=centre,
            first_attendance_due=referral.first_attendance_due or referral.referral_date,
            due_date=referral.due_date or referral.referral_date,
            guardian=guardian,
            crime_reference=referral.crime_reference,
            officer=officer,
            station=referral.station,
            decision=decision,
            decided_by=names(referral.decided_by),
        )


class _PrintedNames:
    """The name a document prints for a username: the user's display name, else the username (no
    display name set, the user no longer exists, or the actor is not a user). A letter to the YOT
    or a case file names the person, not their login. The names are read with one query on first
    use and kept for the call, so a batch of letters asks once, not once a letter."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._names: dict[str, str] | None = None

    def __call__(self, username: str) -> str:
        if not username:
            return ""
        if self._names is None:
            rows = self._session.execute(select(User.username, User.display_name).where(User.display_name != ""))
            self._names = {name: display for name, display in rows}
        return self._names.get(username.lower(), username)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())


def _person_recipient(person: Person, youth: bool) -> str:
    name = f"{person.forenames} {person.surname}".strip()
    if youth and person.guardian_name:
        return f"{name} (copy to {person.guardian_name})"
    return name


def _referral(session: Session, referral_id: int) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"No referral with id {referral_id}.")
    return referral


def record_referral(session: Session, record: IssuedDocument) -> Referral:
    return _referral(session, record.referral_id)


def _latest_issues(session: Session, referral_id: int) -> dict[tuple[str, int | None], int]:
    """The latest issue of each document still standing: a withdrawn one is due again if its
    state comes back (a next step confirmed again)."""
    latest: dict[tuple[str, int | None], int] = {}
    for doc_id, kind, appointment_id in session.execute(
        select(IssuedDocument.id, IssuedDocument.kind, IssuedDocument.appointment_id)
        .where(IssuedDocument.referral_id == referral_id, IssuedDocument.withdrawn_at.is_(None))
        .order_by(IssuedDocument.id)
    ):
        latest[(kind, appointment_id)] = doc_id
    return latest


def _info(record: IssuedDocument, referral: Referral) -> IssuedInfo:
    return IssuedInfo(
        id=record.id,
        referral_id=record.referral_id,
        referral_reference=referral.reference,
        kind=record.kind,
        label=DocumentKind(record.kind).label,
        document_reference=record.document_reference,
        title=record.title,
        recipient=record.recipient,
        issued_at=record.issued_at,
        issued_by=record.issued_by,
        template_version=record.template_version,
        page_count=record.page_count,
        sha256=record.sha256,
        withdrawn_at=record.withdrawn_at,
        withdrawn_by=record.withdrawn_by,
        withdrawn_reason=record.withdrawn_reason,
    )


# Documents issued under a confirmed next step, withdrawn with it (services/corrections.py).
UNDER_NEXT_STEP = tuple(kind.value for kind in DocumentKind if kind.details.withdrawn_with_next_step)


def withdraw_documents(
    session: Session,
    ctx: AppContext,
    referral: Referral,
    kinds: tuple[str, ...],
    reason: str,
    appointment_id: int | None = None,
) -> list[IssuedDocument]:
    """Mark a referral's issued documents of these kinds (for one appointment, if given) withdrawn,
    with who, when and why: never deleted, and a reprint is still the exact PDF."""
    query = select(IssuedDocument).where(
        IssuedDocument.referral_id == referral.id, IssuedDocument.kind.in_(kinds), IssuedDocument.withdrawn_at.is_(None)
    )
    if appointment_id is not None:
        query = query.where(IssuedDocument.appointment_id == appointment_id)
    records = list(session.scalars(query.order_by(IssuedDocument.id)))
    now = ctx.now()
    for record in records:
        record.withdrawn_at, record.withdrawn_by, record.withdrawn_reason = now, ctx.user, reason
        log(
            session,
            ctx,
            "document_withdrawn",
            entity="document",
            record_id=record.id,
            reference=record.document_reference,
            person_id=referral.person_id,
            changes=[("withdrawn_at", None, now), ("withdrawn_by", "", ctx.user)],
            detail=f"for {referral.reference}: {reason}"[:2000],
        )
    return records


def _pdf(record: IssuedDocument, warnings: tuple[DocumentWarning, ...] = ()) -> Pdf:
    return Pdf(record.content, record.title, pdf_file_name(record.document_reference), record.page_count, warnings)
