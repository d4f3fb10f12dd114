"""Issuing documents on a real database: what is due in each state, issue, reprint, batches."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, update

from diversion_desktop.documents.dates import full_date
from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.documents import DocumentService, WarningKind
from diversion_desktop.services.errors import ConflictError, ServiceError
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.store.models import User


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def documents(ctx) -> DocumentService:
    return DocumentService(ctx)


def kinds(documents: DocumentService, referral_id: int) -> list[str]:
    return [d.kind for d in documents.due(referral_id)]


def named_as_printed(documents: DocumentService, referral_id: int) -> bool:
    """Each due document's file name, known before it is made, is the one its PDF gets (its reference)."""
    due = documents.due(referral_id)
    return bool(due) and all(
        d.file_name
        == documents.preview(referral_id, d.kind, d.appointment_id).file_name
        == f"{d.document_reference}.pdf"
        for d in due
    )


def test_eligible_adult_gets_a_referral_letter_only(intake, documents, make_draft) -> None:
    saved = intake.save(make_draft())
    assert kinds(documents, saved.id) == ["referral_letter"]


def test_ineligible_gets_nothing_but_an_under_18_always_gets_the_yot_notice(
    intake, documents, make_draft, make_youth_draft
) -> None:
    adult = intake.save(make_draft(suspected_supply=True))
    assert kinds(documents, adult.id) == []
    youth = intake.save(make_youth_draft(suspected_supply=True))
    assert kinds(documents, youth.id) == ["yot_notice"]
    due = documents.due(youth.id)[0]
    assert due.recipient == "West Berkshire Youth Offending Team"
    assert named_as_printed(documents, youth.id)


def test_issue_keeps_exact_bytes_and_reprint_is_identical(
    intake, documents, make_youth_draft, tmp_path, count_rows
) -> None:
    saved = intake.save(make_youth_draft(surname="O'Brien & <Sons>", forenames="Zoë"))
    before = count_rows()["issued_documents"]
    preview = documents.preview(saved.id, "referral_letter")
    assert count_rows()["issued_documents"] == before, "a preview stores nothing"
    info, pdf = documents.issue(saved.id, "referral_letter")
    assert info.recipient == "Zoë O'Brien & <Sons> (copy to Pat Young)"
    assert info.issued_by == "tester" and info.template_version
    assert pdf.file_name == f"{saved.reference}-RL.pdf"
    again_info, again = documents.stored(info.id)
    assert again.content == pdf.content and again_info.sha256 == info.sha256
    text = pdf_text(pdf.content, tmp_path)
    assert "O'Brien & <Sons>" in text and "Zoë" in text and "OFFICIAL-SENSITIVE" in text
    assert preview.page_count == pdf.page_count
    assert [d.issued for d in documents.due(saved.id)] == [True, False]  # referral letter, YOT notice
    timeline = ReferralService(documents.ctx).detail(saved.id).timeline
    assert any(e.text.startswith("Referral letter issued to Zoë") for e in timeline)


def test_appointment_then_missed_then_next_step_documents(
    intake, programme, documents, make_draft, clock, windsor
) -> None:
    saved = intake.save(make_draft(scheme_code="windsor-and-maidenhead"))
    when = clock().replace(hour=10) + timedelta(days=2)
    first = programme.book(saved.id, when)
    assert kinds(documents, saved.id) == ["referral_letter", "appointment_letter"]
    assert documents.due(saved.id)[1].file_name == f"{saved.reference}-AP{first.id}.pdf"
    assert named_as_printed(documents, saved.id)
    clock.set(when + timedelta(hours=1))
    programme.record(first.id, Attendance.NOT_ATTENDED)
    assert kinds(documents, saved.id) == ["referral_letter", "missed_appointment_notice"]
    assert named_as_printed(documents, saved.id)
    second = programme.book(saved.id, when + timedelta(days=3))
    clock.set(when + timedelta(days=3, hours=1))
    programme.record(second.id, Attendance.NOT_ATTENDED)
    programme.confirm_next_step(saved.id)
    assert kinds(documents, saved.id) == ["referral_letter", "prosecution_file_note", "future_ineligibility_notice"]
    assert named_as_printed(documents, saved.id)
    info, pdf = documents.issue(saved.id, "prosecution_file_note")
    assert info.recipient == "Police case file" and pdf.page_count >= 1


