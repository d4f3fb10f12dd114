"""Retention: closed referrals past their period are anonymised, legal holds keep them, worked examples."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.audit_trail import AuditTrailService
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.errors import ConflictError, PermissionDenied, ValidationError
from diversion_desktop.services.merge import MergeService
from diversion_desktop.services.retention import RetentionService, months_before
from diversion_desktop.store import models
from diversion_desktop.store.models import (
    Appointment,
    AuditEvent,
    IssuedDocument,
    Person,
    PersonAlias,
    PersonMerge,
    Referral,
    TimelineEvent,
)
from tests.conftest import EVERY_ROLE, as_role

SQL_TEXT = "'; DROP TABLE people; --"
SEVEN_YEARS_ON = datetime(2033, 6, 1, 9, 0)  # past the 72 months of both example schemes


@pytest.fixture
def retention(ctx):
    return RetentionService(ctx)


@pytest.fixture
def completed(intake, make_draft, attend, ctx):
    """A diversion completed in March 2026, with a letter issued and free text everywhere."""
    saved = intake.save(make_draft())
    DocumentService(ctx).issue(saved.id, "referral_letter")
    attend(saved.id)
    attend(saved.id)
    with ctx.session_factory.begin() as session:
        session.execute(update(Referral).where(Referral.id == saved.id).values(officer_notes="Known to officers"))
        session.execute(
            update(Appointment)
            .where(Appointment.referral_id == saved.id)
            .values(session_notes="Talked about cannabis use", rebook_reason="Bus late")
        )
        session.add(
            PersonAlias(
                person_id=saved.person_id,
                surname="Smithy",
                forenames="Jack",
                surname_norm="smithy",
                forenames_norm="jack",
            )
        )
    return saved


def _get(ctx, model, row_id):
    with ctx.session_factory() as session:
        row = session.get(model, row_id)
        session.expunge(row)
        return row


def _rows(ctx, model, **where):
    with ctx.session_factory() as session:
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        rows = list(session.scalars(query.order_by(model.id)))
        session.expunge_all()
        return rows


def _snapshot(ctx) -> dict[str, list[tuple]]:
    """Every row of every table but the audit trail, to show a run changed nothing."""
    with ctx.session_factory() as session:
        return {
            table.name: [tuple(row) for row in session.execute(select(table).order_by(*table.primary_key))]
            for table in models.Base.metadata.sorted_tables
            if table.name != "audit_events"
        }


def test_months_before() -> None:
    assert months_before(date(2026, 3, 2), 72) == date(2020, 3, 2)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


# -- worked examples ------------------------------------------------------------------------------
def test_old_closed_and_new_open_referral_person_kept_old_free_text_removed(
    ctx, clock, retention, intake, make_draft, completed, people, referrals
) -> None:
    clock.set(SEVEN_YEARS_ON)
    again = intake.save(
        make_draft(
            person_id=completed.person_id,
            incident_at=clock() - timedelta(hours=5),
            override_reason="Second diversion agreed by the coordinator.",
        )
    )
    assert again.status == "awaiting_appointment"

    plan = retention.plan()
    assert (plan.referrals, plan.people, plan.held) == (1, 0, 0)
    assert plan.sample == (completed.reference,)
    report = retention.run()
    assert report.referral_references == (completed.reference,) and report.person_references == ()

    old = _get(ctx, Referral, completed.id)
    assert old.anonymised_at == SEVEN_YEARS_ON
    for field in (
        "incident_place",
        "crime_reference",
        "officer_name",
        "officer_collar_number",
        "station",
        "officer_notes",
        "override_reason",
        "proposed_reason",
    ):
        assert getattr(old, field) == "", field
    # Kept for statistics: area, dates, decision and outcome.
    assert (old.area, old.referral_date, old.decision, old.outcome, old.status) == (
        "West Berkshire",
        date(2026, 3, 2),
        "eligible",
        "completed",
        "completed",
    )
    assert old.outcome_date is not None and old.next_step == "no_further_action"
    for appointment in _rows(ctx, Appointment, referral_id=completed.id):
        assert (appointment.worker, appointment.rebook_reason, appointment.session_notes) == ("", "", "")
        assert appointment.attendance == "attended"
    assert all(e.text == e.kind for e in _rows(ctx, TimelineEvent, referral_id=completed.id))
    document = _rows(ctx, IssuedDocument, referral_id=completed.id)[0]
    assert (document.content, document.recipient) == (b"", "")
    assert document.kind == "referral_letter" and len(document.sha256) == 64  # details kept
    with pytest.raises(ConflictError, match="anonymised under the retention rules"):
        DocumentService(ctx).stored(document.id)  # no empty "reprint"

    # The person is not anonymised: their new referral is open, and it is untouched.
    person = _get(ctx, Person, completed.person_id)
    assert (person.surname, person.anonymised_at, person.address) == ("Smith", None, "1 Test Street, Newbury")
    assert referrals.detail(again.id).incident_place == "Northbrook Street"
    assert [p.reference for p in people.search("Smith")] == [person.reference]

    # One audit row per referral: the fields cleared, never their values; and one for the run.
    row = _rows(ctx, AuditEvent, action="referral_anonymised")[0]
    assert row.record_reference == completed.reference and row.person_id == completed.person_id
    cleared = json.loads(row.changes)
    assert ["officer_notes", "(removed)", ""] in cleared and ["incident_place", "(removed)", ""] in cleared
    assert "Known to officers" not in row.changes + row.detail and "Northbrook" not in row.changes + row.detail
    summary = _rows(ctx, AuditEvent, action="retention_run")
    assert len(summary) == 1 and "1 referral(s) and 0 person record(s) anonymised" in summary[0].detail

    # What the trail recorded about the old referral, its appointments and its letter keeps who and
    # when but not the values; the new referral and the person (not anonymised) keep theirs.
    letter = document.document_reference
    about_old = [
        e
        for e in _rows(ctx, AuditEvent)
        if e.record_reference in (completed.reference, letter) and e.action != "referral_anonymised"
    ]
    assert {e.action for e in about_old} >= {
        "referral_created",
        "appointment_booked",
        "attendance_recorded",
        "document_issued",
    }
    assert all((e.changes, e.detail, e.erased_at) == ("", "", SEVEN_YEARS_ON) for e in about_old)
    kept = [e for e in _rows(ctx, AuditEvent) if e.erased_at is None]
    assert any(e.record_reference == again.reference and "Northbrook Street" in e.changes for e in kept)
    assert any(e.entity == "person" and "1 Test Street" in e.changes for e in kept)
    erasures = _rows(ctx, AuditEvent, action="audit_values_erased")
    assert [e.changes for e in erasures] == [f'[["rows",null,{len(about_old)}]]']
    assert AuditTrailService(ctx).verify().ok


def test_a_person_whose_every_referral_qualifies_is_anonymised(
    ctx, clock, retention, completed, people, make_youth_draft, intake
) -> None:
    youth = intake.save(make_youth_draft(consent=False))  # declined: closed on the day
    clock.set(SEVEN_YEARS_ON)
    plan = retention.plan()
    assert (plan.referrals, plan.people) == (2, 2)
    report = retention.run()
    assert report.people_anonymised == 2 and report.referrals_anonymised == 2
    assert report.person_references == ("P000001", "P000002")

    person = _get(ctx, Person, completed.person_id)
    assert (person.surname, person.forenames, person.surname_norm, person.forenames_norm) == (
        "Anonymised",
        "Anonymised",
        "",
        "",
    )
    assert person.date_of_birth == date(1990, 5, 1)
    assert (person.address, person.postcode, person.phone, person.email, person.pnc_reference) == ("",) * 5
    assert person.sex == "Male" and person.anonymised_at == SEVEN_YEARS_ON
    assert _rows(ctx, PersonAlias, person_id=person.id) == []
    young = _get(ctx, Person, youth.person_id)
    assert (young.guardian_name, young.guardian_relationship, young.guardian_phone) == ("", "", "")
    assert young.date_of_birth == date(2009, 6, 1) and young.sex == "Female"

    # Gone from searches and from the candidates offered at intake.
    assert people.search("Smith") == [] and people.search("Anonymised") == []
    assert people.possible_matches("Smith", "John", date(1990, 5, 1)) == []
    audit = _rows(ctx, AuditEvent, action="person_anonymised")
    assert [a.person_id for a in audit] == [person.id, young.id]
    assert "1 Test Street" not in audit[0].changes and ["address", "(removed)", ""] in json.loads(audit[0].changes)
    # Nothing the trail recorded about them still holds a name, an address or a guardian.
    trail = _rows(ctx, AuditEvent)
    for value in ("Smith", "1 Test Street", "Pat Young", "07700 900001"):
        assert not [e.id for e in trail if value in e.changes + e.detail], value
    assert {e.action for e in trail if e.erased_at} >= {"person_created", "referral_created"}
    assert AuditTrailService(ctx).verify().ok


def test_not_yet_old_enough_or_open_is_left_alone(ctx, clock, retention, completed, intake, make_draft) -> None:
    opened = intake.save(make_draft(surname="Jones"))
    clock.set(datetime(2032, 3, 3, 9, 0))  # six years after the referral, but the outcome came later
    assert retention.plan().referrals == 0
    clock.set(SEVEN_YEARS_ON)
    assert retention.plan().sample == (completed.reference,)  # the open one never qualifies
    retention.run()
    assert _get(ctx, Referral, opened.id).anonymised_at is None


def test_legal_hold_keeps_a_referral_until_released(ctx, clock, retention, completed, count_rows) -> None:
    state = retention.set_legal_hold(completed.id, True, "Appeal pending at the Crown Court")
    assert state.legal_hold and "will not be anonymised" in state.summary()
    clock.set(SEVEN_YEARS_ON)
    plan = retention.plan()
    assert (plan.referrals, plan.people, plan.held) == (0, 0, 1)
    report = retention.run()
    assert (report.referrals_anonymised, report.people_anonymised, report.held) == (0, 0, 1)
    assert _get(ctx, Referral, completed.id).officer_notes == "Known to officers"
    assert _get(ctx, Person, completed.person_id).surname == "Smith"

    retention.set_legal_hold(completed.id, False, "Appeal dismissed")
    assert [
        e.action
        for e in _rows(ctx, AuditEvent, record_id=completed.id, entity="referral")
        if e.action.startswith("legal_hold")
    ] == ["legal_hold_set", "legal_hold_cleared"]
    report = retention.run()
    assert (report.referrals_anonymised, report.people_anonymised) == (1, 1)
    before = count_rows()
    with pytest.raises(ConflictError, match="nothing left to hold"):
        retention.set_legal_hold(completed.id, True, "too late")
    assert count_rows() == before


def test_reported_for_prosecution_sets_the_hold(ctx, clock, retention, programme, intake, make_draft) -> None:
    saved = intake.save(make_draft(scheme_code="windsor-and-maidenhead"))
    clock.set(datetime(2026, 4, 14, 9, 0))
    assert programme.confirm_next_step(saved.id) == "report_for_prosecution"
    referral = _get(ctx, Referral, saved.id)
    assert referral.legal_hold and "prosecution" in referral.legal_hold_reason
    assert _rows(ctx, AuditEvent, action="legal_hold_set")[0].record_reference == saved.reference
    clock.set(SEVEN_YEARS_ON)
    assert retention.plan().held == 1 and retention.run().referrals_anonymised == 0


def test_a_rerun_changes_nothing(ctx, clock, retention, completed, intake, make_draft) -> None:
    intake.save(make_draft(surname="Jones", consent=False))
    clock.set(SEVEN_YEARS_ON)
    first = retention.run()
    assert first.referrals_anonymised == 2
    before = _snapshot(ctx)
    clock.advance(days=1)
    assert retention.plan().referrals == 0
    again = retention.run()
    assert (again.referrals_anonymised, again.people_anonymised) == (0, 0)
    assert _snapshot(ctx) == before
    assert len(_rows(ctx, AuditEvent, action="retention_run")) == 2  # every run is reported


def test_many_batches(ctx, clock, retention, intake, make_draft, monkeypatch) -> None:
    monkeypatch.setattr("diversion_desktop.services.retention.BATCH", 2)
    saved = [intake.save(make_draft(surname=f"Person{i}", consent=False)) for i in range(5)]
    clock.set(SEVEN_YEARS_ON)
    seen: list[tuple[int, int]] = []
    report = retention.run(progress=lambda done, total: seen.append((done, total)))
    assert report.referrals_anonymised == 5 and report.people_anonymised == 5 and report.batches == 3
    assert seen[-1] == (10, 10)
    assert {r.anonymised_at for r in _rows(ctx, Referral)} == {SEVEN_YEARS_ON}
    assert len(saved) == len(_rows(ctx, AuditEvent, action="referral_anonymised"))


def test_merged_records_are_anonymised_with_the_person(ctx, clock, retention, intake, make_draft) -> None:
    first = intake.save(make_draft(consent=False))
    second = intake.save(make_draft(surname="Smyth", consent=False, address="9 Elsewhere"))
    merge = MergeService(ctx).merge(first.person_id, second.person_id, "Same person at 9 Elsewhere")
    clock.set(SEVEN_YEARS_ON)
    assert retention.plan().people == 1
    report = retention.run()
    assert report.person_references == ("P000001",)
    merged = _get(ctx, Person, second.person_id)
    assert (merged.surname, merged.address) == ("Anonymised", "") and merged.anonymised_at is not None
    assert _get(ctx, PersonMerge, merge.merge_id).reason == ""
    with pytest.raises(ConflictError, match="anonymised"):
        MergeService(ctx).undo(merge.merge_id, "too late")


def test_person_left_with_only_anonymised_referrals_after_an_undone_merge(
    ctx, clock, retention, intake, make_draft
) -> None:
    kept = intake.save(make_draft(consent=False))
    clock.set(SEVEN_YEARS_ON)
    other = intake.save(make_draft(surname="Smyth", incident_at=clock() - timedelta(hours=3)))  # open
    merges = MergeService(ctx)
    merge = merges.merge(kept.person_id, other.person_id, "same")
    assert retention.run().referrals_anonymised == 1 and _get(ctx, Person, kept.person_id).anonymised_at is None
    merges.undo(merge.merge_id, "not the same")
    assert retention.plan().people == 1
    assert retention.run().person_references == ("P000001",)


def test_scheme_period_comes_from_the_scheme_file(ctx, clock, retention, completed, make_scheme) -> None:
    longer = make_scheme(retention_months=120)  # the West Berkshire file with ten years
    ctx.schemes = type(ctx.schemes)([longer, *[s for s in ctx.schemes if s.code != longer.code]])
    clock.set(SEVEN_YEARS_ON)
    assert ("west-berkshire", 120) in retention.plan().periods
    assert retention.plan().referrals == 0


# -- refusals -------------------------------------------------------------------------------------
def test_station_staff_are_refused_and_nothing_changes(ctx, clock, retention, completed, count_rows) -> None:
    clock.set(SEVEN_YEARS_ON)
    before = _snapshot(ctx), count_rows()
    ctx.sign_in_as(as_role(Role.STATION_STAFF, username="pc"))
    for call in (
        retention.plan,
        retention.run,
        lambda: retention.set_legal_hold(completed.id, True, "hold"),
        lambda: retention.referral_id(completed.reference),
    ):
        with pytest.raises(PermissionDenied, match="may not do this"):
            call()
    assert (_snapshot(ctx), count_rows()) == before
    ctx.sign_in_as(as_role(Role.COORDINATOR, username="coord"))  # holds, but no retention runs
    with pytest.raises(PermissionDenied, match="retention"):
        retention.run()
    ctx.sign_in_as(EVERY_ROLE)


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("", "Give the reason for the legal hold"),
        ("x" * 100_000, "too long (100,000 characters): at most 2,000"),
    ],
)
def test_legal_hold_reason_checked(retention, completed, count_rows, reason: str, words: str) -> None:
    before = count_rows()
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        retention.set_legal_hold(completed.id, True, reason)
    assert count_rows() == before


def test_sql_looking_hold_reason_is_plain_text(ctx, retention, completed) -> None:
    retention.set_legal_hold(completed.id, True, SQL_TEXT)
    assert _get(ctx, Referral, completed.id).legal_hold_reason == SQL_TEXT
    with ctx.session_factory() as session:
        assert session.execute(text("SELECT count(*) FROM people")).scalar() == 1
    with pytest.raises(ConflictError, match="already under a legal hold"):
        retention.set_legal_hold(completed.id, True, SQL_TEXT)
    retention.set_legal_hold(completed.id, False)  # releasing needs no reason
    with pytest.raises(ConflictError, match="not under a legal hold"):
        retention.set_legal_hold(completed.id, False)
