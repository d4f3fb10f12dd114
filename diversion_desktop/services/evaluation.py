"""The evaluation: is the scheme working, and is it applied fairly — counted in the database.

    EvaluationService(ctx).compute(EvaluationRequest(date_from, date_to, ...), progress) -> EvaluationResult

Three GROUP BY queries do all the counting (no Python loop ever sees a
referral): referrals per day, scheme and stored state, with how many fell in
each age band; referrals per sex and self-defined ethnicity with the steps
they reached (from the copies of the person's groups each referral carries,
revision 0006); and the repeat-possession cohort. Each groups in the order of
an index (``EVALUATION_INDEXES``) so that the database adds up as it reads.
The arithmetic from those few thousand grouped rows to the published tables
(adding up, hiding small numbers, the intervals) is the domain's
(``domain.evaluation_tally``), and so are the request and the result
(``domain.evaluation_result``); the words for every figure are in
``domain.evaluation``.

The result is one frozen object: the screen, the PDF and the workbook are all
made from it, so they show the same numbers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, literal_column, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from diversion_desktop.domain.evaluation import (
    AGE_BAND_LABELS,
    FOLLOW_UP_MONTHS,
    NOT_DIVERTED_STATUSES,
    Measure,
    Step,
    add_months,
    band_ranges,
)
from diversion_desktop.domain.evaluation_result import (  # the service's request and result, named here too
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
    normalise_band,
)
from diversion_desktop.domain.evaluation_tally import GROUP_COUNTED, Counted, tally
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Outcome, Status
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.store.models import AuditEvent, Referral

Progress = Callable[[int, int], None]
_STAGES = 4  # progress: three queries, then the tables


# -- SQL that differs between databases --------------------------------------------------------
class months_after(FunctionElement):  # noqa: N801 - an SQL function
    """A date column plus a whole number of months (the second argument, a literal)."""

    inherit_cache = True


@compiles(months_after)
def _months_after_default(element: months_after, compiler: SQLCompiler, **kw: Any) -> str:
    column, months = list(element.clauses)
    return f"date({compiler.process(column, **kw)}, '+{int(months.value)} months')"


@compiles(months_after, "postgresql")
def _months_after_postgresql(element: months_after, compiler: SQLCompiler, **kw: Any) -> str:
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
    IndexSpec(
        "ix_referrals_evaluation_by_day",
        "referrals",
        (
            "referral_date",
            "scheme_code",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
            "age_at_incident",
            "outcome_date",
            "person_id",
        ),
    ),
    IndexSpec(
        "ix_referrals_person_history",
        "referrals",
        (
            "person_id",
            "referral_date",
            "scheme_code",
            "age_at_incident",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
        ),
    ),
    IndexSpec(
        "ix_referrals_person_groups",
        "referrals",
        (
            "person_sex",
            "person_ethnicity_self",
            "referral_date",
            "scheme_code",
            "age_at_incident",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
        ),
    ),
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
        request = replace(
            request,
            age_bands=tuple(normalise_band(b) for b in request.age_bands),
            reference_age_band=normalise_band(reference_band) if reference_band else "",
        )
        self._validate(request)
        cutoff = add_months(self.ctx.today(), -FOLLOW_UP_MONTHS)
        started = time.perf_counter()
        counted = self._count(request, cutoff, _Stages(report))
        database = time.perf_counter() - started
        result = tally(self.ctx.schemes, request, counted, cutoff, self.ctx.now(), database)
        report(_STAGES, _STAGES)
        return result

    def _count(self, request: EvaluationRequest, cutoff: date, stages: _Stages) -> Counted:
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
            seen, (by_day, by_person_group) = self._read((self._by_day, self._by_person_group), request, cutoff, stages)
            seen_beside, (repeats,) = beside.result()
        if seen != seen_beside:
            return self._count_together(request, cutoff, _Stages(lambda _d, _t: None))
        return Counted(by_day, by_person_group, repeats)

    def _count_together(self, request: EvaluationRequest, cutoff: date, stages: _Stages) -> Counted:
        _seen, (by_day, by_person_group, repeats) = self._read(
            (self._by_day, self._by_person_group, self._repeats), request, cutoff, stages
        )
        return Counted(by_day, by_person_group, repeats)

    def _read(
        self,
        queries: Sequence[Callable[[Session, EvaluationRequest, date], list[tuple]]],
        request: EvaluationRequest,
        cutoff: date,
        stages: _Stages,
    ) -> tuple[int | None, list[list[tuple]]]:
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
            errors["date_to"] = (
                f"The period ends ({request.date_to:%d/%m/%Y}) before it starts ({request.date_from:%d/%m/%Y})."
            )
        unknown = [code for code in request.schemes if self.ctx.schemes.find(code) is None]
        if unknown:
            known = ", ".join(f"{s.area} ({s.code})" for s in self.ctx.schemes)
            errors["schemes"] = f"Unknown area: {', '.join(unknown)}. The areas are: {known}."
        bands = [band for band in request.age_bands if band not in AGE_BAND_LABELS]
        if bands:
            errors["age_bands"] = f"Unknown age band: {', '.join(bands)}. The bands are: {', '.join(AGE_BAND_LABELS)}."
        if errors:
            raise ValidationError(errors)

    # -- the queries ---------------------------------------------------------------------------
    # Each groups by columns in the order of an index where one fits (see docs/evaluation.md),
    # so the database adds up as it reads instead of sorting a million rows first. SQLite is told
    # which index: for a long period it would otherwise pick a narrower date index that does not
    # hold the columns counted, and sort (2.7 s instead of 0.5 s at a million referrals).
    def _selection(self, r: Any, request: EvaluationRequest) -> list[ColumnElement[bool]]:  # noqa: ANN401 (a table or an alias of one)
        """The WHERE conditions for the request, on a referrals table or alias."""
        conditions: list[ColumnElement[bool]] = [
            r.c.referral_date >= request.date_from,
            r.c.referral_date <= request.date_to,
        ]
        if request.schemes:
            codes = sorted({self.ctx.schemes.find(code).code for code in request.schemes})  # type: ignore[union-attr]  # the request's schemes were checked to exist
            conditions.append(r.c.scheme_code.in_(codes))
        if request.age_bands and set(request.age_bands) != set(AGE_BAND_LABELS):
            conditions.append(
                or_(
                    *(
                        _in_band(r.c.age_at_incident, low, high)
                        for label, low, high in band_ranges()
                        if label in request.age_bands
                    )
                )
            )
        return conditions

    def _by_day(self, session: Session, request: EvaluationRequest, _cutoff: date) -> list[tuple]:
        """Referrals per day, scheme and stored state, with how many fell in each age band."""
        r = Referral.__table__
        keys = (r.c.referral_date, r.c.scheme_code, r.c.status, r.c.outcome, r.c.next_step, r.c.sessions_attended)
        bands = [_flag(_in_band(r.c.age_at_incident, low, high)) for _label, low, high in band_ranges()[:-1]]
        query = (
            select(*keys, func.count(), *bands)
            .where(*self._selection(r, request))
            .group_by(*keys)
            .with_hint(r, "INDEXED BY ix_referrals_evaluation_by_day", "sqlite")
        )
        return [tuple(row) for row in session.execute(query)]

    def _by_person_group(self, session: Session, request: EvaluationRequest, _cutoff: date) -> list[tuple]:
        """Referrals per sex and self-defined ethnicity of their person, with the steps they reached:
        one pass over ix_referrals_person_groups, which holds the referrals in group order with
        copies of the person's groups (kept equal to the person's by the database, revision 0006)."""
        r = Referral.__table__
        reached = _reached(r)
        groups = (r.c.person_sex, r.c.person_ethnicity_self)
        query = (
            select(*groups, func.count(), *(_flag(reached[m]) for m in GROUP_COUNTED))
            .where(*self._selection(r, request))
            .group_by(*groups)
            .with_hint(r, "INDEXED BY ix_referrals_person_groups", "sqlite")
        )
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
        earlier = exists(
            select(literal_column("1"))
            .where(
                other.c.person_id == first.c.person_id,
                other.c.referral_date <= first.c.referral_date,
                other.c.id != first.c.id,
                or_(other.c.referral_date < first.c.referral_date, other.c.id < first.c.id),
            )
            .with_hint(other, history, "sqlite")
        )
        later = Referral.__table__.alias("later_referral")
        repeat = exists(
            select(literal_column("1"))
            .where(
                later.c.person_id == first.c.person_id,
                later.c.referral_date >= first.c.referral_date,
                later.c.referral_date <= months_after(first.c.referral_date, literal(FOLLOW_UP_MONTHS)),
                later.c.id != first.c.id,
                or_(later.c.referral_date > first.c.referral_date, later.c.id > first.c.id),
            )
            .with_hint(later, history, "sqlite")
        )
        # status with outcome: for a closed diversion the status follows from the outcome, and
        # grouping by it keeps the order of the date-first index.
        keys = (first.c.referral_date, first.c.scheme_code, first.c.status, first.c.outcome)
        query = (
            select(*keys, func.count(), _flag(repeat))
            .where(
                *self._selection(first, request),
                first.c.referral_date <= cutoff,
                first.c.outcome.in_(_CLOSED_OUTCOMES),
                ~earlier,
            )
            .group_by(*keys)
            .with_hint(first, "INDEXED BY ix_referrals_evaluation_by_day", "sqlite")
        )
        return [tuple(row) for row in session.execute(query)]


__all__ = [
    "EVALUATION_INDEXES",
    "FAIRNESS_COUNTS",
    "FUNNEL_MEASURES",
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
