"""The evaluation: is the scheme working, and is it applied fairly — counted in the database.

    EvaluationService(ctx).compute(EvaluationRequest(date_from, date_to, ...), progress) -> EvaluationResult

Three GROUP BY queries do all the counting (no Python loop ever sees a
referral): referrals per day, scheme and stored state, with how many fell in
each age band; referrals per sex and self-defined ethnicity with the steps
they reached (from the copies of the person's groups each referral carries,
revision 0006); and the repeat-possession cohort. Each groups in the order of
an index (``EVALUATION_INDEXES``) so that the database adds up as it reads.
Python then adds up those few thousand grouped rows into the tables, hides
small numbers (every count that is published goes through one suppression
pass, so a count hidden in one table is hidden in every table), and works out
the intervals (``domain.statistics``). The words for every figure are in
``domain.evaluation``.

The result is one frozen object: the screen, the PDF and the workbook are all
made from it, so they show the same numbers.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, literal, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from diversion_desktop.domain.age import ADULT_AGE
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.evaluation import (
    AGE_BAND_LABELS,
    ALL,
    FAIRNESS_RATES,
    FOLLOW_UP_MONTHS,
    NOT_DIVERTED_STATUSES,
    NOT_RECORDED,
    PILOT_RATES,
    UNDER_AGE_BAND,
    Dimension,
    Measure,
    RateKind,
    Step,
    add_months,
    band_ranges,
    is_unknown_group,
    month_key,
    months_between,
    recorded_group,
    steps_reached,
)
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.people_codes import NOT_STATED
from diversion_desktop.domain.programme import Outcome, Status
from diversion_desktop.domain.schemes import SchemeKind
from diversion_desktop.domain.statistics import (
    Difference,
    Interval,
    Ratio,
    Withheld,
    difference,
    proportion,
    published,
    rate_ratio,
    suppress,
)
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.store.models import AuditEvent, Referral

Progress = Callable[[int, int], None]
Count = int | Withheld  # a published count, or why it is not shown ("<5", or "[c]" to protect one)

FUNNEL_MEASURES: tuple[Step | Measure, ...] = (*Step, Measure.CLOSED, Measure.REPORTED)
FAIRNESS_COUNTS: tuple[Step | Measure, ...] = (*Step, Measure.REPORTED)
_STAGES = 4  # progress: three queries, then the tables


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
        return {Dimension.ETHNICITY: self.reference_ethnicity, Dimension.SEX: self.reference_sex,
                Dimension.AGE_BAND: self.reference_age_band}[dimension]


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


# -- SQL that differs between databases --------------------------------------------------------
class months_after(FunctionElement):  # noqa: N801 - an SQL function
    """A date column plus a whole number of months (the second argument, a literal)."""

    inherit_cache = True


@compiles(months_after)
def _months_after_default(element: months_after, compiler, **kw) -> str:  # noqa: ANN001
    column, months = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, '+{int(months.value)} months')"


@compiles(months_after, "postgresql")
def _months_after_postgresql(element: months_after, compiler, **kw) -> str:  # noqa: ANN001
    column, months = list(element.clauses)
    return f"CAST({compiler.process(column, **kw)} + INTERVAL '{int(months.value)} months' AS DATE)"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    table: str
    columns: tuple[str, ...]

    @property
    def ddl(self) -> str:
        return f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} ({', '.join(self.columns)})"


# The indexes the evaluation reads instead of the referrals' wide rows (each carries a copy of its
# scheme's settings): revisions 0004 and 0006 make them (a test holds these and the models together).
EVALUATION_INDEXES = (
    IndexSpec("ix_referrals_evaluation_by_day", "referrals",
              ("referral_date", "scheme_code", "status", "outcome", "next_step", "sessions_attended",
               "age_at_incident", "outcome_date", "person_id")),
    IndexSpec("ix_referrals_person_history", "referrals",
              ("person_id", "referral_date", "scheme_code", "age_at_incident", "status", "outcome", "next_step",
               "sessions_attended")),
    IndexSpec("ix_referrals_person_groups", "referrals",
              ("person_sex", "person_ethnicity_self", "referral_date", "scheme_code", "age_at_incident", "status",
               "outcome", "next_step", "sessions_attended")),
)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """Adds up the rows where the condition holds."""
    return func.sum(case((condition, 1), else_=0))


def _reached(r) -> dict[Step | Measure, ColumnElement[bool]]:  # noqa: ANN001 - a referrals table or alias
    """domain.evaluation.steps_reached, as SQL conditions (a test holds the two together)."""
    accepted = r.c.status.not_in(NOT_DIVERTED_STATUSES)
    consequence = r.c.outcome == Outcome.NOT_ATTENDED.value
    return {
        Step.ELIGIBLE: r.c.status != Status.NOT_ELIGIBLE.value,
        Step.ACCEPTED: accepted,
        Step.ATTENDED: and_(accepted, or_(r.c.sessions_attended >= 1, r.c.outcome == Outcome.COMPLETED.value)),
        Step.COMPLETED: r.c.outcome == Outcome.COMPLETED.value,
        Step.CONSEQUENCE: consequence,
        Measure.REPORTED: and_(consequence, r.c.next_step == NextStep.REPORT_FOR_PROSECUTION.value),
    }


def _in_band(age: ColumnElement[int], low: int | None, high: int | None) -> ColumnElement[bool]:
    parts = ([age >= low] if low is not None else []) + ([age <= high] if high is not None else [])
    return and_(*parts)


_CLOSED_OUTCOMES = (Outcome.COMPLETED.value, Outcome.NOT_ATTENDED.value)
# The person-group query counts these, in this order, after the number of referrals.
_GROUP_COUNTED: tuple[Step | Measure, ...] = (Step.ELIGIBLE, Step.ACCEPTED, Step.ATTENDED, Step.COMPLETED,
                                              Step.CONSEQUENCE, Measure.REPORTED)


class _Stages:
    """Counts finished stages for the progress callback, from whichever thread finishes one."""

    def __init__(self, report: Progress) -> None:
        self.report = report
        self.done = 0
        self.lock = threading.Lock()

    def one_done(self) -> None:
        with self.lock:
            self.done += 1
            done = self.done
        self.report(done, _STAGES)


def _readers_share_data(ctx: AppContext) -> bool:
    """Whether a second connection sees the same database (not so for SQLite in memory)."""
    url = ctx.engine.url
    return url.get_backend_name() != "sqlite" or (url.database or ":memory:") != ":memory:"


@dataclass(frozen=True)
class _Counted:
    """What the four queries return: a few thousand grouped rows, never a row per referral."""

    by_day: list[tuple]  # (day, scheme, status, outcome, next step, sessions attended, n, n per age band but the last)
    by_person_group: list[tuple]  # (sex, ethnicity, n, *_GROUP_COUNTED)
    repeats: list[tuple]  # (day, scheme, status, outcome, people, people with a repeat)


# -- the service --------------------------------------------------------------------------------
class EvaluationService:
    def __init__(self, ctx: AppContext, workers: int = 2) -> None:
        self.ctx = ctx
        self.workers = workers  # 1: every query on the calling thread, one after the other

    def compute(self, request: EvaluationRequest, progress: Progress | None = None) -> EvaluationResult:
        """Count, hide small numbers, work out the intervals. ``progress(done, total)`` is called
        as each query ends (from the thread that ran it) and once at the end."""
        self.ctx.require(Permission.RUN_REPORTS)
        report = progress or (lambda _done, _total: None)
        report(0, _STAGES)
        reference_band = request.reference_age_band
        request = replace(request, age_bands=tuple(normalise_band(b) for b in request.age_bands),
                          reference_age_band=normalise_band(reference_band) if reference_band else "")
        self._validate(request)
        cutoff = add_months(self.ctx.today(), -FOLLOW_UP_MONTHS)
        started = time.perf_counter()
        counted = self._count(request, cutoff, _Stages(report))
        database = time.perf_counter() - started
        result = _Builder(self.ctx, request, counted, cutoff).build(self.ctx.now(), database)
        report(_STAGES, _STAGES)
        return result

    def _count(self, request: EvaluationRequest, cutoff: date, stages: _Stages) -> _Counted:
        """The three queries. On a database file they run on two connections at once (the repeat
        cohort, the longest, beside the other two): each is a read, and SQLite lets readers run side
        by side. Two connections may see the database a moment apart: each notes the last audit
        event it sees (every change writes one in the change's own transaction), and if they
        differ, everything is read again in one transaction. Each reading sees one state of the
        data from its first query on: so SQLite's read transactions do; PostgreSQL's are asked to
        (REPEATABLE READ; at its default, each statement would see the data anew)."""
        if self.workers < 2 or not _readers_share_data(self.ctx) or cutoff < request.date_from:
            return self._count_together(request, cutoff, stages)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="evaluation-read") as pool:
            beside = pool.submit(self._read, (self._repeats,), request, cutoff, stages)
            seen, (by_day, by_person_group) = self._read((self._by_day, self._by_person_group),
                                                         request, cutoff, stages)
            seen_beside, (repeats,) = beside.result()
        if seen != seen_beside:
            return self._count_together(request, cutoff, _Stages(lambda _d, _t: None))
        return _Counted(by_day, by_person_group, repeats)

    def _count_together(self, request: EvaluationRequest, cutoff: date, stages: _Stages) -> _Counted:
        _seen, (by_day, by_person_group, repeats) = self._read(
            (self._by_day, self._by_person_group, self._repeats), request, cutoff, stages)
        return _Counted(by_day, by_person_group, repeats)

    def _read(self, queries: Sequence[Callable[[Session, EvaluationRequest, date], list[tuple]]],
              request: EvaluationRequest, cutoff: date, stages: _Stages) -> tuple[int | None, list[list[tuple]]]:
        """The queries in one read transaction, so they all see the same data; with the last audit
        event that transaction sees (read first: the transaction's view of the data starts there)."""
        results = []
        with self.ctx.reading() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            seen = self._last_change(session)
            for query in queries:
                results.append(query(session, request, cutoff))
                stages.one_done()
        return seen, results

    @staticmethod
    def _last_change(session: Session) -> int | None:
        return session.scalar(select(func.max(AuditEvent.id)))

    # -- checks --------------------------------------------------------------------------------
    def _validate(self, request: EvaluationRequest) -> None:
        errors: dict[str, str] = {}
        if request.date_from > request.date_to:
            errors["date_to"] = (f"The period ends ({request.date_to:%d/%m/%Y}) before it starts "
                                 f"({request.date_from:%d/%m/%Y}).")
        unknown = [code for code in request.schemes if self.ctx.schemes.find(code) is None]
        if unknown:
            known = ", ".join(f"{s.area} ({s.code})" for s in self.ctx.schemes)
            errors["schemes"] = f"Unknown area: {', '.join(unknown)}. The areas are: {known}."
        bands = [band for band in request.age_bands if band not in AGE_BAND_LABELS]
        if bands:
            errors["age_bands"] = (f"Unknown age band: {', '.join(bands)}. "
                                   f"The bands are: {', '.join(AGE_BAND_LABELS)}.")
        if errors:
            raise ValidationError(errors)

    # -- the queries ---------------------------------------------------------------------------
    # Each groups by columns in the order of an index where one fits (see docs/evaluation.md),
    # so the database adds up as it reads instead of sorting a million rows first. SQLite is told
    # which index: for a long period it would otherwise pick a narrower date index that does not
    # hold the columns counted, and sort (2.7 s instead of 0.5 s at a million referrals).
    def _selection(self, r, request: EvaluationRequest) -> list[ColumnElement[bool]]:  # noqa: ANN001
        """The WHERE conditions for the request, on a referrals table or alias."""
        conditions: list[ColumnElement[bool]] = [r.c.referral_date >= request.date_from,
                                                 r.c.referral_date <= request.date_to]
        if request.schemes:
            codes = sorted({self.ctx.schemes.find(code).code for code in request.schemes})  # type: ignore[union-attr]
            conditions.append(r.c.scheme_code.in_(codes))
        if request.age_bands and set(request.age_bands) != set(AGE_BAND_LABELS):
            conditions.append(or_(*(_in_band(r.c.age_at_incident, low, high)
                                    for label, low, high in band_ranges() if label in request.age_bands)))
        return conditions

    def _by_day(self, session: Session, request: EvaluationRequest, _cutoff: date) -> list[tuple]:
        """Referrals per day, scheme and stored state, with how many fell in each age band."""
        r = Referral.__table__
        keys = (r.c.referral_date, r.c.scheme_code, r.c.status, r.c.outcome, r.c.next_step, r.c.sessions_attended)
        bands = [_flag(_in_band(r.c.age_at_incident, low, high)) for _label, low, high in band_ranges()[:-1]]
        query = (select(*keys, func.count(), *bands).where(*self._selection(r, request)).group_by(*keys)
                 .with_hint(r, "INDEXED BY ix_referrals_evaluation_by_day", "sqlite"))
        return [tuple(row) for row in session.execute(query)]

    def _by_person_group(self, session: Session, request: EvaluationRequest, _cutoff: date) -> list[tuple]:
        """Referrals per sex and self-defined ethnicity of their person, with the steps they reached:
        one pass over ix_referrals_person_groups, which holds the referrals in group order with
        copies of the person's groups (kept equal to the person's by the database, revision 0006)."""
        r = Referral.__table__
        reached = _reached(r)
        groups = (r.c.person_sex, r.c.person_ethnicity_self)
        query = (select(*groups, func.count(), *(_flag(reached[m]) for m in _GROUP_COUNTED))
                 .where(*self._selection(r, request)).group_by(*groups)
                 .with_hint(r, "INDEXED BY ix_referrals_person_groups", "sqlite"))
        return [tuple(row) for row in session.execute(query)]

    def _repeats(self, session: Session, request: EvaluationRequest, cutoff: date) -> list[tuple]:
        """The repeat-possession cohort per day, scheme and outcome: people whose first referral on
        record is in the selection, at least 12 months old, and ended as a closed diversion; and
        how many of them were referred again within 12 months."""
        if cutoff < request.date_from:
            return []  # no first referral in the period has had its 12 months yet
        first = Referral.__table__.alias("first_referral")
        other = Referral.__table__.alias("other_referral")
        history = "INDEXED BY ix_referrals_person_history"
        earlier = exists(select(literal_column("1")).where(
            other.c.person_id == first.c.person_id, other.c.referral_date <= first.c.referral_date,
            other.c.id != first.c.id,
            or_(other.c.referral_date < first.c.referral_date, other.c.id < first.c.id),
        ).with_hint(other, history, "sqlite"))
        later = Referral.__table__.alias("later_referral")
        repeat = exists(select(literal_column("1")).where(
            later.c.person_id == first.c.person_id, later.c.referral_date >= first.c.referral_date,
            later.c.referral_date <= months_after(first.c.referral_date, literal(FOLLOW_UP_MONTHS)),
            later.c.id != first.c.id,
            or_(later.c.referral_date > first.c.referral_date, later.c.id > first.c.id),
        ).with_hint(later, history, "sqlite"))
        # status with outcome: for a closed diversion the status follows from the outcome, and
        # grouping by it keeps the order of the date-first index.
        keys = (first.c.referral_date, first.c.scheme_code, first.c.status, first.c.outcome)
        query = (select(*keys, func.count(), _flag(repeat))
                 .where(*self._selection(first, request), first.c.referral_date <= cutoff,
                        first.c.outcome.in_(_CLOSED_OUTCOMES), ~earlier)
                 .group_by(*keys)
                 .with_hint(first, "INDEXED BY ix_referrals_evaluation_by_day", "sqlite"))
        return [tuple(row) for row in session.execute(query)]


# -- from grouped rows to the published tables ----------------------------------------------------
Key = tuple[Hashable, ...]
_OUTCOMES = (("completed", "Completed"), ("not_completed", "Not completed"))
_MONTHLY = ("referrals", "diversions", "completions")


class _Builder:
    """Adds up the grouped rows, hides small numbers once for all tables, and lays out the result."""

    def __init__(self, ctx: AppContext, request: EvaluationRequest, counted: _Counted, cutoff: date) -> None:
        self.request = request
        self.cutoff = cutoff
        self.counts: dict[Key, int] = {}
        self.groups: list[tuple[Key, list[Key]]] = []
        self._add_up(counted)
        self.schemes = self._schemes(ctx)
        self.codes = [s.code for s in self.schemes]
        kinds = {s.kind for s in self.schemes}
        self.compare = {SchemeKind.VOLUNTARY_ATTENDANCE.value, SchemeKind.DEFERRED_PROSECUTION.value} <= kinds
        self.period_months = months_between(request.date_from, request.date_to)

    # -- adding up (grouped rows only: a few thousand at most) ---------------------------------------
    def _add_up(self, counted: _Counted) -> None:
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
            numbers: Counter[Step | Measure] = Counter(dict(zip(_GROUP_COUNTED, (int(v or 0) for v in values))))
            numbers[Step.ASSESSED] = n
            numbers[Step.OFFERED] = numbers[Step.ELIGIBLE]  # the offer is recorded with the decision
            self.by_group[(Dimension.SEX, recorded_group(sex))].update(numbers)
            self.by_group[(Dimension.ETHNICITY, recorded_group(ethnicity))].update(numbers)
        self.repeat: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for _day, scheme, _status, outcome, people, with_repeat in counted.repeats:
            name = "completed" if outcome == Outcome.COMPLETED.value else "not_completed"
            self.repeat[(scheme, name)]["cohort"] += int(people)
            self.repeat[(scheme, name)]["repeats"] += int(with_repeat or 0)

    def _schemes(self, ctx: AppContext) -> tuple[SchemeInfo, ...]:
        codes = set(self.by_scheme)
        if self.request.schemes:
            codes |= {ctx.schemes.find(code).code for code in self.request.schemes}  # type: ignore[union-attr]
        else:
            codes |= {s.code for s in ctx.schemes}
        infos = []
        for code in codes:
            scheme = ctx.schemes.find(code)
            if scheme is None:
                infos.append(SchemeInfo(code, code, "", "Scheme no longer configured", None))
            else:
                infos.append(SchemeInfo(code, scheme.area, scheme.kind.value, scheme.kind.label,
                                        scheme.officer_hours_per_custody))
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
                keys = [self._cell(("m", code, month, series), self.by_month.get((code, month, series), 0))
                        for month in months]
                self._group(("s", code, step_of[series]), keys)
            if series == "diversions":
                for month in months:
                    key = self._cell(("m", ALL, month, series),
                                     sum(self.by_month.get((code, month, series), 0) for code in self.codes))
                    self._group(key, [("m", code, month, series) for code in self.codes])
                self._group(("s", ALL, Step.ACCEPTED), [("m", ALL, month, series) for month in months])

        for part in ("cohort", "repeats"):
            for code in self.codes:
                for outcome, _label in _OUTCOMES:
                    self._cell(("r", code, outcome, part), self.repeat.get((code, outcome), Counter())[part])
                self._cell(("r", code, ALL, part), sum(self.counts[("r", code, o, part)] for o, _l in _OUTCOMES))
                self._group(("r", code, ALL, part), [("r", code, o, part) for o, _l in _OUTCOMES])
            for outcome in (*(o for o, _l in _OUTCOMES), ALL):
                key = self._cell(("r", ALL, outcome, part),
                                 sum(self.counts[("r", code, outcome, part)] for code in self.codes))
                self._group(key, [("r", code, outcome, part) for code in self.codes])
            self._group(("r", ALL, ALL, part), [("r", ALL, o, part) for o, _l in _OUTCOMES])
            if self.compare:
                for kind in (SchemeKind.VOLUNTARY_ATTENDANCE.value, SchemeKind.DEFERRED_PROSECUTION.value):
                    members = [s.code for s in self.schemes if s.kind == kind]
                    key = self._cell(("r", kind, ALL, part),
                                     sum(self.counts[("r", code, ALL, part)] for code in members))
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
        keys += [("g", Dimension.AGE_BAND, UNDER_AGE_BAND, measure) for measure in FUNNEL_MEASURES
                 if measure is not Step.ASSESSED]
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
            request=self.request, generated_at=now, schemes=self.schemes, funnels=funnels,
            completion_by_scheme=tuple(
                RateRow(self._label(code), self._rate(("s", code), Step.COMPLETED, Measure.CLOSED))
                for code in [*self.codes, ALL]),
            completion_by_age=tuple(
                [RateRow(group, self._rate(("g", Dimension.AGE_BAND, group), Step.COMPLETED, Measure.CLOSED))
                 for group in self._groups_of(Dimension.AGE_BAND)]
                + [RateRow(ALL, self._rate(("s", ALL), Step.COMPLETED, Measure.CLOSED))]),
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

    def _rate(self, prefix: Key, numerator: Step | Measure | str, denominator: Step | Measure | str,
              with_interval: bool = True) -> Rate:
        return make_rate(self.shown[(*prefix, numerator)], self.shown[(*prefix, denominator)], with_interval)

    def _funnel(self, code: str) -> Funnel:
        prefix = ("s", code)
        rows = []
        for step in Step:
            previous = step.previous
            rows.append(FunnelRow(
                step=step, count=self.shown[(*prefix, step)],
                of_assessed=self._rate(prefix, step, Step.ASSESSED, with_interval=False),
                of_previous=self._rate(prefix, step, previous, with_interval=False) if previous else None))
        scheme = next((s for s in self.schemes if s.code == code), None)
        return Funnel(label=self._label(code), scheme=scheme, steps=tuple(rows),
                      closed=self.shown[(*prefix, Measure.CLOSED)],
                      reported=self.shown[(*prefix, Measure.REPORTED)])

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
                    rates.append(make_rate(self.shown[("r", kind.value, ALL, "repeats")],
                                           self.shown[("r", kind.value, ALL, "cohort")]))
                else:
                    numerator, denominator = rate_kind.parts
                    rates.append(self._rate(("k", kind.value), numerator, denominator))  # type: ignore[arg-type]
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
                rows.append(RepeatRow(self._label(code), outcome_label,
                                      make_rate(self.shown[("r", code, outcome, "repeats")],
                                                self.shown[("r", code, outcome, "cohort")])))
        return tuple(rows)

    def _hours(self, month: str) -> HoursRow:
        cells = []
        for scheme in self.schemes:
            key = ("m", scheme.code, month, "diversions") if month else ("s", scheme.code, Step.ACCEPTED)
            diversions = self.shown[key]
            hours = (diversions * scheme.hours_per_custody
                     if isinstance(diversions, int) and scheme.hours_per_custody is not None else None)
            cells.append(HoursCell(diversions, hours))
        total_key = ("m", ALL, month, "diversions") if month else ("s", ALL, Step.ACCEPTED)
        # The total of hours would give away a hidden scheme's diversions (the schemes' hours differ).
        known = all(cell.hours is not None for cell in cells)
        total_hours = sum(cell.hours for cell in cells) if known else None  # type: ignore[misc]
        return HoursRow(month, tuple(cells), HoursCell(self.shown[total_key], total_hours))

    def _month(self, month: str) -> MonthRow:
        return MonthRow(
            month=month,
            referrals=tuple(self.shown[("m", code, month, "referrals")] for code in self.codes),
            completions=tuple(self.shown[("m", code, month, "completions")] for code in self.codes))

    def _fairness(self, dimension: Dimension) -> FairnessTable:
        groups = self._groups_of(dimension)
        reference, note = self._reference(dimension, groups)
        reference_rates = {kind: self._group_rate_parts(("g", dimension, reference), kind)
                           for kind in FAIRNESS_RATES} if reference else {}
        rows = []
        for group in [*groups, ALL]:
            prefix = ("g", dimension, group) if group != ALL else ("s", ALL)
            counts = tuple(self.shown[(*prefix, measure)] for measure in FAIRNESS_COUNTS)
            shares = tuple(make_rate(self.shown[(*prefix, measure)], self.shown[("s", ALL, measure)],
                                     with_interval=False) for measure in FAIRNESS_COUNTS)
            rates = []
            for kind in FAIRNESS_RATES:
                k1, n1 = self._group_rate_parts(prefix, kind)
                rate = make_rate(k1, n1)
                ratio, hidden = None, False
                if reference and group not in (reference, ALL):
                    k2, n2 = reference_rates[kind]
                    hidden = any(isinstance(value, Withheld) for value in (k1, n1, k2, n2))
                    if not hidden:
                        ratio = rate_ratio(k1, n1, k2, n2)  # type: ignore[arg-type]
                rates.append(GroupRate(rate, ratio, hidden))
            rows.append(FairnessRow(group, counts, shares, tuple(rates), is_reference=group == reference,
                                    is_total=group == ALL))
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


def normalise_band(text: str) -> str:
    """An age band as typed ("18-24", "under 10") as printed ("18–24", "Under 10")."""
    text = text.strip().replace("-", "\u2013")
    return text.capitalize() if text.casefold() == "under 10" else text


def _proportion(rate: Rate):  # noqa: ANN202 - domain Proportion
    assert isinstance(rate.numerator, int) and isinstance(rate.denominator, int)
    return proportion(rate.numerator, rate.denominator)


__all__ = [
    "Count",
    "EvaluationRequest",
    "EvaluationResult",
    "EvaluationService",
    "FairnessRow",
    "FairnessTable",
    "Funnel",
    "FunnelRow",
    "GroupRate",
    "HoursCell",
    "HoursRow",
    "MonthRow",
    "PilotComparison",
    "PilotRow",
    "Rate",
    "RateRow",
    "RepeatRow",
    "SchemeInfo",
    "make_rate",
    "normalise_band",
]
