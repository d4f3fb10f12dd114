"""Import files for tests: rows as dicts, written as a user's CSV or XLSX file would be.

The files are written with the standard ``csv`` module and a normal openpyxl
workbook (not the application's writer), so the importer reads what other
programs produce: a BOM or none, semicolons, typed workbook cells, formulas.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from diversion_desktop.spreadsheets.import_format import APPOINTMENT_COLUMNS, REFERRAL_COLUMNS

BASE_REFERRAL: dict[str, Any] = dict(
    reference="WB-2026-00101",
    surname="Smith",
    forenames="John",
    date_of_birth="17/05/1990",
    sex="Male",
    ethnicity="White: Irish",
    postcode="RG14 1AA",
    area="West Berkshire",
    incident_date="2026-03-01",
    crime_reference="43260001234",
    officer_collar_number="1234",
    offence="possession",
    substance="cannabis",
    quantity="3.5",
    unit="g",
    suspected_supply="no",
    consent="yes",
    guardian_name="",
    outcome="",
    outcome_date="",
)
BASE_APPOINTMENT: dict[str, Any] = dict(
    reference="WB-2026-00101",
    appointment_at="2026-03-02 10:00",
    centre="newbury",
    session_type="assessment",
    attendance="attended",
)


def referral(**changes: Any) -> dict[str, Any]:
    """A valid adult West Berkshire referral row; keyword arguments change cells."""
    unknown = set(changes) - set(BASE_REFERRAL)
    assert not unknown, f"not a referral column: {unknown}"
    return {**BASE_REFERRAL, **changes}


def appointment(**changes: Any) -> dict[str, Any]:
    unknown = set(changes) - set(BASE_APPOINTMENT)
    assert not unknown, f"not an appointment column: {unknown}"
    return {**BASE_APPOINTMENT, **changes}


def write_csv(
    path: Path,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str] = REFERRAL_COLUMNS,
    *,
    bom: bool = False,
    delimiter: str = ",",
    blank_rows_after: int = 0,
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(columns)
        for index, row in enumerate(rows):
            writer.writerow(["" if row.get(c) is None else row.get(c, "") for c in columns])
            if index == 0:
                for _ in range(blank_rows_after):
                    writer.writerow([""] * len(columns))
    return path


def write_xlsx(
    path: Path,
    referrals: Sequence[dict[str, Any]],
    appointments: Sequence[dict[str, Any]] = (),
    *,
    referral_columns: Sequence[str] = REFERRAL_COLUMNS,
    blank_rows_after: int = 0,
) -> Path:
    """A workbook as a spreadsheet program writes it: typed cells as given ("=…" text is a formula)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "referrals"
    sheet.append(list(referral_columns))
    for index, row in enumerate(referrals):
        sheet.append([_cell(row.get(c)) for c in referral_columns])
        if index == 0:
            for _ in range(blank_rows_after):
                sheet.append([None] * len(referral_columns))
    other = workbook.create_sheet("appointments")
    other.append(list(APPOINTMENT_COLUMNS))
    for row in appointments:
        other.append([_cell(row.get(c)) for c in APPOINTMENT_COLUMNS])
    workbook.save(path)
    return path


def _cell(value: Any) -> Any:
    return None if value == "" else value


def write_import(
    folder: Path,
    file_format: str,
    referrals: Sequence[dict[str, Any]],
    appointments: Sequence[dict[str, Any]] = (),
    name: str = "pilot",
) -> Path:
    """The import file(s) in ``folder``: NAME.xlsx, or NAME.csv with NAME.appointments.csv."""
    if file_format == "xlsx":
        return write_xlsx(folder / f"{name}.xlsx", referrals, appointments)
    path = write_csv(folder / f"{name}.csv", referrals)
    if appointments:
        write_csv(folder / f"{name}.appointments.csv", appointments, APPOINTMENT_COLUMNS)
    return path
