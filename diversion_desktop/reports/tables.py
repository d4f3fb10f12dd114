"""The evaluation as tables of typed cells: what the screen, the PDF and the workbook all show.

A :class:`Cell` knows its kind (a count, a rate, an interval, a ratio, ...) and
its value, and formats itself one way for every output: ``text`` for the screen
and the PDF, ``number`` (with ``number_format``) for a typed spreadsheet cell.
A count under 5 is never a number here: it arrives hidden from the service and
prints as "<5"; a share, rate or ratio built on a hidden count prints as "[c]",
and "–" means there is nothing to compute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, StrEnum

from diversion_desktop.domain.evaluation import (
    ALL,
    FAIRNESS_RATES,
    HIDDEN_TEXT,
    NONE_TEXT,
    SUPPRESSED_TEXT,
    Dimension,
    Measure,
    Step,
    month_label,
)
from diversion_desktop.domain.evaluation_result import (
    FAIRNESS_COUNTS,
    Count,
    EvaluationResult,
    GroupRate,
    Rate,
)
from diversion_desktop.domain.statistics import CONFIDENCE, Difference, Interval, Withheld

CI = f"{CONFIDENCE:.0%} CI"


class Kind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    PERCENT = "percent"  # a fraction, printed as a percentage
    PERCENT_RANGE = "percent_range"  # an interval of fractions
    POINTS = "points"  # a difference of fractions, printed in percentage points
    POINTS_RANGE = "points_range"
    RATIO = "ratio"
    RATIO_RANGE = "ratio_range"
    HOURS = "hours"


class Mark(Enum):
    """A cell with no figure in it, and why."""

    SUPPRESSED = SUPPRESSED_TEXT  # a count under 5
    HIDDEN = HIDDEN_TEXT  # would reveal a count under 5
    NONE = NONE_TEXT  # nothing to compute


RANGES = (Kind.PERCENT_RANGE, Kind.POINTS_RANGE, Kind.RATIO_RANGE)
_MINUS = "\u2212"


@dataclass(frozen=True)
class Cell:
    kind: Kind
    value: str | int | float | Interval | Mark

    @property
    def mark(self) -> Mark | None:
        return self.value if isinstance(self.value, Mark) else None

    @property
    def is_number(self) -> bool:
        return self.kind is not Kind.TEXT

    @property
    def text(self) -> str:
        value = self.value
        if isinstance(value, Mark):
            return value.value
        kind = self.kind
        if kind is Kind.TEXT:
            return str(value)
        if kind is Kind.COUNT:
            return f"{value:,}"
        if kind is Kind.PERCENT:
            return percent_text(float(value))  # type: ignore[arg-type]  # a number for this kind
        if kind is Kind.POINTS:
            return points_text(float(value))  # type: ignore[arg-type]  # a number for this kind
        if kind is Kind.RATIO:
            return f"{float(value):.2f}"  # type: ignore[arg-type]  # a number for this kind
        if kind is Kind.HOURS:
            return f"{float(value):,.1f}"  # type: ignore[arg-type]  # a number for this kind
        assert isinstance(value, Interval)
        if kind is Kind.PERCENT_RANGE:
            return f"{value.low * 100:.1f}\u2013{value.high * 100:.1f}%"
        if kind is Kind.POINTS_RANGE:
            return f"{points_text(value.low)} to {points_text(value.high)}"
        return f"{value.low:.2f}\u2013{value.high:.2f}"

    def numbers(self) -> tuple[str | int | float, ...]:
        """The typed value(s) for a spreadsheet: two for an interval (low, high); a mark is its text."""
        value = self.value
        if isinstance(value, Mark):
            return (value.value, value.value) if self.kind in RANGES else (value.value,)
        if self.kind is Kind.POINTS:
            return (round(float(value) * 100, 10),)  # type: ignore[arg-type]  # a number for this kind
        if self.kind is Kind.POINTS_RANGE:
            assert isinstance(value, Interval)
            return (round(value.low * 100, 10), round(value.high * 100, 10))
        if isinstance(value, Interval):
            return (value.low, value.high)
        return (value,)

    @property
    def number_format(self) -> str:
        return {
            Kind.TEXT: "@",
            Kind.COUNT: "#,##0",
            Kind.PERCENT: "0.0%",
            Kind.PERCENT_RANGE: "0.0%",
            Kind.POINTS: "+0.0;-0.0;0.0",
            Kind.POINTS_RANGE: "+0.0;-0.0;0.0",
            Kind.RATIO: "0.00",
            Kind.RATIO_RANGE: "0.00",
            Kind.HOURS: "#,##0.0",
        }[self.kind]


def percent_text(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def points_text(fraction: float) -> str:
    """A difference in percentage points, signed: "+4.2", "−3.0", "0.0"."""
    points = round(fraction * 100, 1)
    if points == 0:
        return "0.0"
    return f"+{points:.1f}" if points > 0 else f"{_MINUS}{abs(points):.1f}"


# -- cells from the result's values ---------------------------------------------------------------
def text(value: str) -> Cell:
    return Cell(Kind.TEXT, value)


def count(value: Count) -> Cell:
    if isinstance(value, Withheld):
        return Cell(Kind.COUNT, Mark.SUPPRESSED if value is Withheld.SMALL else Mark.HIDDEN)
    return Cell(Kind.COUNT, value)


def share(rate: Rate) -> Cell:
    """A rate's value alone (no interval)."""
    if rate.hidden:
        return Cell(Kind.PERCENT, Mark.HIDDEN)
    return Cell(Kind.PERCENT, Mark.NONE if rate.value is None else rate.value)


