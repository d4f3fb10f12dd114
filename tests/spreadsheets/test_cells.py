"""One cell into a typed value: dates in every accepted form, yes/no, numbers, choices, formulas."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from diversion_desktop.spreadsheets import cells
from diversion_desktop.spreadsheets.cells import EXCEL_EPOCH_1900, CellError, Choices


@pytest.mark.parametrize(
    "value",
    [
        "2020-01-13",
        "13/01/2020",
        "13-01-2020",
        "13.01.2020",
        "2020-1-13",
        " 13/01/2020 ",
        datetime(2020, 1, 13),
        date(2020, 1, 13),
        "2020-01-13 00:00",
    ],
)
def test_dates_iso_uk_and_workbook(value: object) -> None:
    assert cells.parse_date(value) == date(2020, 1, 13)


def test_excel_serial_numbers_are_dates_only_in_workbooks() -> None:
    assert cells.parse_date(43843, serial_epoch=EXCEL_EPOCH_1900) == date(2020, 1, 13)
    assert cells.parse_datetime(43843.8958333, serial_epoch=EXCEL_EPOCH_1900) == datetime(2020, 1, 13, 21, 30)
    with pytest.raises(CellError, match="not a date"):
        cells.parse_date(43843)  # a CSV number: no workbook epoch
    with pytest.raises(CellError, match="spreadsheet date number"):
        cells.parse_date("43843")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("13/01/20", "two-digit year"),
        ("31/02/2020", "not a real date"),
        ("yesterday", "not a date"),
        ("2020-13-01", "not a real date"),
        ("13/01/2020 9pm", "not a time"),
        ("13/01/2020 21:30", "time of day"),
    ],
)
def test_bad_dates_say_why(value: str, message: str) -> None:
    with pytest.raises(CellError, match=message):
        cells.parse_date(value)


def test_date_and_time() -> None:
    assert cells.parse_datetime("13/01/2020 21:30") == datetime(2020, 1, 13, 21, 30)
    assert cells.parse_datetime("2020-01-13T21:30:05") == datetime(2020, 1, 13, 21, 30, 5)
    assert cells.parse_datetime("2020-01-13") == datetime(2020, 1, 13)
    assert cells.parse_datetime("") is None
    with pytest.raises(CellError, match="real time"):
        cells.parse_datetime("13/01/2020 25:00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("No", False),
        ("TRUE", True),
        ("false", False),
        ("y", True),
        ("N", False),
        ("1", True),
        ("0", False),
        (True, True),
        (0, False),
        ("", None),
        (None, None),
    ],
)
def test_booleans(value: object, expected: bool | None) -> None:
    assert cells.parse_bool(value) is expected


def test_bad_boolean() -> None:
    with pytest.raises(CellError, match="not yes or no"):
        cells.parse_bool("maybe")


def test_quantities_with_a_decimal_point_or_comma() -> None:
    assert cells.parse_quantity("3.5") == Decimal("3.5")
    assert cells.parse_quantity("3,5") == Decimal("3.5")
    assert cells.parse_quantity("1,000.5") == Decimal("1000.5")
    assert cells.parse_quantity(0.1) == Decimal("0.1")
    assert cells.parse_quantity(2) == Decimal(2)
    for bad in ("3.5g", "nan", True):
        with pytest.raises(CellError, match="not a number"):
            cells.parse_quantity(bad)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1,200", "could be 1200 (a thousands comma) or 1.2 (a decimal comma)"),
        ("0.0004", "more than 3 decimal places"),
        (0.0004, "more than 3 decimal places"),  # a workbook's number cell
        ("1e-400", "exponent"),
        ("1E5", "exponent"),
    ],
)
def test_quantities_that_would_change_are_refused_not_changed(value: object, message: str) -> None:
    with pytest.raises(CellError, match=re.escape(message)):
        cells.parse_quantity(value)


def test_choices_ignore_case_spaces_and_hyphens() -> None:
    offence = Choices(["possession", "possession_with_intent"], {"pwits": "possession_with_intent"})
    assert offence.parse("Possession with intent") == "possession_with_intent"
    assert offence.parse("PWITS") == "possession_with_intent"
    assert offence.parse(" possession ") == "possession"
    with pytest.raises(CellError, match="not one of: possession, possession_with_intent"):
        offence.parse("supply")


def test_formulas_are_refused_never_evaluated() -> None:
    for parse in (cells.text, cells.parse_date, cells.parse_bool, cells.parse_quantity):
        with pytest.raises(CellError, match="formula"):
            parse("=SUM(A1:A3)")


def test_spreadsheet_errors_are_refused() -> None:
    for value in ("#N/A", "#REF!", " #div/0! "):
        with pytest.raises(CellError, match="spreadsheet error"):
            cells.text(value)


def test_text_of_workbook_values_and_protected_text() -> None:
    assert cells.text(1234.0) == "1234"
    assert cells.text(43260001234) == "43260001234"
    assert cells.text(" O'Brien ") == "O'Brien"
    assert cells.text("'=not a formula") == "=not a formula"  # a CSV export protected it
    assert cells.text("'-5") == "-5"
    assert cells.text("'quoted'") == "'quoted'"
