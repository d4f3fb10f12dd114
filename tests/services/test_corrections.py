"""Correcting a mistaken attendance and withdrawing a confirmed next step, on a real database
(issue 13 §4): who may correct when, the next step proposed again, documents marked withdrawn,
and every step in the audit trail."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from diversion_desktop.domain.permissions import Role
from diversion_desktop.domain.programme import Attendance, Status
from diversion_desktop.services.corrections import CorrectionService
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.errors import ConflictError, PermissionDenied, ValidationError
from diversion_desktop.store.models import AuditEvent
from tests.conftest import EVERY_ROLE, as_role

SAM = as_role(Role.SUPPORT_WORKER, organisation="Cranstoun", username="sam")
ALEX = as_role(Role.SUPPORT_WORKER, organisation="Cranstoun", username="alex")
CORA = as_role(Role.COORDINATOR, username="cora")
STATION = as_role(Role.STATION_STAFF, username="pc1")


@pytest.fixture
def corrections(ctx) -> CorrectionService:
    return CorrectionService(ctx)


@pytest.fixture
def documents(ctx) -> DocumentService:
    return DocumentService(ctx)


@pytest.fixture
def as_sam(ctx, programme, clock):
    """Sam books an appointment ``days`` ahead, the clock moves to it, and Sam records it."""

    def run(referral_id: int, attendance: Attendance, days: int = 2) -> int:
        ctx.sign_in_as(SAM)
        when = clock().replace(hour=10, minute=0, second=0) + timedelta(days=days)
        row = programme.book(referral_id, when)
        clock.set(when + timedelta(hours=1))
        programme.record(row.id, attendance)
        return row.id

    return run


def audit_rows(ctx, action: str) -> list[AuditEvent]:
    with ctx.reading() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# -- who may correct when ------------------------------------------------------------------
def test_the_support_worker_who_recorded_it_corrects_it_the_same_day(
    ctx, intake, referrals, corrections, make_draft, as_sam, clock
) -> None:
    saved = intake.save(make_draft())
    appointment = as_sam(saved.id, Attendance.NOT_ATTENDED)
    assert referrals.detail(saved.id).rebookings_left == 0
    clock.advance(hours=5)  # 16:00, the same day
    row = corrections.correct_attendance(appointment, Attendance.ATTENDED, " Ticked the wrong line ")
    assert (row.attendance, row.recorded_by) == ("attended", "sam")

    ctx.sign_in_as(EVERY_ROLE)
    detail = referrals.detail(saved.id)
    assert (detail.sessions_attended, detail.rebookings_left, detail.status) == (
        1,
        1,
        Status.AWAITING_APPOINTMENT.value,
    )
    assert any(
        e.kind == "corrected" and "from not attended to attended (Ticked the wrong line)" in e.text
        for e in detail.timeline
    )
    [audit] = audit_rows(ctx, "attendance_corrected")
    assert (audit.username, audit.detail, audit.record_id) == ("sam", "Ticked the wrong line", appointment)
    assert ["attendance", "not_attended", "attended"] in json.loads(audit.changes)
    assert ["misses", 1, 0] in json.loads(audit.changes)


def test_the_next_day_a_support_worker_is_refused(
    ctx, intake, corrections, make_draft, as_sam, clock, count_rows
) -> None:
    saved = intake.save(make_draft())
    appointment = as_sam(saved.id, Attendance.NOT_ATTENDED)
    clock.advance(days=1)
    before = count_rows()
    with pytest.raises(ConflictError, match="only on the same day"):
        corrections.correct_attendance(appointment, Attendance.ATTENDED, "Wrong line")
    assert count_rows() == before


def test_another_support_worker_is_refused(ctx, intake, corrections, make_draft, as_sam, count_rows) -> None:
    saved = intake.save(make_draft())
    appointment = as_sam(saved.id, Attendance.NOT_ATTENDED)
    ctx.sign_in_as(ALEX)
    before = count_rows()
    with pytest.raises(ConflictError, match="recorded by sam"):
        corrections.correct_attendance(appointment, Attendance.ATTENDED, "Wrong line")
    assert count_rows() == before


def test_station_staff_may_not_correct(ctx, intake, corrections, make_draft, as_sam) -> None:
    saved = intake.save(make_draft())
    appointment = as_sam(saved.id, Attendance.NOT_ATTENDED)
    ctx.sign_in_as(STATION)
    with pytest.raises(PermissionDenied, match="correct attendance"):
        corrections.correct_attendance(appointment, Attendance.ATTENDED, "Wrong line")


def test_a_correction_needs_a_reason_and_a_different_outcome(ctx, intake, corrections, make_draft, as_sam) -> None:
    saved = intake.save(make_draft())
    appointment = as_sam(saved.id, Attendance.NOT_ATTENDED)
    with pytest.raises(ValidationError) as caught:
        corrections.correct_attendance(appointment, Attendance.NOT_ATTENDED, "  ")
    assert set(caught.value.errors) == {"attendance", "reason"}


def test_a_coordinator_corrects_before_confirmation_and_the_step_is_proposed_again(
    ctx, intake, referrals, corrections, make_draft, as_sam, clock
) -> None:
    saved = intake.save(make_draft())
    as_sam(saved.id, Attendance.NOT_ATTENDED)
    second = as_sam(saved.id, Attendance.NOT_ATTENDED)  # beyond the one allowed rebooking
    detail = referrals.detail(saved.id)
    assert (detail.status, detail.proposed_step) == (Status.AWAITING_CONFIRMATION.value, "future_diversion_barred")

    clock.advance(days=3)
    ctx.sign_in_as(CORA)
    corrections.correct_attendance(second, Attendance.ATTENDED, "The centre's sign-in sheet shows them there")
    detail = referrals.detail(saved.id)
    assert (detail.status, detail.proposed_step, detail.rebookings_left) == (Status.AWAITING_APPOINTMENT.value, "", 0)
    assert "no longer follows from the corrected record" in detail.timeline[-1].text

    # Corrected back (it was a miss after all): the consequence is proposed again.
    corrections.correct_attendance(second, Attendance.NOT_ATTENDED, "Sheet was for another day")
    detail = referrals.detail(saved.id)
    assert (detail.status, detail.proposed_step) == (Status.AWAITING_CONFIRMATION.value, "future_diversion_barred")
    assert detail.timeline[-1].kind == "proposed"
    assert len(audit_rows(ctx, "attendance_corrected")) == 2


# -- after a confirmation -------------------------------------------------------------------
def test_after_confirmation_refused_until_withdrawn_then_documents_are_marked_withdrawn(
    ctx, intake, programme, referrals, people, corrections, documents, make_draft, as_sam, clock, count_rows
) -> None:
    saved = intake.save(make_draft())
    as_sam(saved.id, Attendance.NOT_ATTENDED)
    second = as_sam(saved.id, Attendance.NOT_ATTENDED)
    ctx.sign_in_as(CORA)
    programme.confirm_next_step(saved.id)
    issued, pdf = documents.issue(saved.id, "future_ineligibility_notice")
    assert people.get(saved.person_id).barred

    before = count_rows()
    for who in (SAM, CORA):  # the same day, even its recorder
        ctx.sign_in_as(who)
        with pytest.raises(ConflictError, match="withdraw the confirmation"):
            corrections.correct_attendance(second, Attendance.ATTENDED, "Was there")
    assert count_rows() == before

    ctx.sign_in_as(SAM)
    with pytest.raises(PermissionDenied):
        corrections.withdraw_next_step(saved.id, "Attendance was wrong")
    ctx.sign_in_as(CORA)
    with pytest.raises(ValidationError):
        corrections.withdraw_next_step(saved.id, " ")
    clock.advance(hours=1)
    assert corrections.withdraw_next_step(saved.id, " Sign-in sheet found ") == [issued.document_reference]

    detail = referrals.detail(saved.id)
    assert (detail.status, detail.next_step, detail.outcome) == (Status.AWAITING_CONFIRMATION.value, "", "")
    assert detail.proposed_step == "future_diversion_barred" and detail.next_step_confirmed_at is None
    assert not people.get(saved.person_id).barred
    assert "Confirmation of the next step withdrawn" in detail.timeline[-1].text
    [listed] = [d for d in documents.issued_for(saved.id) if d.id == issued.id]
    assert listed.withdrawn and listed.withdrawn_by == "cora"
    assert listed.withdrawn_reason == "Next step withdrawn: Sign-in sheet found"
    info, again = documents.stored(issued.id)  # never deleted; reprinted byte-identical
    assert again.content == pdf.content and info.withdrawn

    corrections.correct_attendance(second, Attendance.ATTENDED, "Sign-in sheet found")
    detail = referrals.detail(saved.id)
    assert (detail.status, detail.proposed_step) == (Status.AWAITING_APPOINTMENT.value, "")
    [withdrawn] = audit_rows(ctx, "next_step_withdrawn")
    assert withdrawn.username == "cora" and withdrawn.detail == "Sign-in sheet found"
    changes = json.loads(withdrawn.changes)
    assert ["next_step", "future_diversion_barred", ""] in changes and ["person.barred", True, False] in changes
    [document] = audit_rows(ctx, "document_withdrawn")
    assert document.record_reference == issued.document_reference
    assert len(audit_rows(ctx, "attendance_corrected")) == 1


def test_withdrawing_a_prosecution_releases_the_hold_it_set(
    ctx, intake, programme, referrals, corrections, documents, make_draft, as_sam
) -> None:
    saved = intake.save(make_draft(scheme_code="windsor-and-maidenhead"))
    as_sam(saved.id, Attendance.NOT_ATTENDED)
    as_sam(saved.id, Attendance.NOT_ATTENDED)
    ctx.sign_in_as(CORA)
    programme.confirm_next_step(saved.id)
    note, _pdf = documents.issue(saved.id, "prosecution_file_note")
    assert referrals.detail(saved.id).legal_hold
    assert corrections.withdraw_next_step(saved.id, "Wrong person's record") == [note.document_reference]
    detail = referrals.detail(saved.id)
    assert not detail.legal_hold and not detail.for_case_file
    assert len(audit_rows(ctx, "legal_hold_released")) == 1
    # Confirmed again: the file note is due again and a new one is issued; the withdrawn one stays.
    programme.confirm_next_step(saved.id)
    due = {d.kind: d for d in documents.due(saved.id)}
    assert not due["prosecution_file_note"].issued
    documents.issue(saved.id, "prosecution_file_note")
    assert [d.withdrawn for d in documents.issued_for(saved.id) if d.kind == "prosecution_file_note"] == [True, False]


def test_a_completion_is_withdrawn_then_corrected_or_confirmed_again(
    ctx, intake, programme, referrals, corrections, documents, make_draft, as_sam
) -> None:
    saved = intake.save(make_draft())
    as_sam(saved.id, Attendance.ATTENDED)
    last = as_sam(saved.id, Attendance.ATTENDED)  # completed: no further action, at once
    letter, _pdf = documents.issue(saved.id, "completion_letter")
    with pytest.raises(ConflictError, match="withdraw the confirmation"):
        corrections.correct_attendance(last, Attendance.NOT_ATTENDED, "Wrong person")

    ctx.sign_in_as(CORA)
    assert corrections.withdraw_next_step(saved.id, "Recorded on the wrong person") == [letter.document_reference]
    detail = referrals.detail(saved.id)
    assert (detail.status, detail.proposed_step, detail.outcome) == (
        Status.AWAITING_CONFIRMATION.value,
        "no_further_action",
        "",
    )
    # Confirmed again as it was: completed once more, and the completion letter is due again.
    programme.confirm_next_step(saved.id)
    detail = referrals.detail(saved.id)
    assert (detail.status, detail.outcome, detail.next_step) == ("completed", "completed", "no_further_action")
    ctx.sign_in_as(SAM)  # the provider issues completion letters
    assert [d.issued for d in documents.due(saved.id) if d.kind == "completion_letter"] == [False]


def test_a_corrected_miss_withdraws_its_missed_appointment_notice(
    ctx, intake, corrections, documents, make_draft, as_sam
) -> None:
    saved = intake.save(make_draft())
    missed = as_sam(saved.id, Attendance.NOT_ATTENDED)
    ctx.sign_in_as(CORA)
    notice, _pdf = documents.issue(saved.id, "missed_appointment_notice", missed)
    corrections.correct_attendance(missed, Attendance.CANCELLED, "The centre closed that day")
    [listed] = documents.issued_for(saved.id)
    assert listed.id == notice.id and listed.withdrawn
    assert "missed_appointment_notice" not in [d.kind for d in documents.due(saved.id)]


def test_nothing_to_withdraw(ctx, intake, corrections, make_draft) -> None:
    saved = intake.save(make_draft())
    with pytest.raises(ConflictError, match="no confirmed next step"):
        corrections.withdraw_next_step(saved.id, "A reason")


def test_an_appointment_not_yet_recorded_is_recorded_not_corrected(
    ctx, intake, programme, corrections, make_draft, clock
) -> None:
    saved = intake.save(make_draft())
    row = programme.book(saved.id, datetime(2026, 3, 4, 10))
    with pytest.raises(ConflictError, match="record it instead"):
        corrections.correct_attendance(row.id, Attendance.ATTENDED, "A reason")