def interval(rate: Rate) -> Cell:
    if rate.hidden:
        return Cell(Kind.PERCENT_RANGE, Mark.HIDDEN)
    return Cell(Kind.PERCENT_RANGE, Mark.NONE if rate.interval is None else rate.interval)


def fraction(value: float | None, hidden: bool = False) -> Cell:
    if hidden:
        return Cell(Kind.PERCENT, Mark.HIDDEN)
    return Cell(Kind.PERCENT, Mark.NONE if value is None else value)


def hours(value: float | None, hidden: bool) -> Cell:
    if hidden:
        return Cell(Kind.HOURS, Mark.HIDDEN)
    return Cell(Kind.HOURS, Mark.NONE if value is None else value)


# -- tables -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportTable:
    key: str  # a short name: the workbook's sheet name (at most 31 characters)
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = ()
    total_rows: frozenset[int] = field(default_factory=frozenset)  # printed in bold

    def __post_init__(self) -> None:
        if len(self.key) > 31:
            raise ValueError(f"Sheet name too long: {self.key!r}")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.key}: a row has {len(row)} cells for {len(self.columns)} columns")

    def column_texts(self, column: int) -> list[str]:
        return [row[column].text for row in self.rows]


LEGEND = (
    f"{SUPPRESSED_TEXT}: a count under 5, not shown.  {HIDDEN_TEXT}: not shown, because it would reveal "
    f"a count under 5.  {NONE_TEXT}: nothing to compute."
)


def evaluation_tables(result: EvaluationResult) -> tuple[ReportTable, ...]:
    """Every table of the evaluation, in the order the report prints them."""
    return (
        summary_table(result),
        funnel_table(result),
        completion_table(result, by_age=False),
        completion_table(result, by_age=True),
        *([pilots_table(result)] if result.pilots is not None else []),
        repeat_table(result),
        hours_table(result),
        monthly_table(result),
        *(table for dimension in Dimension for table in fairness_tables(result, dimension)),
    )


def selection_text(result: EvaluationResult) -> list[tuple[str, str]]:
    """(label, words) describing what the report covers."""
    request = result.request
    areas = ", ".join(s.area for s in result.schemes) if request.schemes else "All areas"
    bands = ", ".join(request.age_bands) if request.age_bands else "All ages"
    return [
        ("Period", f"{_day(request.date_from)} to {_day(request.date_to)} (by referral date)"),
        ("Areas", areas),
        ("Age bands", bands),
        ("Produced", f"{_day(result.generated_at.date())} at {result.generated_at:%H:%M}"),
    ]


