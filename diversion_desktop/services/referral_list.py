"""The referral list: every referral, filtered and sorted in the database, one page at a time.

A force's history is a million referrals, so the list never loads them: the view asks
for the number of referrals that match and for pages of rows at any offset.

Each sortable column has an index that also holds the filters (status, area) after the
sort key (``store/models.py``, revision 0003), and a page is found in two steps: the ids
of the page, read from that index alone however deep the offset, then those referrals
with their people. A page in the second half of the list is read from the other end, so
the last page (Ctrl+End) costs what the first does. With a text filter the database
starts from the few referrals or people that match instead.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, tuple_
from sqlalchemy.orm import Session

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import Decision
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Blank, Outcome, Status
from diversion_desktop.domain.schemes import SchemeKind
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.people import ParsedSearch, parse_search
from diversion_desktop.store.models import Person, Referral

PAGE_SIZE = 100

# Sortable columns: key -> (what the list is ordered by before the id, the index that reads it in that order).
# The order is the index's own (its columns, then the id), so reading a page needs no sorting.
SORTS: dict[str, tuple[tuple[Any, ...], str]] = {
    "referral_date": ((Referral.referral_date, Referral.status, Referral.area), "ix_referrals_list_date"),
    "due_date": ((Referral.due_date, Referral.status, Referral.area), "ix_referrals_list_due"),
    "status": ((Referral.status, Referral.area, Referral.referral_date), "ix_referrals_list_status"),
    "area": ((Referral.area, Referral.status, Referral.referral_date), "ix_referrals_list_area"),
    "reference": ((Referral.reference, Referral.status, Referral.area), "ix_referrals_list_reference"),
    "person": ((Person.surname_norm, Person.forenames_norm, Person.date_of_birth, Person.id), "ix_people_surname_key"),
}

# A referral reference or its beginning: "WB-2026-00012", "wb-2026", "WB-".
_REFERENCE_START = re.compile(r"^[A-Za-z]{1,4}-(\d{1,4}(-\d*)?)?$")


@dataclass(frozen=True)
class ReferralListFilters:
    """What the list shows: "" means any. ``text`` is a referral reference or its beginning,
    or anything the Find person box takes (a name, a date of birth, a person reference)."""

    status: Status | Blank = ""
    area: str = ""
    text: str = ""
    sort: str = "referral_date"
    descending: bool = True
    # Set by the service for a support worker (their provider's referrals only); not part of
    # what the user chose, so two lists that differ only by it are the same list.
    provider: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"cannot sort the referral list by '{self.sort}'")

    def as_dict(self) -> dict[str, Any]:
        """What the user chose (the service's scope is not part of it)."""
        values = asdict(self)
        del values["provider"]
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ReferralListFilters:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass(frozen=True)
class ReferralListRow:
    id: int
    reference: str
    person_id: int
    person_reference: str
    surname: str
    forenames: str
    date_of_birth: date
    barred: bool
    area: str
    scheme_kind: SchemeKind
    pathway: Pathway
    decision: Decision
    status: Status
    referral_date: date
    due_date: date | None
    outcome: Outcome | Blank
    next_step: NextStep | Blank

    @property
    def person_name(self) -> str:
        return f"{self.surname.upper()}, {self.forenames}"


@dataclass(frozen=True)
class ReferralListPage:
    filters: ReferralListFilters
    offset: int
    rows: tuple[ReferralListRow, ...]


@dataclass(frozen=True)
class ReferralListOpened:
    """The number of referrals that match, and the first page."""

    total: int
    page: ReferralListPage


_ROW_COLUMNS = (
    Referral.id,
    Referral.reference,
    Referral.person_id,
    Person.reference,
    Person.surname,
    Person.forenames,
    Person.date_of_birth,
    Person.barred,
    Referral.area,
    Referral.scheme_kind,
    Referral.pathway,
    Referral.decision,
    Referral.status,
    Referral.referral_date,
    Referral.due_date,
    Referral.outcome,
    Referral.next_step,
)


class ReferralListService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # -- what the filters can be -------------------------------------------------------------
    def areas(self) -> list[str]:
        return sorted(s.area for s in self.ctx.schemes)

    @staticmethod
    def statuses() -> list[Status]:
        return list(Status)

    # -- reading -----------------------------------------------------------------------------
    def _scoped(self, filters: ReferralListFilters) -> ReferralListFilters:
        principal = self.ctx.require(Permission.VIEW_REFERRALS)
        return replace(filters, provider=principal.organisation if principal.provider_scoped else "")

    def open(self, filters: ReferralListFilters, limit: int = PAGE_SIZE) -> ReferralListOpened:
        """The count and the first page (what the view needs to show anything)."""
        total = self.count(filters)
        return ReferralListOpened(total, self.page(filters, 0, limit, total))

    def count(self, filters: ReferralListFilters) -> int:
        filters = self._scoped(filters)
        text = _Text.of(filters.text)
        query = select(func.count()).select_from(Referral).where(*_conditions(filters, text))
        index = text.index()
        if index is not None:
            query = query.with_hint(Referral.__table__, f"INDEXED BY {index}", "sqlite")
        with self.ctx.reading() as session:
            return session.scalar(query) or 0

    def page(
        self, filters: ReferralListFilters, offset: int, limit: int = PAGE_SIZE, total: int | None = None
    ) -> ReferralListPage:
        """``limit`` rows from ``offset`` in the list's order. Knowing ``total`` (the count) lets a
        page in the second half be read from the end, and a short list be sorted at once."""
        filters = self._scoped(filters)
        if offset < 0 or limit < 1:
            raise ValueError("offset must be 0 or more and limit 1 or more")
        reverse = total is not None and offset > total // 2
        if reverse:
            assert total is not None
            end = min(offset + limit, total)
            if end <= offset:
                return ReferralListPage(filters, offset, ())
            skip, take = total - end, end - offset
        else:
            skip, take = offset, limit
        with self.ctx.reading() as session:
            if filters.sort == "person" and (total is None or total > SORT_AT_ONCE):
                ids = _in_name_order(session, filters, skip, take, descending=filters.descending != reverse)
            else:
                ids = list(session.scalars(_ids(filters, reverse, total).limit(take).offset(skip)))
            if reverse:
                ids.reverse()
            found = {
                row.id: _row(row)
                for row in session.execute(
                    select(*_ROW_COLUMNS).join(Person, Referral.person_id == Person.id).where(Referral.id.in_(ids))
                )
            }
        return ReferralListPage(filters, offset, tuple(found[i] for i in ids if i in found))

    @staticmethod
    def id_query(filters: ReferralListFilters) -> Select[int]:
        """A SELECT of the ids of every referral the filters match (in no order, no hints): what an
        export of the list takes (``ExportQuery(kind="referrals", id_query=...)``)."""
        return select(Referral.id).where(*_conditions(filters, _Text.of(filters.text)))

    def iterate(self, filters: ReferralListFilters, batch: int = 2000) -> Iterator[ReferralListRow]:
        """Every referral the filters match, in the list's order, a batch (one unit of work) at a
        time: for exporting what the list shows."""
        total = self.count(filters)
        for offset in range(0, total, batch):
            page = self.page(filters, offset, batch, total)
            yield from page.rows
            if len(page.rows) < batch:
                return


# Up to this many matching referrals are sorted at once (a few tens of milliseconds); a longer
# list is read in its sort's index, checking the filters on the way, and stops at the page.
SORT_AT_ONCE = 20_000


@dataclass(frozen=True)
class _Text:
    """The text filter: beginnings of referral references and the rest, as typed in Find person."""

    references: tuple[str, ...]
    person: ParsedSearch | None
    unsearchable: bool  # only punctuation was typed: nothing matches

    @classmethod
    def of(cls, text: str) -> _Text:
        references: list[str] = []
        rest: list[str] = []
        for token in text.split():
            (references if _REFERENCE_START.match(token) else rest).append(token)
        person = parse_search(" ".join(rest)) if rest else None
        return cls(tuple(r.upper() for r in references), person, bool(rest) and person is None)

    def index(self) -> str | None:
        """The index that finds the referrals this text matches (None: there is no text)."""
        if self.person is not None:
            return "ix_referrals_person_id"
        if self.references:
            return "ix_referrals_list_reference"
        return None


def _conditions(filters: ReferralListFilters, text: _Text) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Referral.status == filters.status)
    if filters.area:
        conditions.append(Referral.area == filters.area)
    if filters.provider:
        conditions.append(Referral.provider == filters.provider)
    for start in text.references:
        conditions.append(and_(Referral.reference >= start, Referral.reference < start[:-1] + chr(ord(start[-1]) + 1)))
    if text.person is not None:
        conditions.append(Referral.person_id.in_(select(Person.id).where(*text.person.conditions)))
    if text.unsearchable:
        conditions.append(Referral.id.is_(None))
    return conditions


