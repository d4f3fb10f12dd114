"""Finding a person: the search box and the possible matches shown at intake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from diversion_desktop.services.dto import SavedReferral
from diversion_desktop.services.errors import NotFound
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService, parse_date
from diversion_desktop.store.models import PersonAlias

PEOPLE = [  # surname, forenames, date of birth
    ("Smith", "John", date(1990, 5, 17)),
    ("Smith", "Robert", date(1985, 1, 2)),
    ("Smithson", "Alice", date(1999, 12, 31)),
    ("O'Brien", "Seán", date(2001, 7, 4)),
    ("Łukasiewicz", "Zoë", date(1995, 2, 28)),
    ("Nowak", "Łukasz", date(1992, 11, 30)),
    ("Smith-Jones", "Mary-Jane", date(1988, 8, 8)),
    ("Patel", "William", date(1975, 3, 15)),
    ("Khan", "Mohammed", date(2003, 6, 1)),
    ("Van der Berg", "Jean-Luc", date(1980, 4, 4)),
    ("Ó Súilleabháin", "Siobhán", date(1993, 9, 9)),
]


def _save_everyone(intake: IntakeService, make_draft) -> dict[str, SavedReferral]:
    return {
        f"{forenames} {surname}": intake.save(make_draft(surname=surname, forenames=forenames, date_of_birth=dob))
        for surname, forenames, dob in PEOPLE
    }


@pytest.fixture(scope="module")
def searchable(
    open_copy, tmp_path_factory: pytest.TempPathFactory, make_draft
) -> Iterator[tuple[PeopleService, dict[str, SavedReferral]]]:
    """One database with everyone in PEOPLE, shared by the read-only search tests of this module."""
    context = open_copy(tmp_path_factory.mktemp("search"))
    saved = _save_everyone(IntakeService(context), make_draft)
    yield PeopleService(context), saved
    context.engine.dispose()


@pytest.fixture
def saved_people(intake, make_draft) -> dict[str, SavedReferral]:
    """Everyone in PEOPLE saved in this test's own database; keyed by "Forenames Surname"."""
    return _save_everyone(intake, make_draft)


def names(records) -> list[str]:
    return [f"{r.forenames} {r.surname}" for r in records]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # surname and prefixes
        ("smith", ["John Smith", "Robert Smith", "Mary-Jane Smith-Jones", "Alice Smithson"]),
        ("SMI", ["John Smith", "Robert Smith", "Mary-Jane Smith-Jones", "Alice Smithson"]),
        ("smithj", ["Mary-Jane Smith-Jones"]),
        ("Smith-Jones", ["Mary-Jane Smith-Jones"]),
        ("Pat", ["William Patel"]),
        # forenames, with the surname
        ("Robert", ["Robert Smith"]),
        ("smith john", ["John Smith"]),
        ("John Smith", ["John Smith"]),
        ("Smith, Robert", ["Robert Smith"]),
        ("mary", ["Mary-Jane Smith-Jones"]),
        # nicknames find the full forename
        ("Bob Smith", ["Robert Smith"]),
        ("bill", ["William Patel"]),
        ("Mo Khan", ["Mohammed Khan"]),
        ("muhammad", ["Mohammed Khan"]),
        # accents and apostrophes, typed or not
        ("O'Brien", ["Seán O'Brien"]),
        ("obrien", ["Seán O'Brien"]),
        ("O’Brien", ["Seán O'Brien"]),
        ("Sean", ["Seán O'Brien"]),
        ("seán o'brien", ["Seán O'Brien"]),
        ("Zoe", ["Zoë Łukasiewicz"]),
        ("lukasiewicz", ["Zoë Łukasiewicz"]),
        ("Łukasz", ["Łukasz Nowak"]),
        ("LUKASZ NOWAK", ["Łukasz Nowak"]),
        # dates of birth in the forms people type
        ("17/05/1990", ["John Smith"]),
        ("17-05-1990", ["John Smith"]),
        ("17.05.1990", ["John Smith"]),
        ("1990-05-17", ["John Smith"]),
        ("smith 02/01/1985", ["Robert Smith"]),
        ("31/12/1999", ["Alice Smithson"]),
        # nothing
        # names written as several words, stored as one key
        ("Van der Berg", ["Jean-Luc Van der Berg"]),
        ("vanderberg", ["Jean-Luc Van der Berg"]),
        ("Van der", ["Jean-Luc Van der Berg"]),
        ("Jean Luc", ["Jean-Luc Van der Berg"]),
        ("Jean-Luc Van der Berg", ["Jean-Luc Van der Berg"]),
        ("van der berg jean", ["Jean-Luc Van der Berg"]),
        ("Smith Jones", ["Mary-Jane Smith-Jones"]),
        ("Mary Jane Smith-Jones", ["Mary-Jane Smith-Jones"]),
        ("O Brien", ["Seán O'Brien"]),
        ("O Suilleabhain", ["Siobhán Ó Súilleabháin"]),
        ("Siobhan Ó Súilleabháin", ["Siobhán Ó Súilleabháin"]),
        ("Van Berg", ["Jean-Luc Van der Berg"]),  # each part of a surname is searchable (issue 13 §3.11)
        ("Jones", ["Mary-Jane Smith-Jones"]),  # a later part of a double surname
        ("berg", ["Jean-Luc Van der Berg"]),
        ("der Smith", []),
        ("zzz", []),
        ("01/01/1900", []),
        ("", []),
        ("   ", []),
        ("'", []),
    ],
)
def test_search(searchable, query: str, expected: list[str]) -> None:
    people, _ = searchable
    assert names(people.search(query)) == expected


