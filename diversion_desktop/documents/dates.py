"""Dates, times and amounts as the letters write them.

Dates in full ("Tuesday 14 January 2020"), times on the 12-hour clock ("2:30 pm"). The names are spelt out here
rather than taken from ``strftime`` so that the words never depend on the machine's locale.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def full_date(day: date) -> str:
    """``Tuesday 14 January 2020``."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    """``14 January 2020``: for tables where the weekday would only add noise."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def clock_time(moment: datetime | time) -> str:
    """``2:30 pm``, ``9:05 am``; ``12 noon`` and ``12 midnight`` read better aloud."""
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour == 12:
        return "12 noon"
    if minute == 0 and hour == 0:
        return "12 midnight"
    suffix = "am" if hour < 12 else "pm"
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


def date_and_time(moment: datetime) -> str:
    """``Tuesday 14 January 2020 at 2:30 pm``."""
    return f"{full_date(moment.date())} at {clock_time(moment)}"


def quantity(amount: Decimal | int | float, unit: str) -> str:
    """``3.5 g``, ``2 tablets``: no trailing zeros, never scientific notation."""
    text = format(Decimal(str(amount)).normalize(), "f")
    return f"{text} {unit}".strip()
