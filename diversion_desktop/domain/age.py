"""Age on a given date, and the age thresholds the scheme turns on."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

AGE_OF_CRIMINAL_RESPONSIBILITY = 10
ADULT_AGE = 18


class Pathway(StrEnum):
    YOUTH = "youth"
    ADULT = "adult"


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years completed on ``on`` (a birthday on that day counts)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def pathway_for(date_of_birth: date, incident_date: date) -> Pathway:
    return Pathway.YOUTH if age_on(date_of_birth, incident_date) < ADULT_AGE else Pathway.ADULT


AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("10-13", 10, 13),
    ("14-17", 14, 17),
    ("18-24", 18, 24),
    ("25-34", 25, 34),
    ("35+", 35, None),
)


def age_band(age: int) -> str:
    for label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return "under 10"
