"""Dates as typed on forms, in imported files and on the command line: one function reads them
(domain/dates.py)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from diversion_desktop.cli.common import day_option
from diversion_desktop.domain.dates import DateError, parse_date, parse_datetime, read_date
from diversion_desktop.spreadsheets import cells

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/03/1990", date(1990, 3, 14)),
        ("14031990", date(1990, 3, 14)),
        ("14/03/90", date(1990, 3, 14)),
        ("140390", date(1990, 3, 14)),
        ("14-03-90", date(1990, 3, 14)),
        ("14.3.1990", date(1990, 3, 14)),
        ("1/2/2003", date(2003, 2, 1)),
        (" 1990-03-14 ", date(1990, 3, 14)),
        ("10/03/26", date(2026, 3, 10)),  # today: this century
        ("11/03/26", date(1926, 3, 11)),  # tomorrow in 2026: never guessed into the future
        ("01/01/30", date(1930, 1, 1)),
        ("01/01/00", date(2000, 1, 1)),
        ("29/02/00", date(2000, 2, 29)),
        ("29/02/28", date(1928, 2, 29)),  # 2028 would be in the future
        ("29/02/27", None),  # no 29 February in 1927 (nor 2027)
        ("31/02/1990", None),
        ("31021990", None),
        ("14/13/90", None),
        ("1403199", None),
        ("abc", None),
        ("", None),
    ],
)
def test_dates_as_typed(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


def test_a_two_digit_year_is_not_guessed_without_today() -> None:
    assert parse_date("14/03/90") is None
    assert parse_date("14031990") == date(1990, 3, 14)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/01/2020 21:30", datetime(2020, 1, 14, 21, 30)),
        ("14012020 2130", datetime(2020, 1, 14, 21, 30)),
        ("14/01/20 9.05", datetime(2020, 1, 14, 9, 5)),
        ("14/01/2020", None),
        ("14/01/2020 25:00", None),
        ("14/01/2020 21:60", None),
    ],
)
def test_date_and_time_as_typed(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text, TODAY) == expected


# Every way in reads a date with read_date; a two-digit year needs to know today, and whether the
# date can be in the future (a period's day, an appointment) or not (a date of birth, an incident).
@pytest.mark.parametrize(
    ("text", "past", "period"),
    [
        ("01/01/26", date(2026, 1, 1), date(2026, 1, 1)),
        ("31/12/26", date(1926, 12, 31), date(2026, 12, 31)),  # later this year: in a period, this year
        ("01/01/75", date(1975, 1, 1), date(2075, 1, 1)),  # 49 years ahead is nearer than 51 back
        ("01/01/76", date(1976, 1, 1), date(1976, 1, 1)),  # 50 years back is nearer than 50 ahead
        ("01/01/90", date(1990, 1, 1), date(1990, 1, 1)),
        ("311225", date(2025, 12, 31), date(2025, 12, 31)),
    ],
)
def test_a_two_digit_year_given_today(text: str, past: date, period: date) -> None:
    assert read_date(text, TODAY) == past and read_date(text, TODAY, past=False) == period


@pytest.mark.parametrize(
    "text",
    [
        "13/01/2020",
        "13-01-2020",
        "13.01.2020",
        "13/1/2020",
        "13.1-2020",
        "2020-01-13",
        "2020-1-13",
        " 13/01/2020 ",
        "13012020",
    ],
)
def test_every_way_in_accepts_the_same_dates(text: str) -> None:
    """A form, an imported cell and a command-line option read a full date alike."""
    assert read_date(text) == parse_date(text, TODAY) == cells.parse_date(text) == day_option(text)
    assert read_date(text) == date(2020, 1, 13)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("13/01/20", "'13/01/20' has a two-digit year: write the year in full (e.g. 13/01/2020)"),
        ("31/02/2020", "'31/02/2020' is not a real date"),
        ("2020-13-01", "'2020-13-01' is not a real date"),
        ("29/02/27", "'29/02/27' has a two-digit year"),
        ("yesterday", "'yesterday' is not a date: write it as 2020-01-13 or 13/01/2020"),
        ("13/01/202", "'13/01/202' is not a date"),
        ("01/2020", "'01/2020' is not a date"),
    ],
)
def test_what_is_not_a_date_says_why(text: str, message: str) -> None:
    """Without today (an imported file) a two-digit year is refused as ambiguous."""
    with pytest.raises(DateError, match=re.escape(message)):
        read_date(text)
    with pytest.raises(cells.CellError, match=re.escape(message)):
        cells.parse_date(text)
    assert parse_date(text) is None


def test_an_impossible_two_digit_date_is_not_real_given_today() -> None:
    for past in (True, False):
        with pytest.raises(DateError, match="'29/02/27' is not a real date"):
            read_date("29/02/27", TODAY, past=past)
    assert read_date("", TODAY) is None and day_option("") is None and day_option(None) is None
