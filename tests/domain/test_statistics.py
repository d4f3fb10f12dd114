"""The evaluation's statistics against values worked out by hand (and published ones)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from diversion_desktop.domain.evaluation import (
    Measure,
    Step,
    add_months,
    band_label,
    months_between,
    recorded_group,
    steps_reached,
)
from diversion_desktop.domain.statistics import (
    Withheld,
    difference,
    proportion,
    published,
    rate_ratio,
    suppress,
    wilson,
)

Z = 1.959963984540054  # the 97.5th percentile of the normal distribution


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """(p + z²/2n ± z√(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


# -- the Wilson interval ------------------------------------------------------------------------------
def test_wilson_interval_for_7_of_10() -> None:
    # p = 0.7, z²/n = 0.38415: centre 0.89207/1.38415 = 0.64449, half-width 0.24771.
    interval = wilson(7, 10)
    assert interval.low == pytest.approx(0.39677, abs=1e-5)
    assert interval.high == pytest.approx(0.89220, abs=1e-5)
    assert (interval.low, interval.high) == pytest.approx(wilson_by_hand(7, 10), abs=1e-12)


@pytest.mark.parametrize(("k", "n"), [(12, 17), (78, 100), (1, 3), (20, 31)])
def test_wilson_interval_matches_the_formula(k: int, n: int) -> None:
    interval = wilson(k, n)
    assert (interval.low, interval.high) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)


def test_wilson_interval_stays_within_0_and_1() -> None:
    # At k = 0 the lower bound is exactly 0 and the upper z²/(n + z²) = 3.8415/13.8415 = 0.27753.
    none = wilson(0, 10)
    assert none.low == 0.0 and none.high == pytest.approx(0.27753, abs=1e-5)
    every = wilson(10, 10)
    assert every.high == 1.0 and every.low == pytest.approx(1 - 0.27753, abs=1e-5)


def test_proportion_needs_trials_and_sane_counts() -> None:
    assert proportion(0, 0) is None
    found = proportion(3, 4)
    assert found is not None and found.value == 0.75
    with pytest.raises(ValueError):
        proportion(5, 4)
    with pytest.raises(ValueError):
        wilson(0, 0)


# -- the difference of two proportions (Newcombe's hybrid score interval) ---------------------------------
def test_newcombe_difference_matches_the_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17, 873–890, example (a): 56/70 − 48/80 = 0.2000,
    # method 10 interval 0.0524 to 0.3339.
    diff = difference(proportion(56, 70), proportion(48, 80))  # type: ignore[arg-type]  # both computable here
    assert diff.estimate == pytest.approx(0.2)
    assert diff.interval.low == pytest.approx(0.0524, abs=5e-5)
    assert diff.interval.high == pytest.approx(0.3339, abs=5e-5)
    assert diff.excludes_zero


def test_newcombe_difference_from_the_two_wilson_intervals_by_hand() -> None:
    # 8/14 − 12/17: d = 0.571429 − 0.705882 = −0.134454; the bounds from the Wilson intervals.
    l1, u1 = wilson_by_hand(8, 14)
    l2, u2 = wilson_by_hand(12, 17)
    p1, p2 = 8 / 14, 12 / 17
    diff = difference(proportion(8, 14), proportion(12, 17))  # type: ignore[arg-type]  # both computable here
    assert diff.estimate == pytest.approx(-0.134454, abs=1e-6)
    assert diff.interval.low == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    assert diff.interval.high == pytest.approx(p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    assert not diff.excludes_zero


# -- the rate ratio (log interval) ----------------------------------------------------------------------------
def test_rate_ratio_with_its_log_interval() -> None:
    # (10/50) ÷ (20/60) = 0.6; SE(ln RR) = √(1/10 − 1/50 + 1/20 − 1/60) = √0.113333 = 0.336650;
    # 0.6 × exp(∓1.96 × 0.336650) = 0.31017 to 1.16067: contains 1, no flag.
    ratio = rate_ratio(10, 50, 20, 60)
    assert ratio is not None
    assert ratio.estimate == pytest.approx(0.6)
    se = math.sqrt(1 / 10 - 1 / 50 + 1 / 20 - 1 / 60)
    assert ratio.interval.low == pytest.approx(0.6 * math.exp(-Z * se))
    assert ratio.interval.high == pytest.approx(0.6 * math.exp(Z * se))
    assert ratio.interval.low == pytest.approx(0.31017, abs=1e-5)
    assert not ratio.flagged and ratio.direction == ""


def test_a_ratio_whose_interval_excludes_1_is_flagged() -> None:
    # (30/50) ÷ (10/50) = 3; SE = √(1/30 − 1/50 + 1/10 − 1/50) = 0.305505; 3 × exp(∓0.598779) = 1.6485 to 5.4596.
    higher = rate_ratio(30, 50, 10, 50)
    assert higher is not None and higher.flagged and higher.direction == "higher"
    assert higher.interval.low == pytest.approx(1.6485, abs=1e-4)
    assert higher.interval.high == pytest.approx(5.4596, abs=1e-4)
    lower = rate_ratio(10, 50, 30, 50)
    assert lower is not None and lower.flagged and lower.direction == "lower"
    assert lower.estimate == pytest.approx(1 / 3)


def test_no_ratio_with_a_zero_count() -> None:
    assert rate_ratio(0, 20, 5, 20) is None
    assert rate_ratio(5, 20, 0, 20) is None
    assert rate_ratio(0, 0, 5, 20) is None


# -- small-number suppression ---------------------------------------------------------------------------------
def test_every_count_under_5_is_hidden() -> None:
    counts = {"a": 0, "b": 4, "c": 5, "d": 120}
    assert suppress(counts, []) == {"a": Withheld.SMALL, "b": Withheld.SMALL}
    assert published(counts, suppress(counts, [])) == {"a": Withheld.SMALL, "b": Withheld.SMALL, "c": 5, "d": 120}


def test_a_lone_hidden_count_takes_the_next_smallest_with_it() -> None:
    # 3 + 10 + 12 = 25: with only the 3 hidden, 25 − 10 − 12 would give it away, so the 10 goes too.
    counts = {"total": 25, "a": 3, "b": 10, "c": 12}
    hidden = suppress(counts, [("total", ["a", "b", "c"])])
    assert hidden == {"a": Withheld.SMALL, "b": Withheld.PROTECTED}


def test_two_hidden_counts_protect_each_other() -> None:
    counts = {"total": 25, "a": 2, "b": 3, "c": 20}
    assert suppress(counts, [("total", ["a", "b", "c"])]) == {"a": Withheld.SMALL, "b": Withheld.SMALL}


def test_a_group_of_one_hides_its_total() -> None:
    # The only part equals the total: hiding the part means hiding the total.
    counts = {"total": 3, "only": 3}
    assert suppress(counts, [("total", ["only"])]) == {"total": Withheld.SMALL, "only": Withheld.SMALL}
    counts = {"total": 9, "only": 9, "other_total": 9}
    hidden = suppress({**counts, "small": 2, "sum": 11}, [("sum", ["other_total", "small"]), ("other_total", ["only"])])
    # 9 + 2 = 11 hides the 9 (other_total); then other_total's only part (9) must go too.
    assert hidden == {"small": Withheld.SMALL, "other_total": Withheld.PROTECTED, "only": Withheld.PROTECTED}


def test_secondary_suppression_runs_through_rows_and_columns() -> None:
    #            c1   c2   c3 | row total
    #      r1     3    8    9 |  20
    #      r2     7    6   10 |  23
    #   column   10   14   19 |  43
    # The 3 is hidden. Row r1 then hides its next smallest, the 8; column c1 hides the 7; column c2,
    # now with the 8 hidden alone, hides the 6. Row r2 then has two hidden: nothing more.
    grid = {("r1", "c1"): 3, ("r1", "c2"): 8, ("r1", "c3"): 9, ("r2", "c1"): 7, ("r2", "c2"): 6, ("r2", "c3"): 10}
    totals = {
        ("r1", "all"): 20,
        ("r2", "all"): 23,
        ("all", "c1"): 10,
        ("all", "c2"): 14,
        ("all", "c3"): 19,
        ("all", "all"): 43,
    }
    groups = [((row, "all"), [(row, c) for c in ("c1", "c2", "c3")]) for row in ("r1", "r2")]
    groups += [(("all", c), [(r, c) for r in ("r1", "r2")]) for c in ("c1", "c2", "c3")]
    groups += [
        (("all", "all"), [("r1", "all"), ("r2", "all")]),
        (("all", "all"), [("all", c) for c in ("c1", "c2", "c3")]),
    ]
    counts = {**grid, **totals}
    hidden = suppress(counts, groups)
    assert hidden == {
        ("r1", "c1"): Withheld.SMALL,
        ("r1", "c2"): Withheld.PROTECTED,
        ("r2", "c1"): Withheld.PROTECTED,
        ("r2", "c2"): Withheld.PROTECTED,
    }
    # Whatever the pattern, no group is left with a single hidden count to be worked out by subtraction.
    for total, parts in groups:
        assert sum(1 for key in (total, *parts) if key in hidden) != 1


def test_a_zero_the_rules_make_is_shown() -> None:
    # A voluntary attendance scheme never reports anyone for prosecution: its 0 tells nothing.
    counts = {"all": 12, "voluntary": 0, "deferred": 12}
    assert suppress(counts, [("all", ["voluntary", "deferred"])], structural=["voluntary"]) == {}
    # The same zero where the rules do not make it is hidden, and takes the 12 with it.
    assert suppress(counts, [("all", ["voluntary", "deferred"])]) == {
        "voluntary": Withheld.SMALL,
        "deferred": Withheld.PROTECTED,
    }
    # A "structural" count that is not zero (the rules changed) is treated as any other.
    assert suppress({"x": 3}, [], structural=["x"]) == {"x": Withheld.SMALL}


def test_groups_must_name_published_counts() -> None:
    with pytest.raises(KeyError):
        suppress({"a": 1}, [("total", ["a"])])


# -- the words as code ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("state", "reached"),
    [
        (("not_eligible", "not_eligible", "", 0), {Step.ASSESSED}),
        (("declined", "declined", "", 0), {Step.ASSESSED, Step.ELIGIBLE, Step.OFFERED}),
        (("booked", "", "", 0), {Step.ASSESSED, Step.ELIGIBLE, Step.OFFERED, Step.ACCEPTED}),
        (("booked", "", "", 1), {Step.ASSESSED, Step.ELIGIBLE, Step.OFFERED, Step.ACCEPTED, Step.ATTENDED}),
        (
            ("completed", "completed", "no_further_action", 2),
            {Step.ASSESSED, Step.ELIGIBLE, Step.OFFERED, Step.ACCEPTED, Step.ATTENDED, Step.COMPLETED},
        ),
        # imported history: completed, with no appointment rows kept
        (
            ("completed", "completed", "no_further_action", 0),
            {Step.ASSESSED, Step.ELIGIBLE, Step.OFFERED, Step.ACCEPTED, Step.ATTENDED, Step.COMPLETED},
        ),
        (("awaiting_confirmation", "", "", 0), {Step.ASSESSED, Step.ELIGIBLE, Step.OFFERED, Step.ACCEPTED}),
        (
            ("closed", "not_attended", "report_for_prosecution", 0),
            {Step.ASSESSED, Step.ELIGIBLE, Step.OFFERED, Step.ACCEPTED, Step.CONSEQUENCE, Measure.REPORTED},
        ),
    ],
)
def test_steps_reached_by_each_stored_state(state: tuple, reached: set) -> None:
    assert set(steps_reached(*state)) == reached


def test_groups_and_months() -> None:
    assert recorded_group("") == "Not recorded" and recorded_group("Not stated") == "Not stated"
    assert band_label("10-13") == "10\u201313" and band_label("under 10") == "Under 10"
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == ("2025-11", "2025-12", "2026-01", "2026-02")
    assert add_months(date(2024, 2, 29), -12) == date(2023, 2, 28)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
