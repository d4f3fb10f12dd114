"""Finding people: the search box, possible duplicates, and their diversion history."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select, union_all
from sqlalchemy.orm import QueryableAttribute, Session

from diversion_desktop.domain import dates
from diversion_desktop.domain.eligibility import PriorHistory
from diversion_desktop.domain.fields import PERSON_DETAILS
from diversion_desktop.domain.names import forename_variants, match_score, normalise, surname_part_keys
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Outcome, Status
from diversion_desktop.services.audit import log
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import PersonRecord, PossibleMatch, ReferralBrief
from diversion_desktop.services.errors import NotFound
from diversion_desktop.services.scope import redact_person, referral_condition
from diversion_desktop.store.models import Person, PersonAlias, PersonNameKey, Referral

SEARCH_LIMIT = 50

_PERSON_REF = re.compile(r"^P-?\d{1,9}$", re.IGNORECASE)
_REFERRAL_REF = re.compile(r"^[A-Z]{1,4}-\d{4}-\d{1,9}$", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    """A date of birth typed in a search, read as the forms read one (domain/dates.py)."""
    return dates.parse_date(text, date.today())


def _prefix(column: QueryableAttribute[str], key: str) -> ColumnElement[bool]:
    """Prefix match as a range, so an ordinary index is searched, not scanned."""
    upper = key[:-1] + chr(ord(key[-1]) + 1)
    return and_(column >= key, column < upper)


_MAX_RUN = 4  # words in one name typed with spaces ("Van der Berg", "Ó Súilleabháin")


def _runs(keys: list[str], index: int) -> list[str]:
    """Each run of two or more neighbouring words that includes ``keys[index]``, joined."""
    return [
        "".join(keys[start:end])
        for start in range(max(0, index - _MAX_RUN + 1), index + 1)
        for end in range(max(index + 1, start + 2), min(len(keys), start + _MAX_RUN) + 1)
    ]


@dataclass(frozen=True)
class _Word:
    """How one typed name word may match: the start of the surname or a forename (or a
    nickname's), alone or run together with its neighbours, or of an alias."""

    surname_keys: tuple[str, ...]
    forename_keys: tuple[str, ...]
    alias_keys: tuple[str, ...]

    def condition(self) -> ColumnElement[bool]:
        return or_(
            *(_prefix(Person.surname_norm, k) for k in self.surname_keys),
            *(_prefix(Person.forenames_norm, k) for k in self.forename_keys),
            self._alias(),
            self._surname_part(),
        )

    def branches(self) -> list[tuple[ColumnElement[bool], str | None]]:
        """The same alternatives, each a range of one index, with the index's name (a key that
        starts with another key adds nothing): every person the word matches is in one."""
        return [
            *((_prefix(Person.surname_norm, k), "ix_people_surname_key") for k in _shortest(self.surname_keys)),
            *((_prefix(Person.forenames_norm, k), "ix_people_forenames_key") for k in _shortest(self.forename_keys)),
            (self._alias(), None),
            (self._surname_part(), None),
        ]

    def _surname_part(self) -> ColumnElement[bool]:
        """A later part of the surname ("jones" in "Smith-Jones"): a range of its own index."""
        return Person.id.in_(
            select(PersonNameKey.person_id).where(
                or_(*(_prefix(PersonNameKey.key, k) for k in _shortest(self.surname_keys)))
            )
        )

    def _alias(self) -> ColumnElement[bool]:
        return Person.id.in_(
            select(PersonAlias.person_id).where(
                or_(
                    *(_prefix(PersonAlias.surname_norm, k) for k in self.alias_keys),
                    *(_prefix(PersonAlias.forenames_norm, k) for k in self.alias_keys),
                )
            )
        )


def _shortest(keys: Iterable[str]) -> list[str]:
    """The keys no other key is a beginning of (their prefix ranges cover all the others')."""
    kept: list[str] = []
    for key in sorted(set(keys), key=lambda k: (len(k), k)):
        if not any(key.startswith(shorter) for shorter in kept):
            kept.append(key)
    return kept


@dataclass(frozen=True)
class ParsedSearch:
    """What was typed in a search box, as conditions on people, all to be met: one per token (a
    date of birth, a reference, or a name word's alternatives)."""

    conditions: tuple[ColumnElement[bool], ...]
    words: tuple[tuple[str, _Word], ...]  # (normalised word, its alternatives)
    exact: bool  # a date of birth or a reference narrows the search to a handful of people

    def branches(self) -> list[tuple[ColumnElement[bool], str | None]]:
        """The alternatives of the word most likely to narrow the search (the longest), each a
        range of one index: everyone found meets one of them."""
        _key, word = max(self.words, key=lambda w: len(w[0]))
        return word.branches()


def parse_search(text: str) -> ParsedSearch | None:
    """Surname or part of it, forenames, date of birth, or a person/referral reference; None if
    nothing searchable was typed."""
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    conditions: list[ColumnElement[bool]] = []
    typed: list[tuple[str, str]] = []  # name words: (as typed, normalised)
    exact = False
    for token in tokens:
        if _PERSON_REF.match(token):
            digits = re.sub(r"\D", "", token)
            reference = f"P{int(digits):06d}"
            # A merged record's reference finds the record it was merged into (services/merge.py).
            conditions.append(
                or_(
                    Person.reference == reference,
                    Person.id.in_(select(Person.merged_into_id).where(Person.reference == reference)),
                )
            )
            exact = True
            continue
        if _REFERRAL_REF.match(token):
            conditions.append(Person.id.in_(select(Referral.person_id).where(Referral.reference == token.upper())))
            exact = True
            continue
        dob = parse_date(token)
        if dob is not None:
            conditions.append(Person.date_of_birth == dob)
            exact = True
            continue
        key = normalise(token)
        if key:
            typed.append((token, key))
    words = []
    for index, (token, key) in enumerate(typed):
        forename_keys = forename_variants(token) if len(key) > 1 else {key}
        # Names are stored as one key ("Van der Berg" -> "vanderberg", "Jean-Luc" -> "jeanluc"),
        # so a word also matches as part of a run of neighbouring words typed with spaces.
        runs = tuple(_runs([k for _, k in typed], index))
        word = _Word(surname_keys=(key, *runs), forename_keys=(*sorted(forename_keys), *runs), alias_keys=(key, *runs))
        words.append((key, word))
        conditions.append(word.condition())
    if not conditions:
        return None
    # A merged record is found only as the person it was merged into (its name is their alias).
    conditions.append(Person.merged_into_id.is_(None))
    return ParsedSearch(tuple(conditions), tuple(words), exact)


SEARCH_ORDER = (Person.surname_norm, Person.forenames_norm, Person.date_of_birth, Person.id)


def _first_ids(parsed: ParsedSearch, limit: int) -> Select[int]:
    """The ids of the first ``limit`` people found, in the order they are shown.

    With a date of birth or a reference there are a handful: one query. With only names there
    may be tens of thousands ("smith" at a million people), so each of one word's
    alternatives is read in its own index, in display order where the index allows (a
    surname), only as far as its first ``limit`` people who meet every condition; the first
    ``limit`` of all of those are the answer. A surname part stops early instead of sorting
    every match."""
    if parsed.exact or not parsed.words:
        return select(Person.id).where(*parsed.conditions)
    parts = []
    for branch, index in parsed.branches():
        part = select(Person.id).where(branch, *parsed.conditions).order_by(*SEARCH_ORDER).limit(limit)
        if index is not None:
            # SQLite cannot see the range's bounds when it plans (they are parameters), and left
            # alone may read a whole index in display order instead; PostgreSQL ignores this.
            part = part.with_hint(Person.__table__, f"INDEXED BY {index}", "sqlite")
        parts.append(part.subquery())
    return union_all(*(select(part.c.id) for part in parts))  # type: ignore[return-value]  # a UNION of id selects: read as one


class PeopleService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[PersonRecord]:
        """Surname or part of it, forenames, date of birth, or a person/referral reference.
        A support worker finds only people with a referral sent to their provider."""
        principal = self.ctx.require(Permission.SEARCH_PEOPLE)
        parsed = parse_search(text)
        if parsed is None:
            return []
        with self.ctx.reading() as session:
            found = select(Person).where(Person.id.in_(_first_ids(parsed, limit)))
            if principal.provider_scoped:
                found = found.where(Person.id.in_(select(Referral.person_id).where(referral_condition(principal))))
            people = session.scalars(found.order_by(*SEARCH_ORDER).limit(limit)).all()
            return [redact_person(r, principal) for r in records(session, people)]

    def get(self, person_id: int) -> PersonRecord:
        """A person's record; opening it is audited."""
        principal = self.ctx.require(Permission.VIEW_PERSON)
        with self.ctx.unit_of_work() as session:
            person = session.get(Person, person_id)
            if person is None or (
                principal.provider_scoped
                and session.scalar(
                    select(Referral.id).where(Referral.person_id == person_id, referral_condition(principal)).limit(1)
                )
                is None
            ):
                raise NotFound(f"There is no person with id {person_id} that you may see.")
            record = redact_person(records(session, [person])[0], principal)
            log(
                session,
                self.ctx,
                "person_opened",
                entity="person",
                record_id=person.id,
                reference=person.reference,
                person_id=person.id,
            )
            return record

    def possible_matches(
        self, surname: str, forenames: str, date_of_birth: date | None, limit: int = 10
    ) -> list[PossibleMatch]:
        """People who may be the one being entered: same date of birth and a similar name,
        or exactly the same name with another date of birth (a typing slip)."""
        principal = self.ctx.require(Permission.TAKE_REFERRAL)
        if not surname.strip():
            return []
        surname_key, forename_key = normalise(surname), normalise(forenames)
        with self.ctx.reading() as session:
            clauses = [and_(Person.surname_norm == surname_key, Person.forenames_norm == forename_key)]
            if date_of_birth is not None:
                clauses.append(Person.date_of_birth == date_of_birth)
            # Merged and anonymised records are never offered: new history goes on the kept record,
            # and an anonymised record can no longer be recognised as anyone.
            candidates = session.scalars(
                select(Person)
                .where(or_(*clauses), Person.merged_into_id.is_(None), Person.anonymised_at.is_(None))
                .limit(500)
            ).all()
            scored = [
                (match_score(surname, forenames, date_of_birth, p.surname, p.forenames, p.date_of_birth), p)
                for p in candidates
            ]
            scored = [(s, p) for s, p in scored if s > 0]
            scored.sort(key=lambda sp: (-sp[0], sp[1].surname_norm, sp[1].forenames_norm))
            chosen = scored[:limit]
            found = [redact_person(r, principal) for r in records(session, [p for _, p in chosen])]
            return [PossibleMatch(person=r, score=s) for r, (s, _) in zip(found, chosen, strict=True)]


def write_name_keys(session: Session, person_id: int, surname: str) -> None:
    """Store the keys that find a person by the later parts of ``surname`` (replacing any
    earlier ones): call it wherever a surname is written."""
    session.execute(delete(PersonNameKey).where(PersonNameKey.person_id == person_id))
    keys = surname_part_keys(surname)
    if keys:
        session.execute(insert(PersonNameKey), [{"person_id": person_id, "key": key} for key in keys])


def prior_history(session: Session, person_id: int, excluding_referral: int | None = None) -> PriorHistory:
    """What earlier referrals mean for a new one (any scheme: a barred person stays barred)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    query = (
        select(func.count())
        .select_from(Referral)
        .where(Referral.person_id == person_id, Referral.outcome == Outcome.COMPLETED.value)
    )
    if excluding_referral is not None:
        query = query.where(Referral.id != excluding_referral)
    completed = session.scalar(query) or 0
    # One diversion at a time, in any area: the earliest still open (awaiting its outcome).
    open_query = (
        select(Referral.reference)
        .where(Referral.person_id == person_id, Referral.status.in_([s.value for s in Status if s.is_open]))
        .order_by(Referral.referral_date, Referral.id)
    )
    if excluding_referral is not None:
        open_query = open_query.where(Referral.id != excluding_referral)
    open_diversion = session.scalars(open_query.limit(1)).first() or ""
    return PriorHistory(barred=person.barred, completed_diversions=completed, open_diversion=open_diversion)


def records(session: Session, people: Sequence[Person]) -> list[PersonRecord]:
    """Person rows with their aliases and referral history, in two extra queries at most."""
    ids = [p.id for p in people]
    if not ids:
        return []
    history: dict[int, list[ReferralBrief]] = defaultdict(list)
    # Only the columns shown: loading whole referrals would also parse their reasons and settings.
    for r in session.execute(
        select(
            Referral.person_id,
            Referral.id,
            Referral.reference,
            Referral.area,
            Referral.scheme_kind,
            Referral.referral_date,
            Referral.decision,
            Referral.status,
            Referral.outcome,
            Referral.next_step,
            Referral.provider,
        )
        .where(Referral.person_id.in_(ids))
        .order_by(Referral.referral_date, Referral.id)
    ):
        history[r.person_id].append(
            ReferralBrief(
                id=r.id,
                reference=r.reference,
                area=r.area,
                scheme_kind=r.scheme_kind,
                referral_date=r.referral_date,
                decision=r.decision,
                status=r.status,
                outcome=r.outcome,
                next_step=r.next_step,
                provider=r.provider,
            )
        )
    aliases: dict[int, list[str]] = defaultdict(list)
    for a in session.scalars(select(PersonAlias).where(PersonAlias.person_id.in_(ids))):
        aliases[a.person_id].append(f"{a.forenames} {a.surname}".strip())
    return [to_record(p, aliases.get(p.id, ()), history.get(p.id, ())) for p in people]


def to_record(p: Person, aliases: Iterable[str] = (), history: Iterable[ReferralBrief] = ()) -> PersonRecord:
    return PersonRecord(
        id=p.id,
        reference=p.reference,
        surname=p.surname,
        forenames=p.forenames,
        date_of_birth=p.date_of_birth,
        **{name: getattr(p, name) for name in PERSON_DETAILS},
        barred=p.barred,
        aliases=tuple(aliases),
        referrals=tuple(history),
        version=p.version,
    )
