"""Importing the pilots' records on a real database: the rules as at intake, history, refusals.

The clock is Monday 2 March 2026 (tests/conftest.py); most rows are incidents of
the day before, or history from 2024-2025.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from diversion_desktop.domain.eligibility import PriorHistory
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.importer import ALREADY, CREATED, READY, REFUSED, ImportFileError, ImportService
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.store.models import Person, Referral
from tests.import_files import appointment, referral, write_csv, write_import, write_xlsx

FORMATS = ["csv", "xlsx"]
BARRED_REASON = "An earlier diversion ended in non-attendance: the person is barred from further diversion."


@pytest.fixture
def importer(ctx: AppContext) -> ImportService:
    return ImportService(ctx)


def by_row(report, sheet: str = "referrals") -> dict:
    return {r.row: r for r in report.rows if r.sheet == sheet}


def one(ctx: AppContext, reference: str) -> Referral:
    with ctx.session_factory() as session:
        found = session.scalar(select(Referral).where(Referral.reference == reference))
        assert found is not None, reference
        session.expunge(found)
        return found


def person_of(ctx: AppContext, reference: str) -> Person:
    with ctx.session_factory() as session:
        person = session.scalar(select(Person).join(Person.referrals).where(Referral.reference == reference))
        assert person is not None
        session.expunge(person)
        return person


# -- the happy path, in both formats -----------------------------------------------------------------
@pytest.mark.parametrize("file_format", FORMATS)
def test_new_intakes_with_appointments(importer, ctx, tmp_path, file_format) -> None:
    rows = [
        referral(),
        referral(
            reference="WB-2026-00102",
            surname="Young",
            forenames="Amy",
            date_of_birth="2009-06-01",
            sex="Female",
            guardian_name="Pat Young",
        ),
        referral(
            reference="WB-2026-00102",
            surname="Young",
            forenames="Amy",
            date_of_birth="2009-06-01",
            sex="Female",
            guardian_name="Pat Young",
            substance="Cocaine",
            quantity="0.2",
        ),
    ]
    appointments = [appointment(), appointment(appointment_at="2026-03-05 14:00", attendance="")]
    path = write_import(tmp_path, file_format, rows, appointments)
    report = importer.run(path)
    assert report.ok and report.written, report.lines()
    assert (report.referrals, report.people_created, report.appointments) == (2, 2, 2)
    rows_ = by_row(report)
    assert rows_[2].result == CREATED and rows_[2].person.startswith("new person P000001 (SMITH, John")
    assert rows_[2].decision == "eligible" and rows_[2].status == "booked"
    assert "another substance" in rows_[4].notes[0]
    detail = ReferralService(ctx).find("WB-2026-00101")
    assert detail.referral_date == date(2026, 3, 1) and detail.due_date == date(2026, 4, 26)
    assert detail.status == "booked" and detail.sessions_attended == 1
    assert [a.attendance for a in detail.appointments] == ["attended", None]
    assert detail.person.ethnicity_self == "White: Irish" and detail.person.postcode == "RG14 1AA"
    assert [e.kind for e in detail.timeline] == ["imported", "decision"]
    youth = ReferralService(ctx).find("WB-2026-00102")
    assert youth.pathway == "youth" and youth.centre_code == "newbury-youth" and youth.status == "awaiting_appointment"
    assert [(s.substance, str(s.quantity)) for s in youth.substances] == [("cannabis", "3.500"), ("cocaine", "0.200")]


def test_a_dry_run_writes_nothing_and_says_what_would_happen(importer, count_rows, tmp_path) -> None:
    path = write_import(tmp_path, "csv", [referral()], [appointment()])
    before = count_rows()
    report = importer.run(path, dry_run=True)
    assert count_rows() == before
    assert report.ok and not report.written and report.dry_run
    assert by_row(report)[2].result == READY
    assert "would be P000001" in by_row(report)[2].person
    assert "Nothing was written" in report.summary()


@pytest.mark.parametrize("file_format", FORMATS)
def test_importing_the_same_file_again_creates_nothing(importer, count_rows, tmp_path, file_format) -> None:
    path = write_import(
        tmp_path, file_format, [referral(), referral(reference="WB-2026-00102", surname="Jones")], [appointment()]
    )
    assert importer.run(path).written
    before = count_rows()
    again = importer.run(path)
    assert count_rows() == before
    assert again.ok and not again.written and again.referrals == 0 and again.already_imported == 2
    assert {r.result for r in again.rows} == {ALREADY}
    assert "Nothing new to import" in again.summary()


def test_csv_with_bom_semicolons_and_decimal_commas(importer, ctx, tmp_path) -> None:
    path = write_csv(tmp_path / "pilot.csv", [referral(quantity="3,5")], bom=True, delimiter=";")
    report = importer.run(path)
    assert report.written, report.lines()
    assert str(ReferralService(ctx).find("WB-2026-00101").substances[0].quantity) == "3.500"


def test_workbook_dates_as_numbers_and_empty_rows(importer, ctx, tmp_path) -> None:
    rows = [
        referral(date_of_birth=33010, incident_date=46082.875),
        referral(
            reference="WB-2026-00102",
            surname="Jones",
            date_of_birth=datetime(1985, 1, 2),
            incident_date=datetime(2026, 3, 1, 20, 15),
            quantity=2,
            suspected_supply=False,
            consent=True,
        ),
    ]
    path = write_xlsx(tmp_path / "pilot.xlsx", rows, blank_rows_after=3)
    report = importer.run(path)
    assert report.written and report.empty_rows == 3, report.lines()
    first = ReferralService(ctx).find("WB-2026-00101")
    assert first.person.date_of_birth == date(1990, 5, 17) and first.incident_at == datetime(2026, 3, 1, 21, 0)
    assert ReferralService(ctx).find("WB-2026-00102").incident_at == datetime(2026, 3, 1, 20, 15)


# -- history and the rules ------------------------------------------------------------------------------
@pytest.mark.parametrize("file_format", FORMATS)
def test_a_barred_persons_new_row_is_refused_diversion(importer, ctx, tmp_path, file_format) -> None:
    rows = [
        referral(reference="WB-2026-00102", incident_date="2026-03-01"),  # new: listed first, decided second
        referral(
            reference="WB-2025-00007", incident_date="2025-06-01", outcome="not_attended", outcome_date="2025-08-01"
        ),
    ]
    report = importer.run(write_import(tmp_path, file_format, rows))
    assert report.written, report.lines()
    history, new = one(ctx, "WB-2025-00007"), one(ctx, "WB-2026-00102")
    assert (history.status, history.outcome, history.next_step) == ("closed", "not_attended", "future_diversion_barred")
    assert history.next_step_confirmed_by == "tester" and not history.for_case_file
    person = person_of(ctx, "WB-2025-00007")
    assert person.barred and person.barred_by_referral_id == history.id and person.barred_at == datetime(2025, 8, 1)
    assert (new.decision, new.status, new.reasons) == ("not_eligible", "not_eligible", [BARRED_REASON])
    assert new.person_id == history.person_id
    row = by_row(report)[2]
    assert "matched to person P000001" in row.person and BARRED_REASON in row.reasons


def test_deferred_prosecution_adult_not_attended_is_reported_and_barred(importer, ctx, tmp_path) -> None:
    rows = [
        referral(
            reference="WM-2025-00001",
            area="windsor-and-maidenhead",
            incident_date="2025-05-01",
            outcome="not_attended",
            outcome_date="2025-06-20",
        ),
        referral(
            reference="WM-2025-00002",
            area="Windsor and Maidenhead",
            surname="Young",
            forenames="Amy",
            date_of_birth="2009-06-01",
            guardian_name="Pat Young",
            incident_date="2025-05-02",
            outcome="not_attended",
            outcome_date="2025-06-20",
        ),
    ]
    assert importer.run(write_import(tmp_path, "csv", rows)).written
    adult, youth = one(ctx, "WM-2025-00001"), one(ctx, "WM-2025-00002")
    assert (adult.next_step, adult.for_case_file) == ("report_for_prosecution", True)
    assert (youth.next_step, youth.for_case_file) == ("future_diversion_barred", False)
    assert person_of(ctx, "WM-2025-00001").barred and person_of(ctx, "WM-2025-00002").barred


def test_a_person_already_in_the_database_is_matched_and_their_history_counts(
    importer, ctx, tmp_path, clock, make_draft
) -> None:
    saved = IntakeService(ctx).save(
        make_draft(surname="O'Brien", forenames="Seán", date_of_birth=date(1990, 5, 17), postcode="")
    )
    programme = ProgrammeService(ctx)
    clock.set(datetime(2026, 5, 1, 10, 0))  # the deadline passed with nothing attended
    programme.confirm_next_step(saved.id)
    rows = [referral(surname="OBRIEN", forenames="Sean", incident_date="2026-04-30", postcode="RG1 1AA")]
    report = importer.run(write_import(tmp_path, "csv", rows))
    row = by_row(report)[2]
    assert f"matched to person {saved.person_reference}" in row.person
    assert row.decision == "not eligible" and BARRED_REASON in row.reasons
    assert report.people_matched == 1 and report.people_created == 0
    person = PeopleService(ctx).get(saved.person_id)
    assert person.surname == "O'Brien" and person.postcode == "RG1 1AA"  # a blank filled, nothing overwritten


def test_completed_history_counts_against_one_time_only(importer, ctx, tmp_path) -> None:
    rows = [
        referral(reference="WB-2025-00001", incident_date="2025-01-10", outcome="completed", outcome_date="2025-02-01"),
        referral(),
    ]
    report = importer.run(write_import(tmp_path, "xlsx", rows))
    history = one(ctx, "WB-2025-00001")
    assert (history.status, history.outcome, history.next_step, history.decision) == (
        "completed",
        "completed",
        "no_further_action",
        "eligible",
    )
    assert not person_of(ctx, "WB-2025-00001").barred
    new = by_row(report)[3]
    assert new.decision == "not eligible"
    assert any("offers diversion one time only" in r for r in new.reasons)


def test_not_eligible_and_declined_outcomes(importer, ctx, tmp_path) -> None:
    rows = [
        referral(reference="WB-2025-00001", incident_date="2025-01-10", offence="supply", outcome="not_eligible"),
        referral(
            reference="WB-2025-00002", surname="Jones", incident_date="2025-01-11", consent="no", outcome="declined"
        ),
        referral(reference="WB-2026-00103", surname="Brown", consent="no"),
    ]
    assert importer.run(write_import(tmp_path, "csv", rows)).written
    assert (one(ctx, "WB-2025-00001").status, one(ctx, "WB-2025-00001").outcome_date) == (
        "not_eligible",
        date(2025, 1, 10),
    )
    assert one(ctx, "WB-2025-00002").status == "declined"
    assert (one(ctx, "WB-2026-00103").status, one(ctx, "WB-2026-00103").decision) == ("declined", "not_eligible")


def test_history_that_todays_rules_would_refuse_is_kept_and_flagged(importer, ctx, tmp_path) -> None:
    rows = [
        referral(
            reference="WB-2025-00001",
            incident_date="2025-01-10",
            quantity="30",
            outcome="completed",
            outcome_date="2025-02-01",
        )
    ]
    report = importer.run(write_import(tmp_path, "csv", rows))
    row = by_row(report)[2]
    assert row.result == CREATED and row.decision == "eligible"
    assert "under the current rules it would be not eligible" in row.attention[0]
    assert report.lines(only_problems=True) == [row.text()]
    assert one(ctx, "WB-2025-00001").reasons[0].startswith("Imported history")


def test_open_rows_follow_their_appointments(importer, ctx, tmp_path) -> None:
    rows = [
        referral(reference="WB-2026-00101", incident_date="2026-01-05"),
        referral(reference="WB-2026-00102", surname="Jones", incident_date="2026-01-05"),
        referral(reference="WM-2026-00103", surname="Brown", area="windsor-and-maidenhead", incident_date="2026-01-05"),
    ]
    appointments = [
        appointment(reference="WB-2026-00101", appointment_at="2026-01-07 10:00"),
        appointment(reference="WB-2026-00101", appointment_at="2026-01-14 10:00", session_type="harm_reduction"),
        appointment(reference="WB-2026-00102", appointment_at="2026-01-07 10:00", attendance="rebooked"),
        appointment(reference="WB-2026-00102", appointment_at="2026-01-09 10:00", attendance="not_attended"),
        appointment(
            reference="WM-2026-00103",
            appointment_at="2026-01-07 10:00",
            centre="Cranstoun Windsor Drop-in",
            attendance="cancelled",
        ),
    ]
    report = importer.run(write_import(tmp_path, "xlsx", rows, appointments))
    assert report.written, report.lines()
    completed = one(ctx, "WB-2026-00101")
    assert (completed.status, completed.outcome, completed.outcome_date, completed.next_step) == (
        "completed",
        "completed",
        date(2026, 1, 14),
        "no_further_action",
    )
    missed = one(ctx, "WB-2026-00102")  # two misses with one rebooking allowed: proposed, not confirmed
    assert (missed.status, missed.proposed_step, missed.next_step) == (
        "awaiting_confirmation",
        "future_diversion_barred",
        "",
    )
    assert not person_of(ctx, "WB-2026-00102").barred
    overdue = one(ctx, "WM-2026-00103")  # deadline 16/02 passed; a cancellation is not a miss
    assert (overdue.status, overdue.proposed_step, overdue.misses) == (
        "awaiting_confirmation",
        "report_for_prosecution",
        0,
    )


def test_possible_matches_are_listed_but_a_new_person_is_made(importer, ctx, tmp_path, make_draft) -> None:
    saved = IntakeService(ctx).save(make_draft(surname="Smith", forenames="Robert", date_of_birth=date(1990, 5, 17)))
    report = importer.run(write_import(tmp_path, "csv", [referral(forenames="Bob")]))
    row = by_row(report)[2]
    assert row.person.startswith("new person P000002")
    assert saved.person_reference in row.attention[0] and "possible matches" in row.attention[0]


def test_references_numbered_after_the_imported_ones(importer, ctx, tmp_path, make_draft) -> None:
    importer.run(write_import(tmp_path, "csv", [referral(reference="WB-2026-00041")]))
    saved = IntakeService(ctx).save(make_draft(surname="Jones"))
    assert saved.reference == "WB-2026-00042" and saved.person_reference == "P000002"


# -- refused input ---------------------------------------------------------------------------------------
def test_wrong_headers_name_missing_and_unknown_columns(importer, tmp_path) -> None:
    path = tmp_path / "pilot.csv"
    path.write_text(
        "reference,surname,forenames,dob,Area\nWB-1,Smith,John,1990-05-17,West Berkshire\n", encoding="utf-8"
    )
    with pytest.raises(ImportFileError) as error:
        importer.run(path)
    message = str(error.value)
    assert "missing date_of_birth, sex" in message and "unknown 'dob'" in message and "Nothing was written" in message


def test_a_workbook_without_a_referrals_sheet(importer, tmp_path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["what"])
    workbook.create_sheet("More").append(["why"])
    workbook.save(tmp_path / "book.xlsx")
    with pytest.raises(ImportFileError, match="No referrals sheet"):
        importer.run(tmp_path / "book.xlsx")


REFUSALS: list[tuple[dict, str, str]] = [
    (dict(area="Berkshire"), "area", "unknown area 'Berkshire'"),
    (dict(substance="heroin"), "substance", "Unknown substance 'heroin' for West Berkshire"),
    (
        dict(date_of_birth="2026-03-02", incident_date="2026-03-01", guardian_name="Pat"),
        "date_of_birth",
        "after the incident",
    ),
    (dict(date_of_birth="2020-01-01", guardian_name="Pat"), "date_of_birth", "age of criminal responsibility"),
    (dict(incident_date="2026-03-09"), "incident_date", "cannot be in the future"),
    (dict(surname=""), "surname", "Enter the surname"),
    (dict(date_of_birth="2009-06-01"), "guardian_name", "parent or guardian"),
    (dict(quantity="0"), "quantity", "more than zero"),
    (dict(quantity="=2*1.5"), "quantity", "formula"),
    (dict(consent="yes", outcome="declined"), "consent", "did not agree"),
    (dict(consent="no", outcome="completed", outcome_date="2026-03-01"), "consent", "was diverted"),
    (dict(outcome="completed", outcome_date="2026-02-01"), "outcome_date", "before the incident"),
    # quantities are kept exactly as written, or refused: never changed on the way in
    (dict(quantity="1,200"), "quantity", "could be 1200 (a thousands comma) or 1.2 (a decimal comma)"),
    (dict(quantity="0.0004"), "quantity", "more than 3 decimal places"),
    (dict(quantity="1e-400"), "quantity", "written with an exponent"),
    # names a person can see
    (dict(surname="\u200b\u200b"), "surname", "no visible letter"),
    (dict(forenames="John\u202e"), "forenames", "reverses the text (U+202E"),
]


@pytest.mark.parametrize(("changes", "column", "reason"), REFUSALS)
@pytest.mark.parametrize("file_format", FORMATS)
def test_a_refused_row_names_its_column_and_nothing_is_written(
    importer, count_rows, tmp_path, changes, column, reason, file_format
) -> None:
    rows = [referral(reference="WB-2026-00100", surname="Jones"), referral(**changes)]
    before = count_rows()
    report = importer.run(write_import(tmp_path, file_format, rows))
    assert count_rows() == before
    assert not report.ok and not report.written and report.refused_rows == 1
    refused = by_row(report)[3]
    assert refused.result == REFUSED
    assert [(p.column, reason in p.reason) for p in refused.problems] == [(column, True)], refused.problems
    assert by_row(report)[2].result == READY
    assert "Nothing was written" in report.summary()


def test_control_characters_in_names_are_refused_and_reported_as_escapes(importer, count_rows, tmp_path) -> None:
    rows = [
        referral(reference="WB-2026-00101", surname="\x1b[31mSmith\x1b[0m"),
        referral(reference="WB-2026-00102", forenames="Jo\x00hn"),
        referral(reference="WB-2026-00103", guardian_name="Pat\nYoung", crime_reference="43\r\n1"),
    ]
    before = count_rows()
    report = importer.run(write_csv(tmp_path / "pilot.csv", rows))
    assert count_rows() == before and report.refused_rows == 3
    rows_by_number = by_row(report)
    assert [p.column for p in rows_by_number[2].problems] == ["surname"]
    assert "control character (U+001B" in rows_by_number[2].problems[0].reason
    assert [p.column for p in rows_by_number[3].problems] == ["forenames"]
    assert [p.column for p in rows_by_number[4].problems] == ["crime_reference", "guardian_name"]
    printed = "\n".join(report.lines())
    assert not any(ord(char) < 32 and char != "\n" for char in printed), printed


def test_workbook_escapes_are_decoded_then_refused(importer, tmp_path) -> None:
    """Excel writes a control character as _x001B_; it is read as the character, so it is refused."""
    rows = [
        referral(reference="WB-2026-00101", surname="Smith_x001B_[31m"),
        referral(reference="WB-2026-00102", surname="Under_x005F_x0041_score", forenames="Al_x0000_"),
    ]
    report = importer.run(write_xlsx(tmp_path / "pilot.xlsx", rows))
    assert [(p.column, "U+001B" in p.reason) for p in by_row(report)[2].problems] == [("surname", True)]
    assert [(p.column, "U+0000" in p.reason) for p in by_row(report)[3].problems] == [("forenames", True)]


def test_formulas_in_workbook_cells_are_refused(importer, tmp_path) -> None:
    path = write_xlsx(tmp_path / "pilot.xlsx", [referral(surname='=UPPER("smith")', incident_date="=TODAY()-1")])
    row = by_row(importer.run(path))[2]
    assert {p.column for p in row.problems} == {"surname", "incident_date"}
    assert all("formula" in p.reason for p in row.problems)


def test_duplicate_references_with_conflicting_people(importer, tmp_path) -> None:
    rows = [
        referral(),
        referral(surname="Jones", substance="cocaine", quantity="0.2"),
        referral(reference="WB-2026-00102", surname="Brown"),
        referral(reference="WB-2026-00102", surname="Brown", postcode="SL6 1AA"),
    ]
    report = importer.run(write_import(tmp_path, "csv", rows))
    rows_ = by_row(report)
    assert "for a different person" in rows_[3].problems[0].reason and "SMITH, John" in rows_[3].problems[0].reason
    assert "refused with the rest of the referral (see referrals row 3)" in rows_[2].problems[0].reason
    assert rows_[5].problems[0].column == "postcode" and "may differ only in substance" in rows_[5].problems[0].reason


def test_a_reference_already_used_for_another_person(importer, ctx, tmp_path) -> None:
    importer.run(write_import(tmp_path, "csv", [referral()], name="first"))
    report = importer.run(write_import(tmp_path, "csv", [referral(surname="Jones")], name="second"))
    problem = by_row(report)[2].problems[0]
    assert problem.column == "reference" and "already in the database for another person (P000001)" in problem.reason


def test_a_later_row_of_a_person_with_a_refused_row_waits(importer, tmp_path) -> None:
    rows = [
        referral(
            reference="WB-2025-00001", incident_date="2025-01-01", outcome="not_attended", outcome_date="2024-12-01"
        ),
        referral(),
    ]
    report = importer.run(write_import(tmp_path, "csv", rows), skip_invalid=True)
    assert "earlier referral of this person (referrals row 2) was refused" in by_row(report)[3].problems[0].reason
    assert report.referrals == 0


APPOINTMENT_REFUSALS: list[tuple[dict, str, str]] = [
    (dict(centre="reading"), "centre", "not a centre of the West Berkshire scheme"),
    (dict(centre="", appointment_at="2026-03-05 10:00", attendance=""), "centre", "Only a past appointment's centre"),
    (dict(appointment_at="2026-02-01 10:00"), "appointment_at", "before the incident"),
    (dict(appointment_at="2026-03-04 10:00"), "attendance", "appointment in the future"),
    (dict(appointment_at="2026-05-01 10:00", attendance=""), "appointment_at", "after the deadline"),
    (dict(reference="WB-2026-09999"), "reference", "no referral WB-2026-09999"),
]


@pytest.mark.parametrize(("changes", "column", "reason"), APPOINTMENT_REFUSALS)
def test_refused_appointments(importer, tmp_path, changes, column, reason) -> None:
    report = importer.run(write_import(tmp_path, "csv", [referral()], [appointment(**changes)]))
    refused = by_row(report, "appointments")[2]
    assert refused.result == REFUSED and refused.problems[0].column == column
    assert reason in refused.problems[0].reason
    if changes.get("reference") is None:  # the referral waits for its appointment to be fixed
        assert by_row(report)[2].result == REFUSED
        assert "appointments row 2" in by_row(report)[2].problems[0].reason


def test_appointments_of_a_referral_that_was_not_diverted(importer, tmp_path) -> None:
    report = importer.run(write_import(tmp_path, "csv", [referral(suspected_supply="yes")], [appointment()]))
    assert "was not diverted" in by_row(report, "appointments")[2].problems[0].reason


def test_no_rebooking_left(importer, tmp_path) -> None:
    appointments = [
        appointment(attendance="rebooked", appointment_at="2026-03-01 12:00"),
        appointment(attendance="rebooked", appointment_at="2026-03-02 09:00"),
    ]
    report = importer.run(write_import(tmp_path, "csv", [referral()], appointments))
    assert "no rebookings left" in by_row(report, "appointments")[3].problems[0].reason


# -- skipping refused rows ----------------------------------------------------------------------------------
@pytest.mark.parametrize("file_format", FORMATS)
def test_skip_invalid_imports_the_rest_and_writes_the_refused_rows_to_fix(importer, ctx, tmp_path, file_format) -> None:
    rows = [
        referral(),
        referral(reference="WB-2026-00102", surname="Jones", area="Berkshire"),
        referral(reference="WB-2026-00103", surname="Brown"),
    ]
    appointments = [appointment(), appointment(reference="WB-2026-00102")]
    path = write_import(tmp_path, file_format, rows, appointments)
    report = importer.run(path, skip_invalid=True)
    assert report.written and report.referrals == 2 and report.refused_rows == 2
    refused_path = tmp_path / f"pilot.refused.{file_format}"
    assert report.refused_files[0] == str(refused_path)
    assert "Refused rows written to" in report.summary()
    # The refused file is the input's rows with a 'problem' column; fixed, it imports.
    if file_format == "xlsx":
        workbook = openpyxl.load_workbook(refused_path)
        sheet = workbook["referrals"]
        header = [c.value for c in sheet[1]]
        assert header[-1] == "problem" and sheet.max_row == 2
        assert "unknown area 'Berkshire'" in sheet.cell(2, len(header)).value
        sheet.cell(2, header.index("area") + 1).value = "West Berkshire"
        assert workbook["appointments"].max_row == 2
        workbook.save(refused_path)
    else:
        text = refused_path.read_text(encoding="utf-8-sig")
        assert text.splitlines()[0].endswith(",problem") and len(text.splitlines()) == 2
        refused_path.write_text(text.replace("Berkshire,2026", "West Berkshire,2026"), encoding="utf-8")
        assert (tmp_path / "pilot.refused.appointments.csv").is_file()
    again = importer.run(refused_path)
    assert again.written and again.referrals == 1 and again.appointments == 1, again.lines()
    fixed = one(ctx, "WB-2026-00102")
    assert (fixed.status, fixed.sessions_attended) == ("awaiting_appointment", 1)


def test_skip_invalid_with_every_row_refused_writes_only_the_refused_file(importer, count_rows, tmp_path) -> None:
    before = count_rows()
    report = importer.run(write_import(tmp_path, "csv", [referral(area="Nowhere")]), skip_invalid=True)
    assert count_rows() == before and not report.written and report.refused_files


def test_a_dry_run_with_skip_invalid_writes_no_file(importer, tmp_path) -> None:
    report = importer.run(write_import(tmp_path, "csv", [referral(area="Nowhere")]), dry_run=True, skip_invalid=True)
    assert report.refused_files == () and not (tmp_path / "pilot.refused.csv").exists()


def test_progress_is_reported_and_the_audit_seam_sees_the_import(ctx, tmp_path) -> None:
    seen: list = []
    calls: list[tuple[int, int]] = []
    service = ImportService(ctx, audit=lambda session, record: seen.append(record))
    service.run(write_import(tmp_path, "csv", [referral()]), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1][0] == calls[-1][1]
    assert [(r.user, r.referrals, r.people_created) for r in seen] == [("tester", ("WB-2026-00101",), 1)]


def test_a_csv_pair_can_be_named_by_its_appointments_file(importer, tmp_path) -> None:
    write_import(tmp_path, "csv", [referral()], [appointment()])
    report = importer.run(tmp_path / "pilot.appointments.csv")
    assert report.written and report.appointments == 1


def test_prior_history_seen_by_intake_after_import(importer, ctx, tmp_path) -> None:
    importer.run(
        write_import(
            tmp_path,
            "csv",
            [
                referral(
                    reference="WB-2025-00001",
                    incident_date="2025-01-01",
                    outcome="not_attended",
                    outcome_date="2025-03-01",
                )
            ],
        )
    )
    person = person_of(ctx, "WB-2025-00001")
    assert IntakeService(ctx).prior(person.id) == PriorHistory(barred=True, completed_diversions=0)


def test_template(importer: ImportService, tmp_path: Path) -> None:
    written = importer.write_template(tmp_path / "template.xlsx")
    assert written == [tmp_path / "template.xlsx"]
    with pytest.raises(ImportFileError, match="Cannot write the template"):
        importer.write_template(tmp_path / "missing-folder" / "t.xlsx")
