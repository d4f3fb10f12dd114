"""The evaluation's question and its answer: plain frozen values, and how a rate is published.

``EvaluationRequest`` is what is asked (a period, schemes, age bands, reference
groups); ``EvaluationResult`` is every table of the answer, counts already
hidden where small (``domain.statistics``). The service
(``services.evaluation``) fills one from the database; the screen, the PDF and
the workbook (``reports/``) read it. No database and no Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from diversion_desktop.domain.evaluation import Dimension, Measure, RateKind, Step
from diversion_desktop.domain.statistics import Difference, Interval, Ratio, Withheld, proportion

Count = int | Withheld  # a published count, or why it is not shown ("<5", or "[c]" to protect one)

FUNNEL_MEASURES: tuple[Step | Measure, ...] = (*Step, Measure.CLOSED, Measure.REPORTED)
FAIRNESS_COUNTS: tuple[Step | Measure, ...] = (*Step, Measure.REPORTED)


# -- the question -----------------------------------------------------------------------------
@dataclass(frozen=True)
class EvaluationRequest:
    """What to evaluate. Empty ``schemes`` / ``age_bands`` mean all of them. A reference
    group left empty is the largest group of its dimension (other than not stated or
    not recorded)."""

    date_from: date
    date_to: date
    schemes: tuple[str, ...] = ()  # scheme codes
    age_bands: tuple[str, ...] = ()  # printed labels, as domain.evaluation.AGE_BAND_LABELS
    reference_ethnicity: str = ""
    reference_sex: str = ""
    reference_age_band: str = ""

    def reference_for(self, dimension: Dimension) -> str:
        return {
            Dimension.ETHNICITY: self.reference_ethnicity,
            Dimension.SEX: self.reference_sex,
            Dimension.AGE_BAND: self.reference_age_band,
        }[dimension]


# -- the answer -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemeInfo:
    code: str
    area: str
    kind: str  # SchemeKind value, or "" for a scheme no longer configured
    kind_label: str
    hours_per_custody: float | None  # None for a scheme no longer configured

    @property
    def label(self) -> str:
        return self.area


@dataclass(frozen=True)
class Rate:
    """numerator ÷ denominator as published. ``hidden`` when either count is hidden;
    ``value`` is None when hidden or when there is nothing to divide by."""

    numerator: Count
    denominator: Count
    value: float | None
    interval: Interval | None  # the 95 % Wilson interval, where asked for

    @property
    def hidden(self) -> bool:
        return isinstance(self.numerator, Withheld) or isinstance(self.denominator, Withheld)


def make_rate(numerator: Count, denominator: Count, with_interval: bool = True) -> Rate:
    if isinstance(numerator, Withheld) or isinstance(denominator, Withheld) or denominator == 0:
        return Rate(numerator, denominator, None, None)
    if with_interval:
        found = proportion(numerator, denominator)
        assert found is not None
        return Rate(numerator, denominator, found.value, found.interval)
    return Rate(numerator, denominator, numerator / denominator, None)


@dataclass(frozen=True)
class FunnelRow:
    step: Step
    count: Count
    of_assessed: Rate
    of_previous: Rate | None  # None for the first step

    @property
    def drop_off(self) -> float | None:
        """Share of the previous step that did not reach this one (none for the first step,
        nor for the consequence, which is a way out of "accepted" beside completion)."""
        if self.step is Step.CONSEQUENCE or self.of_previous is None or self.of_previous.value is None:
            return None
        return 1.0 - self.of_previous.value


@dataclass(frozen=True)
class Funnel:
    label: str  # the scheme's area, or "All" for every scheme in the selection
    scheme: SchemeInfo | None
    steps: tuple[FunnelRow, ...]
    closed: Count
    reported: Count

    def count(self, step: Step) -> Count:
        return next(row.count for row in self.steps if row.step is step)


@dataclass(frozen=True)
class RateRow:
    label: str
    rate: Rate


@dataclass(frozen=True)
class PilotRow:
    kind: RateKind
    first: Rate
    second: Rate
    difference: Difference | None  # second − first; None when hidden or not computable

    @property
    def hidden(self) -> bool:
        return self.first.hidden or self.second.hidden


@dataclass(frozen=True)
class PilotComparison:
    first: str  # "Voluntary attendance (West Berkshire)"
    second: str  # "Deferred prosecution (Windsor and Maidenhead)"
    rows: tuple[PilotRow, ...]


@dataclass(frozen=True)
class RepeatRow:
    label: str  # scheme area or "All"
    outcome: str  # "Completed", "Not completed" or "All"
    rate: Rate  # repeats ÷ cohort, with its interval


@dataclass(frozen=True)
class HoursCell:
    diversions: Count
    hours: float | None  # None when the diversions are hidden or the scheme has no setting


@dataclass(frozen=True)
class HoursRow:
    month: str  # "2026-01", or "" for the period's total
    by_scheme: tuple[HoursCell, ...]  # in the order of EvaluationResult.schemes
    total: HoursCell


@dataclass(frozen=True)
class MonthRow:
    month: str
    referrals: tuple[Count, ...]  # per scheme, taken in the month
    completions: tuple[Count, ...]  # per scheme: of those referrals, how many have completed


@dataclass(frozen=True)
class GroupRate:
    rate: Rate
    ratio: Ratio | None  # against the reference group; None when hidden, not computable or the reference itself
    hidden: bool  # the ratio would use a hidden count


@dataclass(frozen=True)
class FairnessRow:
    group: str
    counts: tuple[Count, ...]  # per FAIRNESS_COUNTS
    shares: tuple[Rate, ...]  # count ÷ the step's total, per FAIRNESS_COUNTS
    rates: tuple[GroupRate, ...]  # per FAIRNESS_RATES
    is_reference: bool = False
    is_total: bool = False


@dataclass(frozen=True)
class FairnessTable:
    dimension: Dimension
    reference: str  # the reference group ("" when there is none)
    note: str  # why there is no reference, if so
    rows: tuple[FairnessRow, ...]  # the groups, then the total


@dataclass(frozen=True)
class EvaluationResult:
    request: EvaluationRequest
    generated_at: datetime
    schemes: tuple[SchemeInfo, ...]
    funnels: tuple[Funnel, ...]  # each scheme, then "All"
    completion_by_scheme: tuple[RateRow, ...]  # each scheme, then "All"
    completion_by_age: tuple[RateRow, ...]  # each age band present, then "All"
    pilots: PilotComparison | None  # None unless both scheme kinds are in the selection
    repeat: tuple[RepeatRow, ...]
    follow_up_cutoff: date  # first referrals on or before this day have had 12 months
    hours: tuple[HoursRow, ...]  # per month of the period
    hours_total: HoursRow
    monthly: tuple[MonthRow, ...]
    fairness: tuple[FairnessTable, ...]  # ethnicity, sex, age band
    database_seconds: float = field(compare=False)

    @property
    def total_funnel(self) -> Funnel:
        return self.funnels[-1]

    def fairness_for(self, dimension: Dimension) -> FairnessTable:
        return next(table for table in self.fairness if table.dimension is dimension)


def normalise_band(text: str) -> str:
    """An age band as typed ("18-24", "under 10") as printed ("18–24", "Under 10")."""
    text = text.strip().replace("-", "\u2013")
    return text.capitalize() if text.casefold() == "under 10" else text
