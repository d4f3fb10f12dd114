"""Dates and times as people type them on forms: the one place that reads them.

British order (day, month, year) with any of ``/ - .`` between the parts, or none
(``14031990``), and ISO ``yyyy-mm-dd``. A two-digit year is understood only for dates
that cannot be in the future (a date of birth, an incident), given ``today``: it is this
century unless that would be after today, and then the previous one (``14/03/90`` is 1990,
never 2090). Without ``today`` (an appointment may be next year) it is not guessed at all.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

_SEPARATED = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RUN = re.compile(r"(\d{2})(\d{2})(\d{2}|\d{4})")  # ddmmyy or ddmmyyyy, no separators
_TIME = re.compile(r"(\d{1,2})[:.]?(\d{2})")


def parse_date(text: str, today: date | None = None) -> date | None:
    """The date typed, or None when it is empty or no real date (31/02/1990)."""
    text = text.strip()
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        return _real(year, month, day)
    match = _SEPARATED.fullmatch(text) or _RUN.fullmatch(text)
    if match is None:
        return None
    day_text, month_text, year_text = match.groups()
    day, month, year = int(day_text), int(month_text), int(year_text)
    if len(year_text) == 2:
        return None if today is None else _two_digit_year(day, month, year, today)
    return _real(year, month, day)


def parse_time(text: str) -> time | None:
    """A 24-hour time: ``21:30``, ``21.30``, ``2130`` or ``9:05``."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_datetime(text: str, today: date | None = None) -> datetime | None:
    """A date and a time separated by a space: ``14/01/2020 21:30``."""
    parts = text.split()
    if len(parts) != 2:
        return None
    day, moment = parse_date(parts[0], today), parse_time(parts[1])
    if day is None or moment is None:
        return None
    return datetime.combine(day, moment)


def _two_digit_year(day: int, month: int, year: int, today: date) -> date | None:
    century = today.year // 100 * 100
    guess = _real(century + year, month, day)
    if guess is not None and guess > today:
        return _real(century - 100 + year, month, day)
    if guess is None and century + year > today.year:  # 29/02/xx: decide by the year alone
        return _real(century - 100 + year, month, day)
    return guess


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
