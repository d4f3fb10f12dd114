"""Finding people: the search box, possible duplicates, and their diversion history."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from diversion_desktop.domain.eligibility import PriorHistory
from diversion_desktop.domain.names import forename_variants, match_score, normalise
from diversion_desktop.domain.programme import Outcome
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import PersonRecord, PossibleMatch, ReferralBrief
from diversion_desktop.services.errors import NotFound
from diversion_desktop.store.models import Person, PersonAlias, Referral

SEARCH_LIMIT = 50

_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y")
_PERSON_REF = re.compile(r"^P-?\d{1,9}$", re.IGNORECASE)
_REFERRAL_REF = re.compile(r"^[A-Z]{1,4}-\d{4}-\d{1,9}$", re.IGNORECASE)


def parse_date(text: str) -> date | None:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _prefix(column: ColumnElement[str], key: str) -> ColumnElement[bool]:
    """Prefix match as a range, so an ordinary index is searched, not scanned."""
    upper = key[:-1] + chr(ord(key[-1]) + 1)
    return and_(column >= key, column < upper)


_MAX_RUN = 4  # words in one name typed with spaces ("Van der Berg", "Ó Súilleabháin")


def _runs(keys: list[str], index: int) -> list[str]:
    """Each run of two or more neighbouring words that includes ``keys[index]``, joined."""
    return ["".join(keys[start:end])
            for start in range(max(0, index - _MAX_RUN + 1), index + 1)
            for end in range(max(index + 1, start + 2), min(len(keys), start + _MAX_RUN) + 1)]


class PeopleService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def search(self, text: str, limit: int = SEARCH_LIMIT) -> list[PersonRecord]:
        """Surname or part of it, forenames, date of birth, or a person/referral reference."""
        tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
        if not tokens:
            return []
        conditions: list[ColumnElement[bool]] = []
        words: list[tuple[str, str]] = []  # name words: (as typed, normalised)
        for token in tokens:
            if _PERSON_REF.match(token):
                digits = re.sub(r"\D", "", token)
                conditions.append(Person.reference == f"P{int(digits):06d}")
                continue
            if _REFERRAL_REF.match(token):
                conditions.append(Person.id.in_(
                    select(Referral.person_id).where(Referral.reference == token.upper())))
                continue
            dob = parse_date(token)
            if dob is not None:
                conditions.append(Person.date_of_birth == dob)
                continue
            key = normalise(token)
            if key:
                words.append((token, key))
        for index, (token, key) in enumerate(words):
            forename_keys = forename_variants(token) if len(key) > 1 else {key}
            # Names are stored as one key ("Van der Berg" -> "vanderberg", "Jean-Luc" -> "jeanluc"),
            # so a word also matches as part of a run of neighbouring words typed with spaces.
            runs = _runs([k for _, k in words], index)
            conditions.append(or_(
                *(_prefix(Person.surname_norm, k) for k in (key, *runs)),
                *(_prefix(Person.forenames_norm, k) for k in (*sorted(forename_keys), *runs)),
                Person.id.in_(select(PersonAlias.person_id).where(or_(
                    *(_prefix(PersonAlias.surname_norm, k) for k in (key, *runs)),
                    *(_prefix(PersonAlias.forenames_norm, k) for k in (key, *runs))))),
            ))
        if not conditions:
            return []
        with self.ctx.reading() as session:
            people = session.scalars(
                select(Person).where(*conditions)
                .order_by(Person.surname_norm, Person.forenames_norm, Person.date_of_birth)
                .limit(limit)).all()
            return records(session, people)

    def get(self, person_id: int) -> PersonRecord:
        with self.ctx.reading() as session:
            person = session.get(Person, person_id)
            if person is None:
                raise NotFound(f"No person with id {person_id}.")
            return records(session, [person])[0]

    def possible_matches(self, surname: str, forenames: str, date_of_birth: date | None,
                         limit: int = 10) -> list[PossibleMatch]:
        """People who may be the one being entered: same date of birth and a similar name,
        or exactly the same name with another date of birth (a typing slip)."""
        if not surname.strip():
            return []
        surname_key, forename_key = normalise(surname), normalise(forenames)
        with self.ctx.reading() as session:
            clauses = [and_(Person.surname_norm == surname_key, Person.forenames_norm == forename_key)]
            if date_of_birth is not None:
                clauses.append(Person.date_of_birth == date_of_birth)
            candidates = session.scalars(select(Person).where(or_(*clauses)).limit(500)).all()
            scored = [(match_score(surname, forenames, date_of_birth, p.surname, p.forenames, p.date_of_birth), p)
                      for p in candidates]
            scored = [(s, p) for s, p in scored if s > 0]
            scored.sort(key=lambda sp: (-sp[0], sp[1].surname_norm, sp[1].forenames_norm))
            chosen = scored[:limit]
            found = records(session, [p for _, p in chosen])
            return [PossibleMatch(person=r, score=s) for r, (s, _) in zip(found, chosen, strict=True)]


def prior_history(session: Session, person_id: int, excluding_referral: int | None = None) -> PriorHistory:
    """What earlier referrals mean for a new one (any scheme: a barred person stays barred)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.")
    query = select(func.count()).select_from(Referral).where(
        Referral.person_id == person_id, Referral.outcome == Outcome.COMPLETED.value)
    if excluding_referral is not None:
        query = query.where(Referral.id != excluding_referral)
    completed = session.scalar(query) or 0
    return PriorHistory(barred=person.barred, completed_diversions=completed)


def records(session: Session, people: Sequence[Person]) -> list[PersonRecord]:
    """Person rows with their aliases and referral history, in two extra queries at most."""
    ids = [p.id for p in people]
    if not ids:
        return []
    history: dict[int, list[ReferralBrief]] = defaultdict(list)
    for r in session.scalars(select(Referral).where(Referral.person_id.in_(ids))
                             .order_by(Referral.referral_date, Referral.id)):
        history[r.person_id].append(ReferralBrief(
            id=r.id, reference=r.reference, area=r.area, scheme_kind=r.scheme_kind,
            referral_date=r.referral_date, decision=r.decision, status=r.status,
            outcome=r.outcome, next_step=r.next_step))
    aliases: dict[int, list[str]] = defaultdict(list)
    for a in session.scalars(select(PersonAlias).where(PersonAlias.person_id.in_(ids))):
        aliases[a.person_id].append(f"{a.forenames} {a.surname}".strip())
    return [to_record(p, aliases.get(p.id, ()), history.get(p.id, ())) for p in people]


def to_record(p: Person, aliases: Iterable[str] = (), history: Iterable[ReferralBrief] = ()) -> PersonRecord:
    return PersonRecord(
        id=p.id, reference=p.reference, surname=p.surname, forenames=p.forenames,
        date_of_birth=p.date_of_birth, sex=p.sex, ethnicity_self=p.ethnicity_self,
        ethnicity_observed=p.ethnicity_observed, address=p.address, postcode=p.postcode,
        phone=p.phone, email=p.email, language=p.language, needs=p.needs,
        guardian_name=p.guardian_name, guardian_relationship=p.guardian_relationship,
        guardian_phone=p.guardian_phone, pnc_reference=p.pnc_reference, barred=p.barred,
        aliases=tuple(aliases), referrals=tuple(history))
