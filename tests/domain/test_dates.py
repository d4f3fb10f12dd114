"""Dates as typed on forms: one function reads them (domain/dates.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from diversion_desktop.domain.dates import parse_date, parse_datetime

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(("text", "expected"), [
    ("14/03/1990", date(1990, 3, 14)),
    ("14031990", date(1990, 3, 14)),
    ("14/03/90", date(1990, 3, 14)),
    ("140390", date(1990, 3, 14)),
    ("14-03-90", date(1990, 3, 14)),
    ("14.3.1990", date(1990, 3, 14)),
    ("1/2/2003", date(2003, 2, 1)),
    (" 1990-03-14 ", date(1990, 3, 14)),
    ("10/03/26", date(2026, 3, 10)),     # today: this century
    ("11/03/26", date(1926, 3, 11)),     # tomorrow in 2026: never guessed into the future
    ("01/01/30", date(1930, 1, 1)),
    ("01/01/00", date(2000, 1, 1)),
    ("29/02/00", date(2000, 2, 29)),
    ("29/02/28", date(1928, 2, 29)),     # 2028 would be in the future
    ("29/02/27", None),                  # no 29 February in 1927 (nor 2027)
    ("31/02/1990", None),
    ("31021990", None),
    ("14/13/90", None),
    ("1403199", None),
    ("abc", None),
    ("", None),
])
def test_dates_as_typed(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


def test_a_two_digit_year_is_not_guessed_without_today() -> None:
    assert parse_date("14/03/90") is None
    assert parse_date("14031990") == date(1990, 3, 14)


@pytest.mark.parametrize(("text", "expected"), [
    ("14/01/2020 21:30", datetime(2020, 1, 14, 21, 30)),
    ("14012020 2130", datetime(2020, 1, 14, 21, 30)),
    ("14/01/20 9.05", datetime(2020, 1, 14, 9, 5)),
    ("14/01/2020", None),
    ("14/01/2020 25:00", None),
    ("14/01/2020 21:60", None),
])
def test_date_and_time_as_typed(text: str, expected: datetime | None) -> None:
    assert parse_datetime(text, TODAY) == expected
