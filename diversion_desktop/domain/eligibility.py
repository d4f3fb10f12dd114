"""Eligibility at intake: every rule from the scheme, each failure in words.

One function, :func:`decide`, is the only place these rules live; the intake
form, the import and the services all call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from diversion_desktop.domain.age import AGE_OF_CRIMINAL_RESPONSIBILITY, Pathway, age_on, pathway_for
from diversion_desktop.domain.schemes import Scheme
from diversion_desktop.domain.units import convert

# Bump when the rules below change meaning; stored with every decision.
RULE_VERSION = "2026.2"  # 2026.2: one open diversion at a time (rule 4a)


class Offence(StrEnum):
    POSSESSION = "possession"
    POSSESSION_WITH_INTENT = "possession_with_intent"
    SUPPLY = "supply"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "possession": "Possession of a controlled drug",
            "possession_with_intent": "Possession with intent to supply",
            "supply": "Supply of a controlled drug",
            "other": "Another offence",
        }[self.value]


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"


@dataclass(frozen=True)
class SubstanceFind:
    substance: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class PriorHistory:
    """What earlier referrals mean for a new one."""

    barred: bool = False
    completed_diversions: int = 0
    # The reference of a diversion of the person's still open (in any area), or "" if none.
    open_diversion: str = ""


@dataclass(frozen=True)
class IntakeFacts:
    incident_date: date
    date_of_birth: date
    offence: Offence
    substances: tuple[SubstanceFind, ...]
    suspected_supply: bool
    consent: bool
    prior: PriorHistory = PriorHistory()


class Rule(StrEnum):
    OFFENCE = "offence"
    QUANTITY = "quantity"
    SUPPLY = "supply"
    HISTORY = "history"
    OPEN_DIVERSION = "open_diversion"
    CONSENT = "consent"
    AGE = "age"


@dataclass(frozen=True)
class Check:
    rule: Rule
    passed: bool
    reason: str


@dataclass(frozen=True)
class EligibilityResult:
    decision: Decision
    pathway: Pathway
    age: int
    checks: tuple[Check, ...]
    rule_version: str
    scheme_code: str
    settings_hash: str

    @property
    def eligible(self) -> bool:
        return self.decision is Decision.ELIGIBLE

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons for the decision: what failed, or else every rule met."""
        chosen = self.failures or self.checks
        return tuple(c.reason for c in chosen)

    @property
    def declined_only(self) -> bool:
        return [c.rule for c in self.failures] == [Rule.CONSENT]


def _quantity_check(scheme: Scheme, finds: tuple[SubstanceFind, ...]) -> Check:
    if not finds:
        return Check(Rule.QUANTITY, False, "No substance was recorded.")
    problems: list[str] = []
    for find in finds:
        limit = scheme.limits.get(find.substance)
        label = scheme.substance_label(find.substance)
        if find.quantity <= 0:  # (0 is never "within the limit": the quantity is not known yet)
            return Check(
                Rule.QUANTITY,
                False,
                f"{label}: the quantity must be a number more than zero; the quantity "
                "cannot be checked against the limit until it is.",
            )
        if limit is None:
            problems.append(f"{label} has no small-quantity limit in the {scheme.area} scheme")
            continue
        amount = convert(find.quantity, find.unit, limit.unit)
        if amount is None:
            problems.append(f"{label} was recorded in {find.unit}, but the limit is set in {limit.unit}")
        elif amount > limit.max_quantity:
            problems.append(
                f"{label}: {_fmt(find.quantity)} {find.unit} is over the small-quantity limit "
                f"of {_fmt(limit.max_quantity)} {limit.unit}"
            )
    if problems:
        return Check(Rule.QUANTITY, False, "Quantity is not small: " + "; ".join(problems) + ".")
    return Check(Rule.QUANTITY, True, "Every substance is within the small-quantity limit.")


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def decide(scheme: Scheme, facts: IntakeFacts) -> EligibilityResult:
    """Apply every eligibility rule; all must hold for a diversion."""
    age = age_on(facts.date_of_birth, facts.incident_date)
    checks: list[Check] = []

    if facts.offence is Offence.POSSESSION:
        checks.append(Check(Rule.OFFENCE, True, "The offence is simple possession."))
    else:
        checks.append(
            Check(Rule.OFFENCE, False, f"The offence is not simple possession ({facts.offence.label.lower()}).")
        )

    checks.append(_quantity_check(scheme, facts.substances))

    if facts.suspected_supply:
        checks.append(Check(Rule.SUPPLY, False, "The person is suspected of supplying drugs."))
    else:
        checks.append(Check(Rule.SUPPLY, True, "The person is not suspected of supply."))

    if facts.prior.barred:
        checks.append(
            Check(
                Rule.HISTORY,
                False,
                "An earlier diversion ended in non-attendance: the person is barred from further diversion.",
            )
        )
    elif facts.prior.completed_diversions > scheme.completed_diversions_allowed:
        checks.append(Check(Rule.HISTORY, False, _completed_reason(scheme, facts.prior.completed_diversions)))
    else:
        checks.append(Check(Rule.HISTORY, True, "No earlier diversion prevents a new one."))

    if facts.prior.open_diversion:
        checks.append(
            Check(
                Rule.OPEN_DIVERSION,
                False,
                f"The person is already on a diversion ({facts.prior.open_diversion}) until its outcome.",
            )
        )
    else:
        checks.append(Check(Rule.OPEN_DIVERSION, True, "The person has no other diversion open."))

    if facts.consent:
        checks.append(Check(Rule.CONSENT, True, "The person agrees to take part."))
    else:
        checks.append(
            Check(Rule.CONSENT, False, "The person does not agree to take part: normal criminal justice process.")
        )

    if age < AGE_OF_CRIMINAL_RESPONSIBILITY:
        checks.append(
            Check(
                Rule.AGE,
                False,
                f"The person was {age} on the incident date, under the age of criminal "
                f"responsibility ({AGE_OF_CRIMINAL_RESPONSIBILITY}).",
            )
        )
    else:
        pathway = pathway_for(facts.date_of_birth, facts.incident_date)
        words = "youth pathway" if pathway is Pathway.YOUTH else "adult pathway"
        checks.append(Check(Rule.AGE, True, f"Aged {age} on the incident date: {words}."))

    decision = Decision.ELIGIBLE if all(c.passed for c in checks) else Decision.NOT_ELIGIBLE
    return EligibilityResult(
        decision=decision,
        pathway=pathway_for(facts.date_of_birth, facts.incident_date),
        age=age,
        checks=tuple(checks),
        rule_version=RULE_VERSION,
        scheme_code=scheme.code,
        settings_hash=scheme.settings_hash,
    )


def _completed_reason(scheme: Scheme, completed: int) -> str:
    if scheme.completed_diversions_allowed == 0:
        return (
            f"The person has already completed a diversion ({completed}); the {scheme.area} "
            "scheme offers diversion one time only."
        )
    return (
        f"The person has already completed {completed} diversions; the {scheme.area} scheme "
        f"allows {scheme.completed_diversions_allowed}."
    )
