"""Merging two records of one person, and undoing a merge (coordinators: MERGE_PEOPLE).

The other record's referrals and aliases move to the kept record, the other record's name
becomes an alias of the kept one, and the barred flag combines (barred if either was). The other
record itself stays, marked ``merged_into_id``, so its reference still finds the person
(services/people.py) and an undo can put back exactly what moved: ``PersonMerge.moved`` lists
it (ids only, no personal details).

Rules decided here:
- Two records with different dates of birth are refused unless the coordinator says they have
  checked (``allow_different_birth_dates``): the usual cause is a typing slip. The kept record's
  date of birth stands.
- Neither record's details are overwritten: the kept record keeps its own address, phone and so
  on, and the merged record keeps its own, shown with it (and in a subject-access export).
- Records merged earlier into the other record are re-pointed at the kept one, so a reference
  always finds the person in one step; an undo points them back.
- An undo is refused once undone, once either record is anonymised, and while a later merge
  depends on it (the kept record was itself merged since: undo that one first).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from diversion_desktop.domain.names import normalise
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.services import lookup
from diversion_desktop.services.audit import log
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ConflictError, NotFound, ValidationError
from diversion_desktop.services.free_text import clean_reason
from diversion_desktop.store.models import Person, PersonAlias, PersonMerge, Referral

BARRING_STEPS = tuple(step.value for step in NextStep if step.bars_person)


@dataclass(frozen=True)
class MergeResult:
    merge_id: int
    kept_person_id: int
    kept_reference: str
    merged_person_id: int
    merged_reference: str
    referrals_moved: tuple[str, ...]  # their references
    aliases_moved: int
    alias_added: bool
    barred: bool  # the kept record after the merge
    became_barred: bool  # barred only because the other record was

    def summary(self) -> str:
        moved = ", ".join(self.referrals_moved) or "no referrals"
        barred = (
            " The person is now barred from further diversion (the other record was)." if self.became_barred else ""
        )
        return (
            f"{self.merged_reference} merged into {self.kept_reference} (merge {self.merge_id}): "
            f"{moved} moved, {self.aliases_moved} alias(es) moved"
            f"{', the other name added as an alias' if self.alias_added else ''}.{barred}"
        )


@dataclass(frozen=True)
class UndoResult:
    merge_id: int
    kept_reference: str
    merged_reference: str
    referrals_returned: tuple[str, ...]
    kept_barred: bool
    merged_barred: bool

    def summary(self) -> str:
        returned = ", ".join(self.referrals_returned) or "no referrals"
        return f"Merge {self.merge_id} undone: {self.merged_reference} is a record of its own again, with {returned}."


@dataclass(frozen=True)
class MergeRecord:
    """One merge as the person's page and the undo dialog show it."""

    id: int
    kept_person_id: int
    kept_reference: str
    kept_name: str
    merged_person_id: int
    merged_reference: str
    merged_name: str
    reason: str
    merged_at: datetime
    merged_by: str
    undone_at: datetime | None
    undone_by: str
    referral_references: tuple[str, ...]
    undo_blocked: str  # "" when it can be undone now; otherwise why not, in words

    @property
    def undone(self) -> bool:
        return self.undone_at is not None

    @property
    def can_undo(self) -> bool:
        return not self.undo_blocked


def _name(person: Person) -> str:
    return f"{person.surname.upper()}, {person.forenames}"


def _flags(person: Person) -> dict[str, Any]:
    return {
        "barred": bool(person.barred),
        "barred_at": person.barred_at.isoformat() if person.barred_at else None,
        "barred_by_referral_id": person.barred_by_referral_id,
    }


def merged_into(person_ids: Collection[int]) -> Select[Person]:
    """The records now merged into any of ``person_ids``.

    ``people.merged_into_id``'s index holds the merged records only (revision 0012); every merged
    record is in ``person_merges`` too, whose index gives the candidates, read by id."""
    return (
        select(Person)
        .where(Person.id.in_(select(PersonMerge.merged_person_id)), Person.merged_into_id.in_(list(person_ids)))
        .order_by(Person.id)
    )


def _barring_referral(session: Session, person_id: int) -> Referral | None:
    """The person's first referral whose confirmed next step bars them, if any."""
    return session.scalar(
        select(Referral)
        .where(Referral.person_id == person_id, Referral.next_step.in_(BARRING_STEPS))
        .order_by(Referral.next_step_confirmed_at, Referral.id)
        .limit(1)
    )


