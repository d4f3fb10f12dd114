"""Name keys, nicknames and the "probably the same person" score."""

from __future__ import annotations

from datetime import date

import pytest

from diversion_desktop.domain.names import (
    edit_distance,
    forename_variants,
    match_score,
    name_tokens,
    normalise,
    similar_forenames,
    similar_surnames,
    surname_part_keys,
)

DOB = date(1990, 5, 17)
OTHER_DOB = date(1991, 5, 17)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Smith", "smith"),
        ("SMITH", "smith"),
        ("  smith ", "smith"),
        ("Zoë", "zoe"),
        ("Chloë", "chloe"),
        ("Seán", "sean"),
        ("Siobhán", "siobhan"),
        ("Łukasz", "lukasz"),
        ("ŁUKASIEWICZ", "lukasiewicz"),
        ("Müller", "muller"),
        ("García", "garcia"),
        ("Đorđević", "dordevic"),
        ("Straße", "strasse"),
        ("Ó Súilleabháin", "osuilleabhain"),
        ("O'Brien", "obrien"),
        ("O’Brien", "obrien"),  # typographic apostrophe
        ("O Brien", "obrien"),
        ("OBRIEN", "obrien"),
        ("Smith-Jones", "smithjones"),
        ("Mary-Jane", "maryjane"),
        ("Van der Berg", "vanderberg"),
        ("", ""),
        ("'-", ""),
    ],
)
def test_normalise(name: str, key: str) -> None:
    assert normalise(name) == key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zoë", "ZOE"),
        ("Seán", "Sean"),
        ("Łukasz", "Lukasz"),
        ("O'Brien", "OBrien"),
        ("Smith-Jones", "Smith Jones"),
        ("d'Arcy", "DARCY"),
    ],
)
def test_variants_meet_on_the_same_key(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("Smith-Jones", ["smith", "jones"]),
        ("O'Brien", ["o", "brien"]),
        ("Mary-Jane Zoë", ["mary", "jane", "zoe"]),
        ("  Jean-Luc  ", ["jean", "luc"]),
        ("Smith, John.", ["smith", "john"]),
        ("", []),
    ],
)
def test_name_tokens(name: str, tokens: list[str]) -> None:
    assert name_tokens(name) == tokens


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Bob", {"robert", "rob", "bobby"}),
        ("ROBERT", {"bob", "robbie"}),
        ("Bill", {"william", "liam"}),
        ("Liz", {"elizabeth", "beth"}),
        ("Mo", {"mohammed", "muhammad"}),
        ("Jon", {"john", "jonathan", "jonny", "jack"}),  # in two groups: both count
        ("Sam", {"samuel", "samantha"}),
    ],
)
def test_nicknames(name: str, expected: set[str]) -> None:
    variants = forename_variants(name)
    assert normalise(name) in variants
    assert expected <= variants


def test_unknown_forename_has_only_itself() -> None:
    assert forename_variants("Kwame") == frozenset({"kwame"})


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("smith", "smith", 0),
        ("smith", "smyth", 1),
        ("jon", "john", 1),
        ("abc", "xyz", 3),
        ("a", "abcdefgh", 4),  # beyond the limit of 3
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("Smith", "SMITH", True),
        ("Smith", "Smyth", True),
        ("Smith-Jones", "Jones", True),  # double-barrelled
        ("Smith-Jones", "Smith", True),
        ("O'Brien", "O Brien", True),
        ("Łukasiewicz", "Lukasiewicz", True),
        ("Patel", "Smith", False),
        ("Johnson", "Jonson", True),
        ("", "Smith", False),
    ],
)
def test_similar_surnames(a: str, b: str, similar: bool) -> None:
    assert similar_surnames(a, b) is similar


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("Robert", "Bob", True),
        ("Zoë", "Zoe", True),
        ("J", "John", True),  # an initial
        ("John Paul", "John", True),  # first forename decides
        ("Jon", "John", True),
        ("Mary-Jane", "Mary", True),
        ("Peter", "John", False),
        ("", "John", True),  # nothing to contradict
    ],
)
def test_similar_forenames(a: str, b: str, similar: bool) -> None:
    assert similar_forenames(a, b) is similar


@pytest.mark.parametrize(
    ("mine", "theirs", "score"),
    [
        (("Smith", "John", DOB), ("SMITH", "john", DOB), 100),
        (("O'Brien", "Seán", DOB), ("OBrien", "Sean", DOB), 100),
        (("Łukasiewicz", "Zoë", DOB), ("Lukasiewicz", "Zoe", DOB), 100),
        (("Smith", "Bob", DOB), ("Smith", "Robert", DOB), 80),  # nickname
        (("Smyth", "John", DOB), ("Smith", "John", DOB), 80),  # spelling slip
        (("Smith", "J", DOB), ("Smith", "John", DOB), 80),  # initial
        (("Smith-Jones", "Amy", DOB), ("Jones", "Amy", DOB), 80),  # double-barrelled
        (("Married", "Zoë", DOB), ("Maiden", "Zoe", DOB), 50),  # new surname, same forename
        (("Smith", "Alan", DOB), ("Smith", "Zed", DOB), 50),  # same surname, other forename
        (("Smith", "John", DOB), ("Smith", "John", OTHER_DOB), 30),  # date of birth slip
        (("Smith", "John", None), ("Smith", "John", DOB), 30),
        (("Smith", "John", DOB), ("Patel", "Ravi", DOB), 0),
        (("Smith", "", DOB), ("Patel", "Ravi", DOB), 0),
        (("Smith", "John", DOB), ("Smith", "Peter", OTHER_DOB), 0),
        (("Smith", "John", None), ("Smith", "Jon", None), 0),
    ],
)
def test_match_score(mine: tuple, theirs: tuple, score: int) -> None:
    assert match_score(*mine, *theirs) == score


def test_match_score_orders_closer_matches_higher() -> None:
    exact = match_score("Smith", "John", DOB, "Smith", "John", DOB)
    close = match_score("Smith", "Johnny", DOB, "Smith", "John", DOB)
    weak = match_score("Smith", "Peter", DOB, "Smith", "John", DOB)
    slip = match_score("Smith", "John", OTHER_DOB, "Smith", "John", DOB)
    assert exact > close > weak > slip > 0


@pytest.mark.parametrize(
    ("surname", "keys"),
    [
        ("Smith", []),  # one part: its own key finds it
        ("O'Brien", []),  # an apostrophe joins
        ("Smith-Jones", ["jones"]),
        ("Wolfeschlegel-Ó'Brien-Śmith", ["obriensmith", "smith"]),
        ("Van der Berg", ["derberg", "berg"]),
        ("Smith – Jones", ["jones"]),  # an en dash, spaced
        ("Smith--Jones ", ["jones"]),
        ("Jones-Jones", ["jones"]),  # each key once
        ("-", []),
        ("", []),
    ],
)
def test_surname_part_keys(surname: str, keys: list[str]) -> None:
    assert surname_part_keys(surname) == keys