def _ids(filters: ReferralListFilters, reverse: bool, total: int | None) -> Select[int]:
    """The ids of the referrals in the list's order (reversed: from the end).

    SQLite plans without knowing how many referrals a status, an area or a name has, and left
    alone may sort half a million of them for one page; so the query names its index (a hint
    other databases never see): a short list is found through its most selective filter and
    sorted; a long one is read in the sort's own index."""
    text = _Text.of(filters.text)
    keys, sort_index = SORTS[filters.sort]
    descending = filters.descending != reverse
    # No due date sorts before every date on every database: SQLite's rule, which its indexes
    # follow; PostgreSQL would put it after (and the same list would differ between the two).
    order = [k.desc().nulls_last() if descending else k.asc().nulls_first() for k in (*keys, Referral.id)]
    long_list = total is None or total > SORT_AT_ONCE
    if filters.sort == "person":  # a short list (a long one: _in_name_order)
        query = select(Referral.id).join(Person, Referral.person_id == Person.id)
        if text.index() is not None:
            query = query.with_hint(Referral.__table__, f"INDEXED BY {text.index()}", "sqlite")
    else:
        index = text.index()
        if index is None or (long_list and text.person is not None):
            # A reference's beginning is found in its own index whatever the length: references
            # follow dates, so reading another sort's index would pass over whole years first.
            index = sort_index
        query = select(Referral.id).with_hint(Referral.__table__, f"INDEXED BY {index}", "sqlite")
    return query.where(*_conditions(filters, text)).order_by(*order)


