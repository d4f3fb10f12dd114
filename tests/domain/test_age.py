"""Age on the incident date, the pathway it decides, and the reporting age bands."""

from __future__ import annotations

from datetime import date

import pytest

from diversion_desktop.domain.age import (
    ADULT_AGE,
    AGE_OF_CRIMINAL_RESPONSIBILITY,
    Pathway,
    age_band,
    age_on,
    pathway_for,
)

INCIDENT = date(2026, 3, 1)


def born_years_before(years: int, on: date = INCIDENT, days_later: int = 0) -> date:
    """A birth date ``years`` before ``on``; ``days_later`` moves it to a later day."""
    birth = on.replace(year=on.year - years)
    return date.fromordinal(birth.toordinal() + days_later)


@pytest.mark.parametrize(
    ("years", "days_later", "age"),
    [
        (10, 0, 10),  # tenth birthday on the incident date
        (10, 1, 9),  # tenth birthday the day after: still 9
        (10, -1, 10),
        (17, 0, 17),
        (17, 1, 16),
        (18, 0, 18),  # eighteenth birthday on the incident date
        (18, 1, 17),  # eighteenth birthday the day after: still 17
        (18, -1, 18),
        (40, 0, 40),
    ],
)
def test_age_on_birthday_boundaries(years: int, days_later: int, age: int) -> None:
    assert age_on(born_years_before(years, days_later=days_later), INCIDENT) == age


@pytest.mark.parametrize(
    ("dob", "on", "age"),
    [
        (date(2008, 2, 29), date(2026, 2, 28), 17),  # leap-day birthday: not yet 18 on 28 Feb
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        (date(2000, 12, 31), date(2001, 1, 1), 0),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_across_leap_days_and_year_ends(dob: date, on: date, age: int) -> None:
    assert age_on(dob, on) == age


@pytest.mark.parametrize(
    ("years", "days_later", "pathway"),
    [
        (10, 0, Pathway.YOUTH),
        (17, 0, Pathway.YOUTH),
        (18, 1, Pathway.YOUTH),  # the day before the eighteenth birthday
        (18, 0, Pathway.ADULT),  # on the eighteenth birthday
        (30, 0, Pathway.ADULT),
    ],
)
def test_pathway(years: int, days_later: int, pathway: Pathway) -> None:
    assert pathway_for(born_years_before(years, days_later=days_later), INCIDENT) is pathway


def test_thresholds() -> None:
    assert AGE_OF_CRIMINAL_RESPONSIBILITY == 10
    assert ADULT_AGE == 18


@pytest.mark.parametrize(
    ("age", "band"),
    [
        (9, "under 10"),
        (10, "10-13"),
        (13, "10-13"),
        (14, "14-17"),
        (17, "14-17"),
        (18, "18-24"),
        (24, "18-24"),
        (25, "25-34"),
        (34, "25-34"),
        (35, "35+"),
        (90, "35+"),
    ],
)
def test_age_bands(age: int, band: str) -> None:
    assert age_band(age) == band
