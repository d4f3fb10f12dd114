"""Taking a referral on a real database: decision, reference, deadlines, centre, all or nothing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from diversion_desktop.domain.eligibility import RULE_VERSION, Offence, PriorHistory, SubstanceFind
from diversion_desktop.domain.programme import Status
from diversion_desktop.services.errors import NotFound, ValidationError
from diversion_desktop.store.models import Person, Referral, TimelineEvent


def test_eligible_adult_is_saved_with_reference_deadlines_and_centre(intake, referrals, make_draft) -> None:
    saved = intake.save(make_draft())
    assert saved.reference == "WB-2026-00001"
    assert saved.person_reference == "P000001"
    assert saved.decision == "eligible"
    assert not saved.overridden
    assert saved.status == Status.AWAITING_APPOINTMENT.value
    assert saved.pathway == "adult"
    # West Berkshire: 21 days to first attendance, 56 to complete, from the referral date (2 March).
    assert saved.first_attendance_due == date(2026, 3, 23)
    assert saved.due_date == date(2026, 4, 27)
    assert saved.centre_code == "newbury"

    detail = referrals.detail(saved.id)
    assert detail.provider == "Cranstoun"
    assert detail.centre_name == "Cranstoun Newbury Drop-in"
    assert detail.referral_date == date(2026, 3, 2)
    assert detail.age_at_incident == 35
    assert detail.rule_version == RULE_VERSION
    assert detail.decided_by == "tester"
    assert detail.outcome == "" and detail.next_step == ""
    assert detail.sessions_required == 2 and detail.rebookings_left == 1
    assert [(s.substance, s.label, s.quantity, s.unit) for s in detail.substances] == [
        ("cannabis", "Cannabis (herbal)", Decimal("3.5"), "g")
    ]
    assert detail.person.surname == "Smith" and detail.person.reference == "P000001"
    assert detail.crime_reference == "43260001234" and detail.officer_collar_number == "1234"
    assert [e.kind for e in detail.timeline] == ["decision"]
    assert detail.timeline[0].text.startswith("Eligible (adult pathway")


def test_under_18_goes_to_the_youth_provider_in_west_berkshire(intake, referrals, make_youth_draft) -> None:
    saved = intake.save(make_youth_draft())
    assert saved.pathway == "youth"
    assert saved.decision == "eligible"
    assert saved.centre_code == "newbury-youth"
    detail = referrals.detail(saved.id)
    assert detail.provider == "West Berkshire Youth Service"
    assert detail.centre_name == "Newbury Youth Hub"
    assert detail.age_at_incident == 16
    assert detail.person.guardian_name == "Pat Young"
    assert detail.person.guardian_relationship == "Mother"


def test_under_18_in_windsor_goes_to_the_main_provider(intake, make_youth_draft) -> None:
    saved = intake.save(make_youth_draft(scheme_code="windsor-and-maidenhead"))
    assert saved.reference == "WM-2026-00001"
    assert saved.pathway == "youth"
    assert saved.centre_code == "maidenhead"
    # Windsor and Maidenhead: 14 and 42 days.
    assert (saved.first_attendance_due, saved.due_date) == (date(2026, 3, 16), date(2026, 4, 13))


def test_eighteenth_birthday_on_the_incident_date_is_adult(intake, make_draft) -> None:
    saved = intake.save(make_draft(date_of_birth=date(2008, 3, 1)))
    assert saved.pathway == "adult" and saved.centre_code == "newbury"
    youth = intake.save(make_draft(surname="Other", date_of_birth=date(2008, 3, 2), guardian_name="G"))
    assert youth.pathway == "youth" and youth.centre_code == "newbury-youth"


def test_references_count_per_area_and_year(intake, make_draft, clock) -> None:
    refs = [intake.save(make_draft(surname=f"Person{i}")).reference for i in range(3)]
    assert refs == ["WB-2026-00001", "WB-2026-00002", "WB-2026-00003"]
    assert intake.save(make_draft(surname="Wm", scheme_code="windsor-and-maidenhead")).reference == "WM-2026-00001"
    clock.set(datetime(2027, 1, 4, 9, 0))
    assert intake.save(make_draft(surname="NewYear")).reference == "WB-2027-00001"


def test_person_references_are_unique_and_sequential(intake, make_draft) -> None:
    first = intake.save(make_draft(surname="Alpha"))
    second = intake.save(make_draft(surname="Beta", scheme_code="windsor-and-maidenhead"))
    assert (first.person_reference, second.person_reference) == ("P000001", "P000002")


def test_ineligible_is_saved_with_its_reasons(intake, referrals, make_draft) -> None:
    draft = make_draft(
        offence=Offence.POSSESSION_WITH_INTENT,
        suspected_supply=True,
        substances=[SubstanceFind("cocaine", Decimal("1500"), "mg")],
    )
    saved = intake.save(draft)
    assert saved.decision == "not_eligible"
    assert saved.status == Status.NOT_ELIGIBLE.value
    assert saved.reference == "WB-2026-00001"  # ineligible referrals are still recorded and numbered
    assert len(saved.reasons) == 3
    assert "not simple possession" in saved.reasons[0]
    assert "Cocaine: 1500 mg is over the small-quantity limit of 1 g" in saved.reasons[1]
    assert "suspected of supplying" in saved.reasons[2]
    assert saved.first_attendance_due is None and saved.due_date is None and saved.centre_code == ""
    detail = referrals.detail(saved.id)
    assert detail.outcome == "not_eligible" and detail.outcome_date == date(2026, 3, 2)
    assert detail.reasons == saved.reasons
    assert detail.timeline[0].text.startswith("Not eligible")


def test_several_substances_are_kept_in_order_and_each_checked(intake, referrals, make_draft) -> None:
    finds = [
        SubstanceFind("cannabis", Decimal("2"), "g"),
        SubstanceFind("mdma", Decimal("6"), "tablets"),
        SubstanceFind("cocaine", Decimal("250"), "mg"),
    ]
    saved = intake.save(make_draft(substances=finds))
    assert saved.decision == "not_eligible"
    assert saved.reasons == (
        "Quantity is not small: MDMA / ecstasy: 6 tablets is over the small-quantity limit of 4 tablets.",
    )
    detail = referrals.detail(saved.id)
    assert [(s.substance, s.quantity, s.unit) for s in detail.substances] == [
        ("cannabis", Decimal("2"), "g"),
        ("mdma", Decimal("6"), "tablets"),
        ("cocaine", Decimal("250"), "mg"),
    ]


def test_declined(intake, referrals, make_draft) -> None:
    saved = intake.save(make_draft(consent=False))
    assert saved.decision == "not_eligible"
    assert saved.status == Status.DECLINED.value
    assert saved.reasons == ("The person does not agree to take part: normal criminal justice process.",)
    assert referrals.detail(saved.id).outcome == "declined"


def test_override_with_a_reason_diverts_an_ineligible_referral(intake, referrals, make_draft) -> None:
    draft = make_draft(
        substances=[SubstanceFind("cannabis", Decimal("12"), "g")],
        override_reason="  Quantity only just over; first contact with police.  ",
    )
    saved = intake.save(draft)
    assert saved.decision == "not_eligible"  # the decision itself is kept as made
    assert saved.overridden
    assert saved.status == Status.AWAITING_APPOINTMENT.value
    assert saved.due_date == date(2026, 4, 27) and saved.centre_code == "newbury"
    detail = referrals.detail(saved.id)
    assert detail.override_reason == "Quantity only just over; first contact with police."
    assert detail.override_by == "tester"
    assert [e.kind for e in detail.timeline] == ["decision", "override"]
    assert "first contact with police" in detail.timeline[1].text


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_no_override_without_a_written_reason(intake, make_draft, reason: str) -> None:
    saved = intake.save(make_draft(suspected_supply=True, override_reason=reason))
    assert not saved.overridden
    assert saved.status == Status.NOT_ELIGIBLE.value
    assert saved.due_date is None


def test_consent_refusal_cannot_be_overridden(intake, make_draft, count_rows) -> None:
    before = count_rows()
    with pytest.raises(ValidationError) as caught:
        intake.save(make_draft(consent=False, override_reason="Supervisor thinks it would help."))
    assert set(caught.value.errors) == {"override_reason"}
    assert "cannot be overridden" in caught.value.errors["override_reason"]
    assert "does not agree" in caught.value.errors["override_reason"]
    assert count_rows() == before


def test_consent_refusal_with_other_failures_still_cannot_be_overridden(intake, make_draft) -> None:
    with pytest.raises(ValidationError, match="cannot be overridden"):
        intake.save(make_draft(consent=False, suspected_supply=True, override_reason="Because."))


def test_nothing_to_override_when_eligible(intake, make_draft, count_rows) -> None:
    before = count_rows()
    with pytest.raises(ValidationError) as caught:
        intake.save(make_draft(override_reason="Just in case."))
    assert "nothing to override" in caught.value.errors["override_reason"]
    assert count_rows() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (dict(surname=""), "surname"),
        (dict(date_of_birth=date(2030, 1, 1)), "date_of_birth"),
        (dict(date_of_birth=date(2017, 1, 1)), "date_of_birth"),  # under 10
        (dict(incident_at=datetime(2026, 3, 3)), "incident_at"),  # in the future
        (dict(substances=[SubstanceFind("cannabis", Decimal(0), "g")]), "substances[0]"),
        (dict(substances=[SubstanceFind("cannabis", Decimal(-2), "g")]), "substances[0]"),
        (dict(substances=[SubstanceFind("cannabis", Decimal(10) ** 7, "g")]), "substances[0]"),
        (dict(substances=[SubstanceFind("heroin", Decimal(1), "g")]), "substances[0]"),
        (dict(date_of_birth=date(2010, 1, 1), guardian_name=""), "guardian_name"),
        (dict(scheme_code="atlantis"), "scheme_code"),
    ],
)
def test_validation_error_writes_nothing(intake, make_draft, count_rows, changes: dict, field: str) -> None:
    intake.save(make_draft(surname="Existing"))  # counters and tables are not empty
    before = count_rows()
    with pytest.raises(ValidationError) as caught:
        intake.save(make_draft(**changes))
    assert field in caught.value.errors
    assert caught.value.errors[field] in str(caught.value)
    assert count_rows() == before
    # The numbering carries on where it was: the refused save used no number.
    assert intake.save(make_draft(surname="Next")).reference == "WB-2026-00002"


def test_refused_override_uses_no_reference_number(intake, make_draft) -> None:
    with pytest.raises(ValidationError):
        intake.save(make_draft(consent=False, override_reason="x"))
    saved = intake.save(make_draft())
    assert (saved.reference, saved.person_reference) == ("WB-2026-00001", "P000001")


def test_choosing_an_existing_person_updates_them_without_a_duplicate(intake, people, make_draft, count_rows) -> None:
    first = intake.save(make_draft(phone="07700 900000", email="old@example.org"))
    second = intake.save(
        make_draft(
            person_id=first.person_id,
            scheme_code="windsor-and-maidenhead",
            forenames="John Paul",
            phone="",
            email="new@example.org",
        )
    )
    assert second.person_id == first.person_id
    assert second.person_reference == "P000001"
    assert count_rows()["people"] == 1
    person = people.get(first.person_id)
    assert person.forenames == "John Paul"
    assert person.phone == "07700 900000"  # an empty field keeps what was known
    assert person.email == "new@example.org"
    assert [r.reference for r in person.referrals] == ["WB-2026-00001", "WM-2026-00001"]


def test_a_completed_diversion_counts_against_one_time_only(intake, make_draft, ctx) -> None:
    first = intake.save(make_draft())
    with ctx.session_factory.begin() as session:  # as if the programme had been completed
        referral = session.get(Referral, first.id)
        referral.status, referral.outcome = "completed", "completed"
    again = intake.save(make_draft(person_id=first.person_id))
    assert again.decision == "not_eligible"
    assert "one time only" in again.reasons[0]


def test_unknown_chosen_person(intake, make_draft, count_rows) -> None:
    before = count_rows()
    with pytest.raises(NotFound):
        intake.save(make_draft(person_id=4242))
    assert count_rows() == before


def test_settings_snapshot_is_stored_with_the_decision(intake, make_draft, ctx, west_berks) -> None:
    saved = intake.save(make_draft())
    with ctx.session_factory() as session:
        referral = session.get(Referral, saved.id)
        assert referral.settings_hash == west_berks.settings_hash
        assert referral.scheme_settings["hash"] == west_berks.settings_hash
        assert referral.scheme_settings["settings"]["limits"]["cannabis"]["max"] == 10
        assert referral.scheme_settings["settings"]["kind"] == "voluntary_attendance"
        assert referral.scheme_kind == "voluntary_attendance" and referral.area == "West Berkshire"
        events = session.scalars(select(TimelineEvent).where(TimelineEvent.referral_id == saved.id)).all()
        assert [e.actor for e in events] == ["tester"]
        person = session.get(Person, saved.person_id)
        assert (person.surname_norm, person.forenames_norm) == ("smith", "john")


def test_names_are_stored_as_typed_and_searchable_normalised(intake, ctx, make_draft) -> None:
    saved = intake.save(make_draft(surname="  Ó Súilleabháin ", forenames="Seán"))
    with ctx.session_factory() as session:
        person = session.get(Person, saved.person_id)
        assert (person.surname, person.forenames) == ("Ó Súilleabháin", "Seán")
        assert (person.surname_norm, person.forenames_norm) == ("osuilleabhain", "sean")


def test_check_gives_errors_and_the_live_decision_without_writing(
    intake, make_draft, make_youth_draft, count_rows
) -> None:
    before = count_rows()
    errors, result = intake.check(make_draft(), PriorHistory())
    assert errors == {} and result is not None and result.eligible
    errors, result = intake.check(make_draft(), PriorHistory(barred=True))
    assert result is not None and not result.eligible
    errors, result = intake.check(make_youth_draft(guardian_name=""), PriorHistory())
    assert set(errors) == {"guardian_name"} and result is not None and result.pathway.value == "youth"
    errors, result = intake.check(make_draft(date_of_birth=None), PriorHistory())
    assert "date_of_birth" in errors and result is None
    errors, result = intake.check(make_draft(scheme_code=""), PriorHistory())
    assert "scheme_code" in errors and result is None
    assert count_rows() == before


def test_prior_history(intake, make_draft) -> None:
    assert intake.prior(None) == PriorHistory()
    saved = intake.save(make_draft())
    assert intake.prior(saved.person_id) == PriorHistory(
        barred=False, completed_diversions=0, open_diversion="WB-2026-00001"
    )
    with pytest.raises(NotFound):
        intake.prior(999)


@pytest.mark.parametrize(
    ("status", "outcome", "still_open"),
    [
        ("awaiting_appointment", "", True),
        ("booked", "", True),
        ("awaiting_confirmation", "", True),  # missed: the next step is not confirmed yet
        ("completed", "completed", False),
        ("closed", "not_attended", False),
    ],
)
def test_one_diversion_at_a_time_in_any_area(
    intake, referrals, make_draft, ctx, status: str, outcome: str, still_open: bool
) -> None:
    first = intake.save(make_draft())
    with ctx.session_factory.begin() as session:
        referral = session.get(Referral, first.id)
        referral.status, referral.outcome = status, outcome
    assert intake.prior(first.person_id).open_diversion == ("WB-2026-00001" if still_open else "")
    # Found in possession again, in the other area.
    again = intake.save(make_draft(person_id=first.person_id, scheme_code="windsor-and-maidenhead"))
    reason = "The person is already on a diversion (WB-2026-00001) until its outcome."
    if still_open:
        assert again.decision == "not_eligible" and again.status == "not_eligible"
        assert reason in again.reasons
    else:
        assert reason not in again.reasons


def test_an_open_diversion_may_be_overridden_by_a_supervisor(intake, referrals, make_draft) -> None:
    first = intake.save(make_draft())
    again = intake.save(
        make_draft(
            person_id=first.person_id, override_reason="First referral was a recording error; checked with PS 12."
        )
    )
    assert again.overridden and again.status == "awaiting_appointment"
    assert again.reasons == ("The person is already on a diversion (WB-2026-00001) until its outcome.",)
    detail = referrals.detail(again.id)
    assert detail.override_reason.startswith("First referral was a recording error")


def test_the_guardian_address_is_saved_with_the_person(intake, people, make_youth_draft) -> None:
    saved = intake.save(make_youth_draft(guardian_address="  3 Other Road, Thatcham RG19 4AA "))
    assert people.get(saved.person_id).guardian_address == "3 Other Road, Thatcham RG19 4AA"


@pytest.mark.parametrize(("quantity", "decided"), [("0", False), ("-1", False), ("2.5", True)])
def test_the_live_decision_waits_for_a_quantity_more_than_zero(
    intake, make_draft, quantity: str, decided: bool
) -> None:
    draft = make_draft(substances=[SubstanceFind("cannabis", Decimal(quantity), "g")])
    errors, result = intake.check(draft, PriorHistory())
    assert (result is not None) is decided
    if not decided:
        assert errors["substances[0]"] == "The quantity must be more than zero."