def summary_table(result: EvaluationResult) -> ReportTable:
    """The headline figures (each row its own kind of figure)."""
    total = result.total_funnel
    none_range = Cell(Kind.PERCENT_RANGE, Mark.NONE)
    rows: list[tuple[Cell, ...]] = [
        (text("Referrals assessed"), count(total.count(Step.ASSESSED)), none_range),
        (text("Diversions (accepted)"), count(total.count(Step.ACCEPTED)), none_range),
    ]
    for row in result.completion_by_scheme:
        rows.append((text(f"Completion rate: {row.label}"), share(row.rate), interval(row.rate)))
    if result.pilots is not None:
        for pilot_row in result.pilots.rows:
            if pilot_row.kind.value == "completion":
                rows.append(
                    (
                        text("Completion rate: deferred prosecution minus voluntary attendance (points)"),
                        _points(pilot_row.difference, pilot_row.hidden),
                        _points_range(pilot_row.difference, pilot_row.hidden),
                    )
                )
    repeat_all = next(r for r in result.repeat if r.label == ALL and r.outcome == ALL)
    rows.append(
        (
            text("Repeat possession within 12 months of a first referral"),
            share(repeat_all.rate),
            interval(repeat_all.rate),
        )
    )
    saved = result.hours_total.total
    rows.append((text("Officer hours saved"), hours(saved.hours, hidden=saved.diversions is None), none_range))
    flags = sum(
        1
        for table in result.fairness
        for row in table.rows
        for rate in row.rates
        if rate.ratio is not None and rate.ratio.flagged
    )
    rows.append((text("Fairness: rate ratios whose 95% interval excludes 1"), Cell(Kind.COUNT, flags), none_range))
    return ReportTable("Summary", "Summary", ("Figure", "Value", CI), tuple(rows), (LEGEND,))


def funnel_table(result: EvaluationResult) -> ReportTable:
    rows: list[tuple[Cell, ...]] = []
    totals: set[int] = set()
    for funnel in result.funnels:
        for row in funnel.steps:
            previous = row.of_previous
            rows.append(
                (
                    text(funnel.label),
                    text(row.step.label),
                    count(row.count),
                    share(row.of_assessed),
                    share(previous) if previous is not None else Cell(Kind.PERCENT, Mark.NONE),
                    fraction(row.drop_off, hidden=previous.hidden)
                    if previous is not None and row.step is not Step.CONSEQUENCE
                    else Cell(Kind.PERCENT, Mark.NONE),
                )
            )
            if funnel.scheme is None:
                totals.add(len(rows) - 1)
        for label, value in ((Measure.CLOSED.label, funnel.closed), (Measure.REPORTED.label, funnel.reported)):
            rows.append(
                (
                    text(funnel.label),
                    text(label),
                    count(value),
                    Cell(Kind.PERCENT, Mark.NONE),
                    Cell(Kind.PERCENT, Mark.NONE),
                    Cell(Kind.PERCENT, Mark.NONE),
                )
            )
    notes = (
        "% of previous step: of the step above; for the consequence, of those accepted. Drop-off: the share "
        "of the step above that did not reach this step.",
        LEGEND,
    )
    return ReportTable(
        "Funnel",
        "The funnel, per area",
        ("Area", "Step", "Count", "% of assessed", "% of previous step", "Drop-off"),
        tuple(rows),
        notes,
        frozenset(totals),
    )


def completion_table(result: EvaluationResult, by_age: bool) -> ReportTable:
    source = result.completion_by_age if by_age else result.completion_by_scheme
    rows = tuple(
        (text(row.label), count(row.rate.numerator), count(row.rate.denominator), share(row.rate), interval(row.rate))
        for row in source
    )
    label = "Age band" if by_age else "Area"
    return ReportTable(
        "Completion by age band" if by_age else "Completion by area",
        f"Completion rate by {'age band' if by_age else 'area'}",
        (label, "Completed", "Closed diversions", "Completion rate", CI),
        rows,
        ("Completion rate = completed \u00f7 closed diversions (completed + consequence).", LEGEND),
        frozenset({len(rows) - 1}),
    )


def _points(diff, hidden: bool) -> Cell:  # noqa: ANN001 - Difference | None
    if hidden:
        return Cell(Kind.POINTS, Mark.HIDDEN)
    return Cell(Kind.POINTS, Mark.NONE if diff is None else diff.estimate)


def _points_range(diff: Difference | None, hidden: bool) -> Cell:
    if hidden:
        return Cell(Kind.POINTS_RANGE, Mark.HIDDEN)
    return Cell(Kind.POINTS_RANGE, Mark.NONE if diff is None else diff.interval)


