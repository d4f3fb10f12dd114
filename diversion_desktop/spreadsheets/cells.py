"""One spreadsheet cell into a typed value, or a reason in words why not.

Cells arrive as Python values: text from a CSV, and text, numbers, booleans and
datetimes from an XLSX workbook. Each ``parse_*`` function returns the value
(``None`` for an empty cell) or raises :class:`CellError` with a sentence the
user can act on. Formulas are never evaluated: a cell whose text starts with
``=`` is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from diversion_desktop.domain import dates
from diversion_desktop.domain.units import QuantityError
from diversion_desktop.domain.units import parse_quantity as parse_quantity_rule

# Excel counts days from 30/12/1899 (the 1900 date system, with its leap-year slip
# already folded in) or, in old Mac workbooks, from 1/1/1904.
EXCEL_EPOCH_1900 = datetime(1899, 12, 30)
_EXCEL_LAST_SERIAL = 2958465  # 31/12/9999

_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:\.\d+)?)?$")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")

TRUE_WORDS = frozenset({"yes", "true", "y", "1"})
FALSE_WORDS = frozenset({"no", "false", "n", "0"})
# A leading apostrophe protects text that would otherwise start a formula in a
# spreadsheet program (CSV exports add it); it is taken off on the way in.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CellError(ValueError):
    """The cell's value cannot be used; ``str(error)`` says why, in words."""


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# What a spreadsheet shows when a formula fails; never a value to import.
SPREADSHEET_ERRORS = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
)


def check_not_formula(value: Any) -> None:
    """Refuse a formula (never evaluated) and a spreadsheet error value."""
    if not isinstance(value, str):
        return
    shown = value.strip()
    if shown.startswith("="):
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise CellError(
            f"holds a formula ({shown}); formulas are never worked out here: type or paste the value itself"
        )
    if shown.upper() in SPREADSHEET_ERRORS:
        raise CellError(f"holds a spreadsheet error ({shown}) instead of a value")


def text(value: Any) -> str:
    """Any cell as trimmed text: whole numbers without '.0', dates as ISO."""
    if value is None:
        return ""
    check_not_formula(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    result = str(value).strip()
    if result.startswith("'") and result[1:2] in FORMULA_STARTS and result[1:2]:
        result = result[1:]
    return result


def _excel_serial(value: float, epoch: datetime) -> datetime:
    if not 1 <= value <= _EXCEL_LAST_SERIAL:
        raise CellError(f"{value:g} is not a date")
    moment = epoch + timedelta(days=float(value))
    # Serials carry times as fractions of a day; keep whole seconds only.
    return moment.replace(microsecond=0) + (timedelta(seconds=1) if moment.microsecond >= 500000 else timedelta())


def _date_from_text(raw: str) -> date:
    """As a form reads a typed date (domain/dates.py); a file says nothing of when it was written,
    so a two-digit year is refused as ambiguous."""
    if _SERIAL.match(raw):
        raise CellError(
            f"'{raw}' looks like a spreadsheet date number: format the column as a "
            "date (dd/mm/yyyy) before saving as CSV"
        )
    try:
        day = dates.read_date(raw)
    except dates.DateError as error:
        raise CellError(str(error)) from None
    if day is None:
        raise CellError(f"'{raw}' is not a date: write it as 2020-01-13 or 13/01/2020")
    return day


def parse_datetime(value: Any, *, serial_epoch: datetime | None = None) -> datetime | None:
    """A date with an optional time: 2020-01-13, 13/01/2020, 13/01/2020 21:30, a workbook date.

    ``serial_epoch`` (workbooks only) lets a plain number count as an Excel date serial.
    """
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time(0))
    if isinstance(value, bool):
        raise CellError(f"'{text(value)}' is not a date")
    if isinstance(value, (int, float)):
        if serial_epoch is None:
            raise CellError(f"{value:g} is not a date: write it as 2020-01-13 or 13/01/2020")
        return _excel_serial(float(value), serial_epoch)
    raw = text(value)
    parts = raw.replace("T", " ", 1).split() if re.match(r"^\d{4}-\d{1,2}-\d{1,2}T", raw) else raw.split()
    if len(parts) > 2:
        raise CellError(f"'{raw}' is not a date and time: write it as 13/01/2020 21:30")
    day = _date_from_text(parts[0])
    if len(parts) == 1:
        return datetime.combine(day, time(0))
    match = _TIME.match(parts[1])
    if not match:
        raise CellError(f"'{parts[1]}' is not a time: write it as 21:30 (24-hour clock)")
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CellError(f"'{parts[1]}' is not a real time")
    return datetime.combine(day, time(hour, minute, second))


def parse_date(value: Any, *, serial_epoch: datetime | None = None) -> date | None:
    """A date: 2020-01-13, 13/01/2020 or a workbook date (a time of midnight is allowed)."""
    moment = parse_datetime(value, serial_epoch=serial_epoch)
    if moment is None:
        return None
    if moment.time() != time(0):
        raise CellError(f"'{text(value)}' has a time of day; give the date only")
    return moment.date()


def parse_bool(value: Any) -> bool | None:
    """yes/no, true/false, y/n, 1/0 (any case), or a workbook TRUE/FALSE."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    word = text(value).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"'{text(value)}' is not yes or no (use yes/no, true/false, y/n or 1/0)")


def parse_quantity(value: Any) -> Decimal | None:
    """A quantity, read by the same rule as the intake form (``domain.units.parse_quantity``):
    3.5 or 3,5, thousands separated (1,200.5), never a comma that could be either, never an
    exponent or more decimal places than are stored."""
    if is_empty(value):
        return None
    check_not_formula(value)
    try:
        return parse_quantity_rule(value if isinstance(value, (int, float, Decimal)) else text(value))
    except QuantityError as error:
        raise CellError(str(error)) from None


_CODE_SEPARATORS = re.compile(r"[\s\-]+")


def code_key(value: str) -> str:
    """How a typed choice is compared: case, spaces and hyphens do not matter."""
    return _CODE_SEPARATORS.sub("_", value.strip().casefold())


class Choices:
    """A fixed list of allowed values, matched with :func:`code_key`, plus aliases."""

    def __init__(self, options: Iterable[str], aliases: dict[str, str] | None = None) -> None:
        self.options = tuple(options)
        self._lookup = {code_key(k): v for k, v in (aliases or {}).items()}
        self._lookup.update((code_key(o), o) for o in self.options)

    def parse(self, value: Any) -> str | None:
        if is_empty(value):
            return None
        found = self._lookup.get(code_key(text(value)))
        if found is None:
            raise CellError(f"'{text(value)}' is not one of: {', '.join(self.options)}")
        return found


def parse_choice(value: Any, choices: Iterable[str], aliases: dict[str, str] | None = None) -> str | None:
    """One of ``choices`` (compared with :func:`code_key`), or an alias of one."""
    return Choices(choices, aliases).parse(value)
