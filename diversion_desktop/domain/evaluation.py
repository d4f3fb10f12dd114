"""What the evaluation counts, in words: the funnel steps, the rates, the groups, the definitions.

One place for the meaning of every figure in the evaluation. The service
counts what is defined here (its SQL follows these words), and the screen,
the PDF and the workbook print these same words as their definitions and
method notes. No database and no Qt here.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from diversion_desktop.domain.age import AGE_BANDS, AGE_OF_CRIMINAL_RESPONSIBILITY
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.people_codes import NOT_STATED
from diversion_desktop.domain.programme import Outcome, Status
from diversion_desktop.domain.statistics import CONFIDENCE, SUPPRESS_BELOW, Withheld

NOT_RECORDED = "Not recorded"  # an empty answer: nobody asked, or it was not written down
ALL = "All"
SUPPRESSED_TEXT = Withheld.SMALL.value  # a count under 5, never shown as the number
HIDDEN_TEXT = Withheld.PROTECTED.value  # not shown because it would reveal a count under 5
NONE_TEXT = "–"  # nothing to compute (no cases, or a zero count in a ratio)
FOLLOW_UP_MONTHS = 12


class Step(StrEnum):
    """The funnel, in order. Each step is a subset of the one before, except the
    consequence, which is the other way out of "accepted" (beside "completed")."""

    ASSESSED = "assessed"
    ELIGIBLE = "eligible"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    ATTENDED = "attended"
    COMPLETED = "completed"
    CONSEQUENCE = "consequence"

    @property
    def label(self) -> str:
        return _STEP_LABELS[self]

    @property
    def definition(self) -> str:
        return _STEP_DEFINITIONS[self]

    @property
    def previous(self) -> Step | None:
        """The step this one is a share of ("% of previous step")."""
        if self is Step.CONSEQUENCE:
            return Step.ACCEPTED
        steps = list(Step)
        index = steps.index(self)
        return steps[index - 1] if index else None


_STEP_LABELS = {
    Step.ASSESSED: "Assessed",
    Step.ELIGIBLE: "Eligible",
    Step.OFFERED: "Offered",
    Step.ACCEPTED: "Accepted",
    Step.ATTENDED: "Attended first appointment",
    Step.COMPLETED: "Completed",
    Step.CONSEQUENCE: "Consequence",
}

_STEP_DEFINITIONS = {
    Step.ASSESSED: "Found in possession and assessed: every referral taken in the period. The eligibility "
    "decision is made and recorded for each one at intake.",
    Step.ELIGIBLE: "Met every eligibility rule other than the person's agreement (offence, small quantity, no "
    "suspicion of supply, no barring history, age 10 or over), or was made eligible by a "
    "supervisor's recorded override. A referral that failed only because the person refused "
    "counts as eligible.",
    Step.OFFERED: "Eligible referrals to whom the diversion was offered. The offer and the person's answer are "
    "recorded together at intake, so every eligible referral counts as offered.",
    Step.ACCEPTED: "Offered, and the person agreed to take part: a diversion, sent to the provider.",
    Step.ATTENDED: "Accepted, and at least one appointment recorded as attended (a first appointment kept, "
    "after any rebookings).",
    Step.COMPLETED: "The full programme attended (the scheme's number of sessions): outcome completed, Home "
    "Office outcome 22.",
    Step.CONSEQUENCE: "Accepted but not completed by the deadline (after the rebookings allowed), and the next "
    "step (barred from future diversion, or reported for the original offence) confirmed by "
    "a coordinator. A proposed step still awaiting confirmation is not counted: a "
    "consequence never takes effect by itself.",
}


class Measure(StrEnum):
    """Counts beside the funnel steps."""

    CLOSED = "closed"
    REPORTED = "reported"

    @property
    def label(self) -> str:
        return {"closed": "Closed diversions", "reported": "Reported for prosecution"}[self.value]

    @property
    def definition(self) -> str:
        return {
            "closed": "Completed plus consequence: the diversions that have ended. The other accepted "
            "referrals are still in progress (waiting for or attending appointments, or with a next "
            "step awaiting a coordinator's confirmation).",
            "reported": "Consequence confirmed as reporting for the original offence (adults in a deferred "
            "prosecution scheme); a subset of the consequence.",
        }[self.value]


class RateKind(StrEnum):
    """A rate: numerator ÷ denominator, each a step or measure."""

    OFFERED = "offered"
    ACCEPTANCE = "acceptance"
    ENGAGEMENT = "engagement"
    COMPLETION = "completion"
    PROSECUTION = "prosecution"
    REPEAT = "repeat"

    @property
    def label(self) -> str:
        return {
            "offered": "Offered diversion",
            "acceptance": "Accepted the offer",
            "engagement": "Attended a first appointment",
            "completion": "Completion rate",
            "prosecution": "Prosecution rate",
            "repeat": "Repeat possession within 12 months",
        }[self.value]

    @property
    def formula(self) -> str:
        return {
            "offered": "offered ÷ assessed",
            "acceptance": "accepted ÷ offered",
            "engagement": "attended first appointment ÷ accepted",
            "completion": "completed ÷ closed diversions (completed + consequence)",
            "prosecution": "reported for prosecution ÷ closed diversions",
            "repeat": "people with a repeat referral ÷ people in the cohort",
        }[self.value]

    @property
    def parts(self) -> tuple[Step | Measure | None, Step | Measure | None]:
        """(numerator, denominator); None for the repeat counts, which have their own query."""
        return _RATE_PARTS[self]


_RATE_PARTS: dict[RateKind, tuple[Step | Measure | None, Step | Measure | None]] = {
    RateKind.OFFERED: (Step.OFFERED, Step.ASSESSED),
    RateKind.ACCEPTANCE: (Step.ACCEPTED, Step.OFFERED),
    RateKind.ENGAGEMENT: (Step.ATTENDED, Step.ACCEPTED),
    RateKind.COMPLETION: (Step.COMPLETED, Measure.CLOSED),
    RateKind.PROSECUTION: (Measure.REPORTED, Measure.CLOSED),
    RateKind.REPEAT: (None, None),
}

# What the stored state of a referral says it has reached (the words above, as code). The
# service's SQL says the same for the queries that count by condition; a test holds the two together.
NOT_DIVERTED_STATUSES = (Status.NOT_ELIGIBLE.value, Status.DECLINED.value)


def steps_reached(status: str, outcome: str, next_step: str, sessions_attended: int) -> tuple[Step | Measure, ...]:
    """The funnel steps, and "reported for prosecution", reached by a referral in this state."""
    reached: list[Step | Measure] = [Step.ASSESSED]
    if status != Status.NOT_ELIGIBLE.value:
        reached += [Step.ELIGIBLE, Step.OFFERED]
        if status not in NOT_DIVERTED_STATUSES:
            reached.append(Step.ACCEPTED)
            # Completed is the full programme attended, even when history imported from the pilots'
            # spreadsheets kept no appointment rows for it.
            if (sessions_attended or 0) >= 1 or outcome == Outcome.COMPLETED.value:
                reached.append(Step.ATTENDED)
    if outcome == Outcome.COMPLETED.value:
        reached.append(Step.COMPLETED)
    elif outcome == Outcome.NOT_ATTENDED.value:
        reached.append(Step.CONSEQUENCE)
        if next_step == NextStep.REPORT_FOR_PROSECUTION.value:
            reached.append(Measure.REPORTED)
    return tuple(reached)


# The rates compared between groups (fairness) and between the two pilots.
FAIRNESS_RATES = (RateKind.OFFERED, RateKind.COMPLETION, RateKind.PROSECUTION)
PILOT_RATES = (RateKind.ACCEPTANCE, RateKind.ENGAGEMENT, RateKind.COMPLETION, RateKind.REPEAT)


class Dimension(StrEnum):
    ETHNICITY = "ethnicity"
    SEX = "sex"
    AGE_BAND = "age_band"

    @property
    def label(self) -> str:
        return {"ethnicity": "Self-defined ethnicity", "sex": "Sex", "age_band": "Age band"}[self.value]


# -- groups ---------------------------------------------------------------------------------
UNDER_AGE_BAND = "Under 10"


def band_label(domain_label: str) -> str:
    """The age band as printed: "10-13" → "10–13"; "under 10" → "Under 10"."""
    if domain_label == "under 10":
        return UNDER_AGE_BAND
    return domain_label.replace("-", "\u2013")


AGE_BAND_LABELS: tuple[str, ...] = (UNDER_AGE_BAND, *(band_label(label) for label, _l, _h in AGE_BANDS))


def band_ranges() -> tuple[tuple[str, int | None, int | None], ...]:
    """(printed label, lowest age or None, highest age or None) for every band, under 10 first."""
    return (
        (UNDER_AGE_BAND, None, AGE_OF_CRIMINAL_RESPONSIBILITY - 1),
        *((band_label(label), low, high) for label, low, high in AGE_BANDS),
    )


def recorded_group(value: str | None) -> str:
    """A person's recorded sex or ethnicity as a group: empty is "Not recorded";
    "Not stated" (the person chose not to say) stays a group of its own."""
    text = (value or "").strip()
    return text if text else NOT_RECORDED


def is_unknown_group(group: str) -> bool:
    """Groups that are not a characteristic: never the default reference group."""
    return group in (NOT_RECORDED, NOT_STATED)


# -- months -----------------------------------------------------------------------------------
def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_label(key: str) -> str:
    """ "2026-01" → "Jan 2026"."""
    year, month = int(key[:4]), int(key[5:7])
    return f"{calendar.month_abbr[month]} {year}"


def months_between(first: date, last: date) -> tuple[str, ...]:
    """Month keys from ``first``'s month to ``last``'s month, inclusive."""
    keys = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(keys)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); the 31st becomes the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- the words printed with the figures ----------------------------------------------------------
@dataclass(frozen=True)
class Definition:
    term: str
    text: str


def definitions() -> tuple[Definition, ...]:
    """Every definition the report states, in the order it states them."""
    items = [
        Definition(
            "Period and selection",
            "A referral belongs to the period by its referral date (the day it was taken). The areas "
            "chosen select the schemes; the age bands select by age on the incident date. Schemes "
            "are compared as they are configured now.",
        )
    ]
    items += [Definition(step.label, step.definition) for step in Step]
    items += [Definition(measure.label, measure.definition) for measure in Measure]
    items += [
        Definition(
            "Drop-off",
            "The share of a step's referrals that did not reach the next step "
            "(100 % minus the next step as a % of this one).",
        ),
        Definition(
            RateKind.COMPLETION.label,
            "Completed ÷ (completed + not completed) over closed diversions, where not completed is a "
            "confirmed consequence. Diversions still in progress are left out.",
        ),
        Definition(
            "The two pilots side by side",
            "The voluntary attendance scheme(s) against the deferred prosecution scheme(s): acceptance "
            "(accepted ÷ offered), engagement (attended a first appointment ÷ accepted), completion and "
            "repeat possession, each with the difference (deferred prosecution minus voluntary "
            "attendance, in percentage points) and its 95 % interval.",
        ),
        Definition(
            RateKind.REPEAT.label,
            "The cohort is each person whose first referral on record (in any scheme) was taken in the "
            "period and selection, ended as a closed diversion (completed, or a consequence), and was "
            f"taken at least {FOLLOW_UP_MONTHS} months before the report date, so that a full "
            f"{FOLLOW_UP_MONTHS} months can be seen. A repeat is a new referral (a new recorded "
            "possession) for the same person, in any scheme and whatever its decision, taken within "
            f"{FOLLOW_UP_MONTHS} months of the first referral's date (up to the same date a year later). "
            "Completers and non-completers are shown apart. First referrals less than 12 months old are "
            "not counted yet: a period that ends within the last 12 months has fewer people to follow.",
        ),
        Definition(
            "Officer hours saved",
            "Diversions (accepted referrals) in the month of their referral date × the hours a custody "
            "process would have taken, as set for the scheme (officer_hours_per_custody).",
        ),
        Definition(
            "Referrals and completions per month",
            "Referrals by the month they were taken, and how many of those referrals have completed the "
            "programme by the report date (so each month is followed as a cohort; the latest months' "
            "referrals are mostly still in progress).",
        ),
        Definition(
            "Fairness",
            "For self-defined ethnicity (2021 census categories), sex and age band: each group's count "
            "at each step and its share of the step's total; and the offered rate (offered ÷ assessed), "
            "the completion rate and the prosecution rate (reported for prosecution ÷ closed "
            "diversions), each as a ratio to the reference group's rate with a 95 % interval. A ratio "
            "is flagged higher or lower when its interval excludes 1. \u201cNot stated\u201d (the person "
            "chose not to say) and \u201cNot recorded\u201d (no answer in the record) are separate "
            "groups. The reference group is the largest group unless another is chosen.",
        ),
    ]
    return tuple(items)


def method_notes() -> tuple[Definition, ...]:
    """How the intervals and the suppression are worked out."""
    level = f"{CONFIDENCE:.0%}"
    return (
        Definition(
            "Intervals for rates",
            f"{level} Wilson score interval (scipy.stats.binomtest, method \u201cwilson\u201d). Unlike the "
            "simple \u00b11.96 standard error interval it stays within 0\u2013100 % and behaves well "
            "for small groups and rates near 0 or 100 %.",
        ),
        Definition(
            "Difference between the pilots",
            f"{level} interval by Newcombe's hybrid score method (Newcombe 1998, method 10), built from "
            "the two Wilson intervals: lower = d \u2212 \u221a((p1 \u2212 l1)\u00b2 + (u2 \u2212 p2)\u00b2), "
            "upper = d + \u221a((u1 \u2212 p1)\u00b2 + (p2 \u2212 l2)\u00b2). A difference whose "
            "interval excludes 0 is marked.",
        ),
        Definition(
            "Rate ratios",
            f"The group's rate divided by the reference group's rate, with the {level} log (Katz) "
            "interval exp(ln RR \u00b1 1.96\u221a(1/a \u2212 1/n1 + 1/b \u2212 1/n2)) "
            "(scipy.stats.contingency.relative_risk). When either count is 0 no ratio is given (\u2013). "
            "A ratio whose interval excludes 1 is flagged higher or lower. With many groups some flags "
            "will arise by chance: read them as prompts to look closer, not as findings.",
        ),
        Definition(
            "Small numbers",
            f"Every count under {SUPPRESS_BELOW} is shown as \u201c{SUPPRESSED_TEXT}\u201d, never as the "
            "number, in every table of the report. Where a hidden count could be worked out from a "
            "published total and the other counts that add up to it (groups within a step, areas within "
            "all areas, months within the period, completed and consequence within closed), the "
            f"next-smallest count of that set is hidden too and shown as \u201c{HIDDEN_TEXT}\u201d (it "
            "may be of any size), repeatedly until no hidden count can be recovered by subtraction. A "
            f"share, rate, interval or ratio that uses a hidden count is shown as \u201c{HIDDEN_TEXT}\u201d "
            "too. A count the rules make zero is shown as 0 (nobody under 10 is eligible, no young person "
            "and no one in a voluntary attendance scheme is reported for prosecution). "
            f"\u201c{NONE_TEXT}\u201d means there is nothing to compute.",
        ),
        Definition("Data", "Aggregates only, counted in the database: no personal data is in the report."),
    )