DIFFERENCE_LABEL = "Difference (deferred prosecution \u2212 voluntary attendance), points"


def pilots_table(result: EvaluationResult) -> ReportTable:
    pilots = result.pilots
    assert pilots is not None
    rows: list[tuple[Cell, ...]] = []
    for row in pilots.rows:
        for name, rate in ((pilots.first, row.first), (pilots.second, row.second)):
            rows.append(
                (
                    text(row.kind.label),
                    text(name),
                    count(rate.numerator),
                    count(rate.denominator),
                    share(rate),
                    interval(rate),
                    text(""),
                )
            )
        differs = row.difference is not None and row.difference.excludes_zero
        rows.append(
            (
                text(row.kind.label),
                text(DIFFERENCE_LABEL),
                Cell(Kind.COUNT, Mark.NONE),
                Cell(Kind.COUNT, Mark.NONE),
                _points(row.difference, row.hidden),
                _points_range(row.difference, row.hidden),
                text("Yes" if differs else ""),
            )
        )
    notes = (
        "Acceptance = accepted \u00f7 offered; engagement = attended a first appointment \u00f7 accepted; "
        "completion = completed \u00f7 closed; repeat = repeat referral within 12 months \u00f7 cohort. "
        "Differences in percentage points with Newcombe's 95% interval; \u201cYes\u201d where the "
        "interval excludes 0.",
        LEGEND,
    )
    return ReportTable(
        "Pilots side by side",
        "The two pilots side by side",
        ("Measure", "Pilot", "Count", "Of", "Rate or difference", CI, "Excludes 0"),
        tuple(rows),
        notes,
    )


def repeat_table(result: EvaluationResult) -> ReportTable:
    rows = tuple(
        (
            text(row.label),
            text(row.outcome),
            count(row.rate.denominator),
            count(row.rate.numerator),
            share(row.rate),
            interval(row.rate),
        )
        for row in result.repeat
    )
    totals = frozenset(i for i, row in enumerate(result.repeat) if row.label == ALL)
    notes = [
        f"People whose first referral on record was taken in the period and on or before "
        f"{_day(result.follow_up_cutoff)} (so 12 months can be seen), and ended as a closed diversion. "
        "A repeat is a new referral of the same person within 12 months."
    ]
    if result.follow_up_cutoff < result.request.date_from:
        notes.append("No first referral of this period is 12 months old yet: there is nobody to count.")
    notes.append(LEGEND)
    return ReportTable(
        "Repeat possession",
        "Repeat possession within 12 months of a first referral",
        ("Area", "Outcome of the first referral", "People", "With a repeat", "Repeat rate", CI),
        rows,
        tuple(notes),
        totals,
    )


def hours_table(result: EvaluationResult) -> ReportTable:
    columns = ["Month"]
    for scheme in result.schemes:
        columns += [f"{scheme.area}: diversions", f"{scheme.area}: hours"]
    columns += ["All: diversions", "All: hours"]
    rows = []
    for row in (*result.hours, result.hours_total):
        cells = [text(month_label(row.month) if row.month else "Total")]
        for cell in (*row.by_scheme, row.total):
            cells += [count(cell.diversions), hours(cell.hours, hidden=cell.hours is None)]
        rows.append(tuple(cells))
    settings = "; ".join(
        f"{s.area}: {s.hours_per_custody:g} hours" if s.hours_per_custody is not None else f"{s.area}: no setting"
        for s in result.schemes
    )
    notes = (
        f"Diversions (accepted referrals) by month of referral \u00d7 hours per custody process ({settings}).",
        LEGEND,
    )
    return ReportTable(
        "Officer hours",
        "Officer hours saved, per month",
        tuple(columns),
        tuple(rows),
        notes,
        frozenset({len(rows) - 1}),
    )


