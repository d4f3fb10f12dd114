"""Retention: anonymise closed referrals older than their scheme's retention period; legal holds.

A referral qualifies when it is closed (not an open status), its last date (outcome date, else
referral date) is older than its scheme's ``retention_months`` (scheme file; 72 when absent, and
for a scheme no longer configured), it is not under a legal hold, and it is not anonymised yet.
Its free text goes: incident place, crime reference, officer name, collar number and station,
officer's notes, override and proposal reasons, the appointments' worker, rebooking reason and
session notes, the timeline's texts (each keeps its kind), and the issued documents' PDF bytes
and recipient (their other details stay). Kept for the statistics: area, scheme, dates, decision,
reasons, outcome, next step, substances, attendance counts.

A person is anonymised only when every referral of theirs is (or is being) anonymised: names
become "Anonymised", the search keys are cleared, the date of birth becomes the 1st of its month,
contact details, needs, guardian and PNC reference are cleared and aliases deleted; sex,
ethnicity (for the fairness figures), barred flag and dates stay. Records merged into them go
the same way, and the merges' free-text reasons are cleared.

The work runs in batches of ``BATCH`` referrals, one transaction each, so a million rows never
load at once. Each batch is complete in itself: its referrals, the people whose last referral it
anonymised, and one audit row per referral and per person (naming the fields cleared, never
their values) commit together or not at all. A run that stops part-way leaves whole batches
done and is finished by running again. One summary row is audited per run, also when it stops.

A legal hold is set here by hand (``set_legal_hold``) and automatically when a next step "report
for prosecution" is confirmed (services/programme.py).

The audit trail keeps who did what and when, but not the values: the rows about an anonymised
referral (and its appointments and documents) and every row about an anonymised person have their
values erased (``audit.erase``, the one change the append-only trail allows; the chain still
verifies). Rows written before revision 0007 keep theirs: their hash covers them.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select, update
from sqlalchemy.orm import Session, aliased

from diversion_desktop.domain.fields import (
    APPOINTMENT_FIELDS,
    PERSON_FIELDS,
    REFERRAL_FIELDS,
    cleared_by_retention,
)
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.schemes import DEFAULT_RETENTION_MONTHS
from diversion_desktop.services import audit, lookup
from diversion_desktop.services.audit import log
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ConflictError, ServiceError
from diversion_desktop.services.free_text import clean_reason
from diversion_desktop.services.merge import merged_into
from diversion_desktop.services.people import write_name_keys
from diversion_desktop.store.database import sqlite_file
from diversion_desktop.store.migrate import BEFORE_COPY_DAYS, prune_before_copies
from diversion_desktop.store.models import (
    OPEN_STATUSES,
    Appointment,
    IssuedDocument,
    Person,
    PersonAlias,
    PersonMerge,
    Referral,
    TimelineEvent,
)

BATCH = 500
SAMPLE = 100  # references a plan shows
ANONYMISED_NAME = "Anonymised"
REMOVED = "(removed)"  # what the audit row says a cleared field held

# What anonymisation empties (domain/fields.py: each field's retention).
REFERRAL_TEXT = cleared_by_retention(REFERRAL_FIELDS)
APPOINTMENT_TEXT = cleared_by_retention(APPOINTMENT_FIELDS)
# What retention itself records names fields, never their values: kept when values are erased.
OWN_ACTIONS = ("referral_anonymised", "person_anonymised", "audit_values_erased", "retention_run")
PERSON_TEXT = cleared_by_retention(PERSON_FIELDS)

Progress = Callable[[int, int], None]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day where it has no such day)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class RetentionPlan:
    as_of: date
    referrals: int  # to anonymise
    people: int  # to anonymise (all their referrals qualify)
    held: int  # old enough and closed, but kept under a legal hold
    periods: tuple[tuple[str, int], ...]  # (scheme, months)
    sample: tuple[str, ...]  # the first referral references, for a look before running

    def summary(self) -> str:
        periods = ", ".join(f"{code} {months} months" for code, months in self.periods)
        return (
            f"As of {self.as_of:%d/%m/%Y} ({periods}): {self.referrals:,} closed referral(s) to anonymise, "
            f"{self.people:,} person record(s) with them; {self.held:,} kept under a legal hold."
        )


@dataclass(frozen=True)
class RetentionReport:
    as_of: date
    started_at: datetime
    finished_at: datetime
    referrals_anonymised: int
    people_anonymised: int
    held: int
    batches: int
    referral_references: tuple[str, ...]
    person_references: tuple[str, ...]
    upgrade_copies_removed: tuple[str, ...] = ()  # copies kept before schema upgrades, past their time

    def summary(self) -> str:
        text = (
            f"Retention as of {self.as_of:%d/%m/%Y}: {self.referrals_anonymised:,} referral(s) and "
            f"{self.people_anonymised:,} person record(s) anonymised in {self.batches} batch(es); "
            f"{self.held:,} kept under a legal hold."
        )
        if self.upgrade_copies_removed:
            text += f" {len(self.upgrade_copies_removed)} copy(ies) kept before a schema upgrade deleted."
        return text


@dataclass(frozen=True)
class LegalHoldState:
    referral_id: int
    reference: str
    legal_hold: bool
    reason: str

    def summary(self) -> str:
        if self.legal_hold:
            return f"{self.reference} is under a legal hold: it will not be anonymised. Reason: {self.reason}"
        return f"{self.reference} is not under a legal hold."


class RetentionService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # -- which records ---------------------------------------------------------------------------------
    def periods(self) -> tuple[tuple[str, int], ...]:
        return tuple((s.code, s.retention_months) for s in self.ctx.schemes)

    def _old_and_closed(self, r: Any, as_of: date) -> ColumnElement[bool]:  # noqa: ANN401 - Referral or alias
        last = func.coalesce(r.outcome_date, r.referral_date)
        periods = self.periods()
        by_scheme = [and_(r.scheme_code == code, last < months_before(as_of, months)) for code, months in periods]
        by_scheme.append(
            and_(
                r.scheme_code.not_in([code for code, _ in periods]),
                last < months_before(as_of, DEFAULT_RETENTION_MONTHS),
            )
        )
        return and_(r.status.not_in(OPEN_STATUSES), r.anonymised_at.is_(None), or_(*by_scheme))

    def _qualifying(self, r: Any, as_of: date) -> ColumnElement[bool]:  # noqa: ANN401 (the Referral class or an alias of it)
        return and_(self._old_and_closed(r, as_of), r.legal_hold.is_not(True))

    def _person_done(self, as_of: date) -> ColumnElement[bool]:
        """A person not yet anonymised whose every referral is anonymised or qualifies now."""
        other = aliased(Referral)
        remaining = exists().where(
            other.person_id == Person.id, other.anonymised_at.is_(None), not_(self._qualifying(other, as_of))
        )
        return and_(
            Person.anonymised_at.is_(None),
            Person.merged_into_id.is_(None),
            exists().where(Referral.person_id == Person.id),
            ~remaining,
        )

    # -- plan ------------------------------------------------------------------------------------------
    def plan(self, as_of: date | None = None) -> RetentionPlan:
        """What a run would anonymise (nothing is changed)."""
        self.ctx.require(Permission.RETENTION)
        as_of = as_of or self.ctx.today()
        with self.ctx.reading() as session:
            referrals = (
                session.scalar(select(func.count()).select_from(Referral).where(self._qualifying(Referral, as_of))) or 0
            )
            held = (
                session.scalar(
                    select(func.count())
                    .select_from(Referral)
                    .where(self._old_and_closed(Referral, as_of), Referral.legal_hold.is_(True))
                )
                or 0
            )
            people = session.scalar(select(func.count()).select_from(Person).where(self._person_done(as_of))) or 0
            sample = tuple(
                session.scalars(
                    select(Referral.reference)
                    .where(self._qualifying(Referral, as_of))
                    .order_by(Referral.id)
                    .limit(SAMPLE)
                )
            )
        return RetentionPlan(
            as_of=as_of, referrals=referrals, people=people, held=held, periods=self.periods(), sample=sample
        )

    # -- run -------------------------------------------------------------------------------------------
    def run(self, progress: Progress | None = None) -> RetentionReport:
        """Anonymise everything the plan lists, batch by batch (see the module docstring)."""
        self.ctx.require(Permission.RETENTION)
        started = self.ctx.now()
        as_of = started.date()
        plan = self.plan(as_of)
        total = plan.referrals + plan.people
        referral_refs: list[str] = []
        person_refs: list[str] = []
        batches = 0
        try:
            after = 0
            while True:
                with self.ctx.unit_of_work() as session:
                    ids = list(
                        session.scalars(
                            select(Referral.id)
                            .where(self._qualifying(Referral, as_of), Referral.id > after)
                            .order_by(Referral.id)
                            .limit(BATCH)
                        )
                    )
                    if not ids:
                        break
                    referral_refs += self._anonymise_referrals(session, ids, as_of)
                    person_ids = list(
                        session.scalars(select(Referral.person_id).where(Referral.id.in_(ids)).distinct())
                    )
                    person_refs += self._anonymise_people(session, person_ids, as_of)
                    after = ids[-1]
                batches += 1
                if progress is not None:
                    progress(min(len(referral_refs) + len(person_refs), total), total)
            # People left with only anonymised referrals (a merge undone after their referrals went).
            after = 0
            while True:
                with self.ctx.unit_of_work() as session:
                    ids = list(
                        session.scalars(
                            select(Person.id)
                            .where(self._person_done(as_of), Person.id > after)
                            .order_by(Person.id)
                            .limit(BATCH)
                        )
                    )
                    if not ids:
                        break
                    person_refs += self._anonymise_people(session, ids, as_of)
                    after = ids[-1]
                batches += 1
        except ServiceError as exc:
            self._summary(started, as_of, referral_refs, person_refs, plan.held, batches, f" Stopped: {exc}")
            raise
        copies = self._prune_upgrade_copies()
        report = RetentionReport(
            as_of=as_of,
            started_at=started,
            finished_at=self.ctx.now(),
            referrals_anonymised=len(referral_refs),
            people_anonymised=len(person_refs),
            held=plan.held,
            batches=batches,
            referral_references=tuple(referral_refs),
            person_references=tuple(person_refs),
            upgrade_copies_removed=copies,
        )
        removed = (
            f" {len(copies)} copy(ies) kept before a schema upgrade, older than {BEFORE_COPY_DAYS} days, "
            f"deleted: {', '.join(copies)}."
            if copies
            else ""
        )
        self._summary(started, as_of, referral_refs, person_refs, plan.held, batches, removed)
        if progress is not None:
            progress(total, total)
        return report

    def _prune_upgrade_copies(self) -> tuple[str, ...]:
        """The plaintext copies a SQLite database's upgrades left beside it hold every record as it
        was, anonymised people included: past their time (by the files' own age) they go too."""
        path = sqlite_file(self.ctx.engine.url.render_as_string(hide_password=False))
        if path is None:
            return ()
        try:
            return tuple(p.name for p in prune_before_copies(path, keep_newest=False))
        except OSError:
            return ()

    def _summary(
        self,
        started: datetime,
        as_of: date,
        referral_refs: Sequence[str],
        person_refs: Sequence[str],
        held: int,
        batches: int,
        stopped: str,
    ) -> None:
        periods = ", ".join(f"{code} {months} months" for code, months in self.periods())
        with self.ctx.unit_of_work() as session:
            log(
                session,
                self.ctx,
                "retention_run",
                entity="retention",
                changes=[
                    ("referrals_anonymised", None, len(referral_refs)),
                    ("people_anonymised", None, len(person_refs)),
                    ("held", None, held),
                ],
                detail=f"Retention as of {as_of.isoformat()} ({periods}), started {started.isoformat(sep=' ')}: "
                f"{len(referral_refs)} referral(s) and {len(person_refs)} person record(s) anonymised in "
                f"{batches} batch(es); {held} kept under a legal hold.{stopped}",
            )

    def _anonymise_referrals(self, session: Session, ids: list[int], as_of: date) -> list[str]:
        now = self.ctx.now()
        rows = session.execute(
            select(
                Referral.id,
                Referral.reference,
                Referral.person_id,
                Referral.referral_date,
                Referral.outcome_date,
                *(getattr(Referral, f) for f in REFERRAL_TEXT),
            )
            .where(Referral.id.in_(ids))
            .order_by(Referral.id)
        ).all()
        appointments = _counts(session, Appointment.referral_id, ids)
        events = _counts(session, TimelineEvent.referral_id, ids)
        documents = _counts(session, IssuedDocument.referral_id, ids)
        document_refs = list(
            session.scalars(select(IssuedDocument.document_reference).where(IssuedDocument.referral_id.in_(ids)))
        )
        erased = audit.erase(
            session, now, references=[row.reference for row in rows] + document_refs, keep_actions=OWN_ACTIONS
        )
        quietly = {"synchronize_session": False}
        session.execute(
            update(Referral).where(Referral.id.in_(ids)).values(**{f: "" for f in REFERRAL_TEXT}, anonymised_at=now),
            execution_options=quietly,
        )
        session.execute(
            update(Appointment).where(Appointment.referral_id.in_(ids)).values(**{f: "" for f in APPOINTMENT_TEXT}),
            execution_options=quietly,
        )
        session.execute(
            update(TimelineEvent).where(TimelineEvent.referral_id.in_(ids)).values(text=TimelineEvent.kind),
            execution_options=quietly,
        )
        session.execute(
            update(IssuedDocument).where(IssuedDocument.referral_id.in_(ids)).values(content=b"", recipient=""),
            execution_options=quietly,
        )
        for row in rows:
            cleared = [(f, REMOVED, "") for f in REFERRAL_TEXT if getattr(row, f)]
            last = row.outcome_date or row.referral_date
            log(
                session,
                self.ctx,
                "referral_anonymised",
                entity="referral",
                record_id=row.id,
                reference=row.reference,
                person_id=row.person_id,
                changes=cleared,
                detail=f"Retention as of {as_of.isoformat()}: closed, last date {last.isoformat()}. Free text "
                f"removed from the referral, {appointments.get(row.id, 0)} appointment(s) and "
                f"{events.get(row.id, 0)} timeline event(s); the PDF and recipient of "
                f"{documents.get(row.id, 0)} issued document(s) removed.",
            )
        if erased:
            log(
                session,
                self.ctx,
                "audit_values_erased",
                entity="retention",
                changes=[("rows", None, erased)],
                detail=f"Retention as of {as_of.isoformat()}: the values of {erased} audit row(s) about "
                f"{len(rows)} anonymised referral(s), their appointments and documents erased.",
            )
        return [row.reference for row in rows]

    def _anonymise_people(self, session: Session, candidate_ids: Iterable[int], as_of: date) -> list[str]:
        candidates = list(candidate_ids)
        if not candidates:
            return []
        session.flush()
        done = list(
            session.scalars(
                select(Person).where(Person.id.in_(candidates), self._person_done(as_of)).order_by(Person.id)
            )
        )
        if not done:
            return []
        now = self.ctx.now()
        merged = list(session.scalars(merged_into([p.id for p in done])))
        every = [p.id for p in done] + [p.id for p in merged]
        aliases = _counts(session, PersonAlias.person_id, every)
        session.execute(PersonAlias.__table__.delete().where(PersonAlias.person_id.in_(every)))  # type: ignore[attr-defined]  # a declarative model's __table__ is a Table; typed as a FromClause
        erased = audit.erase(session, now, person_ids=every, keep_actions=OWN_ACTIONS)
        for person in [*done, *merged]:
            changes = self._anonymise_person(person)
            write_name_keys(session, person.id, "")  # no later part of the name finds them either
            if aliases.get(person.id):
                changes.append(("aliases", aliases[person.id], 0))
            person.anonymised_at = now
            into = f" (merged into person id {person.merged_into_id})" if person.merged_into_id else ""
            log(
                session,
                self.ctx,
                "person_anonymised",
                entity="person",
                record_id=person.id,
                reference=person.reference,
                person_id=person.id,
                changes=changes,
                detail=f"Retention as of {as_of.isoformat()}: every referral of this person is closed and past "
                f"its retention period{into}. Sex, year and month of birth and outcomes kept.",
            )
        session.execute(
            update(PersonMerge)
            .where(or_(PersonMerge.kept_person_id.in_(every), PersonMerge.merged_person_id.in_(every)))
            .values(reason=""),
            execution_options={"synchronize_session": False},
        )
        if erased:
            log(
                session,
                self.ctx,
                "audit_values_erased",
                entity="retention",
                changes=[("rows", None, erased)],
                detail=f"Retention as of {as_of.isoformat()}: the values of {erased} audit row(s) about "
                f"{len(every)} anonymised person record(s) erased.",
            )
        return [p.reference for p in done]

    @staticmethod
    def _anonymise_person(person: Person) -> list[tuple[str, Any, Any]]:
        changes: list[tuple[str, Any, Any]] = [
            ("surname", REMOVED, ANONYMISED_NAME),
            ("forenames", REMOVED, ANONYMISED_NAME),
        ]
        person.surname = person.forenames = ANONYMISED_NAME
        person.surname_norm = person.forenames_norm = ""
        first_of_month = person.date_of_birth.replace(day=1)
        if first_of_month != person.date_of_birth:
            changes.append(("date_of_birth", "(day removed)", first_of_month.isoformat()))
            person.date_of_birth = first_of_month
        for name in PERSON_TEXT:
            if getattr(person, name):
                changes.append((name, REMOVED, ""))
                setattr(person, name, "")
        return changes

    # -- legal hold ------------------------------------------------------------------------------------
    def referral_id(self, reference: str) -> int:
        """A referral's id from its reference (WB-2026-00001), for setting a hold."""
        self.ctx.require(Permission.SET_LEGAL_HOLD)
        with self.ctx.reading() as session:
            return lookup.referral_by_reference(session, reference).id

    def set_legal_hold(self, referral_id: int, on: bool, reason: str = "") -> LegalHoldState:
        """Keep a referral from anonymisation (a pending prosecution), or release it. A reason is
        required to set a hold; releasing takes an optional one. Audited."""
        self.ctx.require(Permission.SET_LEGAL_HOLD)
        reason = clean_reason(reason, what="the legal hold" if on else "releasing the hold", required=on)
        with self.ctx.unit_of_work() as session:
            referral = lookup.referral(session, referral_id)
            if on and referral.anonymised_at is not None:
                raise ConflictError(
                    f"{referral.reference} was anonymised on {referral.anonymised_at:%d/%m/%Y}: "
                    "there is nothing left to hold."
                )
            if not on and not referral.legal_hold:
                raise ConflictError(f"{referral.reference} is not under a legal hold.")
            if on and referral.legal_hold and referral.legal_hold_reason == reason:
                raise ConflictError(f"{referral.reference} is already under a legal hold for this reason.")
            before = (bool(referral.legal_hold), referral.legal_hold_reason)
            referral.legal_hold = on
            referral.legal_hold_reason = reason if on else ""
            log(
                session,
                self.ctx,
                "legal_hold_set" if on else "legal_hold_cleared",
                entity="referral",
                record_id=referral.id,
                reference=referral.reference,
                person_id=referral.person_id,
                changes=[("legal_hold", before[0], on), ("legal_hold_reason", before[1], referral.legal_hold_reason)],
                detail=reason,
            )
            return LegalHoldState(referral.id, referral.reference, on, referral.legal_hold_reason)


def _counts(session: Session, column: Any, ids: list[int]) -> dict[int, int]:  # noqa: ANN401 - a referral_id column
    return dict(session.execute(select(column, func.count()).where(column.in_(ids)).group_by(column)).all())
