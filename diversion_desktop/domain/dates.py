"""Dates as people type them, on forms, in imported files and on the command line: the one
place that reads them.

British order (day, month, year) with any of ``/ - .`` between the parts, or none
(``14031990``), and ISO ``yyyy-mm-dd``. A two-digit year is read only given ``today``: for a
date that cannot be in the future (a date of birth, an incident; ``past``) it is this century
unless that would be after today, and then the previous one (``14/03/90`` is 1990, never 2090);
for any other date (the first or last day of a period) it is the year nearest today, within 50
years (``01/01/26`` is 2026). Without ``today`` (an appointment may be next year; an imported
file says nothing of when it was written) a two-digit year is refused as ambiguous.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

_SEPARATED = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RUN = re.compile(r"(\d{2})(\d{2})(\d{2}|\d{4})")  # ddmmyy or ddmmyyyy, no separators
_TIME = re.compile(r"(\d{1,2})[:.]?(\d{2})")


class DateError(ValueError):
    """The text is not a date; ``str(error)`` says why, in words a person can act on."""


def read_date(text: str, today: date | None = None, *, past: bool = True) -> date | None:
    """The date typed (None when the text is empty); DateError when it is not a date."""
    text = text.strip()
    if not text:
        return None
    if match := _ISO.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
        return _real(text, year, month, day)
    match = _SEPARATED.fullmatch(text) or _RUN.fullmatch(text)
    if match is None:
        raise DateError(f"'{text}' is not a date: write it as 2020-01-13 or 13/01/2020")
    day_text, month_text, year_text = match.groups()
    day, month, year = int(day_text), int(month_text), int(year_text)
    if len(year_text) == 2:
        if today is None:
            raise DateError(f"'{text}' has a two-digit year: write the year in full (e.g. 13/01/2020)")
        if past:
            return _two_digit_year(text, day, month, year, today)
        nearest = today.year + (year - today.year) % 100  # from this year up to 99 years ahead
        return _real(text, nearest - 100 if nearest - today.year >= 50 else nearest, month, day)
    return _real(text, year, month, day)


def parse_date(text: str, today: date | None = None, *, past: bool = True) -> date | None:
    """The date typed, or None when it is empty or no real date (31/02/1990): ``read_date``
    for a form field, which shows its own message."""
    try:
        return read_date(text, today, past=past)
    except DateError:
        return None


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


def _two_digit_year(text: str, day: int, month: int, year: int, today: date) -> date:
    century = today.year // 100 * 100
    if century + year > today.year:  # after this year: the previous century (29/02/xx by the year alone)
        return _real(text, century - 100 + year, month, day)
    guess = _real(text, century + year, month, day)
    return _real(text, century - 100 + year, month, day) if guess > today else guess


def _real(text: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"'{text}' is not a real date") from None