def monthly_table(result: EvaluationResult) -> ReportTable:
    columns = ["Month"]
    for scheme in result.schemes:
        columns += [f"{scheme.area}: referrals", f"{scheme.area}: of which completed"]
    rows = []
    for row in result.monthly:
        cells = [text(month_label(row.month))]
        for referrals, completions in zip(row.referrals, row.completions):
            cells += [count(referrals), count(completions)]
        rows.append(tuple(cells))
    totals = [text("Total")]
    for funnel in result.funnels[:-1]:
        totals += [count(funnel.count(Step.ASSESSED)), count(funnel.count(Step.COMPLETED))]
    rows.append(tuple(totals))
    notes = (
        "Referrals by the month they were taken, and how many of them have completed the programme by the "
        "report date (the latest months' referrals are mostly still in progress).",
        LEGEND,
    )
    return ReportTable(
        "Monthly", "Referrals and completions per month", tuple(columns), tuple(rows), notes, frozenset({len(rows) - 1})
    )


_COUNT_TITLES = tuple(m.label if isinstance(m, (Step, Measure)) else str(m) for m in FAIRNESS_COUNTS)
_SHORT = {Dimension.ETHNICITY: "ethnicity", Dimension.SEX: "sex", Dimension.AGE_BAND: "age band"}


def fairness_tables(result: EvaluationResult, dimension: Dimension) -> tuple[ReportTable, ReportTable, ReportTable]:
    """Counts at each step, each group's share of each step, and the rates with their ratios."""
    table = result.fairness_for(dimension)
    short = _SHORT[dimension]
    total_row = frozenset({len(table.rows) - 1})
    counts = tuple((text(row.group), *(count(value) for value in row.counts)) for row in table.rows)
    shares = tuple((text(row.group), *(share(value) for value in row.shares)) for row in table.rows)
    rate_rows: list[tuple[Cell, ...]] = []
    totals: set[int] = set()
    # (the reference row says "reference"; the total row has no ratio)
    for row in table.rows:
        for kind, group_rate in zip(FAIRNESS_RATES, row.rates):
            rate_rows.append(
                (
                    text(row.group),
                    text(kind.label),
                    count(group_rate.rate.numerator),
                    count(group_rate.rate.denominator),
                    share(group_rate.rate),
                    interval(group_rate.rate),
                    *_ratio_cells(row.is_reference, row.is_total, group_rate),
                )
            )
            if row.is_total:
                totals.add(len(rate_rows) - 1)
    reference = f"Reference group: {table.reference}." if table.reference else table.note
    return (
        ReportTable(
            f"Fairness {short} counts"[:31],
            f"{dimension.label}: counts at each step",
            (dimension.label, *_COUNT_TITLES),
            counts,
            (LEGEND,),
            total_row,
        ),
        ReportTable(
            f"Fairness {short} shares"[:31],
            f"{dimension.label}: share of each step",
            (dimension.label, *_COUNT_TITLES),
            shares,
            ("Each group's count as a share of the step's total.", LEGEND),
            total_row,
        ),
        ReportTable(
            f"Fairness {short} rates"[:31],
            f"{dimension.label}: rates and ratios to the reference group",
            (dimension.label, "Measure", "Count", "Of", "Rate", CI, "Ratio to reference", f"Ratio {CI}", "Differs"),
            tuple(rate_rows),
            (
                reference,
                "Offered = offered \u00f7 assessed; completion = completed \u00f7 closed; "
                "prosecution = reported for prosecution \u00f7 closed. Higher or lower: the ratio's 95% "
                "interval excludes 1.",
                LEGEND,
            ),
            frozenset(totals),
        ),
    )


def _ratio_cells(is_reference: bool, is_total: bool, group_rate: GroupRate) -> tuple[Cell, Cell, Cell]:
    if is_reference:
        return text("reference"), Cell(Kind.RATIO_RANGE, Mark.NONE), text("")
    if is_total:
        return Cell(Kind.RATIO, Mark.NONE), Cell(Kind.RATIO_RANGE, Mark.NONE), text("")
    if group_rate.hidden:
        return Cell(Kind.RATIO, Mark.HIDDEN), Cell(Kind.RATIO_RANGE, Mark.HIDDEN), text("")
    ratio = group_rate.ratio
    if ratio is None:
        return Cell(Kind.RATIO, Mark.NONE), Cell(Kind.RATIO_RANGE, Mark.NONE), text("")
    return Cell(Kind.RATIO, ratio.estimate), Cell(Kind.RATIO_RANGE, ratio.interval), text(ratio.direction.capitalize())


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def find_table(tables: Sequence[ReportTable], key: str) -> ReportTable:
    return next(table for table in tables if table.key == key)