def test_completion_letter(intake, documents, make_draft, attend, west_berks) -> None:
    saved = intake.save(make_draft())
    for day in range(west_berks.sessions_for_completion):
        attend(saved.id, Attendance.ATTENDED, days=2 + day)
    assert kinds(documents, saved.id) == ["referral_letter", "completion_letter"]
    assert named_as_printed(documents, saved.id)


def test_a_document_not_due_is_refused(intake, documents, make_draft, count_rows) -> None:
    saved = intake.save(make_draft())
    before = count_rows()
    with pytest.raises(ConflictError):
        documents.issue(saved.id, "completion_letter")
    assert count_rows() == before


def test_appointment_batch_issues_each_and_merges(intake, programme, documents, make_draft, clock, tmp_path) -> None:
    day = (clock() + timedelta(days=2)).date()
    for n, surname in enumerate(("Able", "Baker", "Cole")):
        saved = intake.save(make_draft(surname=surname))
        programme.book(saved.id, clock().replace(hour=9 + n, minute=0) + timedelta(days=2), centre_code="newbury")
    seen: list[tuple[int, int]] = []
    issued, pdf = documents.appointment_batch("newbury", day, lambda done, total: seen.append((done, total)))
    assert len(issued) == 3 and pdf.page_count >= 3
    assert seen[-1][0] == seen[-1][1]
    text = pdf_text(pdf.content, tmp_path)
    assert all(name in text for name in ("Able", "Baker", "Cole"))
    # Batching again reuses the issued documents instead of issuing twice.
    again, _ = documents.appointment_batch("newbury", day)
    assert [i.id for i in again] == [i.id for i in issued]
    with pytest.raises(ServiceError):
        documents.appointment_batch("newbury", day + timedelta(days=1))


def test_a_letter_to_a_person_with_no_postal_address_comes_with_a_warning(intake, documents, make_draft) -> None:
    homeless = intake.save(make_draft(address="", postcode=""))
    due = documents.due(homeless.id)
    assert [(d.kind, [w.kind for w in d.warnings]) for d in due] == [
        ("referral_letter", [WarningKind.NO_POSTAL_ADDRESS])
    ]
    assert "John Smith has no postal address recorded" in due[0].warnings[0].text
    preview = documents.preview(homeless.id, "referral_letter")
    assert [w.kind for w in preview.warnings] == [WarningKind.NO_POSTAL_ADDRESS]
    _info, pdf = documents.issue(homeless.id, "referral_letter")  # the user was asked and said issue anyway
    assert [w.kind for w in pdf.warnings] == [WarningKind.NO_POSTAL_ADDRESS]

    housed = intake.save(make_draft(surname="Housed"))
    assert documents.due(housed.id)[0].warnings == ()
    assert documents.preview(housed.id, "referral_letter").warnings == ()
    assert documents.issue(housed.id, "referral_letter")[1].warnings == ()


def test_the_future_ineligibility_notice_names_the_missed_appointments_before_the_deadline(
    intake, programme, documents, make_draft, clock, tmp_path
) -> None:
    saved = intake.save(make_draft())  # West Berkshire: voluntary attendance, future diversion barred
    when = clock().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=2)
    first = programme.book(saved.id, when)
    clock.set(when + timedelta(hours=1))
    programme.record(first.id, Attendance.NOT_ATTENDED)
    second = programme.book(saved.id, when + timedelta(days=3, hours=4))
    clock.set(when + timedelta(days=3, hours=5))
    programme.record(second.id, Attendance.NOT_ATTENDED)
    programme.confirm_next_step(saved.id)
    detail = ReferralService(documents.ctx).detail(saved.id)
    assert documents.ctx.today() < detail.due_date, "issued while the deadline is still to come"
    _info, pdf = documents.issue(saved.id, "future_ineligibility_notice")
    text = " ".join(pdf_text(pdf.content, tmp_path).split())
    assert full_date(detail.due_date) not in text, "a deadline still to come is no reason the diversion ended"
    first_day, second_day = when, when + timedelta(days=3, hours=4)
    assert (
        f"You did not attend your appointments on {full_date(first_day.date())} at 10:00 am and "
        f"{full_date(second_day.date())} at 2:00 pm."
    ) in text
    assert "did not attend and complete the programme by" not in text