def test_search_by_person_reference(searchable) -> None:
    people, saved_people = searchable
    robert = saved_people["Robert Smith"]
    for query in (robert.person_reference, robert.person_reference.lower(), "P2", "p-000002"):
        assert names(people.search(query)) == ["Robert Smith"], query
    assert people.search("P999999") == []


def test_search_by_referral_reference(searchable) -> None:
    people, saved_people = searchable
    zoe = saved_people["Zoë Łukasiewicz"]
    assert zoe.reference == "WB-2026-00005"
    assert names(people.search("WB-2026-00005")) == ["Zoë Łukasiewicz"]
    assert names(people.search("wb-2026-00005")) == ["Zoë Łukasiewicz"]
    assert people.search("WB-2026-09999") == []


def test_search_finds_aliases(people, saved_people, ctx) -> None:
    mary = saved_people["Mary-Jane Smith-Jones"]
    with ctx.session_factory.begin() as session:
        session.add(
            PersonAlias(
                person_id=mary.person_id, surname="Brown", forenames="Mary", surname_norm="brown", forenames_norm="mary"
            )
        )
    assert names(people.search("Brown")) == ["Mary-Jane Smith-Jones"]
    record = people.search("brown")[0]
    assert record.aliases == ("Mary Brown",)


def test_search_results_carry_history(people, saved_people, intake, make_draft) -> None:
    john = saved_people["John Smith"]
    intake.save(make_draft(person_id=john.person_id, scheme_code="windsor-and-maidenhead"))
    record = people.search("17/05/1990")[0]
    assert record.reference == john.person_reference
    assert record.display_name == "SMITH, John"
    assert [r.reference for r in record.referrals] == ["WB-2026-00001", "WM-2026-00001"]
    assert [r.area for r in record.referrals] == ["West Berkshire", "Windsor and Maidenhead"]
    assert record.completed_diversions == 0


def test_search_limit(searchable) -> None:
    people, _ = searchable
    assert len(people.search("smith", limit=2)) == 2


def test_get(searchable) -> None:
    people, saved_people = searchable
    john = saved_people["John Smith"]
    assert people.get(john.person_id).forenames == "John"
    with pytest.raises(NotFound):
        people.get(424242)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17/05/1990", date(1990, 5, 17)),
        (" 17/05/1990 ", date(1990, 5, 17)),
        ("1990-05-17", date(1990, 5, 17)),
        ("17/05/90", date(1990, 5, 17)),
        ("31/02/1990", None),
        ("smith", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


# -- possible matches ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("surname", "forenames", "dob", "expected"),
    [
        ("Smith", "John", date(1990, 5, 17), [("John Smith", 100)]),
        ("SMITH", "john", date(1990, 5, 17), [("John Smith", 100)]),
        ("Smith", "Johnny", date(1990, 5, 17), [("John Smith", 80)]),
        ("Smith", "Bob", date(1985, 1, 2), [("Robert Smith", 80)]),
        ("Smyth", "Robert", date(1985, 1, 2), [("Robert Smith", 80)]),
        ("OBrien", "Sean", date(2001, 7, 4), [("Seán O'Brien", 100)]),
        ("Lukasiewicz", "Zoe", date(1995, 2, 28), [("Zoë Łukasiewicz", 100)]),
        ("Jones", "Mary", date(1988, 8, 8), [("Mary-Jane Smith-Jones", 80)]),
        ("Married-Name", "Zoe", date(1995, 2, 28), [("Zoë Łukasiewicz", 50)]),
        ("Smith", "John", date(1990, 5, 18), [("John Smith", 30)]),  # date of birth slip
        ("Smith", "John", None, [("John Smith", 30)]),
        ("Smith", "Peter", date(2000, 1, 1), []),
        ("Nobody", "Known", date(1990, 5, 17), []),
        ("", "John", date(1990, 5, 17), []),
    ],
)
def test_possible_matches(
    searchable, surname: str, forenames: str, dob: date | None, expected: list[tuple[str, int]]
) -> None:
    people, _ = searchable
    found = people.possible_matches(surname, forenames, dob)
    assert [(f"{m.person.forenames} {m.person.surname}", m.score) for m in found] == expected


def test_possible_matches_rank_closest_first(people, intake, make_draft) -> None:
    dob = date(1990, 5, 17)
    for surname, forenames in (("Smith", "Jon"), ("Smith", "John"), ("Smith", "Peter"), ("Brown", "Anne")):
        intake.save(make_draft(surname=surname, forenames=forenames, date_of_birth=dob))
    found = people.possible_matches("Smith", "John", dob)
    assert [(m.person.forenames, m.score) for m in found] == [("John", 100), ("Jon", 80), ("Peter", 50)]
    assert found[0].person.referrals[0].reference == "WB-2026-00002"
