"""The booking rules (issue 13 §3.14): past times and overlapping sessions refused, close ones warned."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from diversion_desktop.domain.programme import Attendance, check_booking, holds_its_time

NOW = datetime(2026, 3, 10, 12, 0)
TEN = datetime(2026, 3, 12, 10, 0)  # another appointment of the person's


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.mark.parametrize(
    ("when", "others", "refused", "warned"),
    [
        (TEN, [], [], []),  # nothing else: fine
        (NOW, [], [], []),  # now is not the past
        (NOW - minutes(1), [], ["is in the past"], []),  # a minute ago
        (NOW - timedelta(days=3), [], ["is in the past"], []),
        (TEN, [TEN], ["at the same time"], []),  # a double booking
        (TEN + minutes(1), [TEN], ["1 min apart"], []),  # one minute apart
        (TEN - minutes(29), [TEN], ["29 min apart"], []),
        (TEN + minutes(30), [TEN], [], ["only 30 min before this one"]),  # back to back: ask
        (TEN - minutes(90), [TEN], [], ["only 1 h 30 min after this one"]),
        (TEN + timedelta(hours=2), [TEN], [], []),  # two hours on: fine
        (TEN + timedelta(days=7), [TEN], [], []),
        (TEN + minutes(45), [TEN, TEN + minutes(60)], ["15 min apart"], ["only 45 min before this one"]),
        (NOW - minutes(5), [NOW - minutes(5)], ["is in the past", "at the same time"], []),
    ],
)
def test_check_booking(when: datetime, others: list[datetime], refused: list[str], warned: list[str]) -> None:
    check = check_booking(when, NOW, others)
    assert len(check.refusals) == len(refused) and len(check.warnings) == len(warned), check
    for text, expected in zip(check.refusals, refused, strict=True):
        assert expected in text
    for text, expected in zip(check.warnings, warned, strict=True):
        assert expected in text
    assert check.allowed is (not refused)


@pytest.mark.parametrize(
    ("attendance", "holds"),
    [
        (None, True),  # still booked
        (Attendance.ATTENDED, True),
        (Attendance.NOT_ATTENDED, False),  # missed: the slot is free again
        (Attendance.CANCELLED, False),
        (Attendance.REBOOKED, False),
    ],
)
def test_which_appointments_hold_their_time(attendance: Attendance | None, holds: bool) -> None:
    assert holds_its_time(attendance) is holds
