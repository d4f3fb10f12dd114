"""The evaluation's arithmetic: from the database's grouped rows to the published tables.

The service's three GROUP BY queries (``services.evaluation``) return a few
thousand rows (``Counted``); ``tally`` adds them up into every count the
evaluation publishes, with the totals each adds up to, hides small numbers in
one suppression pass over all of them (so a count hidden in one table is hidden
in every table), works out the rates and intervals and lays out the
``EvaluationResult``. Pure: no database, no clock, no Qt.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from diversion_desktop.domain.age import ADULT_AGE
from diversion_desktop.domain.evaluation import (
    AGE_BAND_LABELS,
    ALL,
    FAIRNESS_RATES,
    NOT_RECORDED,
    PILOT_RATES,
    UNDER_AGE_BAND,
    Dimension,
    Measure,
    RateKind,
    Step,
    band_ranges,
    is_unknown_group,
    month_key,
    months_between,
    recorded_group,
    steps_reached,
)
from diversion_desktop.domain.evaluation_result import (
    FAIRNESS_COUNTS,
    FUNNEL_MEASURES,
    Count,
    EvaluationRequest,
    EvaluationResult,
    FairnessRow,
    FairnessTable,
    Funnel,
    FunnelRow,
    GroupRate,
    HoursCell,
    HoursRow,
    MonthRow,
    PilotComparison,
    PilotRow,
    Rate,
    RateRow,
    RepeatRow,
    SchemeInfo,
    make_rate,
)
from diversion_desktop.domain.people_codes import NOT_STATED
from diversion_desktop.domain.programme import Outcome
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.domain.schemes import SchemeKind
from diversion_desktop.domain.statistics import Withheld, difference, proportion, published, rate_ratio, suppress

# The person-group query counts these, in this order, after the number of referrals.
GROUP_COUNTED: tuple[Step | Measure, ...] = (
    Step.ELIGIBLE,
    Step.ACCEPTED,
    Step.ATTENDED,
    Step.COMPLETED,
    Step.CONSEQUENCE,
    Measure.REPORTED,
)


@dataclass(frozen=True)
class Counted:
    """What the three queries return: a few thousand grouped rows, never a row per referral."""

    by_day: list[tuple]  # (day, scheme, status, outcome, next step, sessions attended, n, n per age band but the last)
    by_person_group: list[tuple]  # (sex, ethnicity, n, *GROUP_COUNTED)
    repeats: list[tuple]  # (day, scheme, status, outcome, people, people with a repeat)


Key = tuple[Hashable, ...]
_OUTCOMES = (("completed", "Completed"), ("not_completed", "Not completed"))
_MONTHLY = ("referrals", "diversions", "completions")


def tally(
    registry: SchemeRegistry,
    request: EvaluationRequest,
    counted: Counted,
    cutoff: date,
    now: datetime,
    database_seconds: float,
) -> EvaluationResult:
    """The published result from the grouped rows. ``registry`` names the schemes counted (a
    scheme no longer configured keeps its code); ``cutoff`` is the last day a first referral can
    have had its 12 months of follow-up."""
    return _Builder(registry, request, counted, cutoff).build(now, database_seconds)


class _Builder:
    """Adds up the grouped rows, hides small numbers once for all tables, and lays out the result."""

    def __init__(self, registry: SchemeRegistry, request: EvaluationRequest, counted: Counted, cutoff: date) -> None:
        self.request = request
        self.cutoff = cutoff
        self.counts: dict[Key, int] = {}
        self.groups: list[tuple[Key, list[Key]]] = []
        self._add_up(counted)
        self.schemes = self._schemes(registry)
        self.codes = [s.code for s in self.schemes]
        kinds = {s.kind for s in self.schemes}
        self.compare = {SchemeKind.VOLUNTARY_ATTENDANCE.value, SchemeKind.DEFERRED_PROSECUTION.value} <= kinds
        self.period_months = months_between(request.date_from, request.date_to)

    # -- adding up (grouped rows only: a few thousand at most) ---------------------------------------
    def _add_up(self, counted: Counted) -> None:
        self.by_scheme: dict[str, Counter[Step | Measure]] = defaultdict(Counter)
        self.by_month: dict[tuple[str, str, str], int] = Counter()
        self.by_group: dict[tuple[Dimension, str], Counter[Step | Measure]] = defaultdict(Counter)
        labels = [label for label, _low, _high in band_ranges()]
        # Tens of thousands of rows (a day each) but few distinct states: add up per scheme and state
        # first, then spread each sum over the steps that state reached.
        per_state: dict[tuple[str, tuple[Step | Measure, ...]], list[int]] = {}
        reached_by_state: dict[tuple[str, str, str, int], tuple[Step | Measure, ...]] = {}
        month_of: dict[date | str, str] = {}
        for day, scheme, status, outcome, next_step, sessions, n, *in_bands in counted.by_day:
            state = (status, outcome or "", next_step or "", sessions or 0)
            reached = reached_by_state.get(state)
            if reached is None:
                reached = reached_by_state[state] = steps_reached(*state)
            sums = per_state.setdefault((scheme, reached), [0] * (len(in_bands) + 1))
            sums[0] += n
            for index, value in enumerate(in_bands, start=1):
                if value:
                    sums[index] += value
            month = month_of.get(day)
            if month is None:
                month = month_of[day] = month_key(_as_date(day))
            self.by_month[(scheme, month, "referrals")] += n
            if Step.ACCEPTED in reached:
                self.by_month[(scheme, month, "diversions")] += n
            if Step.COMPLETED in reached:
                self.by_month[(scheme, month, "completions")] += n
        for (scheme, reached), (n, *in_bands) in per_state.items():
            per_band = [*in_bands, n - sum(in_bands)]  # the last band is whoever is in none of the others
            for measure in reached:
                self.by_scheme[scheme][measure] += n
                for label, count in zip(labels, per_band):
                    if count:
                        self.by_group[(Dimension.AGE_BAND, label)][measure] += count
        for sex, ethnicity, n, *values in counted.by_person_group:
            numbers: Counter[Step | Measure] = Counter(dict(zip(GROUP_COUNTED, (int(v or 0) for v in values))))
            numbers[Step.ASSESSED] = n
            numbers[Step.OFFERED] = numbers[Step.ELIGIBLE]  # the offer is recorded with the decision
            self.by_group[(Dimension.SEX, recorded_group(sex))].update(numbers)
            self.by_group[(Dimension.ETHNICITY, recorded_group(ethnicity))].update(numbers)
        self.repeat: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for _day, scheme, _status, outcome, people, with_repeat in counted.repeats:
            name = "completed" if outcome == Outcome.COMPLETED.value else "not_completed"
            self.repeat[(scheme, name)]["cohort"] += int(people)
            self.repeat[(scheme, name)]["repeats"] += int(with_repeat or 0)

    def _schemes(self, registry: SchemeRegistry) -> tuple[SchemeInfo, ...]:
        codes = set(self.by_scheme)
        if self.request.schemes:
            codes |= {registry.find(code).code for code in self.request.schemes}  # type: ignore[union-attr]  # checked to exist
        else:
            codes |= {s.code for s in registry}
        infos = []
        for code in codes:
            scheme = registry.find(code)
            if scheme is None:
                infos.append(SchemeInfo(code, code, "", "Scheme no longer configured", None))
            else:
                infos.append(
                    SchemeInfo(
                        code, scheme.area, scheme.kind.value, scheme.kind.label, scheme.officer_hours_per_custody
                    )
                )
        order = {kind.value: index for index, kind in enumerate(SchemeKind)}
        return tuple(sorted(infos, key=lambda s: (order.get(s.kind, 9), s.area.casefold())))

    # -- every published count, and the totals they add up to ----------------------------------------
    def _cell(self, key: Key, value: int) -> Key:
        self.counts[key] = value
        return key

    def _group(self, total: Key, parts: Iterable[Key]) -> None:
        parts = list(parts)
        if parts:
            self.groups.append((total, parts))

    def _register(self) -> None:
        measures = FUNNEL_MEASURES
        every = [*self.codes, ALL]
        totals: Counter[Step | Measure] = Counter()
        for code in self.codes:
            totals.update(self.by_scheme.get(code, Counter()))
        for code in every:
            source = totals if code == ALL else self.by_scheme.get(code, Counter())
            for measure in measures:
                self._cell(("s", code, measure), _measure(source, measure))
            self._closed_groups(("s", code))
        for measure in measures:
            self._group(("s", ALL, measure), [("s", code, measure) for code in self.codes])

        if self.compare:
            for kind in (SchemeKind.VOLUNTARY_ATTENDANCE.value, SchemeKind.DEFERRED_PROSECUTION.value):
                members = [s.code for s in self.schemes if s.kind == kind]
                source = Counter()
                for code in members:
                    source.update(self.by_scheme.get(code, Counter()))
                for measure in measures:
                    self._cell(("k", kind, measure), _measure(source, measure))
                    self._group(("k", kind, measure), [("s", code, measure) for code in members])
                self._closed_groups(("k", kind))

        for dimension in Dimension:
            groups = self._groups_of(dimension)
            for group in groups:
                source = self.by_group[(dimension, group)]
                for measure in measures:
                    self._cell(("g", dimension, group, measure), _measure(source, measure))
                self._closed_groups(("g", dimension, group))
            for measure in measures:
                self._group(("s", ALL, measure), [("g", dimension, group, measure) for group in groups])

        step_of = {"referrals": Step.ASSESSED, "diversions": Step.ACCEPTED, "completions": Step.COMPLETED}
        for series in _MONTHLY:
            months = self.period_months
            for code in self.codes:
                keys = [
                    self._cell(("m", code, month, series), self.by_month.get((code, month, series), 0))
                    for month in months
                ]
                self._group(("s", code, step_of[series]), keys)
            if series == "diversions":
                for month in months:
                    key = self._cell(
                        ("m", ALL, month, series),
                        sum(self.by_month.get((code, month, series), 0) for code in self.codes),
                    )
                    self._group(key, [("m", code, month, series) for code in self.codes])
                self._group(("s", ALL, Step.ACCEPTED), [("m", ALL, month, series) for month in months])

        for part in ("cohort", "repeats"):
            for code in self.codes:
                for outcome, _label in _OUTCOMES:
                    self._cell(("r", code, outcome, part), self.repeat.get((code, outcome), Counter())[part])
                self._cell(("r", code, ALL, part), sum(self.counts[("r", code, o, part)] for o, _l in _OUTCOMES))
                self._group(("r", code, ALL, part), [("r", code, o, part) for o, _l in _OUTCOMES])
            for outcome in (*(o for o, _l in _OUTCOMES), ALL):
                key = self._cell(
                    ("r", ALL, outcome, part), sum(self.counts[("r", code, outcome, part)] for code in self.codes)
                )
                self._group(key, [("r", code, outcome, part) for code in self.codes])
            self._group(("r", ALL, ALL, part), [("r", ALL, o, part) for o, _l in _OUTCOMES])
            if self.compare:
                for kind in (SchemeKind.VOLUNTARY_ATTENDANCE.value, SchemeKind.DEFERRED_PROSECUTION.value):
                    members = [s.code for s in self.schemes if s.kind == kind]
                    key = self._cell(
                        ("r", kind, ALL, part), sum(self.counts[("r", code, ALL, part)] for code in members)
                    )
                    self._group(key, [("r", code, ALL, part) for code in members])

    def _structural(self) -> list[Key]:
        """Counts the rules make zero (shown as 0 when they are: they tell nothing)."""
        keys: list[Key] = []
        voluntary = SchemeKind.VOLUNTARY_ATTENDANCE.value
        keys += [("s", s.code, Measure.REPORTED) for s in self.schemes if s.kind == voluntary]
        keys.append(("k", voluntary, Measure.REPORTED))
        for label, _low, high in band_ranges():
            if high is not None and high < ADULT_AGE:
                keys.append(("g", Dimension.AGE_BAND, label, Measure.REPORTED))
        keys += [
            ("g", Dimension.AGE_BAND, UNDER_AGE_BAND, measure)
            for measure in FUNNEL_MEASURES
            if measure is not Step.ASSESSED
        ]
        return [key for key in keys if key in self.counts]

    def _closed_groups(self, prefix: Key) -> None:
        """Completed and consequence add up to closed (all three are published)."""
        self._group((*prefix, Measure.CLOSED), [(*prefix, Step.COMPLETED), (*prefix, Step.CONSEQUENCE)])

    def _groups_of(self, dimension: Dimension) -> list[str]:
        present = [group for (dim, group) in self.by_group if dim is dimension]
        if dimension is Dimension.AGE_BAND:
            return [label for label in AGE_BAND_LABELS if label in present]
        unknown = [g for g in (NOT_STATED, NOT_RECORDED) if g in present]
        return sorted((g for g in present if not is_unknown_group(g)), key=str.casefold) + unknown

    # -- laying out ------------------------------------------------------------------------------
    def build(self, now: datetime, database_seconds: float) -> EvaluationResult:
        self._register()
        self.shown = published(self.counts, suppress(self.counts, self.groups, structural=self._structural()))
        funnels = tuple(self._funnel(code) for code in [*self.codes, ALL])
        return EvaluationResult(
            request=self.request,
            generated_at=now,
            schemes=self.schemes,
            funnels=funnels,
            completion_by_scheme=tuple(
                RateRow(self._label(code), self._rate(("s", code), Step.COMPLETED, Measure.CLOSED))
                for code in [*self.codes, ALL]
            ),
            completion_by_age=tuple(
                [
                    RateRow(group, self._rate(("g", Dimension.AGE_BAND, group), Step.COMPLETED, Measure.CLOSED))
                    for group in self._groups_of(Dimension.AGE_BAND)
                ]
                + [RateRow(ALL, self._rate(("s", ALL), Step.COMPLETED, Measure.CLOSED))]
            ),
            pilots=self._pilots(),
            repeat=self._repeat_rows(),
            follow_up_cutoff=self.cutoff,
            hours=tuple(self._hours(month) for month in self.period_months),
            hours_total=self._hours(""),
            monthly=tuple(self._month(month) for month in self.period_months),
            fairness=tuple(self._fairness(dimension) for dimension in Dimension),
            database_seconds=database_seconds,
        )

    def _label(self, code: str) -> str:
        if code == ALL:
            return ALL
        return next(s.label for s in self.schemes if s.code == code)

    def _rate(
        self,
        prefix: Key,
        numerator: Step | Measure | str,
        denominator: Step | Measure | str,
        with_interval: bool = True,
    ) -> Rate:
        return make_rate(self.shown[(*prefix, numerator)], self.shown[(*prefix, denominator)], with_interval)

    def _funnel(self, code: str) -> Funnel:
        prefix = ("s", code)
        rows = []
        for step in Step:
            previous = step.previous
            rows.append(
                FunnelRow(
                    step=step,
                    count=self.shown[(*prefix, step)],
                    of_assessed=self._rate(prefix, step, Step.ASSESSED, with_interval=False),
                    of_previous=self._rate(prefix, step, previous, with_interval=False) if previous else None,
                )
            )
        scheme = next((s for s in self.schemes if s.code == code), None)
        return Funnel(
            label=self._label(code),
            scheme=scheme,
            steps=tuple(rows),
            closed=self.shown[(*prefix, Measure.CLOSED)],
            reported=self.shown[(*prefix, Measure.REPORTED)],
        )

    def _pilots(self) -> PilotComparison | None:
        if not self.compare:
            return None
        first_kind, second_kind = SchemeKind.VOLUNTARY_ATTENDANCE, SchemeKind.DEFERRED_PROSECUTION

        def label(kind: SchemeKind) -> str:
            areas = ", ".join(s.area for s in self.schemes if s.kind == kind.value)
            return f"{kind.label} ({areas})"

        rows = []
        for rate_kind in PILOT_RATES:
            rates = []
            for kind in (first_kind, second_kind):
                if rate_kind is RateKind.REPEAT:
                    rates.append(
                        make_rate(
                            self.shown[("r", kind.value, ALL, "repeats")], self.shown[("r", kind.value, ALL, "cohort")]
                        )
                    )
                else:
                    numerator, denominator = rate_kind.parts
                    rates.append(self._rate(("k", kind.value), numerator, denominator))  # type: ignore[arg-type]  # a count rate: both parts set
            first, second = rates
            diff = None
            if first.value is not None and second.value is not None:
                diff = difference(_proportion(second), _proportion(first))
            rows.append(PilotRow(rate_kind, first, second, diff))
        return PilotComparison(label(first_kind), label(second_kind), tuple(rows))

    def _repeat_rows(self) -> tuple[RepeatRow, ...]:
        rows = []
        for code in [*self.codes, ALL]:
            for outcome, outcome_label in (*_OUTCOMES, (ALL, ALL)):
                rows.append(
                    RepeatRow(
                        self._label(code),
                        outcome_label,
                        make_rate(
                            self.shown[("r", code, outcome, "repeats")], self.shown[("r", code, outcome, "cohort")]
                        ),
                    )
                )
        return tuple(rows)

    def _hours(self, month: str) -> HoursRow:
        cells = []
        for scheme in self.schemes:
            key = ("m", scheme.code, month, "diversions") if month else ("s", scheme.code, Step.ACCEPTED)
            diversions = self.shown[key]
            hours = (
                diversions * scheme.hours_per_custody
                if isinstance(diversions, int) and scheme.hours_per_custody is not None
                else None
            )
            cells.append(HoursCell(diversions, hours))
        total_key = ("m", ALL, month, "diversions") if month else ("s", ALL, Step.ACCEPTED)
        # The total of hours would give away a hidden scheme's diversions (the schemes' hours differ).
        known = all(cell.hours is not None for cell in cells)
        total_hours = sum(cell.hours for cell in cells) if known else None  # type: ignore[misc]  # known: no None
        return HoursRow(month, tuple(cells), HoursCell(self.shown[total_key], total_hours))

    def _month(self, month: str) -> MonthRow:
        return MonthRow(
            month=month,
            referrals=tuple(self.shown[("m", code, month, "referrals")] for code in self.codes),
            completions=tuple(self.shown[("m", code, month, "completions")] for code in self.codes),
        )

    def _fairness(self, dimension: Dimension) -> FairnessTable:
        groups = self._groups_of(dimension)
        reference, note = self._reference(dimension, groups)
        reference_rates = (
            {kind: self._group_rate_parts(("g", dimension, reference), kind) for kind in FAIRNESS_RATES}
            if reference
            else {}
        )
        rows = []
        for group in [*groups, ALL]:
            prefix = ("g", dimension, group) if group != ALL else ("s", ALL)
            counts = tuple(self.shown[(*prefix, measure)] for measure in FAIRNESS_COUNTS)
            shares = tuple(
                make_rate(self.shown[(*prefix, measure)], self.shown[("s", ALL, measure)], with_interval=False)
                for measure in FAIRNESS_COUNTS
            )
            rates = []
            for kind in FAIRNESS_RATES:
                k1, n1 = self._group_rate_parts(prefix, kind)
                rate = make_rate(k1, n1)
                ratio, hidden = None, False
                if reference and group not in (reference, ALL):
                    k2, n2 = reference_rates[kind]
                    hidden = any(isinstance(value, Withheld) for value in (k1, n1, k2, n2))
                    if not hidden:
                        ratio = rate_ratio(k1, n1, k2, n2)  # type: ignore[arg-type]  # not hidden: all counts
                rates.append(GroupRate(rate, ratio, hidden))
            rows.append(
                FairnessRow(group, counts, shares, tuple(rates), is_reference=group == reference, is_total=group == ALL)
            )
        return FairnessTable(dimension, reference, note, tuple(rows))

    def _group_rate_parts(self, prefix: Key, kind: RateKind) -> tuple[Count, Count]:
        numerator, denominator = kind.parts
        return self.shown[(*prefix, numerator)], self.shown[(*prefix, denominator)]

    def _reference(self, dimension: Dimension, groups: list[str]) -> tuple[str, str]:
        chosen = self.request.reference_for(dimension)
        if chosen:
            if chosen in groups:
                return chosen, ""
            return "", f"The chosen reference group \u201c{chosen}\u201d has no referrals in the selection."
        candidates = [g for g in groups if not is_unknown_group(g) and g != UNDER_AGE_BAND]
        if not candidates:
            return "", "There is no group to compare against."
        largest = max(candidates, key=lambda g: (self.counts[("g", dimension, g, Step.ASSESSED)], -groups.index(g)))
        return largest, ""


def _measure(source: Counter, measure: Step | Measure) -> int:
    if measure is Measure.CLOSED:
        return source[Step.COMPLETED] + source[Step.CONSEQUENCE]
    return source[measure]


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _proportion(rate: Rate):  # noqa: ANN202 - domain Proportion
    assert isinstance(rate.numerator, int) and isinstance(rate.denominator, int)
    return proportion(rate.numerator, rate.denominator)