def _references(session: Session, referral_ids: list[int]) -> tuple[str, ...]:
    if not referral_ids:
        return ()
    return tuple(
        session.scalars(
            select(Referral.reference)
            .where(Referral.id.in_(referral_ids))
            .order_by(Referral.referral_date, Referral.id)
        )
    )


class MergeService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # -- finding ---------------------------------------------------------------------------------
    def person_id(self, reference: str) -> int:
        """A person's id from the reference users see (P000123 or P-000123)."""
        self.ctx.require(Permission.MERGE_PEOPLE)
        with self.ctx.reading() as session:
            return lookup.person_by_reference(session, reference).id

    # -- merging ---------------------------------------------------------------------------------
    def merge(
        self, keep_person_id: int, other_person_id: int, reason: str, allow_different_birth_dates: bool = False
    ) -> MergeResult:
        """Move the other record's history to the kept record; all or nothing, audited."""
        principal = self.ctx.require(Permission.MERGE_PEOPLE)
        reason = clean_reason(reason, what="the merge")
        if keep_person_id == other_person_id:
            raise ValidationError({"other": "A record cannot be merged into itself: choose another record."})
        with self.ctx.unit_of_work() as session:
            keep = lookup.person(session, keep_person_id)
            other = lookup.person(session, other_person_id)
            self._check_mergeable(session, keep, other, allow_different_birth_dates)
            now = self.ctx.now()
            referral_ids = list(
                session.scalars(select(Referral.id).where(Referral.person_id == other.id).order_by(Referral.id))
            )
            alias_ids = list(
                session.scalars(
                    select(PersonAlias.id).where(PersonAlias.person_id == other.id).order_by(PersonAlias.id)
                )
            )
            repointed = [p.id for p in session.scalars(merged_into([other.id]))]
            if referral_ids:
                session.execute(update(Referral).where(Referral.id.in_(referral_ids)).values(person_id=keep.id))
            if alias_ids:
                session.execute(update(PersonAlias).where(PersonAlias.id.in_(alias_ids)).values(person_id=keep.id))
            if repointed:
                session.execute(update(Person).where(Person.id.in_(repointed)).values(merged_into_id=keep.id))
            added_alias_id = self._add_name_as_alias(session, keep, other)
            before = _flags(keep)
            if other.barred and not keep.barred:
                keep.barred = True
                keep.barred_at = other.barred_at or now
                keep.barred_by_referral_id = other.barred_by_referral_id
            after = _flags(keep)
            other.merged_into_id = keep.id
            merge = PersonMerge(
                kept_person_id=keep.id,
                merged_person_id=other.id,
                reason=reason,
                merged_at=now,
                merged_by=principal.username,
                undone_by="",
                moved={
                    "referral_ids": referral_ids,
                    "alias_ids": alias_ids,
                    "added_alias_id": added_alias_id,
                    "repointed_person_ids": repointed,
                    "kept_before": before,
                    "kept_after": after,
                },
            )
            session.add(merge)
            session.flush()
            moved_refs = _references(session, referral_ids)
            changes: list[tuple[str, Any, Any]] = [
                ("referrals", None, list(moved_refs)),
                ("aliases_moved", None, len(alias_ids)),
            ]
            if added_alias_id is not None:
                changes.append(("alias_added", None, f"{other.forenames} {other.surname}".strip()))
            if before != after:
                changes.append(("barred", before["barred"], after["barred"]))
            log(
                session,
                self.ctx,
                "person_merged",
                entity="person",
                record_id=keep.id,
                reference=keep.reference,
                person_id=keep.id,
                changes=changes,
                detail=f"Merge {merge.id}: {other.reference} merged into {keep.reference}. Reason: {reason}",
            )
            log(
                session,
                self.ctx,
                "person_merged_away",
                entity="person",
                record_id=other.id,
                reference=other.reference,
                person_id=other.id,
                changes=[("merged_into", None, keep.reference)],
                detail=f"Merge {merge.id}: this record's history moved to {keep.reference}. Reason: {reason}",
            )
            return MergeResult(
                merge_id=merge.id,
                kept_person_id=keep.id,
                kept_reference=keep.reference,
                merged_person_id=other.id,
                merged_reference=other.reference,
                referrals_moved=moved_refs,
                aliases_moved=len(alias_ids),
                alias_added=added_alias_id is not None,
                barred=bool(keep.barred),
                became_barred=before != after,
            )

    @staticmethod
    def _check_mergeable(session: Session, keep: Person, other: Person, allow_different_birth_dates: bool) -> None:
        for person in (keep, other):
            if person.anonymised_at is not None:
                raise ConflictError(
                    f"{person.reference} has been anonymised under the retention rule: it cannot be merged."
                )
        if other.merged_into_id is not None:
            into = session.get(Person, other.merged_into_id)
            raise ConflictError(
                f"{other.reference} is already merged into {into.reference if into else 'another record'}."
            )
        if keep.merged_into_id is not None:
            into = session.get(Person, keep.merged_into_id)
            target = into.reference if into else "another record"
            raise ConflictError(f"{keep.reference} is itself merged into {target}: merge into {target} instead.")
        if keep.date_of_birth != other.date_of_birth and not allow_different_birth_dates:
            raise ConflictError(
                f"The dates of birth differ ({keep.reference}: {keep.date_of_birth:%d/%m/%Y}, "
                f"{other.reference}: {other.date_of_birth:%d/%m/%Y}). Merge only after checking they are "
                f"one person; {keep.reference}'s date of birth will be kept."
            )

    @staticmethod
    def _add_name_as_alias(session: Session, keep: Person, other: Person) -> int | None:
        """The other record's name as an alias of the kept one, unless the kept record already has it."""
        surname_key, forename_key = normalise(other.surname), normalise(other.forenames)
        if (surname_key, forename_key) == (keep.surname_norm, keep.forenames_norm) or not surname_key:
            return None
        known = session.scalar(
            select(PersonAlias.id)
            .where(
                PersonAlias.person_id == keep.id,
                PersonAlias.surname_norm == surname_key,
                PersonAlias.forenames_norm == forename_key,
            )
            .limit(1)
        )
        if known is not None:
            return None
        alias = PersonAlias(
            person_id=keep.id,
            surname=other.surname,
            forenames=other.forenames,
            surname_norm=surname_key,
            forenames_norm=forename_key,
        )
        session.add(alias)
        session.flush()
        return alias.id

    # -- undoing -----------------------------------------------------------------------------------
    def undo(self, merge_id: int, reason: str) -> UndoResult:
        """Put back exactly what the merge moved; all or nothing, audited."""
        principal = self.ctx.require(Permission.MERGE_PEOPLE)
        reason = clean_reason(reason, what="undoing the merge")
        with self.ctx.unit_of_work() as session:
            merge = session.get(PersonMerge, merge_id)
            if merge is None:
                raise NotFound(f"There is no merge number {merge_id}.")
            blocked = _undo_blocker(session, merge)
            if blocked:
                raise ConflictError(f"Merge {merge_id} cannot be undone: {blocked}")
            keep = lookup.person(session, merge.kept_person_id)
            other = lookup.person(session, merge.merged_person_id)
            moved = dict(merge.moved or {})
            referral_ids = list(moved.get("referral_ids", []))
            alias_ids = list(moved.get("alias_ids", []))
            repointed = list(moved.get("repointed_person_ids", []))
            if referral_ids:
                session.execute(
                    update(Referral)
                    .where(Referral.id.in_(referral_ids), Referral.person_id == keep.id)
                    .values(person_id=other.id)
                )
            if alias_ids:
                session.execute(
                    update(PersonAlias)
                    .where(PersonAlias.id.in_(alias_ids), PersonAlias.person_id == keep.id)
                    .values(person_id=other.id)
                )
            added = moved.get("added_alias_id")
            if added is not None:
                alias = session.get(PersonAlias, added)
                if alias is not None and alias.person_id == keep.id:
                    session.delete(alias)
            if repointed:
                session.execute(
                    update(Person)
                    .where(Person.id.in_(repointed), Person.merged_into_id == keep.id)
                    .values(merged_into_id=other.id)
                )
            other.merged_into_id = None
            session.flush()
            before = _flags(keep)
            if moved.get("kept_before") != moved.get("kept_after"):
                self._unbar_unless_own(session, keep, moved.get("kept_before") or {})
            if not other.barred:  # a moved referral may have been confirmed as barring meanwhile
                self._bar_if_own(session, other)
            now = self.ctx.now()
            merge.undone_at = now
            merge.undone_by = principal.username
            returned = _references(session, referral_ids)
            changes: list[tuple[str, Any, Any]] = [("referrals", list(returned), None)]
            if before != _flags(keep):
                changes.append(("barred", before["barred"], bool(keep.barred)))
            log(
                session,
                self.ctx,
                "person_merge_undone",
                entity="person",
                record_id=keep.id,
                reference=keep.reference,
                person_id=keep.id,
                changes=changes,
                detail=f"Merge {merge.id} undone: {other.reference} separated from {keep.reference}. Reason: {reason}",
            )
            log(
                session,
                self.ctx,
                "person_merge_undone",
                entity="person",
                record_id=other.id,
                reference=other.reference,
                person_id=other.id,
                changes=[("merged_into", keep.reference, None)],
                detail=f"Merge {merge.id} undone: this record is separate again. Reason: {reason}",
            )
            return UndoResult(
                merge_id=merge.id,
                kept_reference=keep.reference,
                merged_reference=other.reference,
                referrals_returned=returned,
                kept_barred=bool(keep.barred),
                merged_barred=bool(other.barred),
            )

    @staticmethod
    def _unbar_unless_own(session: Session, keep: Person, before: dict[str, Any]) -> None:
        """The merge barred the kept record (the other was barred): after the undo it stays barred
        only if one of its own referrals bars it."""
        own = _barring_referral(session, keep.id)
        if own is not None:
            keep.barred = True
            keep.barred_at = own.next_step_confirmed_at or keep.barred_at
            keep.barred_by_referral_id = own.id
            return
        keep.barred = bool(before.get("barred", False))
        keep.barred_at = datetime.fromisoformat(before["barred_at"]) if before.get("barred_at") else None
        keep.barred_by_referral_id = before.get("barred_by_referral_id")

    @staticmethod
    def _bar_if_own(session: Session, person: Person) -> None:
        own = _barring_referral(session, person.id)
        if own is not None:
            person.barred = True
            person.barred_at = own.next_step_confirmed_at
            person.barred_by_referral_id = own.id

    # -- listing -----------------------------------------------------------------------------------
    def merges_for(self, person_id: int) -> list[MergeRecord]:
        """Every merge the person's record took part in (kept or merged), newest first."""
        self.ctx.require(Permission.MERGE_PEOPLE)
        with self.ctx.reading() as session:
            lookup.person(session, person_id)
            merges = session.scalars(
                select(PersonMerge)
                .where(or_(PersonMerge.kept_person_id == person_id, PersonMerge.merged_person_id == person_id))
                .order_by(PersonMerge.merged_at.desc(), PersonMerge.id.desc())
            ).all()
            return [merge_record(session, m) for m in merges]


