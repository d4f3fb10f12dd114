"""Field checks on the intake form: each problem reported beside its field."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import PriorHistory, SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft, validate

NOW = datetime(2026, 3, 2, 10, 0)
INCIDENT = datetime(2026, 3, 1, 21, 30)


def find(substance: str, quantity: str, unit: str = "g") -> SubstanceFind:
    return SubstanceFind(substance, Decimal(quantity), unit)


def test_complete_adult_draft_is_valid(make_draft, west_berks) -> None:
    assert validate(make_draft(), west_berks, NOW) == {}


def test_complete_youth_draft_with_guardian_is_valid(make_youth_draft, west_berks) -> None:
    draft = make_youth_draft()
    assert draft.pathway() is Pathway.YOUTH
    assert validate(draft, west_berks, NOW) == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        # empty required fields
        (dict(surname=""), "surname", "surname"),
        (dict(surname="   "), "surname", "surname"),
        (dict(forenames=""), "forenames", "forename"),
        (dict(date_of_birth=None), "date_of_birth", "Enter the date of birth"),
        (dict(incident_at=None), "incident_at", "Enter the date and time"),
        (dict(substances=[]), "substances", "at least one substance"),
        # dates
        (dict(date_of_birth=date(2026, 3, 3)), "date_of_birth", "cannot be in the future"),
        (
            dict(date_of_birth=date(2026, 3, 2), incident_at=datetime(2026, 3, 1, 9, 0)),
            "date_of_birth",
            "after the incident",
        ),
        (dict(date_of_birth=date(1900, 1, 1)), "date_of_birth", "over 120"),
        (dict(date_of_birth=date(2016, 3, 2)), "date_of_birth", "under 10"),  # tenth birthday the day after
        (dict(date_of_birth=date(2020, 1, 1)), "date_of_birth", "age of criminal responsibility"),
        (dict(incident_at=datetime(2026, 3, 2, 10, 1)), "incident_at", "cannot be in the future"),
        (dict(incident_at=datetime(2026, 4, 1)), "incident_at", "cannot be in the future"),
        # quantities and substances
        (dict(substances=[find("cannabis", "0")]), "substances[0]", "more than zero"),
        (dict(substances=[find("cannabis", "-1")]), "substances[0]", "more than zero"),
        (dict(substances=[find("cannabis", "1"), find("cocaine", "-0.1")]), "substances[1]", "more than zero"),
        (dict(substances=[find("cannabis", "100001")]), "substances[0]", "not a plausible quantity"),
        (dict(substances=[find("cocaine", "100000001", "mg")]), "substances[0]", "not a plausible quantity"),
        (dict(substances=[find("mdma", "1000000", "tablets")]), "substances[0]", "not a plausible quantity"),
        (dict(substances=[find("heroin", "1")]), "substances[0]", "Unknown substance 'heroin'"),
        (dict(substances=[find("cannabis", "1", "kg")]), "substances[0]", "Unknown unit 'kg'"),
        # contact
        (dict(email="not-an-address"), "email", "e-mail"),
        (dict(scheme_code="nowhere"), "scheme_code", "area"),
    ],
)
def test_each_problem_is_reported_on_its_field(make_draft, registry, changes: dict, field: str, words: str) -> None:
    draft = make_draft(**changes)
    errors = validate(draft, registry.find(draft.scheme_code), NOW)
    assert field in errors, errors
    assert words.lower() in errors[field].lower()
    # A child's (or impossible) date of birth also asks for the guardian; nothing else is reported.
    extra = {"guardian_name"} if field == "date_of_birth" else set()
    assert set(errors) - extra == {field}, "one problem should give one message"


@pytest.mark.parametrize(
    ("dob", "guardian", "needs_guardian"),
    [
        (date(2009, 6, 1), "", True),  # 16
        (date(2008, 3, 2), "", True),  # 18 the day after the incident: still under 18
        (date(2008, 3, 1), "", False),  # 18 on the incident date
        (date(2016, 3, 1), "", True),  # exactly 10
        (date(2009, 6, 1), "   ", True),
        (date(2009, 6, 1), "Pat Young", False),
    ],
)
def test_guardian_required_under_18(make_draft, west_berks, dob: date, guardian: str, needs_guardian: bool) -> None:
    errors = validate(make_draft(date_of_birth=dob, guardian_name=guardian), west_berks, NOW)
    assert ("guardian_name" in errors) is needs_guardian
    if needs_guardian:
        assert "parent or guardian" in errors["guardian_name"]
        assert set(errors) == {"guardian_name"}


@pytest.mark.parametrize(
    ("substance", "quantity", "unit"),
    [
        ("cannabis", "100000", "g"),  # the largest plausible figure is accepted here...
        ("cannabis", "0.001", "g"),
        ("cocaine", "100000000", "mg"),
        ("mdma", "1", "tablets"),
        ("cannabis", "20", "g"),  # ...over the limit is an eligibility question, not a typing error
    ],
)
def test_plausible_quantities_pass_validation(make_draft, west_berks, substance: str, quantity: str, unit: str) -> None:
    assert validate(make_draft(substances=[find(substance, quantity, unit)]), west_berks, NOW) == {}


def test_substance_known_in_one_area_only(make_draft, registry) -> None:
    draft = make_draft(substances=[find("amphetamine", "0.5")])
    assert validate(draft, registry.get("west-berkshire"), NOW) == {}
    errors = validate(draft, registry.get("windsor-and-maidenhead"), NOW)
    assert "Unknown substance 'amphetamine' for Windsor and Maidenhead" in errors["substances[0]"]


def test_missing_scheme(make_draft) -> None:
    errors = validate(make_draft(scheme_code=""), None, NOW)
    assert set(errors) == {"scheme_code"}


def test_empty_draft_reports_every_required_field() -> None:
    errors = validate(IntakeDraft(), None, NOW)
    assert {"scheme_code", "surname", "forenames", "date_of_birth", "incident_at", "substances"} <= set(errors)


def test_incident_exactly_now_is_not_future(make_draft, west_berks) -> None:
    assert validate(make_draft(incident_at=NOW), west_berks, NOW) == {}


def test_facts_carry_the_draft_and_prior_history(make_draft) -> None:
    draft = make_draft(suspected_supply=True, consent=False)
    prior = PriorHistory(barred=True, completed_diversions=1)
    facts = draft.facts(prior)
    assert facts.incident_date == INCIDENT.date()
    assert facts.date_of_birth == draft.date_of_birth
    assert facts.substances == tuple(draft.substances)
    assert facts.suspected_supply and not facts.consent
    assert facts.prior is prior


def test_pathway_unknown_until_dates_given(make_draft) -> None:
    assert make_draft(date_of_birth=None).pathway() is None
    assert make_draft(incident_at=None).pathway() is None
    assert make_draft().pathway() is Pathway.ADULT


@pytest.mark.parametrize("name", ["surname", "forenames", "address", "crime_reference", "officer_notes", "station"])
def test_text_longer_than_its_field_is_refused_at_the_field(make_draft, west_berks, name: str) -> None:
    from diversion_desktop.domain.intake import TEXT_LIMITS

    limit = TEXT_LIMITS[name]
    assert name not in validate(make_draft(**{name: "x" * limit}), west_berks, NOW)
    errors = validate(make_draft(**{name: "'; DROP TABLE people; --" + "x" * limit}), west_berks, NOW)
    assert errors[name].startswith(f"At most {limit:,} characters")
