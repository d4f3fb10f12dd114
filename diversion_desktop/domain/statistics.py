"""The statistics of the evaluation: intervals, differences, ratios and small-number suppression.

Pure functions over counts; no database and no Qt. The intervals come from
scipy where it has them (Wilson score interval, relative risk with its log
interval); Newcombe's interval for a difference is built, as Newcombe
defined it, from the two Wilson intervals.

- :func:`proportion` — k out of n with its 95 % Wilson score interval
  (``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``).
- :func:`difference` — p1 − p2 with Newcombe's hybrid score interval
  (Newcombe 1998, method 10): with (l1, u1) and (l2, u2) the Wilson intervals,
  lower = d − √((p1 − l1)² + (u2 − p2)²), upper = d + √((u1 − p1)² + (p2 − l2)²).
- :func:`rate_ratio` — (k1/n1) ÷ (k2/n2) with the log (Katz) interval
  exp(ln RR ± 1.96 √(1/k1 − 1/n1 + 1/k2 − 1/n2))
  (``scipy.stats.contingency.relative_risk``). No ratio when either count is 0.
- :func:`suppress` — which counts to hide: every count under 5 (primary), and
  then, wherever a published total and its parts would let a hidden count be
  worked out by subtraction, the next-smallest part too (secondary).

scipy is imported on first use: it takes about a second to load, and the
application should not wait for it at start.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

CONFIDENCE = 0.95
SUPPRESS_BELOW = 5  # counts 0-4 are shown as "<5"

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def excludes(self, value: float) -> bool:
        return value < self.low or value > self.high


@dataclass(frozen=True)
class Proportion:
    """k out of n, with its Wilson score interval."""

    successes: int
    trials: int
    interval: Interval

    @property
    def value(self) -> float:
        return self.successes / self.trials


@dataclass(frozen=True)
class Difference:
    """p1 − p2 with Newcombe's hybrid score interval (as a fraction; ×100 for percentage points)."""

    estimate: float
    interval: Interval

    @property
    def excludes_zero(self) -> bool:
        return self.interval.excludes(0.0)


@dataclass(frozen=True)
class Ratio:
    """A rate ratio with its log interval; ``flagged`` when the interval excludes 1."""

    estimate: float
    interval: Interval

    @property
    def flagged(self) -> bool:
        return self.interval.excludes(1.0)

    @property
    def direction(self) -> str:
        """ "higher" or "lower" when the interval excludes 1, else ""."""
        if self.interval.low > 1.0:
            return "higher"
        if self.interval.high < 1.0:
            return "lower"
        return ""


def wilson(successes: int, trials: int, confidence: float = CONFIDENCE) -> Interval:
    """The Wilson score interval for successes/trials (trials ≥ 1)."""
    _check_counts(successes, trials)
    if trials == 0:
        raise ValueError("A proportion needs at least one trial.")
    from scipy.stats import binomtest

    ci = binomtest(successes, trials).proportion_ci(confidence_level=confidence, method="wilson")
    # At k = 0 or k = n one bound is exactly 0 or 1; keep it exact.
    low = 0.0 if successes == 0 else float(ci.low)
    high = 1.0 if successes == trials else float(ci.high)
    return Interval(low, high)


def proportion(successes: int, trials: int, confidence: float = CONFIDENCE) -> Proportion | None:
    """successes/trials with its Wilson interval; None when there are no trials."""
    _check_counts(successes, trials)
    if trials == 0:
        return None
    return Proportion(successes, trials, wilson(successes, trials, confidence))


def difference(first: Proportion, second: Proportion) -> Difference:
    """first − second, with Newcombe's hybrid score interval from the two Wilson intervals."""
    p1, p2 = first.value, second.value
    l1, u1 = first.interval.low, first.interval.high
    l2, u2 = second.interval.low, second.interval.high
    estimate = p1 - p2
    low = estimate - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = estimate + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference(estimate, Interval(low, high))


def rate_ratio(k1: int, n1: int, k2: int, n2: int, confidence: float = CONFIDENCE) -> Ratio | None:
    """(k1/n1) ÷ (k2/n2) with its log interval; None when a count or a denominator is 0.

    With a zero count the ratio is 0 or infinite and the log interval does not
    exist; the tables then say there is nothing to compare.
    """
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    if 0 in (k1, n1, k2, n2):
        return None
    from scipy.stats.contingency import relative_risk

    result = relative_risk(k1, n1, k2, n2)
    ci = result.confidence_interval(confidence_level=confidence)
    return Ratio(float(result.relative_risk), Interval(float(ci.low), float(ci.high)))


def _check_counts(successes: int, trials: int) -> None:
    if successes < 0 or trials < 0 or successes > trials:
        raise ValueError(f"Counts must satisfy 0 ≤ {successes} ≤ {trials}.")


# -- small-number suppression ------------------------------------------------------------------
class Withheld(Enum):
    """Why a count is not shown."""

    SMALL = f"<{SUPPRESS_BELOW}"  # primary: the count is under 5
    PROTECTED = "[c]"  # secondary: shown, it would let a count under 5 be worked out (it may be any size)


def suppress(
    counts: Mapping[K, int],
    groups: Iterable[tuple[K, Sequence[K]]],
    below: int = SUPPRESS_BELOW,
    structural: Iterable[K] = (),
) -> dict[K, Withheld]:
    """The counts to hide, and why.

    ``counts`` holds every count to be published, by key. ``groups`` says which
    published counts add up to which published total: (total key, part keys).
    ``structural`` names counts that the rules make zero (no young person is
    reported for prosecution): when such a count is 0 it tells nothing and is shown.

    Primary: every other count under ``below`` is hidden (:attr:`Withheld.SMALL`).
    Secondary: a hidden count must not be recoverable from its group, so in every
    group where exactly one of the total and its parts is hidden, the smallest
    part still shown is hidden too (the total itself, when no part is left)
    (:attr:`Withheld.PROTECTED`). Hiding one count can expose another group, so
    this repeats until nothing changes; counts are only ever added, so it ends.
    """
    groups = [(total, tuple(parts)) for total, parts in groups]
    for total, parts in groups:
        missing = [key for key in (total, *parts) if key not in counts]
        if missing:
            raise KeyError(f"Group refers to counts that are not given: {missing}")
    known_zero = {key for key in structural if counts.get(key) == 0}
    withheld: dict[K, Withheld] = {
        key: Withheld.SMALL for key, value in counts.items() if value < below and key not in known_zero
    }
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            if sum(1 for key in (total, *parts) if key in withheld) != 1:
                continue
            shown_parts = [key for key in parts if key not in withheld and key not in known_zero]
            if shown_parts:
                # The smallest first; among equals, the first listed (the same choice every time).
                withheld[min(shown_parts, key=lambda key: counts[key])] = Withheld.PROTECTED
            elif total not in withheld:
                withheld[total] = Withheld.PROTECTED
            else:
                continue  # only the total is hidden and every part is a known zero: nothing to protect
            changed = True
    return withheld


def published(counts: Mapping[K, int], withheld: Mapping[K, Withheld]) -> dict[K, int | Withheld]:
    """The counts as published: the reason in place of each hidden one."""
    return {key: withheld.get(key, value) for key, value in counts.items()}
