"""The import template: headers checked by name, each row read with a problem per bad cell."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from diversion_desktop.domain.eligibility import Offence
from diversion_desktop.domain.programme import Attendance, Outcome, SessionType
from diversion_desktop.spreadsheets import import_format as fmt
from diversion_desktop.spreadsheets.cells import EXCEL_EPOCH_1900
from diversion_desktop.spreadsheets.reader import open_spreadsheet
from tests.import_files import appointment, referral


def read(row: dict, epoch: datetime | None = None) -> fmt.ReferralLine:
    columns = list(row)
    return fmt.read_referral(7, [row[c] for c in columns], fmt.column_positions(columns), epoch)


def problems(line: fmt.ReferralLine | fmt.AppointmentLine) -> dict[str, str]:
    return {p.column: p.reason for p in line.problems}


def test_wrong_headers_name_the_missing_and_the_unknown_columns() -> None:
    headers = [c for c in fmt.REFERRAL_COLUMNS if c not in ("consent", "outcome_date")] + ["Consent given", "notes"]
    message = fmt.header_problem(headers, fmt.REFERRALS)
    assert message is not None
    assert "missing consent, outcome_date" in message
    assert "unknown 'Consent given', 'notes'" in message
    assert fmt.header_problem(list(fmt.REFERRAL_COLUMNS), fmt.REFERRALS) is None
    # Case, spaces and the problem column of a refused-rows file are accepted.
    relaxed = [c.replace("_", " ").title() for c in fmt.REFERRAL_COLUMNS] + ["problem"]
    assert fmt.header_problem(relaxed, fmt.REFERRALS) is None
    assert "repeated surname" in fmt.header_problem([*fmt.REFERRAL_COLUMNS, "surname"], fmt.REFERRALS)


def test_sheets_are_recognised_by_columns_then_name() -> None:
    assert fmt.classify("Sheet1", fmt.REFERRAL_COLUMNS) == fmt.REFERRALS
    assert fmt.classify("pilot.appointments", fmt.APPOINTMENT_COLUMNS) == fmt.APPOINTMENTS
    assert fmt.classify("appointments", ["reference", "when"]) == fmt.APPOINTMENTS
    assert fmt.classify("Notes", ["what", "why"]) is None


def test_a_good_row_is_typed() -> None:
    line = read(
        referral(
            outcome="completed",
            outcome_date="20/03/2026",
            quantity="3,5",
            offence="Possession",
            suspected_supply="N",
            consent="TRUE",
            sex="f",
            reference="wb-2026-00101",
        )
    )
    assert line.problems == []
    assert line.reference == "WB-2026-00101"
    assert (line.date_of_birth, line.incident_at) == (date(1990, 5, 17), datetime(2026, 3, 1))
    assert (line.offence, line.quantity, line.unit) == (Offence.POSSESSION, Decimal("3.5"), "g")
    assert (line.suspected_supply, line.consent, line.sex) == (False, True, "Female")
    assert (line.outcome, line.outcome_date) == (Outcome.COMPLETED, date(2026, 3, 20))


def test_every_bad_cell_is_named() -> None:
    line = read(
        referral(
            reference="",
            date_of_birth="31/02/1990",
            sex="X",
            ethnicity="British",
            incident_date="=TODAY()",
            offence="theft",
            quantity="lots",
            unit="kg",
            suspected_supply="",
            consent="perhaps",
            outcome="finished",
            postcode="R" * 11,
        )
    )
    found = problems(line)
    assert set(found) == {
        "reference",
        "date_of_birth",
        "sex",
        "ethnicity",
        "incident_date",
        "offence",
        "quantity",
        "unit",
        "suspected_supply",
        "consent",
        "outcome",
        "postcode",
    }
    assert "formula" in found["incident_date"]
    assert "not a real date" in found["date_of_birth"]
    assert "not one of" in found["offence"] and "possession_with_intent" in found["offence"]
    assert "at most 10" in found["postcode"]


def test_outcome_and_its_date_go_together() -> None:
    assert "outcome is empty" in problems(read(referral(outcome_date="2026-03-20")))["outcome_date"]
    assert "date the diversion ended" in problems(read(referral(outcome="not_attended")))["outcome_date"]
    assert problems(read(referral(outcome="declined"))) == {}


def test_workbook_date_numbers() -> None:
    line = read(referral(date_of_birth=33010, incident_date=46082.875), EXCEL_EPOCH_1900)
    assert line.problems == []
    assert line.date_of_birth == date(1990, 5, 17) and line.incident_at == datetime(2026, 3, 1, 21, 0)


def test_appointment_rows() -> None:
    columns = list(fmt.APPOINTMENT_COLUMNS)
    row = appointment(session_type="Harm reduction", attendance="DNA")
    line = fmt.read_appointment(3, [row[c] for c in columns], fmt.column_positions(columns))
    assert line.problems == []
    assert (line.session_type, line.attendance) == (SessionType.HARM_REDUCTION, Attendance.NOT_ATTENDED)
    bad = appointment(appointment_at="", centre="", session_type="yoga", attendance="late")
    line = fmt.read_appointment(3, [bad[c] for c in columns], fmt.column_positions(columns))
    # An empty centre is "not recorded": the planner decides whether the appointment may lack it.
    assert set(problems(line)) == {"appointment_at", "session_type", "attendance"}
    assert line.centre == ""


def test_a_value_without_a_heading_is_a_problem() -> None:
    columns = list(fmt.APPOINTMENT_COLUMNS)
    row = [appointment()[c] for c in columns] + ["stray"]
    line = fmt.read_appointment(3, row, fmt.column_positions(columns))
    assert "no heading" in line.problems[0].reason


def test_templates(tmp_path: Path) -> None:
    [xlsx] = fmt.write_template(tmp_path / "template.xlsx")
    workbook = openpyxl.load_workbook(xlsx)
    assert workbook.sheetnames == ["referrals", "appointments"]
    assert [c.value for c in workbook["referrals"][1]] == list(fmt.REFERRAL_COLUMNS)
    assert [c.value for c in workbook["appointments"][1]] == list(fmt.APPOINTMENT_COLUMNS)
    written = fmt.write_template(tmp_path / "template.csv")
    assert [p.name for p in written] == ["template.csv", "template.appointments.csv"]
    with open_spreadsheet(written[1]) as spreadsheet:
        assert spreadsheet.sheets[0].headers == fmt.APPOINTMENT_COLUMNS


def test_file_names() -> None:
    assert fmt.refused_path_for(Path("/x/pilot.xlsx")) == Path("/x/pilot.refused.xlsx")
    assert fmt.refused_path_for(Path("/x/pilot.appointments.csv")) == Path("/x/pilot.refused.csv")
    assert fmt.appointments_csv_for(Path("/x/pilot.refused.csv")) == Path("/x/pilot.refused.appointments.csv")
