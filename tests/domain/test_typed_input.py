"""What a person types (or a file holds) is kept exactly, or refused in words: quantities and text."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from diversion_desktop.domain.intake import validate
from diversion_desktop.domain.typed_text import shown_safely, text_problem
from diversion_desktop.domain.units import QuantityError, parse_quantity

NOW_TEXT = "2026-03-02 10:00"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2.5", "2.5"),
        ("2,5", "2.5"),
        (" 0.2 ", "0.2"),
        (".5", "0.5"),
        ("12,25", "12.25"),
        ("0,500", "0.500"),  # a thousands group never starts with 0: a decimal comma
        ("1234,567", "1234.567"),  # four digits before the comma: not thousands
        ("1,200.5", "1200.5"),
        ("1.200,5", "1200.5"),
        ("1 200", "1200"),
        ("1\u00a0200,5", "1200.5"),
        ("1,200,000", "1200000"),
        ("999999999.999", "999999999.999"),
        ("0.001", "0.001"),
        ("0.0010", "0.0010"),
        ("-1", "-1"),  # read, then refused by validate as not more than zero
        (3, "3"),
        (0.1, "0.1"),
        (Decimal("2.50"), "2.50"),
    ],
)
def test_quantities_read_exactly(typed: object, expected: str) -> None:
    assert parse_quantity(typed) == Decimal(expected)  # type: ignore[arg-type]  # typed as a form gives it


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,200", "'1,200' could be 1200 (a thousands comma) or 1.2 (a decimal comma): write 1200 or 1.2"),
        ("12,345", "could be 12345 (a thousands comma) or 12.345 (a decimal comma)"),
        ("0.0004", "0.0004 has more than 3 decimal places"),
        (0.0004, "0.0004 has more than 3 decimal places"),
        ("1e-400", "written with an exponent"),
        ("2E3", "written with an exponent"),
        (Decimal("1E-400"), "has more than 3 decimal places"),
        ("1000000000", "too large to keep"),
        (1e20, "too large to keep"),
        ("1,2,3", "groups of three"),
        ("1 2", "groups of three"),
        ("abc", "is not a number"),
        ("3.5g", "is not a number"),
        ("", "is not a number"),
        (",", "is not a number"),
        (True, "is not a number"),
        ("nan", "is not a number"),
        (float("inf"), "is not a number"),
    ],
)
def test_quantities_that_would_change_are_refused(typed: object, message: str) -> None:
    with pytest.raises(QuantityError, match=re.escape(message)):
        parse_quantity(typed)  # type: ignore[arg-type]  # as above


@pytest.mark.parametrize(
    ("value", "name", "lines", "words"),
    [
        ("Smith\x00", True, False, "control character (U+0000"),
        ("Smith\nJones", True, False, "line break"),
        ("\x1b[31mSmith\x1b[0m", True, False, "control character (U+001B"),
        ("Smith\u202eenoJ", True, False, "reverses the text (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("Smith\u2066x\u2069", True, False, "reverses the text"),
        ("\u200b\u200b", True, False, "no visible letter"),
        ("\u200d", True, False, "no visible letter"),
        ("-- .", True, False, "no visible letter"),
        ("12 Road\x07", False, False, "control character (U+0007"),
        ("line one\u2028line two", False, True, "line break"),
        ("notes\x1b[2J", False, True, "control character"),
    ],
)
def test_text_that_cannot_be_seen_is_refused(value: str, name: bool, lines: bool, words: str) -> None:
    problem = text_problem(value, name=name, lines=lines)
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    ("value", "name", "lines"),
    [
        ("O'Brien", True, False),
        ("Đorđević", True, False),
        ("Zoë", True, False),
        ("محمد", True, False),
        ("Nguyễn Văn", True, False),
        ("", True, False),  # empty: whether it is required is another check
        ("----", False, False),
        ("first line\nsecond\tline", False, True),
        ("RG1 1AA", False, False),
    ],
)
def test_visible_text_is_kept(value: str, name: bool, lines: bool) -> None:
    assert text_problem(value, name=name, lines=lines) is None


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("surname", "Smith\x00", "control character"),
        ("surname", "\u200b", "no visible letter"),
        ("forenames", "\x1b[31mJohn", "control character"),
        ("forenames", "John\u202e", "reverses the text"),
        ("guardian_name", "Pat\nYoung", "line break"),
        ("postcode", "RG1\r1AA", "line break"),
        ("crime_reference", "43\x00", "control character"),
        ("officer_name", "\u200b", "no visible letter"),
        ("override_reason", "reason\x1b[0m", "control character"),
    ],
)
def test_intake_validation_refuses_them_on_the_field(
    make_draft, west_berks, field: str, value: str, words: str
) -> None:
    from datetime import datetime

    errors = validate(make_draft(**{field: value}), west_berks, datetime.fromisoformat(NOW_TEXT))
    assert words in errors[field].lower() or words in errors[field]


def test_notes_over_several_lines_are_kept(make_draft, west_berks) -> None:
    from datetime import datetime

    draft = make_draft(
        officer_notes="Found in a coat pocket.\nAdmitted at the scene.", override_reason="Line one\r\nline two"
    )
    assert validate(draft, west_berks, datetime.fromisoformat(NOW_TEXT)) == {}


def test_shown_safely_writes_escapes_instead_of_acting_on_the_terminal() -> None:
    assert shown_safely("Smith") == "Smith"
    assert shown_safely("Zoë Đorđević") == "Zoë Đorđević"
    assert shown_safely("\x1b[31mred\x00\u202e") == "\\x1b[31mred\\x00\\u202e"
