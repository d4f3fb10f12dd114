"""How dates, times and amounts are written, and how plain text is wrapped and split."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from diversion_desktop.documents import fonts
from diversion_desktop.documents.dates import clock_time, date_and_time, full_date, quantity, short_date
from diversion_desktop.documents.styles import ADULT
from diversion_desktop.documents.text import Text, break_lines


def test_dates_are_written_in_full() -> None:
    assert full_date(date(2020, 1, 14)) == "Tuesday 14 January 2020"
    assert full_date(date(2024, 2, 29)) == "Thursday 29 February 2024"
    assert short_date(date(2020, 12, 1)) == "1 December 2020"
    assert date_and_time(datetime(2020, 1, 14, 14, 30)) == "Tuesday 14 January 2020 at 2:30 pm"


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (14, 30, "2:30 pm"),
        (9, 5, "9:05 am"),
        (12, 0, "12 noon"),
        (0, 0, "12 midnight"),
        (0, 30, "12:30 am"),
        (12, 30, "12:30 pm"),
        (23, 59, "11:59 pm"),
        (13, 0, "1:00 pm"),
    ],
)
def test_times_use_the_12_hour_clock(hour: int, minute: int, expected: str) -> None:
    assert clock_time(time(hour, minute)) == expected
    assert clock_time(datetime(2020, 1, 1, hour, minute)) == expected


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (Decimal("3.50"), "g", "3.5 g"),
        (Decimal("10"), "g", "10 g"),
        (Decimal("1E+1"), "g", "10 g"),
        (Decimal("0.250"), "g", "0.25 g"),
        (2, "tablets", "2 tablets"),
    ],
)
def test_quantities_have_no_trailing_zeros(amount: Decimal | int, unit: str, expected: str) -> None:
    assert quantity(amount, unit) == expected


@pytest.fixture(scope="module", autouse=True)
def _fonts() -> None:
    fonts.register_fonts()


def _width(text: str) -> float:
    return fonts._registered[0].stringWidth(text, 10)


def test_lines_fit_the_width_and_keep_every_word() -> None:
    text = "The quick brown fox jumps over the lazy dog, again and again, until the line is full. " * 4
    lines = break_lines(text, fonts.BODY, 10, 200)
    assert len(lines) > 3
    assert all(_width(line) <= 200 for line in lines)
    assert " ".join(lines).split() == text.split()


def test_a_no_break_space_keeps_a_phone_number_together() -> None:
    text = "Please phone us on 01635\u00a0000\u00a0002 before the appointment to rebook it."
    for width in range(80, 400, 7):
        assert any("01635\u00a0000\u00a0002" in line for line in break_lines(text, fonts.BODY, 10, width))


def test_a_word_longer_than_the_line_is_cut_not_lost() -> None:
    word = "averyveryverylongemailaddress@example.police.uk"
    lines = break_lines(f"Write to {word} today", fonts.BODY, 10, 90)
    assert all(_width(line) <= 90 for line in lines)
    assert "".join(lines).replace(" ", "") == f"Writeto{word}today"


def test_new_lines_in_the_text_are_kept() -> None:
    assert break_lines("Flat 2\n14 Market Place\n\nNewbury", fonts.BODY, 10, 500) == [
        "Flat 2",
        "14 Market Place",
        "",
        "Newbury",
    ]


def test_text_splits_between_pages_by_whole_lines_without_widows_or_orphans() -> None:
    style = ADULT.body  # allowWidows=0, allowOrphans=0
    text = Text("word " * 200, style)
    _, height = text.wrap(300, 10_000)
    total = round(height / style.leading)
    assert total > 6
    first, rest = text.split(300, style.leading * 4.5)
    assert len(first.lines(300)) == 4 and len(rest.lines(300)) == total - 4
    assert text.split(300, style.leading * 1.5) == []  # one line alone at the bottom: move it all
    first, rest = text.split(300, style.leading * (total - 1))  # one line alone on the next page: no
    assert len(rest.lines(300)) == 2


def test_a_hyphenated_name_too_long_for_the_line_breaks_after_a_hyphen_never_inside_a_part() -> None:
    name = "Łukasz Wolfeschlegelsteinhausenbergerdorff-Ó'Brien-Śmith-Featherstonehaugh"
    width = 93.5 * 72 / 25.4  # the address block of a letter
    assert break_lines(name, fonts.BODY, 10.5, width) == [
        "Łukasz",
        "Wolfeschlegelsteinhausenbergerdorff-Ó'Brien-",
        "Śmith-Featherstonehaugh",
    ]
    assert break_lines("Ann Smith-Jones", fonts.BODY, 10.5, width) == ["Ann Smith-Jones"]