def merge_record(session: Session, merge: PersonMerge) -> MergeRecord:
    keep = session.get(Person, merge.kept_person_id)
    other = session.get(Person, merge.merged_person_id)
    assert keep is not None and other is not None  # people are never deleted
    return MergeRecord(
        id=merge.id,
        kept_person_id=keep.id,
        kept_reference=keep.reference,
        kept_name=_name(keep),
        merged_person_id=other.id,
        merged_reference=other.reference,
        merged_name=_name(other),
        reason=merge.reason,
        merged_at=merge.merged_at,
        merged_by=merge.merged_by,
        undone_at=merge.undone_at,
        undone_by=merge.undone_by,
        referral_references=_references(session, list((merge.moved or {}).get("referral_ids", []))),
        undo_blocked=_undo_blocker(session, merge),
    )


def _undo_blocker(session: Session, merge: PersonMerge) -> str:
    """Why the merge cannot be undone now, in words; "" if it can."""
    if merge.undone_at is not None:
        return f"it was undone on {merge.undone_at:%d/%m/%Y} by {merge.undone_by}."
    keep = session.get(Person, merge.kept_person_id)
    other = session.get(Person, merge.merged_person_id)
    if keep is None or other is None:
        return "one of its records no longer exists."
    if keep.anonymised_at is not None or other.anonymised_at is not None:
        return "the records have been anonymised under the retention rule."
    later = session.scalar(
        select(PersonMerge)
        .where(PersonMerge.merged_person_id == keep.id, PersonMerge.undone_at.is_(None))
        .order_by(PersonMerge.id.desc())
        .limit(1)
    )
    if later is not None:
        into = session.get(Person, later.kept_person_id)
        return (
            f"a later merge depends on it ({keep.reference} was merged into "
            f"{into.reference if into else 'another record'}, merge {later.id}): undo that one first."
        )
    referral_ids = list((merge.moved or {}).get("referral_ids", []))
    if referral_ids:
        elsewhere = list(
            session.scalars(
                select(Referral.reference).where(Referral.id.in_(referral_ids), Referral.person_id != keep.id)
            )
        )
        if elsewhere:
            return f"{', '.join(elsewhere)} no longer belong to {keep.reference}."
    return ""