@pytest.mark.parametrize(
    ("address", "postcode", "guardian_address", "shown"),
    [
        ("", "", "", "Address Not recorded"),  # neither recorded: nothing claimed
        ("1 Test Street, Newbury", "RG14 1AA", "", "Address Not recorded"),  # the guardian's is not known
        ("1 Test Street, Newbury", "RG14 1AA", "1 Test Street, Newbury, RG14 1AA", "Address Same as the young person"),
        (
            "1 Test Street, Newbury",
            "RG14 1AA",
            "3 Other Road, Thatcham RG19 4AA",
            "Address 3 Other Road, Thatcham RG19 4AA",
        ),
    ],
)
def test_the_yot_notice_gives_the_guardian_address_only_as_recorded(
    intake, documents, make_youth_draft, tmp_path, address: str, postcode: str, guardian_address: str, shown: str
) -> None:
    saved = intake.save(make_youth_draft(address=address, postcode=postcode, guardian_address=guardian_address))
    _info, pdf = documents.issue(saved.id, "yot_notice")
    text = pdf_text(pdf.content, tmp_path)
    guardian = " ".join(text.split("Parent or guardian", 1)[1].split("Incident", 1)[0].split())
    assert "Name Pat Young" in guardian
    assert shown in guardian.replace("\u00a0", " ")
    if "Same as" not in shown:
        assert "Same as the young person" not in text


def add_user(documents: DocumentService, username: str, display_name: str) -> None:
    ctx = documents.ctx
    with ctx.unit_of_work() as session:
        session.add(User(username=username, display_name=display_name, password_hash="-", created_at=ctx.now()))


def words(content: bytes, tmp_path: Path) -> str:
    return " ".join(pdf_text(content, tmp_path).replace("\u00a0", " ").split())


def test_the_yot_notice_names_who_decided_by_their_display_name_not_their_login(
    intake, documents, make_youth_draft, tmp_path
) -> None:
    saved = intake.save(make_youth_draft())  # decided by the signed-in user, "tester"
    # No such user (never made, or since removed): the username is all there is to print.
    assert "Decided by tester " in words(documents.preview(saved.id, "yot_notice").content, tmp_path)
    add_user(documents, "tester", "Sgt Alex Morgan")
    _info, pdf = documents.issue(saved.id, "yot_notice")
    text = words(pdf.content, tmp_path)
    assert "Decided by Sgt Alex Morgan " in text and "tester" not in text
    with documents.ctx.unit_of_work() as session:  # a user with no display name: the username
        session.execute(update(User).where(User.username == "tester").values(display_name=""))
    assert "Decided by tester " in words(documents.preview(saved.id, "yot_notice").content, tmp_path)


def test_the_prosecution_file_note_names_who_decided_and_confirmed(
    intake, programme, documents, make_draft, clock, windsor, tmp_path
) -> None:
    add_user(documents, "tester", "Sgt Alex Morgan")
    saved = intake.save(make_draft(scheme_code="windsor-and-maidenhead"))
    for days in (2, 5):
        booked = programme.book(saved.id, clock().replace(hour=10) + timedelta(days=days))
        clock.set(booked.scheduled_at + timedelta(hours=1))
        programme.record(booked.id, Attendance.NOT_ATTENDED)
    programme.confirm_next_step(saved.id)
    _info, pdf = documents.issue(saved.id, "prosecution_file_note")
    text = words(pdf.content, tmp_path)
    assert "Decided by Sgt Alex Morgan " in text and "Confirmed by Sgt Alex Morgan " in text
    assert "tester" not in text, "nor is the login in the timeline"


def test_a_batch_looks_up_the_names_to_print_once(intake, programme, documents, make_draft, clock) -> None:
    add_user(documents, "tester", "Sgt Alex Morgan")
    for n, surname in enumerate(("Able", "Baker", "Cole")):
        saved = intake.save(make_draft(surname=surname))
        programme.book(saved.id, clock().replace(hour=9 + n, minute=0) + timedelta(days=2), centre_code="newbury")
    lookups: list[str] = []

    def seen(_conn, _cursor, statement: str, *_args) -> None:
        if "users.display_name" in statement:
            lookups.append(statement)

    event.listen(documents.ctx.engine, "before_cursor_execute", seen)
    issued, _pdf = documents.appointment_batch("newbury", (clock() + timedelta(days=2)).date())
    event.remove(documents.ctx.engine, "before_cursor_execute", seen)
    assert len(issued) == 3 and len(lookups) == 1
