"""The evaluation as an XLSX workbook: one sheet per table, typed cells, frozen headers.

    evaluation_xlsx(result) -> bytes

The first sheet says what the workbook covers and gives the definitions and
method notes; every other sheet is one table of :func:`.tables.evaluation_tables`
(the same tables the screen and the PDF show), its header on row 1 and frozen,
the data below it as numbers with their formats (counts as whole numbers,
rates as percentages, differences in percentage points), and an interval as
two columns (low, high). A count not shown is the text "<5" or "[c]", never
the number. The workbook holds aggregates only: no personal data.
"""

from __future__ import annotations

import io
from datetime import date
from typing import cast

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from diversion_desktop.domain.evaluation import definitions, method_notes
from diversion_desktop.domain.evaluation_result import EvaluationResult
from diversion_desktop.reports.tables import RANGES, ReportTable, evaluation_tables, selection_text
from diversion_desktop.spreadsheets.writer import as_text

ABOUT_SHEET = "About"
_HEADER_FILL = PatternFill("solid", fgColor="E8E8E8")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14, color="1F3864")
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="bottom")


def evaluation_xlsx(result: EvaluationResult) -> bytes:
    """The whole evaluation as XLSX bytes."""
    workbook = Workbook()
    about = cast(Worksheet, workbook.active)  # a new workbook's one sheet
    about.title = ABOUT_SHEET
    _about(about, result)
    for table in evaluation_tables(result):
        write_table(workbook.create_sheet(table.key), table)
    # Fixed document properties: nothing about who ran it, and the same bytes for the same figures.
    workbook.properties.creator = "Diversion Desktop"
    workbook.properties.title = "Drugs diversion evaluation"
    workbook.properties.created = workbook.properties.modified = result.generated_at.replace(microsecond=0)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _split(table: ReportTable) -> list[bool]:
    """For each column of the table: does it hold intervals (two sheet columns, low and high)?"""
    return [any(row[index].kind in RANGES for row in table.rows) for index in range(len(table.columns))]


def table_columns(table: ReportTable) -> list[tuple[int, str]]:
    """(table column, sheet column title) for each sheet column: an interval column becomes two."""
    columns: list[tuple[int, str]] = []
    for index, (title, split) in enumerate(zip(table.columns, _split(table))):
        columns += [(index, f"{title} (low)"), (index, f"{title} (high)")] if split else [(index, title)]
    return columns


def _cell(sheet: Worksheet, row: int, column: int, value: str | int | float | date | None = None) -> Cell:
    """The cell with ``value``; text that openpyxl would store as a formula stays text (a group
    or scheme name read from the data is never run by the spreadsheet program)."""
    return as_text(sheet.cell(row=row, column=column, value=value))


def write_table(sheet: Worksheet, table: ReportTable) -> None:
    """The table from A1: a bold, frozen header row, one typed row per table row, the notes below."""
    columns = table_columns(table)
    split = _split(table)
    for number, (_index, title) in enumerate(columns, start=1):
        header = _cell(sheet, row=1, column=number, value=title)
        header.font = _BOLD
        header.fill = _HEADER_FILL
        header.alignment = _HEADER_ALIGN
    for row_number, row in enumerate(table.rows, start=2):
        bold = (row_number - 2) in table.total_rows
        column = 1
        for index, cell in enumerate(row):
            values: list[str | int | float | None] = list(cell.numbers())
            values = (values + [None])[:2] if split[index] else values[:1]
            for value in values:
                target = _cell(sheet, row=row_number, column=column, value=None if value == "" else value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    target.number_format = cell.number_format
                elif cell.is_number:
                    target.alignment = Alignment(horizontal="right")  # "<5", "[c]", "–" beside the numbers
                if bold:
                    target.font = _BOLD
                column += 1
    for offset, note in enumerate(table.notes):
        _cell(sheet, row=len(table.rows) + 3 + offset, column=1, value=note)
    sheet.freeze_panes = "B2"
    for number, (index, title) in enumerate(columns, start=1):
        longest = max([len(word) for word in title.split()] + [len(row[index].text) for row in table.rows] + [6])
        sheet.column_dimensions[get_column_letter(number)].width = min(longest + 2, 60 if number == 1 else 24)
    sheet.row_dimensions[1].height = 30


def _about(sheet: Worksheet, result: EvaluationResult) -> None:
    sheet["A1"] = "Drugs diversion evaluation"
    sheet["A1"].font = _TITLE
    row = 3
    for label, value in selection_text(result):
        _cell(sheet, row=row, column=1, value=label).font = _BOLD
        _cell(sheet, row=row, column=2, value=value)
        row += 1
    _cell(sheet, row=row, column=1, value="Produced at").font = _BOLD
    _cell(sheet, row=row, column=2, value=result.generated_at.replace(microsecond=0)).number_format = "dd/mm/yyyy hh:mm"
    row += 2
    _cell(
        sheet,
        row=row,
        column=1,
        value="Aggregates only: this workbook holds no personal data. Counts under 5 "
        "are shown as \u201c<5\u201d; see Small numbers below.",
    )
    row += 2
    for heading, items in (("Definitions", definitions()), ("Method notes", method_notes())):
        _cell(sheet, row=row, column=1, value=heading).font = _TITLE
        row += 1
        for item in items:
            _cell(sheet, row=row, column=1, value=item.term).font = _BOLD
            _cell(sheet, row=row, column=2, value=item.text).alignment = _WRAP
            sheet.row_dimensions[row].height = 15 * max(1, len(item.text) // 95 + 1)
            row += 1
        row += 1
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 110
    sheet.freeze_panes = "A2"
