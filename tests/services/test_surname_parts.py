"""Every part of a double or hyphenated surname finds the person (issue 13 §3.11), whichever way
they came in (the form, an import), until they are anonymised; and the search reads an index."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select, text

from diversion_desktop.services.importer import ImportService
from diversion_desktop.services.people import _first_ids, parse_search
from diversion_desktop.services.retention import RetentionService
from diversion_desktop.store.models import PersonNameKey
from tests.import_files import referral, write_import

LONG = "Wolfeschlegel-Ó'Brien-Śmith"


def found(people, text_: str) -> list[str]:
    return [f"{r.forenames} {r.surname}" for r in people.search(text_)]


@pytest.fixture
def saved(intake, make_draft):
    return {
        "long": intake.save(make_draft(surname=LONG, forenames="Hubert", date_of_birth=date(1980, 1, 1))),
        "double": intake.save(make_draft(surname="Smith-Jones", forenames="Mary", date_of_birth=date(1988, 8, 8))),
        "plain": intake.save(make_draft(surname="Jones", forenames="Tom", date_of_birth=date(1970, 2, 2))),
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("obrien", [f"Hubert {LONG}"]),
        ("O'Brien", [f"Hubert {LONG}"]),
        ("smith", ["Mary Smith-Jones", f"Hubert {LONG}"]),
        ("Śmith", ["Mary Smith-Jones", f"Hubert {LONG}"]),
        ("O'Brien-Smith", [f"Hubert {LONG}"]),
        ("wolfe", [f"Hubert {LONG}"]),
        ("Hubert smith", [f"Hubert {LONG}"]),
        ("jones", ["Tom Jones", "Mary Smith-Jones"]),
        ("Mary Jones", ["Mary Smith-Jones"]),
        ("brien", []),  # a part starts at a hyphen or a space
        ("jonesy", []),
    ],
)
def test_every_part_of_a_surname_finds_the_person(people, saved, typed: str, expected: list[str]) -> None:
    assert found(people, typed) == expected


def test_a_changed_surname_changes_its_keys(people, intake, make_draft, saved) -> None:
    again = make_draft(surname="Smith-Brown", forenames="Mary", date_of_birth=date(1988, 8, 8))
    intake.save(replace(again, person_id=saved["double"].person_id))
    assert found(people, "brown") == ["Mary Smith-Brown"]
    assert found(people, "jones") == ["Tom Jones"]


def test_imported_people_are_found_by_every_part(people, ctx, tmp_path) -> None:
    report = ImportService(ctx).run(write_import(tmp_path, "csv", [referral(surname="Ahmed-Khan", forenames="Sara")]))
    assert report.ok and report.written, report.lines()
    assert found(people, "khan") == ["Sara Ahmed-Khan"]


def test_anonymised_people_leave_no_keys(people, ctx, clock, intake, make_draft) -> None:
    from datetime import datetime

    intake.save(make_draft(surname="Smith-Jones", forenames="Amy", consent=False))  # declined: closed at once
    clock.set(datetime(2033, 6, 1, 9, 0))
    assert RetentionService(ctx).run().people_anonymised == 1
    assert found(people, "jones") == []
    with ctx.reading() as session:
        assert session.scalars(select(PersonNameKey)).all() == []


def test_a_surname_part_is_read_from_its_index(ctx, saved) -> None:
    """The search's surname-part branch is a range of ix_person_name_keys_key, never a scan."""
    parsed = parse_search("smith")
    assert parsed is not None
    with ctx.engine.connect() as connection:
        sql = _first_ids(parsed, 50).compile(connection, compile_kwargs={"literal_binds": True})
        plan = [row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
    assert any("ix_person_name_keys_key (key>? AND key<?)" in step for step in plan), plan
    assert not any(step.startswith("SCAN") and "person_name_keys" in step for step in plan), plan
