"""Eligibility at intake: each rule of the scheme, each failure with its reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import (
    RULE_VERSION,
    Decision,
    IntakeFacts,
    Offence,
    PriorHistory,
    Rule,
    SubstanceFind,
    decide,
)
from diversion_desktop.domain.units import convert

INCIDENT = date(2026, 3, 1)
ADULT_DOB = date(1990, 5, 17)


def facts(**changes: object) -> IntakeFacts:
    base: dict[str, object] = dict(
        incident_date=INCIDENT,
        date_of_birth=ADULT_DOB,
        offence=Offence.POSSESSION,
        substances=(SubstanceFind("cannabis", Decimal("3.5"), "g"),),
        suspected_supply=False,
        consent=True,
        prior=PriorHistory(),
    )
    base.update(changes)
    return IntakeFacts(**base)  # type: ignore[arg-type]  # the fields, of their own types


def failed_rules(result) -> list[Rule]:
    return [c.rule for c in result.failures]


def find(substance: str, quantity: str, unit: str) -> SubstanceFind:
    return SubstanceFind(substance, Decimal(quantity), unit)


# -- everything met ------------------------------------------------------------------
def test_eligible_adult_has_every_rule_met(west_berks) -> None:
    result = decide(west_berks, facts())
    assert result.decision is Decision.ELIGIBLE
    assert result.eligible
    assert result.failures == ()
    assert [c.rule for c in result.checks] == list(Rule)
    assert len(result.reasons) == len(Rule)  # the reasons say every rule was met
    assert result.pathway is Pathway.ADULT
    assert result.age == 35
    assert not result.declined_only


def test_decision_records_rule_version_scheme_and_settings(west_berks, windsor) -> None:
    result = decide(west_berks, facts())
    assert result.rule_version == RULE_VERSION
    assert result.scheme_code == "west-berkshire"
    assert result.settings_hash == west_berks.settings_hash
    assert result.settings_hash and result.settings_hash != windsor.settings_hash


# -- 1. offence ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("offence", "eligible", "words"),
    [
        (Offence.POSSESSION, True, "simple possession"),
        (Offence.POSSESSION_WITH_INTENT, False, "possession with intent to supply"),
        (Offence.SUPPLY, False, "supply of a controlled drug"),
        (Offence.OTHER, False, "another offence"),
    ],
)
def test_offence_types(west_berks, offence: Offence, eligible: bool, words: str) -> None:
    result = decide(west_berks, facts(offence=offence))
    assert result.eligible is eligible
    offence_check = next(c for c in result.checks if c.rule is Rule.OFFENCE)
    assert offence_check.passed is eligible
    assert words in offence_check.reason.lower()
    if not eligible:
        assert failed_rules(result) == [Rule.OFFENCE]
        assert "not simple possession" in result.reasons[0]


# -- 2. quantity ---------------------------------------------------------------------
WB_LIMITS = [  # substance, limit, unit (the shipped example values)
    ("cannabis", "10", "g"),
    ("cannabis_resin", "5", "g"),
    ("cocaine", "1", "g"),
    ("mdma", "4", "tablets"),
    ("ketamine", "1", "g"),
    ("amphetamine", "1", "g"),
]


@pytest.mark.parametrize(("substance", "limit", "unit"), WB_LIMITS)
def test_quantity_at_limit_is_small(west_berks, substance: str, limit: str, unit: str) -> None:
    result = decide(west_berks, facts(substances=(find(substance, limit, unit),)))
    assert result.eligible, result.reasons


@pytest.mark.parametrize(("substance", "limit", "unit"), WB_LIMITS)
def test_each_substance_checked_when_several_found(west_berks, substance: str, limit: str, unit: str) -> None:
    """One substance over its limit among several within theirs: that one is named."""
    over = Decimal(limit) + Decimal("0.5")
    within = [find(s, "0.5", u) for s, _, u in WB_LIMITS if s != substance]
    finds = (*within[:2], SubstanceFind(substance, over, unit), *within[2:])
    result = decide(west_berks, facts(substances=finds))
    assert failed_rules(result) == [Rule.QUANTITY]
    reason = result.failures[0].reason
    label = west_berks.limits[substance].label
    assert reason.startswith("Quantity is not small:")
    assert f"{label}: {over} {unit} is over the small-quantity limit of {limit} {unit}" in reason
    for other, _, _ in WB_LIMITS:
        if other != substance:
            assert west_berks.limits[other].label not in reason


def test_every_substance_over_is_listed(west_berks) -> None:
    finds = (find("cannabis", "11", "g"), find("cocaine", "0.5", "g"), find("mdma", "5", "tablets"))
    reason = decide(west_berks, facts(substances=finds)).failures[0].reason
    assert "Cannabis (herbal): 11 g" in reason
    assert "MDMA / ecstasy: 5 tablets" in reason
    assert "Cocaine" not in reason


@pytest.mark.parametrize(
    ("quantity", "unit", "eligible"),
    [
        ("500", "mg", True),
        ("1000", "mg", True),  # exactly 1 g: at the limit
        ("1000.0", "mg", True),
        ("1001", "mg", False),
        ("1500", "mg", False),
        ("0.999", "g", True),
        ("1.001", "g", False),
    ],
)
def test_milligrams_are_converted_to_grams(west_berks, quantity: str, unit: str, eligible: bool) -> None:
    result = decide(west_berks, facts(substances=(find("cocaine", quantity, unit),)))
    assert result.eligible is eligible
    if not eligible:
        assert failed_rules(result) == [Rule.QUANTITY]
        assert f"Cocaine: {Decimal(quantity).normalize():f} {unit} is over" in result.reasons[0]
        assert "limit of 1 g" in result.reasons[0]


@pytest.mark.parametrize(
    ("substance", "unit", "limit_unit"),
    [
        ("cannabis", "tablets", "g"),
        ("cannabis", "ml", "g"),
        ("mdma", "g", "tablets"),
        ("mdma", "mg", "tablets"),
    ],
)
def test_unit_that_cannot_be_compared_with_the_limit(west_berks, substance: str, unit: str, limit_unit: str) -> None:
    result = decide(west_berks, facts(substances=(find(substance, "1", unit),)))
    assert failed_rules(result) == [Rule.QUANTITY]
    assert f"was recorded in {unit}, but the limit is set in {limit_unit}" in result.failures[0].reason


def test_substance_without_a_limit_in_this_scheme(windsor) -> None:
    # Windsor and Maidenhead sets no amphetamine limit.
    result = decide(windsor, facts(substances=(find("amphetamine", "0.1", "g"),)))
    assert failed_rules(result) == [Rule.QUANTITY]
    assert "amphetamine has no small-quantity limit in the Windsor and Maidenhead scheme" in result.reasons[0]


@pytest.mark.parametrize(("quantity", "unit"), [("0", "g"), ("-1", "g"), ("0", "tablets"), ("-0.5", "mg")])
def test_a_quantity_of_zero_or_less_is_never_within_the_limit(west_berks, quantity: str, unit: str) -> None:
    substance = "mdma" if unit == "tablets" else "cocaine"
    result = decide(west_berks, facts(substances=(find("cannabis", "1", "g"), find(substance, quantity, unit))))
    assert failed_rules(result) == [Rule.QUANTITY]
    reason = result.failures[0].reason
    assert "must be a number more than zero" in reason and "within" not in reason


def test_no_substance_recorded(west_berks) -> None:
    result = decide(west_berks, facts(substances=()))
    assert failed_rules(result) == [Rule.QUANTITY]
    assert "No substance" in result.reasons[0]


@pytest.mark.parametrize(
    ("quantity", "unit", "to", "expected"),
    [
        ("1", "g", "mg", Decimal(1000)),
        ("250", "mg", "g", Decimal("0.25")),
        ("3", "tablets", "tablets", Decimal(3)),
        ("5", "ml", "ml", Decimal(5)),
        ("1", "tablets", "g", None),
        ("1", "g", "tablets", None),
        ("1", "ml", "g", None),
    ],
)
def test_unit_conversion(quantity: str, unit: str, to: str, expected: Decimal | None) -> None:
    assert convert(Decimal(quantity), unit, to) == expected


# -- 3. suspected supply -------------------------------------------------------------
def test_suspected_supply(west_berks) -> None:
    result = decide(west_berks, facts(suspected_supply=True))
    assert failed_rules(result) == [Rule.SUPPLY]
    assert result.reasons == ("The person is suspected of supplying drugs.",)


# -- 4. history ----------------------------------------------------------------------
def test_barred_history(west_berks) -> None:
    result = decide(west_berks, facts(prior=PriorHistory(barred=True)))
    assert failed_rules(result) == [Rule.HISTORY]
    assert "barred" in result.reasons[0]
    assert "non-attendance" in result.reasons[0]


def test_barred_wins_over_completed_count(make_scheme) -> None:
    scheme = make_scheme(completed_diversions_allowed=5)
    result = decide(scheme, facts(prior=PriorHistory(barred=True, completed_diversions=0)))
    assert failed_rules(result) == [Rule.HISTORY]
    assert "barred" in result.reasons[0]


@pytest.mark.parametrize(
    ("allowed", "completed", "eligible"),
    [
        (0, 0, True),
        (0, 1, False),  # "one time only"
        (0, 3, False),
        (1, 0, True),
        (1, 1, True),  # a second diversion allowed after one completed
        (1, 2, False),
        (2, 2, True),
        (2, 3, False),
    ],
)
def test_completed_diversions_against_the_scheme_setting(
    make_scheme, allowed: int, completed: int, eligible: bool
) -> None:
    scheme = make_scheme(completed_diversions_allowed=allowed)
    result = decide(scheme, facts(prior=PriorHistory(completed_diversions=completed)))
    assert result.eligible is eligible
    if not eligible:
        assert failed_rules(result) == [Rule.HISTORY]
        reason = result.reasons[0]
        assert "already completed" in reason
        if allowed == 0:
            assert "one time only" in reason
        else:
            assert f"allows {allowed}" in reason and f"completed {completed} diversions" in reason


# -- 4a. one diversion at a time ------------------------------------------------------
@pytest.mark.parametrize(
    ("prior", "failed", "words"),
    [
        (PriorHistory(), [], "no other diversion open"),
        (
            PriorHistory(open_diversion="WB-2026-00007"),
            [Rule.OPEN_DIVERSION],
            "The person is already on a diversion (WB-2026-00007) until its outcome.",
        ),
        (
            PriorHistory(open_diversion="WM-2025-00123", completed_diversions=0),
            [Rule.OPEN_DIVERSION],
            "already on a diversion (WM-2025-00123)",
        ),  # another area's diversion counts too
        (
            PriorHistory(open_diversion="WB-2026-00007", barred=True),
            [Rule.HISTORY, Rule.OPEN_DIVERSION],
            "already on a diversion (WB-2026-00007)",
        ),  # each reason given
    ],
)
def test_another_diversion_still_open(west_berks, prior: PriorHistory, failed: list[Rule], words: str) -> None:
    result = decide(west_berks, facts(prior=prior))
    assert failed_rules(result) == failed
    assert result.eligible is (not failed)
    check = next(c for c in result.checks if c.rule is Rule.OPEN_DIVERSION)
    assert words in check.reason


# -- 5. consent ----------------------------------------------------------------------
def test_consent_refused(west_berks) -> None:
    result = decide(west_berks, facts(consent=False))
    assert failed_rules(result) == [Rule.CONSENT]
    assert result.declined_only
    assert "normal criminal justice process" in result.reasons[0]


def test_consent_refused_with_another_failure_is_not_only_declined(west_berks) -> None:
    result = decide(west_berks, facts(consent=False, suspected_supply=True))
    assert failed_rules(result) == [Rule.SUPPLY, Rule.CONSENT]
    assert not result.declined_only


# -- 6. age --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dob", "age", "eligible", "pathway"),
    [
        (date(2016, 3, 2), 9, False, Pathway.YOUTH),  # tenth birthday the day after the incident
        (date(2016, 3, 1), 10, True, Pathway.YOUTH),  # tenth birthday on the incident date
        (date(2008, 3, 2), 17, True, Pathway.YOUTH),  # 18 the day after
        (date(2008, 3, 1), 18, True, Pathway.ADULT),  # 18 on the incident date
        (date(2019, 1, 1), 7, False, Pathway.YOUTH),
    ],
)
def test_age_on_the_incident_date(west_berks, dob: date, age: int, eligible: bool, pathway: Pathway) -> None:
    result = decide(west_berks, facts(date_of_birth=dob))
    assert result.age == age
    assert result.eligible is eligible
    assert result.pathway is pathway
    age_check = next(c for c in result.checks if c.rule is Rule.AGE)
    if eligible:
        assert f"Aged {age} on the incident date" in age_check.reason
        assert pathway.value in age_check.reason
    else:
        assert failed_rules(result) == [Rule.AGE]
        assert f"was {age} on the incident date" in age_check.reason
        assert "age of criminal responsibility (10)" in age_check.reason


def test_every_failure_is_listed(west_berks) -> None:
    result = decide(
        west_berks,
        facts(
            offence=Offence.SUPPLY,
            substances=(find("cannabis", "50", "g"),),
            suspected_supply=True,
            prior=PriorHistory(barred=True, open_diversion="WB-2026-00001"),
            consent=False,
            date_of_birth=date(2017, 1, 1),
        ),
    )
    assert result.decision is Decision.NOT_ELIGIBLE
    assert failed_rules(result) == list(Rule)
    assert len(result.reasons) == 7
