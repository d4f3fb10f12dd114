"""Exports on a real database: the partners' columns, filters, typed XLSX, encryption, round trips."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.services.exporter import REFERRAL_COLUMNS, ExportQuery, ExportService
from diversion_desktop.services.importer import ImportService
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.spreadsheets.encrypted import read_entries
from diversion_desktop.store.models import Referral
from tests.import_files import appointment, referral, write_import

# The columns partners' analysts rely on, named exactly so (issue 4).
PARTNER_COLUMNS = [
    "reference",
    "person_reference",
    "age_band",
    "area",
    "scheme_kind",
    "pathway",
    "decision",
    "reasons",
    "status",
    "due_date",
    "next_step",
    "outcome",
    "outcome_date",
]

HISTORY_ROWS = [
    referral(
        reference="WB-2025-00001", incident_date="2025-01-10 21:30", outcome="not_attended", outcome_date="2025-03-01"
    ),
    referral(reference="WB-2026-00002", incident_date="2026-02-27"),  # the same person, now barred
    referral(
        reference="WM-2025-00003",
        surname="Young",
        forenames="Amy",
        date_of_birth="2009-06-01",
        guardian_name="Pat Young",
        sex="Female",
        area="windsor-and-maidenhead",
        incident_date="2025-11-02",
        outcome="completed",
        outcome_date="2025-12-01",
    ),
    referral(
        reference="WM-2025-00003",
        surname="Young",
        forenames="Amy",
        date_of_birth="2009-06-01",
        guardian_name="Pat Young",
        sex="Female",
        area="windsor-and-maidenhead",
        incident_date="2025-11-02",
        outcome="completed",
        outcome_date="2025-12-01",
        substance="mdma",
        quantity="2",
        unit="tablets",
    ),
    referral(
        reference="WB-2026-00004",
        surname="Brown",
        forenames="Bob",
        date_of_birth="1970-01-01",
        incident_date="2026-01-05",
        ethnicity="Not stated",
    ),
    referral(
        reference="WB-2026-00005",
        surname="Green",
        forenames="Ann",
        date_of_birth="2000-02-02",
        incident_date="2026-02-28 18:00",
        sex="Female",
    ),
    referral(reference="WB-2025-00006", surname="Grey", incident_date="2025-04-04", consent="no", outcome="declined"),
]
HISTORY_APPOINTMENTS = [
    appointment(reference="WB-2026-00004", appointment_at="2026-01-07 10:00", attendance="not_attended"),
    appointment(reference="WB-2026-00004", appointment_at="2026-01-09 10:00", attendance="not_attended"),
    appointment(reference="WB-2026-00005", appointment_at="2026-03-01 11:00"),
    appointment(reference="WB-2026-00005", appointment_at="2026-03-08 11:00", centre="thatcham", attendance=""),
    appointment(reference="WM-2025-00003", appointment_at="2025-11-05 09:30", centre="windsor"),
    appointment(
        reference="WM-2025-00003", appointment_at="2025-11-12 09:30", centre="windsor", session_type="psychosocial"
    ),
]


@pytest.fixture
def exporter(ctx: AppContext) -> ExportService:
    return ExportService(ctx)


@pytest.fixture
def filled(ctx: AppContext, tmp_path: Path) -> AppContext:
    report = ImportService(ctx).run(write_import(tmp_path, "xlsx", HISTORY_ROWS, HISTORY_APPOINTMENTS, name="seed"))
    assert report.written, report.lines()
    return ctx


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def read_xlsx(path: Path | bytes) -> dict[str, list[list[Any]]]:
    workbook = openpyxl.load_workbook(io.BytesIO(path) if isinstance(path, bytes) else path)
    return {sheet.title: [[c.value for c in row] for row in sheet.iter_rows()] for sheet in workbook.worksheets}


def test_the_partner_columns_are_named_exactly(filled, exporter, tmp_path) -> None:
    exporter.export(ExportQuery(kind="referrals"), tmp_path / "referrals.csv")
    header = (tmp_path / "referrals.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[: len(PARTNER_COLUMNS)] == PARTNER_COLUMNS
    assert header == [c.name for c in REFERRAL_COLUMNS]


def test_partner_values(filled, exporter, tmp_path) -> None:
    exporter.export(ExportQuery(kind="referrals"), tmp_path / "referrals.csv")
    rows = {r["reference"]: r for r in read_csv(tmp_path / "referrals.csv")}
    assert list(rows) == [
        "WB-2025-00001",
        "WB-2025-00006",
        "WM-2025-00003",
        "WB-2026-00004",
        "WB-2026-00002",
        "WB-2026-00005",
    ]  # in incident order
    barred = rows["WB-2025-00001"]
    assert (barred["person_reference"], barred["age_band"], barred["scheme_kind"], barred["pathway"]) == (
        "P000001",
        "25-34",
        "voluntary_attendance",
        "adult",
    )
    assert (barred["status"], barred["next_step"], barred["outcome"], barred["outcome_date"]) == (
        "closed",
        "future_diversion_barred",
        "not_attended",
        "2025-03-01",
    )
    assert barred["due_date"] == "2025-03-07" and barred["next_step_confirmed"] == "yes"
    assert barred["reasons"].startswith("The offence is simple possession.; Every substance is within")
    refused = rows["WB-2026-00002"]
    assert (refused["decision"], refused["status"], refused["next_step"]) == ("not_eligible", "not_eligible", "")
    assert (
        refused["reasons"]
        == "An earlier diversion ended in non-attendance: the person is barred from further diversion."
    )
    youth = rows["WM-2025-00003"]
    assert (youth["age_band"], youth["pathway"], youth["scheme_kind"], youth["home_office_outcome"]) == (
        "14-17",
        "youth",
        "deferred_prosecution",
        "22",
    )
    assert youth["substances"] == "cannabis 3.5 g; mdma 2 tablets" and youth["next_step"] == "no_further_action"
    proposed = rows["WB-2026-00004"]  # two misses: proposed, not confirmed
    assert (proposed["status"], proposed["next_step"], proposed["next_step_confirmed"], proposed["outcome"]) == (
        "awaiting_confirmation",
        "future_diversion_barred",
        "no",
        "",
    )
    open_ = rows["WB-2026-00005"]  # booked, nothing due
    assert (open_["status"], open_["next_step"], open_["due_date"], open_["outcome_date"]) == (
        "booked",
        "",
        "2026-04-25",
        "",
    )
    assert (open_["sessions_attended"], open_["ethnicity"], open_["sex"]) == ("1", "White: Irish", "Female")
    assert rows["WB-2025-00006"]["status"] == "declined"


def test_overdue_with_nothing_booked_shows_the_step_the_app_proposes(
    ctx, exporter, clock, make_draft, tmp_path
) -> None:
    saved = IntakeService(ctx).save(make_draft())
    clock.advance(days=60)
    assert ReferralService(ctx).detail(saved.id).status == "awaiting_appointment"
    exporter.export(ExportQuery(kind="referrals"), tmp_path / "r.csv")
    [row] = read_csv(tmp_path / "r.csv")
    assert (row["status"], row["next_step"], row["next_step_confirmed"]) == (
        "awaiting_appointment",
        "future_diversion_barred",
        "no",
    )


def test_xlsx_is_typed_frozen_and_filtered(filled, exporter, tmp_path) -> None:
    exporter.export(ExportQuery(kind="referrals"), tmp_path / "referrals.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "referrals.xlsx")["referrals"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:Y{sheet.max_row}"
    header = [c.value for c in sheet[1]]
    row = {h: c for h, c in zip(header, sheet[2], strict=True)}
    assert row["reference"].value == "WB-2025-00001"
    assert row["due_date"].value == datetime(2025, 3, 7) and row["due_date"].is_date
    assert row["sessions_attended"].value == 0 and row["next_step_confirmed"].value is True
    assert sheet.column_dimensions["H"].width == 60  # reasons


def test_filters_by_area_period_and_ids(filled, exporter, tmp_path) -> None:
    def references(query: ExportQuery) -> list[str]:
        exporter.export(query, tmp_path / "f.csv")
        return [r.get("reference") or r.get("person_reference") for r in read_csv(tmp_path / "f.csv")]

    assert references(ExportQuery(kind="referrals", area="Windsor and Maidenhead")) == ["WM-2025-00003"]
    assert references(ExportQuery(kind="referrals", date_from=date(2026, 1, 1), date_to=date(2026, 2, 27))) == [
        "WB-2026-00004",
        "WB-2026-00002",
    ]
    detail = ReferralService(ctx_of(exporter)).find("WB-2026-00005")
    assert references(ExportQuery(kind="referrals", ids=(detail.id,))) == ["WB-2026-00005"]
    assert references(ExportQuery(kind="people", area="windsor-and-maidenhead")) == ["P000003"]
    assert references(ExportQuery(kind="people", ids=(detail.person.id,))) == [detail.person.reference]
    assert references(
        ExportQuery(kind="appointments", centre_code="thatcham", date_from=date(2026, 3, 8), date_to=date(2026, 3, 8))
    ) == ["WB-2026-00005"]
    assert references(ExportQuery(kind="appointments", referral_ids=(detail.id,))) == ["WB-2026-00005"] * 2
    assert references(ExportQuery(kind="referrals", status="booked")) == ["WB-2026-00005"]
    chosen = select(Referral.id).where(Referral.area == "Windsor and Maidenhead")
    assert references(ExportQuery(kind="referrals", id_query=chosen)) == ["WM-2025-00003"]
    with pytest.raises(ValidationError, match="at most 30000"):
        exporter.export(ExportQuery(ids=tuple(range(30001))), tmp_path / "x.csv")
    with pytest.raises(ValidationError, match="before its start"):
        exporter.export(ExportQuery(date_from=date(2026, 2, 1), date_to=date(2026, 1, 1)), tmp_path / "x.csv")


def ctx_of(exporter: ExportService) -> AppContext:
    return exporter.ctx


def test_people_appointments_and_documents(ctx, filled, exporter, tmp_path) -> None:
    exporter.export(ExportQuery(kind="people"), tmp_path / "people.csv")
    people = {r["person_reference"]: r for r in read_csv(tmp_path / "people.csv")}
    assert people["P000001"]["barred"] == "yes" and people["P000001"]["barred_on"] == "2025-03-01"
    assert people["P000001"]["referrals"] == "2" and people["P000001"]["date_of_birth"] == "1990-05-17"
    assert people["P000002"]["barred"] == "no" and people["P000002"]["surname"] == "Grey"
    exporter.export(ExportQuery(kind="appointments"), tmp_path / "appointments.csv")
    first = read_csv(tmp_path / "appointments.csv")[0]
    assert list(first)[:5] == ["reference", "appointment_at", "centre", "session_type", "attendance"]
    assert (first["reference"], first["appointment_at"], first["centre_name"]) == (
        "WM-2025-00003",
        "2025-11-05 09:30",
        "Cranstoun Windsor Drop-in",
    )
    referral_id = ReferralService(ctx).find("WB-2026-00005").id
    info, _pdf = DocumentService(ctx).issue(referral_id, "referral_letter")
    exporter.export(ExportQuery(kind="documents"), tmp_path / "documents.xlsx")
    sheet = read_xlsx(tmp_path / "documents.xlsx")["documents"]
    record = dict(zip(sheet[0], sheet[1], strict=True))
    assert (record["reference"], record["kind"], record["document_reference"]) == (
        "WB-2026-00005",
        "referral_letter",
        info.document_reference,
    )
    assert record["sha256"] == info.sha256 and record["issued_at"] == info.issued_at


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_password_protected_exports_are_aes_zips(filled, exporter, tmp_path, file_format) -> None:
    result = exporter.export(
        ExportQuery(kind="referrals", layout="import"),
        tmp_path / f"records.{file_format}",
        password="correct horse battery",
    )
    assert result.encrypted and result.files == (tmp_path / f"records.{file_format}.zip",)
    assert "7-Zip" in result.summary()
    data = result.files[0].read_bytes()
    assert b"Smith" not in data and b"WB-2025" not in data
    files = read_entries(result.files[0], "correct horse battery")
    if file_format == "csv":
        assert sorted(files) == ["records.appointments.csv", "records.csv"]
        assert "Smith" in files["records.csv"].decode("utf-8-sig")
    else:
        assert list(files) == ["records.xlsx"]
        assert list(read_xlsx(files["records.xlsx"])) == ["referrals", "appointments"]
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(ValidationError, match="at least 8"):
        exporter.export(ExportQuery(kind="people"), tmp_path / "p.csv", password="short")


def test_more_rows_than_an_excel_sheet_holds(filled, exporter, tmp_path, monkeypatch) -> None:
    from diversion_desktop.services import exporter as module

    monkeypatch.setattr(module, "XLSX_MAX_ROWS", 5)
    with pytest.raises(ValidationError, match="more than an Excel sheet holds"):
        exporter.export(ExportQuery(kind="referrals"), tmp_path / "r.xlsx")
    assert exporter.export(ExportQuery(kind="referrals"), tmp_path / "r.csv").total == 6
    assert not (tmp_path / "r.xlsx").exists()


def test_bad_requests(exporter, tmp_path) -> None:
    with pytest.raises(ValidationError) as error:
        exporter.export(ExportQuery(kind="letters", layout="import", area="Mars"), tmp_path / "x.pdf")
    assert set(error.value.errors) == {"kind", "format", "layout", "area"}
    assert exporter.resolve_area("West Berkshire") == "west-berkshire"
    with pytest.raises(ValidationError, match="Unknown area 'Mars'"):
        exporter.resolve_area("Mars")


def test_progress_streaming_and_the_audit_seam(ctx, tmp_path) -> None:
    rows = [
        referral(
            reference=f"WB-2026-{n:05d}",
            surname=f"Person{n}",
            incident_date="2026-02-20",
            date_of_birth=(date(1960, 1, 1) + timedelta(days=7 * n)).isoformat(),
        )
        for n in range(1, 2501)
    ]
    assert ImportService(ctx).run(write_import(tmp_path, "csv", rows)).referrals == 2500
    seen: list = []
    service = ExportService(ctx, audit=lambda _ctx, record: seen.append(record))
    calls: list[tuple[int, int]] = []
    query = ExportQuery(kind="referrals", description="Queue: awaiting first appointment")
    result = service.export(query, tmp_path / "all.xlsx", progress=lambda done, total: calls.append((done, total)))
    assert result.rows == {"referrals": 2500} and service.count(query) == 2500
    assert calls[-1] == (2500, 2500) and len(calls) > 2
    assert [r.reference for r in ReferralService(ctx).queue("awaiting_appointment", limit=3)] == [
        "WB-2026-00001",
        "WB-2026-00002",
        "WB-2026-00003",
    ]
    [record] = seen
    assert (record.user, record.rows, record.encrypted) == ("tester", 2500, False)
    assert "Queue: awaiting first appointment" in record.what and record.files == (str(tmp_path / "all.xlsx"),)


# -- round trips ----------------------------------------------------------------------------------------------
def export_rows(ctx: AppContext, folder: Path, file_format: str, layout: str) -> dict[str, list[list[str]]]:
    """Every sheet of an export, as text rows (the CSV files, or the workbook's cells)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{layout}.{file_format}"
    ExportService(ctx).export(ExportQuery(kind="referrals", layout=layout), path)
    if file_format == "xlsx":
        return {
            name: [["" if v is None else str(v) for v in row] for row in rows] for name, rows in read_xlsx(path).items()
        }
    sheets = {"referrals": path}
    if layout == "import":
        sheets["appointments"] = folder / "import.appointments.csv"
    return {name: list(csv.reader(io.StringIO(p.read_text(encoding="utf-8-sig")))) for name, p in sheets.items()}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_round_trip_export_import_export(filled, open_copy, clock, tmp_path, file_format) -> None:
    first = export_rows(filled, tmp_path / "a", file_format, "import")
    partner_first = export_rows(filled, tmp_path / "a", file_format, "partner")
    (tmp_path / "empty").mkdir()
    empty = open_copy(tmp_path / "empty", clock=clock)
    try:
        path = tmp_path / "a" / f"import.{file_format}"
        report = ImportService(empty).run(path)
        assert report.ok and report.written and report.referrals == 6, report.lines()
        assert export_rows(empty, tmp_path / "b", file_format, "import") == first
        assert export_rows(empty, tmp_path / "b", file_format, "partner") == partner_first
    finally:
        empty.engine.dispose()
    assert len(first["referrals"]) == 8 and len(first["appointments"]) == 7


def test_round_trip_of_a_database_made_through_the_services(
    ctx, open_copy, clock, make_draft, make_youth_draft, tmp_path
) -> None:
    """Records made by intake, booking, attendance and confirmation, in time order, go out and
    come back with the same rows."""
    intake, programme = IntakeService(ctx), ProgrammeService(ctx)

    def at(day: int, month: int, hour: int = 10) -> datetime:
        moment = datetime(2026, month, day, hour, 0)
        clock.set(moment)
        return moment

    def visit(referral_id: int, day: int, month: int, outcome: Attendance) -> None:
        when = at(day, month)
        row = programme.book(referral_id, when)
        at(day, month, 11)
        programme.record(row.id, outcome)

    at(5, 1)
    completed = intake.save(make_draft(incident_at=datetime(2026, 1, 4, 22, 15)))
    visit(completed.id, 7, 1, Attendance.ATTENDED)
    visit(completed.id, 14, 1, Attendance.ATTENDED)
    at(6, 1)
    missed = intake.save(
        make_draft(
            surname="Jones", forenames="Amy", date_of_birth=date(1985, 3, 3), incident_at=datetime(2026, 1, 5, 20, 0)
        )
    )
    visit(missed.id, 8, 1, Attendance.NOT_ATTENDED)
    visit(missed.id, 12, 1, Attendance.NOT_ATTENDED)
    programme.confirm_next_step(missed.id)
    at(10, 1)
    overdue = intake.save(
        make_draft(
            scheme_code="windsor-and-maidenhead",
            surname="Brown",
            forenames="Bob",
            date_of_birth=date(1970, 1, 1),
            incident_at=datetime(2026, 1, 9, 23, 0),
        )
    )
    at(10, 2)
    intake.save(
        make_draft(
            person_id=missed.person_id,
            surname="Jones",
            forenames="Amy",  # the match, as picked
            date_of_birth=date(1985, 3, 3),
            incident_at=datetime(2026, 2, 9, 19, 0),
        )
    )  # barred now
    at(20, 2)
    youth = intake.save(
        make_youth_draft(
            scheme_code="windsor-and-maidenhead",
            incident_at=datetime(2026, 2, 19, 17, 0),
            substances=[
                replace(make_draft().substances[0]),
                replace(
                    make_draft().substances[0], substance="ketamine", quantity=make_draft().substances[0].quantity / 10
                ),
            ],
        )
    )
    programme.book(youth.id, datetime(2026, 3, 4, 15, 30), "windsor")
    intake.save(make_draft(surname="Green", forenames="Ann", consent=False, incident_at=datetime(2026, 2, 19, 12, 0)))
    at(2, 3)
    assert ReferralService(ctx).detail(overdue.id).status == "awaiting_appointment"

    first = export_rows(ctx, tmp_path / "a", "xlsx", "import")
    assert len(first["referrals"]) == 8 and len(first["appointments"]) == 6  # with their header rows
    (tmp_path / "empty").mkdir()
    empty = open_copy(tmp_path / "empty", clock=clock)
    try:
        report = ImportService(empty).run(tmp_path / "a" / "import.xlsx")
        assert report.ok and report.written, report.lines(only_problems=True)
        assert export_rows(empty, tmp_path / "b", "xlsx", "import") == first
        waiting = ReferralService(empty).queue("awaiting_confirmation")
        assert [(r.reference, r.status, r.proposed_step) for r in waiting] == [
            (overdue.reference, "awaiting_confirmation", "report_for_prosecution")
        ]  # proposed, not confirmed
        assert ReferralService(empty).detail(waiting[0].referral_id).next_step == ""
    finally:
        empty.engine.dispose()
