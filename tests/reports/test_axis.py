"""Where a chart's value axis puts its ticks: whole-number steps for counts, so small counts never print
"0 0 0 1 1 1" (steps of 0.2 printed without decimals)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from diversion_desktop.reports import axis, charts

WIDTH = 480


@pytest.mark.parametrize(
    ("span", "whole", "step"),
    [
        (1, False, 0.2),
        (1, True, 1),  # every count hidden: the axis runs 0, 1
        (2, False, 0.5),
        (2, True, 1),
        (3, True, 1),
        (7, True, 2),
        (12, False, 2.5),
        (12, True, 5),  # not 2.5: its multiples print as 0 2 5 8 10 12
        (23, True, 5),
        (100, True, 20),
        (120, True, 25),  # 25 is whole
        (214.5, True, 50),
        (0.01, True, 1),
        (0, True, 1),
    ],
)
def test_nice_step(span: float, whole: bool, step: float) -> None:
    assert axis.nice_step(span, whole=whole) == pytest.approx(step)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 100, [0, 20, 40, 60, 80, 100]),  # percentages
        (-20, 20, [-20, -10, 0, 10, 20]),  # percentage points either side of 0
        (-60, 60, [-50, -25, 0, 25, 50]),  # multiples of the step, 0 among them, none past the ends
        (-70, 70, [-50, 0, 50]),
    ],
)
def test_ticks_are_multiples_of_the_step_within_the_range(low: float, high: float, expected: list[float]) -> None:
    assert axis.ticks(low, high, whole=True) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (0, [0, 1]),  # nothing to show
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (3, [0, 1, 2, 3]),
        (5, [0, 1, 2, 3, 4, 5]),
        (6, [0, 2, 4, 6]),
        (9, [0, 2, 4, 6, 8, 10]),
        (23, [0, 5, 10, 15, 20, 25]),
        (25.76, [0, 10, 20, 30]),
    ],
)
def test_ticks_from_zero_are_whole_and_reach_the_largest(largest: float, expected: list[float]) -> None:
    assert axis.ticks_from_zero(largest) == expected


def _numbers(drawing, tmp_path) -> list[str]:
    """The numbers printed on a chart, in the order drawn (its only numbers are its axis labels here)."""
    from reportlab.graphics import renderPDF

    path = tmp_path / "chart.pdf"
    renderPDF.drawToFile(drawing, str(path))
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [word for word in text.split() if re.fullmatch(r"[\d,]+", word)]


SMALL_COUNTS = ([None, None, None], [0, None, 1], [2, 1, None], [3, 0, 1], [7, 5, 0])


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize(
    ("kind", "values"),
    # A bar chart prints each value at its bar's end: every count hidden, so that its only numbers are its axis'.
    [("bar", [None, None, None])] + [(kind, values) for kind in ("line", "column") for values in SMALL_COUNTS],
)
def test_small_counts_are_labelled_with_distinct_whole_numbers(kind: str, values: list, tmp_path) -> None:
    if kind == "bar":
        series = [charts.Series("West Berkshire", values, ["<5"] * 3)]
        drawing = charts.bar_chart("Referrals reaching each step", ["Assessed", "Eligible", "Offered"], series, WIDTH)
    else:
        series = [charts.Series("West Berkshire", values)]
        draw = charts.line_chart if kind == "line" else charts.column_chart
        drawing = draw("Referrals per month", ["Jan", "Feb", "Mar"], series, WIDTH)
    labels = [int(word.replace(",", "")) for word in _numbers(drawing, tmp_path)]
    largest = max((v for v in values if v is not None), default=0)
    assert labels[0] == 0 and labels[-1] >= largest, labels
    steps = {b - a for a, b in zip(labels, labels[1:], strict=False)}
    assert len(steps) == 1 and min(steps) >= 1, labels  # evenly spaced, whole, none repeated
