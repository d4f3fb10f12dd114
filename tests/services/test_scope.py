"""Scope and redaction: a support worker sees their provider's referrals only, without police
fields; police roles never see session notes. Refusals say nothing about the other record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.errors import NotFound, PermissionDenied
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referral_list import ReferralListFilters, ReferralListService
from diversion_desktop.services.referrals import ReferralService
from tests.conftest import EVERY_ROLE, as_role

CRANSTOUN = as_role(Role.SUPPORT_WORKER, organisation="Cranstoun", username="sw-cranstoun")
YOUTH_SERVICE = as_role(Role.SUPPORT_WORKER, organisation="West Berkshire Youth Service", username="sw-youth")
STATION = as_role(Role.STATION_STAFF, username="pc1")


@pytest.fixture
def two(ctx: AppContext, make_draft: Callable[..., Any], make_youth_draft: Callable[..., Any]) -> dict[str, Any]:
    """An adult referral (Cranstoun) with session notes, and a youth one (the youth service)."""
    adult = IntakeService(ctx).save(make_draft(surname="Adams", forenames="Kim"))
    youth = IntakeService(ctx).save(make_youth_draft())
    day = datetime.combine(ctx.today() + timedelta(days=1), datetime.min.time()).replace(hour=10)
    appointment = ProgrammeService(ctx).book(adult.id, day)
    ProgrammeService(ctx).record_session_notes(appointment.id, "Disclosed daily use; agreed a plan.")
    return {"adult": adult, "youth": youth, "appointment": appointment}


def test_a_support_worker_sees_only_their_providers_referrals(
    ctx: AppContext, two: dict[str, Any], count_rows: Callable[[], dict[str, int]]
) -> None:
    ctx.sign_in_as(CRANSTOUN)
    service = ReferralService(ctx)
    assert service.find(two["adult"].reference).reference == two["adult"].reference
    before = count_rows()
    with pytest.raises(NotFound) as refused:
        service.find(two["youth"].reference)
    assert str(refused.value) == f"No referral {two['youth'].reference} that you may see."
    assert count_rows() == before  # not even an audit row for a referral they may not open
    with pytest.raises(NotFound):
        service.detail(two["youth"].id)
    with pytest.raises(NotFound):
        DocumentService(ctx).due(two["youth"].id)
    assert [r.reference for r in ReferralListService(ctx).iterate(ReferralListFilters())] == [two["adult"].reference]
    assert [p.surname for p in PeopleService(ctx).search("a")] == ["Adams"]  # Young is not theirs
    with pytest.raises(NotFound):
        PeopleService(ctx).get(two["youth"].person_id)


def test_a_support_worker_does_not_see_police_fields(ctx: AppContext, two: dict[str, Any]) -> None:
    ctx.sign_in_as(CRANSTOUN)
    detail = ReferralService(ctx).detail(two["adult"].id)
    assert (detail.crime_reference, detail.officer_name, detail.officer_collar_number, detail.station) == ("",) * 4
    # Blanked, and said to be withheld: not the same as a value never recorded.
    assert {"crime_reference", "officer_name", "officer_collar_number", "station", "officer_notes"} <= detail.withheld
    assert "pnc_reference" in detail.person.withheld
    assert detail.appointments[0].session_notes == "Disclosed daily use; agreed a plan."
    ctx.sign_in_as(EVERY_ROLE)
    police = ReferralService(ctx).detail(two["adult"].id)
    assert police.crime_reference == "43260001234"
    assert police.withheld == frozenset() and police.person.withheld == frozenset()


def test_station_staff_do_not_see_session_notes(ctx: AppContext, two: dict[str, Any]) -> None:
    ctx.sign_in_as(STATION)
    detail = ReferralService(ctx).detail(two["adult"].id)
    assert detail.crime_reference == "43260001234"
    assert detail.appointments and all(a.session_notes == "" for a in detail.appointments)
    with pytest.raises(PermissionDenied):
        ProgrammeService(ctx).record_session_notes(two["appointment"].id, "x")


def test_another_providers_worker_cannot_book_or_record(ctx: AppContext, two: dict[str, Any]) -> None:
    ctx.sign_in_as(YOUTH_SERVICE)
    with pytest.raises(NotFound):
        ProgrammeService(ctx).record_session_notes(two["appointment"].id, "overwritten?")
    with pytest.raises(NotFound):
        ProgrammeService(ctx).book(two["adult"].id, datetime.combine(ctx.today(), datetime.min.time()))
    ctx.sign_in_as(CRANSTOUN)
    assert ReferralService(ctx).detail(two["adult"].id).appointments[0].session_notes.startswith("Disclosed")


@pytest.mark.parametrize("text", ["'; DROP TABLE people; --", "x" * 100_000, "Zoë \u202e<script>"])
def test_hostile_text_in_session_notes(ctx: AppContext, two: dict[str, Any], text: str) -> None:
    service = ProgrammeService(ctx)
    if len(text) > 20_000:
        with pytest.raises(Exception, match="at most 20,000"):
            service.record_session_notes(two["appointment"].id, text)
        return
    service.record_session_notes(two["appointment"].id, text)
    assert ReferralService(ctx).detail(two["adult"].id).appointments[0].session_notes == text.strip()
    assert PeopleService(ctx).search("adams")


def test_officer_notes_are_police_only(ctx: AppContext, make_draft: Callable[..., Any]) -> None:
    saved = IntakeService(ctx).save(make_draft(officer_notes="Known to local team; '; DROP TABLE referrals; --"))
    assert ReferralService(ctx).detail(saved.id).officer_notes.startswith("Known to local team")
    ctx.sign_in_as(CRANSTOUN)
    assert ReferralService(ctx).detail(saved.id).officer_notes == ""
