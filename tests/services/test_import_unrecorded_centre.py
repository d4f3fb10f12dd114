"""Issue 13 §4: history imported without the centre of its old appointments, and closed history
with no appointment rows at all. The clock is Monday 2 March 2026 (tests/conftest.py)."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest

from diversion_desktop.domain.evaluation import Step
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.evaluation import EvaluationRequest, EvaluationService
from diversion_desktop.services.importer import ImportService
from diversion_desktop.services.referrals import ReferralService
from tests.import_files import appointment, referral, write_import


@pytest.fixture
def importer(ctx: AppContext) -> ImportService:
    return ImportService(ctx)


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_past_appointments_may_leave_the_centre_empty(importer, ctx, tmp_path, file_format) -> None:
    rows = [
        referral(),  # open: a past session, no centre
        referral(
            reference="WB-2025-00001",
            surname="Jones",
            incident_date="2025-01-10",
            outcome="completed",
            outcome_date="2025-02-20",
        ),
    ]  # history: no centres at all
    appointments = [
        appointment(centre=""),
        appointment(reference="WB-2025-00001", appointment_at="2025-01-14 10:00", centre=""),
        appointment(reference="WB-2025-00001", appointment_at="2025-02-20 10:00", centre="", attendance=""),
    ]
    report = importer.run(write_import(tmp_path, file_format, rows, appointments))
    assert report.written and report.appointments == 3, report.lines()
    notes = [r.notes[0] for r in report.rows if r.sheet == "appointments"]
    assert all(note.endswith("; centre not recorded") for note in notes), notes

    detail = ReferralService(ctx).find("WB-2026-00101")
    [only] = detail.appointments
    assert (only.centre_code, only.centre_name, only.attendance) == (None, "not recorded", "attended")
    assert detail.sessions_attended == 1  # counted by the rules all the same
    assert ReferralService(ctx).find("WB-2025-00001").status == "completed"


def test_a_booked_appointment_still_needs_its_centre(importer, tmp_path) -> None:
    report = importer.run(
        write_import(
            tmp_path, "csv", [referral()], [appointment(centre="", appointment_at="2026-03-09 10:00", attendance="")]
        )
    )
    assert not report.written
    [problem] = next(r for r in report.rows if r.sheet == "appointments").problems
    assert problem.column == "centre" and "a booked one's letter names the place" in problem.reason


def test_closed_history_needs_no_appointment_rows_and_is_counted(importer, ctx, tmp_path) -> None:
    names = ["Jones", "Patel", "Nowak", "Okafor", "Reilly"]  # five of each: no count is held back as "<5"
    rows = [
        referral(
            reference=f"WB-2025-0000{i}",
            surname=name,
            incident_date="2025-01-10",
            outcome="completed",
            outcome_date="2025-02-20",
        )
        for i, name in enumerate(names)
    ]
    rows += [
        referral(
            reference=f"WB-2025-0010{i}",
            surname=name,
            forenames="Amir",
            incident_date="2025-01-12",
            outcome="not_attended",
            outcome_date="2025-03-01",
        )
        for i, name in enumerate(names)
    ]
    report = importer.run(write_import(tmp_path, "csv", rows))
    assert report.written and (report.referrals, report.appointments) == (10, 0), report.lines()
    referrals = ReferralService(ctx)
    completed, missed = referrals.find("WB-2025-00000"), referrals.find("WB-2025-00100")
    assert (completed.status, completed.appointments) == ("completed", ())
    assert (missed.status, missed.next_step, missed.person.barred) == ("closed", "future_diversion_barred", True)

    result = EvaluationService(ctx).compute(EvaluationRequest(date(2025, 1, 1), date(2025, 12, 31)))
    steps = {row.step: row.count for row in result.total_funnel.steps}
    # Completed is the full programme attended, though no appointment rows were kept for it.
    assert (steps[Step.ACCEPTED], steps[Step.ATTENDED], steps[Step.COMPLETED], steps[Step.CONSEQUENCE]) == (10, 5, 5, 5)


def test_no_letter_names_a_place_that_was_not_recorded(importer, ctx, tmp_path) -> None:
    """A missed appointment imported without its centre: the notice says nothing of the place."""
    report = importer.run(
        write_import(tmp_path, "csv", [referral()], [appointment(centre="", attendance="not_attended")])
    )
    assert report.written, report.lines()
    detail = ReferralService(ctx).find("WB-2026-00101")
    [missed] = detail.appointments
    info, pdf = DocumentService(ctx).issue(detail.id, "missed_appointment_notice", missed.id)
    text = " ".join(pdf_text(pdf.content, tmp_path).split())
    assert (
        "You did not attend your appointment (assessment) on Monday 2 March 2026 at 10:00 am. The appointment was part"
        in text
    )
    assert "not recorded" not in text and "None" not in text