def _in_name_order(session: Session, filters: ReferralListFilters, skip: int, take: int, descending: bool) -> list[int]:
    """Referral ids in the order of their people's names, from ``skip``, for a long list.

    One query joining people (read in name order) to their referrals makes SQLite first
    read every referral the filters allow (to build a Bloom filter for the join): the whole
    table at a million referrals. So people are read in name order a batch at a time (a
    range of their index, from where the last batch ended) and their referrals that pass
    the filters found by person; the list is put together here, and stops at the page."""
    text = _Text.of(filters.text)
    keys = (Person.surname_norm, Person.forenames_norm, Person.date_of_birth, Person.id)
    order = [k.desc() if descending else k.asc() for k in keys]
    referral_filters = _conditions(
        replace(filters, text=" ".join(text.references)), _Text(text.references, None, text.unsearchable)
    )
    people_filters = list(text.person.conditions) if text.person is not None else []
    found: list[int] = []
    after: tuple | None = None
    batch = 1000
    while len(found) < take:
        query = (
            select(*keys)
            .where(*people_filters)
            .order_by(*order)
            .limit(batch)
            .with_hint(Person.__table__, "INDEXED BY ix_people_surname_key", "sqlite")
        )
        if after is not None:
            query = query.where(tuple_(*keys) < after if descending else tuple_(*keys) > after)
        people = session.execute(query).all()
        if not people:
            break
        theirs: dict[int, list[int]] = defaultdict(list)
        for person_id, referral_id in session.execute(
            select(Referral.person_id, Referral.id)
            .where(Referral.person_id.in_([p[3] for p in people]), *referral_filters)
            .with_hint(Referral.__table__, "INDEXED BY ix_referrals_person_id", "sqlite")
        ):
            theirs[person_id].append(referral_id)
        for person in people:
            for referral_id in sorted(theirs.get(person[3], ()), reverse=descending):
                if skip:
                    skip -= 1
                elif len(found) < take:
                    found.append(referral_id)
        after = tuple(people[-1])
        batch = min(batch * 2, 20_000)  # sparse filters: fewer, larger batches
    return found


def _row(row: Any) -> ReferralListRow:  # noqa: ANN401 - a result row
    return ReferralListRow(
        id=row[0],
        reference=row[1],
        person_id=row[2],
        person_reference=row[3],
        surname=row[4],
        forenames=row[5],
        date_of_birth=row[6],
        barred=bool(row[7]),
        area=row[8],
        scheme_kind=row[9],
        pathway=row[10],
        decision=row[11],
        status=row[12],
        referral_date=row[13],
        due_date=row[14],
        outcome=row[15],
        next_step=row[16],
    )
