"""The referral list's paging, filtering and sorting give the same rows as a plain query.

A small bulk-generated database (every status, both areas, repeat people); the expected list
is computed from all the rows read with plain SQL, filtered and sorted in Python.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from sqlalchemy.dialects import postgresql

from diversion_desktop.domain.names import forename_variants
from diversion_desktop.domain.programme import Status
from diversion_desktop.sample_data.bulk import fill_bulk
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.referral_list import (
    SORT_AT_ONCE,
    ReferralListFilters,
    ReferralListService,
    _ids,
)
from diversion_desktop.store.models import OPEN_STATUSES, OPEN_STATUSES_SQL
from tests.conftest import FakeClock

NOW = datetime(2026, 3, 2, 10, 0)


@pytest.fixture(scope="module")
def listed(open_copy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReferralListService, list[dict]]]:
    folder = tmp_path_factory.mktemp("list")
    ctx = open_copy(folder, clock=FakeClock(NOW))
    fill_bulk(ctx, people=500, referrals=700, seed=3, workers=0)
    connection = sqlite3.connect(folder / "diversion.sqlite3")
    connection.row_factory = sqlite3.Row
    everything = [
        dict(r)
        for r in connection.execute(
            "SELECT r.id, r.reference, r.status, r.area, r.referral_date, r.due_date, r.person_id, p.surname_norm, "
            "p.surname, p.forenames_norm, p.date_of_birth, p.reference AS person_reference FROM referrals r "
            "JOIN people p ON p.id = r.person_id"
        )
    ]
    connection.close()
    yield ReferralListService(ctx), everything
    ctx.engine.dispose()


def name_matches(row: dict, prefix: str, variants: list[str]) -> bool:
    """As Find person and the list search: the surname (or a later part of it) or a forename."""
    from diversion_desktop.domain.names import surname_part_keys

    return any(key.startswith(prefix) for key in (row["surname_norm"], *surname_part_keys(row["surname"]))) or any(
        row["forenames_norm"].startswith(v) for v in variants
    )


def _nulls_first(value: object) -> tuple[bool, object]:
    return (value is not None, value)  # SQLite puts NULL first in ascending order


SORT_KEYS: dict[str, Callable[[dict], tuple]] = {
    "referral_date": lambda r: (r["referral_date"], r["status"], r["area"], r["id"]),
    "due_date": lambda r: (_nulls_first(r["due_date"]), r["status"], r["area"], r["id"]),
    "status": lambda r: (r["status"], r["area"], r["referral_date"], r["id"]),
    "area": lambda r: (r["area"], r["status"], r["referral_date"], r["id"]),
    "reference": lambda r: (r["reference"], r["status"], r["area"], r["id"]),
    "person": lambda r: (r["surname_norm"], r["forenames_norm"], r["date_of_birth"], r["person_id"], r["id"]),
}


def expected(
    everything: list[dict], filters: ReferralListFilters, matches: Callable[[dict], bool] = lambda _r: True
) -> list[int]:
    chosen = [
        r
        for r in everything
        if (not filters.status or r["status"] == filters.status)
        and (not filters.area or r["area"] == filters.area)
        and matches(r)
    ]
    chosen.sort(key=SORT_KEYS[filters.sort], reverse=filters.descending)
    return [r["id"] for r in chosen]


def listed_ids(
    service: ReferralListService, filters: ReferralListFilters, page: int, with_total: bool = True
) -> list[int]:
    total = service.count(filters)
    found: list[int] = []
    for offset in range(0, total, page):
        rows = service.page(filters, offset, page, total if with_total else None).rows
        assert len(rows) <= page
        found.extend(r.id for r in rows)
    return found


@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_pages_through_the_same_rows_as_a_plain_query(listed, sort: str, descending: bool) -> None:
    service, everything = listed
    filters = ReferralListFilters(sort=sort, descending=descending)
    want = expected(everything, filters)
    assert service.count(filters) == len(everything) == len(want)
    assert listed_ids(service, filters, page=64) == want
    assert listed_ids(service, filters, page=100, with_total=False) == want  # forwards all the way


@pytest.mark.parametrize(
    ("status", "area"),
    [
        ("completed", ""),
        ("", "Windsor and Maidenhead"),
        ("closed", "West Berkshire"),
        ("awaiting_appointment", ""),
        ("booked", "West Berkshire"),
        ("declined", ""),
        ("no_such_status", ""),
    ],
)
@pytest.mark.parametrize("sort", ["referral_date", "person", "reference", "due_date"])
def test_filters_by_status_and_area(listed, status: str, area: str, sort: str) -> None:
    service, everything = listed
    filters = ReferralListFilters(status=status, area=area, sort=sort, descending=sort != "reference")
    want = expected(everything, filters)
    assert service.count(filters) == len(want)
    assert listed_ids(service, filters, page=37) == want


def test_text_filter_by_a_reference_or_its_start(listed) -> None:
    service, everything = listed
    some = sorted(everything, key=lambda r: r["reference"])[5]
    one = ReferralListFilters(text=some["reference"].lower())
    assert [r.id for r in service.open(one).page.rows] == [some["id"]]
    start = some["reference"][:7]  # "WB-2025"
    filters = ReferralListFilters(text=start, status="completed", sort="referral_date")
    want = expected(everything, filters, lambda r: r["reference"].startswith(start))
    assert 0 < len(want) and service.count(filters) == len(want)
    assert listed_ids(service, filters, page=25) == want


def test_text_filter_by_a_person(listed) -> None:
    service, everything = listed
    repeat = max(everything, key=lambda r: sum(1 for x in everything if x["person_id"] == r["person_id"]))
    filters = ReferralListFilters(text=repeat["person_reference"], sort="referral_date", descending=False)
    want = expected(everything, filters, lambda r: r["person_id"] == repeat["person_id"])
    assert len(want) >= 2 and listed_ids(service, filters, page=1) == want
    prefix = repeat["surname_norm"][:3]
    variants = forename_variants(prefix)  # as in Find person, a word may be a nickname
    filters = ReferralListFilters(text=prefix, sort="person")
    want = expected(
        everything,
        filters,
        lambda r: r["surname_norm"].startswith(prefix) or any(r["forenames_norm"].startswith(v) for v in variants),
    )
    assert listed_ids(service, filters, page=50) == want
    nothing = ReferralListFilters(text="'")
    assert service.count(nothing) == 0 and service.open(nothing).page.rows == ()


def test_a_short_and_a_long_list_are_found_the_same_way(listed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Below SORT_AT_ONCE the matches are sorted at once; above, read in the sort's index."""
    service, everything = listed
    prefix = Counter(r["surname_norm"][0] for r in everything).most_common(1)[0][0]
    variants = forename_variants(prefix)
    cases = [
        (ReferralListFilters(status="completed", sort="person", descending=False), lambda _r: True),
        (ReferralListFilters(area="West Berkshire", sort="person"), lambda _r: True),
        (ReferralListFilters(text=prefix, sort="person"), lambda r: name_matches(r, prefix, variants)),
        (
            ReferralListFilters(text=prefix, sort="due_date", status="closed"),
            lambda r: name_matches(r, prefix, variants),
        ),
    ]
    for filters, matches in cases:
        want = expected(everything, filters, matches)
        assert 10 < len(want) < SORT_AT_ONCE
        assert listed_ids(service, filters, page=40) == want
    monkeypatch.setattr("diversion_desktop.services.referral_list.SORT_AT_ONCE", 10)
    for filters, matches in cases:
        assert listed_ids(service, filters, page=40) == expected(everything, filters, matches)


