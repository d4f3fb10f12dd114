"""Subject-access export: everything held about one person, as JSON and a readable PDF."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.errors import NotFound, PermissionDenied, StorageError, ValidationError
from diversion_desktop.services.merge import MergeService
from diversion_desktop.services.subject_access import SubjectAccessService
from diversion_desktop.spreadsheets.encrypted import read_entries
from diversion_desktop.store.models import Appointment, AuditEvent, Referral
from tests.conftest import as_role

SQL_TEXT = "'; DROP TABLE people; --"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")


def pdf_text(path: Path) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True)
    return result.stdout.decode("utf-8")


def squeezed(text: str) -> str:
    """The text with every run of white space as one space (table cells wrap)."""
    return " ".join(text.split())


@pytest.fixture
def sar(ctx):
    return SubjectAccessService(ctx)


@pytest.fixture
def history(ctx, intake, make_draft, attend):
    """John Smith: a completed diversion with a letter and session notes, and a second record
    ("Jon Smyth", declined) merged into his."""
    first = intake.save(make_draft(surname="O'Brien & <Sons>", forenames="Zoë"))
    DocumentService(ctx).issue(first.id, "referral_letter")
    attend(first.id)
    attend(first.id)
    with ctx.session_factory.begin() as session:
        session.execute(
            update(Appointment)
            .where(Appointment.referral_id == first.id)
            .values(session_notes="Talked about cannabis use")
        )
        session.execute(update(Referral).where(Referral.id == first.id).values(officer_notes=SQL_TEXT))
    second = intake.save(make_draft(surname="Smyth", forenames="Jon", consent=False, address="9 Elsewhere"))
    MergeService(ctx).merge(first.person_id, second.person_id, "Same person, seen twice")
    return first, second


def test_export_holds_everything_about_the_person(ctx, sar, history, tmp_path) -> None:
    first, second = history
    pdf_path, json_path = sar.export(first.person_id, tmp_path / "out")
    assert pdf_path.read_bytes().startswith(b"%PDF") and pdf_path.parent == tmp_path / "out"
    data = json.loads(json_path.read_text(encoding="utf-8"))

    assert data["person"]["reference"] == "P000001"
    assert data["person"]["surname"] == "O'Brien & <Sons>" and data["person"]["forenames"] == "Zoë"
    assert data["person"]["date_of_birth"] == "1990-05-17" and data["person"]["postcode"] == "RG14 1AA"
    assert [(m["reference"], m["address"], m["merged_into"]) for m in data["merged_records"]] == [
        ("P000002", "9 Elsewhere", "P000001")
    ]
    assert {"surname": "Smyth", "forenames": "Jon"}.items() <= data["aliases"][0].items()
    assert [r["reference"] for r in data["referrals"]] == [first.reference, second.reference]
    referral = data["referrals"][0]
    assert referral["incident_at"] == "2026-03-01T21:30:00" and referral["officer_notes"] == SQL_TEXT
    assert referral["crime_reference"] == "43260001234" and referral["outcome"] == "completed"
    assert referral["substances"][0] == {"id": 1, "substance": "cannabis", "quantity": "3.500", "unit": "g"}
    assert [a["session_notes"] for a in referral["appointments"]] == ["Talked about cannabis use"] * 2
    assert any(t["kind"] == "completed" for t in referral["timeline"])
    document = referral["issued_documents"][0]
    assert document["kind"] == "referral_letter" and document["pdf_included"] is False
    assert document["pdf_bytes"] > 1000 and "content" not in document
    assert data["merges"][0]["reason"] == "Same person, seen twice"
    assert data["merges"][0]["referrals_moved"] == [second.reference]
    actions = {e["action"] for e in data["audit_events"]}
    assert {"person_merged", "person_merged_away"} <= actions
    assert "PDF files themselves are not included" in data["export"]["issued_documents_note"]

    text = squeezed(pdf_text(pdf_path))
    for expected in (
        "OFFICIAL-SENSITIVE",
        "Subject access",
        "Zoë O'Brien & <Sons>",
        "17 May 1990",
        "Talked about cannabis use",
        SQL_TEXT,
        "Jon",
        "9 Elsewhere",
        first.reference,
        second.reference,
        "Same person, seen twice",
        "person merged",
        json_path.name,
        "(PDF files) are not part of this export",
        f"Reference SAR-P000001-{ctx.today():%Y%m%d}",
    ):
        assert expected in text, expected

    exports = [e for e in _audit(ctx) if e.action == "subject_access_export"]
    assert len(exports) == 1 and exports[0].person_id == first.person_id
    assert pdf_path.name in exports[0].detail and "P000002" in exports[0].detail


def test_asking_for_the_merged_record_exports_the_person(sar, history, tmp_path) -> None:
    first, second = history
    brief = sar.find("P-000002")
    assert (brief.reference, brief.merged_into_reference) == ("P000002", "P000001")
    _pdf, json_path = sar.export(second.person_id, tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["person"]["reference"] == "P000001"
    assert [m["reference"] for m in data["merged_records"]] == ["P000002"]


def test_very_long_text_runs_over_pages(ctx, sar, intake, make_draft, tmp_path) -> None:
    saved = intake.save(make_draft())
    long_text = ("word " * 20_000).strip()  # 100,000 characters
    with ctx.session_factory.begin() as session:
        session.execute(update(Referral).where(Referral.id == saved.id).values(officer_notes=long_text))
    pdf_path, json_path = sar.export(saved.person_id, tmp_path)
    assert json.loads(json_path.read_text(encoding="utf-8"))["referrals"][0]["officer_notes"] == long_text
    text = pdf_text(pdf_path)
    assert text.count("word") == 20_000
    assert text.count("\f") > 10  # many pages, each with its marking


def test_refused_without_the_permission_and_nothing_is_written(ctx, sar, history, tmp_path, count_rows) -> None:
    first, _second = history
    before = count_rows()
    ctx.sign_in_as(as_role(Role.STATION_STAFF, username="pc"))
    with pytest.raises(PermissionDenied, match="subject access"):
        sar.export(first.person_id, tmp_path / "out")
    with pytest.raises(PermissionDenied):
        sar.find("P000001")
    assert not (tmp_path / "out").exists()
    assert count_rows() == before
    ctx.sign_in_as(as_role(Role.ADMINISTRATOR, username="admin"))  # administrators may, though no case work
    assert sar.export(first.person_id, tmp_path / "admin")[0].exists()


def test_unknown_or_unwritable(ctx, sar, history, tmp_path, count_rows) -> None:
    first, _second = history
    with pytest.raises(NotFound, match="not a person reference"):
        sar.find(SQL_TEXT)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    before = count_rows()
    with pytest.raises(Exception, match="could not be written"):
        sar.export(first.person_id, blocker / "out")
    assert count_rows() == before


def _audit(ctx) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


PASSWORD = "Zoë's long passphrase"


def test_with_a_password_one_encrypted_zip_holds_the_same_files(ctx, sar, history, tmp_path) -> None:
    first, _second = history
    plain_pdf, plain_json = sar.export(first.person_id, tmp_path / "plain")
    result = sar.export_with_summary(first.person_id, tmp_path / "out", password=PASSWORD)

    assert result.encrypted and result.pdf_path is None and result.json_path is None
    assert list((tmp_path / "out").iterdir()) == [result.zip_path]  # no unencrypted .pdf or .json beside it
    assert result.zip_path == tmp_path / "out" / f"{plain_pdf.stem}.zip"
    assert sar.export(first.person_id, tmp_path / "again", PASSWORD) == (tmp_path / "again" / result.zip_path.name,)
    entries = read_entries(result.zip_path, PASSWORD)
    assert sorted(entries) == [plain_json.name, plain_pdf.name] and result.entries == (plain_pdf.name, plain_json.name)
    # The same content as the unencrypted export made just before, which the audit trail now lists too.
    zipped, plain = (
        json.loads(text) for text in (entries[plain_json.name].decode("utf-8"), plain_json.read_text(encoding="utf-8"))
    )
    assert zipped["audit_events"][-1]["action"] == "subject_access_export"
    zipped["audit_events"].pop()
    assert zipped == plain
    opened = tmp_path / "opened.pdf"
    opened.write_bytes(entries[plain_pdf.name])
    text, plain_text = squeezed(pdf_text(opened)), squeezed(pdf_text(plain_pdf))
    for expected in (
        "OFFICIAL-SENSITIVE",
        "Zoë O'Brien & <Sons>",
        "Talked about cannabis use",
        SQL_TEXT,
        "9 Elsewhere",
        "Same person, seen twice",
        plain_json.name,
    ):
        assert expected in text and expected in plain_text, expected

    summary = result.summary()
    assert str(result.zip_path) in summary and "7-Zip" in summary and "AES-256" in summary
    assert plain_pdf.name in summary and str(tmp_path / "out" / plain_pdf.name) not in summary

    exports = [e for e in _audit(ctx) if e.action == "subject_access_export"]
    assert len(exports) == 3
    assert "NOT encrypted" in exports[0].detail and plain_pdf.name in exports[0].detail
    assert result.zip_path.name in exports[1].detail and "encrypted ZIP" in exports[1].detail
    assert "NOT encrypted" not in exports[1].detail and "P000002" in exports[1].detail


def test_a_wrong_password_does_not_open_the_zip(sar, history, tmp_path) -> None:
    first, _second = history
    zip_path = sar.export_with_summary(first.person_id, tmp_path, password=PASSWORD).zip_path
    with pytest.raises(RuntimeError, match="(?i)bad password"):
        read_entries(zip_path, "Zoe's long passphrase")
    data = zip_path.read_bytes()
    assert b"%PDF" not in data and b"Talked about cannabis use" not in data and b"Smyth" not in data


@pytest.mark.parametrize(
    ("password", "words"),
    [("short", "at least 8 characters"), (" padded password ", "must not start or end with a space")],
)
def test_an_unusable_password_is_refused_before_anything(
    ctx, sar, history, tmp_path, count_rows, password, words
) -> None:
    first, _second = history
    before = count_rows()
    with pytest.raises(ValidationError, match=words) as refused:
        sar.export_with_summary(first.person_id, tmp_path / "out", password=password)
    assert list(refused.value.errors) == ["password"]
    with pytest.raises(ValidationError):
        sar.export(first.person_id, tmp_path / "out", password)
    assert not (tmp_path / "out").exists()
    assert count_rows() == before  # no audit row: nothing was read


def test_an_encrypted_export_that_fails_leaves_nothing(ctx, sar, history, tmp_path, count_rows) -> None:
    first, _second = history
    with ctx.session_factory.begin() as session:  # the database itself refuses the audit row
        session.execute(
            text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit row refused'); END"
            )
        )
    before = count_rows()
    with pytest.raises(StorageError, match="audit row refused"):
        sar.export_with_summary(first.person_id, tmp_path / "out", password=PASSWORD)
    assert list((tmp_path / "out").iterdir()) == []  # the ZIP written before the row was removed again
    assert count_rows() == before
    with ctx.session_factory.begin() as session:
        session.execute(text("DROP TRIGGER refuse_audit"))

    zip_name = sar.export(first.person_id, tmp_path / "first", PASSWORD)[0].name  # (the clock stands still)
    blocked = tmp_path / "blocked"
    (blocked / zip_name).mkdir(parents=True)  # a folder where the ZIP should go
    before = count_rows()
    with pytest.raises(StorageError, match="could not be written"):
        sar.export_with_summary(first.person_id, blocked, password=PASSWORD)
    assert [p.name for p in blocked.iterdir()] == [zip_name] and (blocked / zip_name).is_dir()
    assert count_rows() == before