def test_pages_at_the_edges(listed) -> None:
    service, everything = listed
    filters = ReferralListFilters()
    total = service.count(filters)
    want = expected(everything, filters)
    last = service.page(filters, total - 1, 100, total)
    assert [r.id for r in last.rows] == want[-1:]
    assert service.page(filters, total, 100, total).rows == ()
    assert service.page(filters, total + 50, 100).rows == ()
    assert [r.id for r in service.page(filters, total - 130, 100, total).rows] == want[-130:-30]
    with pytest.raises(ValueError):
        service.page(filters, -1)


def test_rows_carry_what_the_list_shows(listed) -> None:
    service, everything = listed
    row = service.open(ReferralListFilters(status="closed")).page.rows[0]
    assert row.status == "closed" and row.next_step and row.outcome == "not_attended"
    assert row.person_name == f"{row.surname.upper()}, {row.forenames}"
    assert row.barred  # a non-attendance bars
    assert row.reference in {r["reference"] for r in everything}


def test_iterate_gives_every_row_in_order(listed) -> None:
    service, everything = listed
    filters = ReferralListFilters(area="West Berkshire", sort="due_date")
    assert [r.id for r in service.iterate(filters, batch=60)] == expected(everything, filters)


def test_filters_as_plain_values() -> None:
    filters = ReferralListFilters(status="booked", area="West Berkshire", text="smith", sort="person")
    values = filters.as_dict()
    assert values == {
        "status": "booked",
        "area": "West Berkshire",
        "text": "smith",
        "sort": "person",
        "descending": True,
    }
    assert ReferralListFilters.from_dict({**values, "unknown": 1}) == filters
    with pytest.raises(ValueError):
        ReferralListFilters(sort="outcome")


@pytest.mark.parametrize(
    "filters",
    [
        ReferralListFilters(),
        ReferralListFilters(sort="person", status="closed"),
        ReferralListFilters(text="smith 01/02/1990", sort="due_date"),
        ReferralListFilters(text="WB-2025"),
    ],
)
def test_the_queries_are_plain_sql_elsewhere(filters: ReferralListFilters) -> None:
    """The index hints are SQLite's alone: PostgreSQL gets standard SQL."""
    for total in (None, 10):
        sql = str(_ids(filters, False, total).compile(dialect=postgresql.dialect()))
        assert "INDEXED BY" not in sql and "FROM" in sql


def test_sqlite_is_told_which_index(ctx: AppContext) -> None:
    sql = str(_ids(ReferralListFilters(status="closed"), False, None).compile(ctx.engine))
    assert "FROM referrals INDEXED BY ix_referrals_list_date" in sql


def test_areas_and_statuses(ctx: AppContext) -> None:
    service = ReferralListService(ctx)
    assert service.areas() == ["West Berkshire", "Windsor and Maidenhead"]
    assert "awaiting_confirmation" in service.statuses()


def test_open_statuses_are_the_domains() -> None:
    """The partial index of open referrals names the statuses the domain calls open."""
    assert set(OPEN_STATUSES) == {s.value for s in Status if s.is_open}
    assert all(f"'{s}'" in OPEN_STATUSES_SQL for s in OPEN_STATUSES)
