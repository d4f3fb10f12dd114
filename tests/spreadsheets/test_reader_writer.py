"""Reading CSV and XLSX as plain rows, and writing them back typed; encrypted ZIPs."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from diversion_desktop.spreadsheets.encrypted import PasswordError, encrypted_zip, read_entries
from diversion_desktop.spreadsheets.reader import SpreadsheetError, open_spreadsheet
from diversion_desktop.spreadsheets.writer import (
    BOOL,
    DATE,
    DATETIME,
    DECIMAL,
    INT,
    RAW,
    Column,
    SheetData,
    write_csv,
    write_xlsx,
)


def rows_of(path: Path) -> list[tuple[str, tuple[str, ...], list[tuple[int, tuple]]]]:
    with open_spreadsheet(path) as spreadsheet:
        return [(s.name, s.headers, list(s.rows())) for s in spreadsheet.sheets]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
@pytest.mark.parametrize("separator", [",", ";"])
def test_csv_with_or_without_bom_comma_or_semicolon(tmp_path: Path, encoding: str, separator: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        f'surname{separator}forenames\nŁukasiewicz{separator}Zoë\n\n{separator}\n"O{separator}Brien"{separator}Seán\n',
        encoding=encoding,
    )
    [(name, headers, rows)] = rows_of(path)
    assert name == "people" and headers == ("surname", "forenames")  # no BOM left on the first header
    assert rows == [(2, ("Łukasiewicz", "Zoë")), (5, (f"O{separator}Brien", "Seán"))]  # empty rows skipped


def test_excel_sep_line_and_short_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("sep=;\na;b;c\n1;2\n", encoding="utf-8")
    [(_name, headers, rows)] = rows_of(path)
    assert headers == ("a", "b", "c") and rows == [(2, ("1", "2", None))]


def test_csv_not_utf8_is_refused_with_a_way_out(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("surname\nZoë\n".encode("cp1252"))
    with pytest.raises(SpreadsheetError, match="not UTF-8.*CSV UTF-8"):
        rows_of(latin)
    utf16 = tmp_path / "unicode.csv"
    utf16.write_text("surname\nZoë\n", encoding="utf-16")
    with pytest.raises(SpreadsheetError, match="UTF-16"):
        rows_of(utf16)


def test_other_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpreadsheetError, match="no such file"):
        open_spreadsheet(tmp_path / "missing.csv")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SpreadsheetError, match=r"\.xls.*save it as \.xlsx"):
        open_spreadsheet(old)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    with pytest.raises(SpreadsheetError, match="cannot be read as an Excel workbook"):
        open_spreadsheet(fake)


def test_xlsx_typed_cells_formulas_as_text_and_sheets(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "referrals"
    sheet.append(["date_of_birth", "quantity", "consent", "note"])
    sheet.append([date(1990, 5, 17), 3.5, True, "=1+2"])
    sheet.append([None, None, None, None])
    sheet.append([43843, 2, False, "plain"])
    workbook.create_sheet("appointments").append(["reference"])
    workbook.create_sheet("blank")
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    sheets = rows_of(path)
    assert [s[0] for s in sheets] == ["referrals", "appointments"]  # a sheet with no header row is left out
    _name, headers, rows = sheets[0]
    assert headers == ("date_of_birth", "quantity", "consent", "note")
    assert rows == [(2, (datetime(1990, 5, 17), 3.5, True, "=1+2")), (4, (43843, 2, False, "plain"))]
    with open_spreadsheet(path) as spreadsheet:
        assert spreadsheet.sheets[0].serial_epoch == datetime(1899, 12, 30)
        list(spreadsheet.sheets[0].rows())
        assert spreadsheet.sheets[0].empty_rows == 1


def test_the_quick_workbook_reader_reads_what_openpyxl_reads(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "mixed"
    sheet["A1"], sheet["B1"], sheet["C1"], sheet["E1"] = "text", "number", "when", "after a gap"
    sheet.append(["Łukasz", 3.5, datetime(2020, 1, 13, 21, 30), True, "=SUM(B2:B3)"])
    sheet.append(["  spaced  ", 12, date(1990, 5, 17), False, "=1/0"])
    sheet["A6"] = "after empty rows"
    sheet["C6"] = 43843
    sheet["D6"] = "#N/A"
    sheet["B7"] = -0.125
    workbook.save(tmp_path / "mixed.xlsx")
    streamed = workbook_rows(tmp_path / "mixed.xlsx")
    expected = [
        (number, tuple(values))
        for number, values in enumerate(
            openpyxl.load_workbook(tmp_path / "mixed.xlsx", read_only=True)["mixed"].iter_rows(values_only=True),
            start=1,
        )
    ]
    trimmed = [(n, _trim(v)) for n, v in expected]
    assert [(n, _trim(v)) for n, v in streamed] == trimmed
    assert streamed[1][1][2] == datetime(2020, 1, 13, 21, 30) and streamed[1][1][4] == "=SUM(B2:B3)"
    # The application's own (write-only, inline strings) files read the same way too.
    write_xlsx(tmp_path / "ours.xlsx", [SheetData("ours", COLUMNS, ROWS)])
    ours = workbook_rows(tmp_path / "ours.xlsx")
    assert ours[1][1][:3] == ('=HYPERLINK("x")', datetime(1990, 5, 17), datetime(2020, 1, 13, 21, 30))
    assert ours[2][1][0] == "Zoë -"


HAND_MADE = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"/>',
    "_rels/.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="/book/main.xml"/></Relationships>',
    "book/main.xml": '<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<x:workbookPr date1904="1"/><x:sheets>'
    '<x:sheet name="referrals" sheetId="1" r:id="rId7"/></x:sheets></x:workbook>',
    "book/_rels/main.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships">'
    '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/worksheet" Target="sheets/one.xml"/>'
    '<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/sharedStrings" Target="../strings.xml"/>'
    '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/styles" Target="styles.xml"/></Relationships>',
    "strings.xml": '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<si><t>surname</t></si><si><t>date_of_birth</t></si>"
    "<si><r><t>O'</t></r><r><rPr><b/></rPr><t>Brien</t></r><rPh><t>oburaien</t></rPh></si></sst>",
    "book/styles.xml": '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="2"/></cellXfs></styleSheet>',
    "book/sheets/one.xml": '<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c>'
    '<x:c r="B1" t="s"><x:v>1</x:v></x:c></x:row>'
    '<x:row r="4"><x:c r="A4" t="s"><x:v>2</x:v></x:c><x:c r="B4" s="1"><x:v>31867</x:v></x:c>'
    '<x:c r="D4" s="2"><x:v>3.5</x:v></x:c></x:row>'
    '<x:row><x:c t="inlineStr"><x:is><x:t>Zoë &amp; co</x:t></x:is></x:c>'
    '<x:c><x:f>TODAY()</x:f><x:v>46000</x:v></x:c><x:c t="e"><x:v>#N/A</x:v></x:c></x:row>'
    "</x:sheetData></x:worksheet>",
}


def test_a_workbook_laid_out_unusually(tmp_path: Path) -> None:
    """Prefixed namespaces, a main part elsewhere, relative and absolute targets, rich text with
    a phonetic guide, the 1904 date system, rows without numbers."""
    import zipfile

    path = tmp_path / "hand.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in HAND_MADE.items():
            archive.writestr(name, text)
    with open_spreadsheet(path) as spreadsheet:
        [sheet] = spreadsheet.sheets
        assert (sheet.name, sheet.headers, sheet.serial_epoch) == (
            "referrals",
            ("surname", "date_of_birth"),
            datetime(1904, 1, 1),
        )
        assert list(sheet.rows()) == [
            (4, ("O'Brien", datetime(1991, 4, 1), None, 3.5)),
            (5, ("Zoë & co", "=TODAY()", "#N/A")),
        ]


def test_a_workbook_the_reader_cannot_follow_is_refused_in_words(tmp_path: Path) -> None:
    """One reading path: a workbook naming a sheet part that is not there is refused, not
    handed to another reader with other limits."""
    import zipfile

    path = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in HAND_MADE.items():
            archive.writestr(name, text.replace('r:id="rId7"', 'r:id="rId70"'))
    with pytest.raises(SpreadsheetError, match="broken.xlsx cannot be read as an Excel workbook"):
        open_spreadsheet(path)


def workbook_rows(path: Path) -> list[tuple[int, tuple]]:
    from diversion_desktop.spreadsheets.reader import _open_xlsx

    spreadsheet = _open_xlsx(path)
    try:
        return list(spreadsheet.sheets[0]._opener())
    finally:
        spreadsheet.close()


def _trim(values: tuple) -> tuple:
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


COLUMNS = (
    Column("name"),
    Column("born", DATE),
    Column("seen", DATETIME),
    Column("count", INT),
    Column("quantity", DECIMAL),
    Column("barred", BOOL),
)
ROWS = [
    ('=HYPERLINK("x")', date(1990, 5, 17), datetime(2020, 1, 13, 21, 30), 3, Decimal("3.500"), True),
    ("Zoë -", None, None, None, None, False),
    ("-5 Street", date(2001, 1, 1), datetime(2021, 2, 3), 0, Decimal("0.1"), None),
]


def test_xlsx_output_is_typed_frozen_filtered_and_fitted(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    assert write_xlsx(path, [SheetData("people", COLUMNS, iter(ROWS))]) == [3]
    sheet = openpyxl.load_workbook(path)["people"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F4"
    assert [c.value for c in sheet[1]] == ["name", "born", "seen", "count", "quantity", "barred"]
    assert sheet[1][0].font.b
    first = [c.value for c in sheet[2]]
    assert first == ['=HYPERLINK("x")', datetime(1990, 5, 17), datetime(2020, 1, 13, 21, 30), 3, 3.5, True]
    assert sheet["A2"].data_type == "s"  # text that looks like a formula stays text
    assert sheet["B2"].is_date and sheet["B2"].number_format == "dd/mm/yyyy"
    assert sheet["C2"].number_format == "dd/mm/yyyy hh:mm"
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEF"]
    assert all(6 <= w <= 60 for w in widths) and widths[0] > widths[3]


def test_csv_output_protects_formula_like_text_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    assert write_csv(path, COLUMNS, ROWS) == 3
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so Excel shows accents
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert records[1] == ['\'=HYPERLINK("x")', "1990-05-17", "2020-01-13 21:30", "3", "3.5", "yes"]
    assert records[3] == ["'-5 Street", "2001-01-01", "2021-02-03 00:00", "0", "0.1", ""]
    from diversion_desktop.spreadsheets.cells import text

    assert text(records[1][0]) == '=HYPERLINK("x")'


def test_raw_values_keep_their_type(tmp_path: Path) -> None:
    path = tmp_path / "raw.xlsx"
    write_xlsx(path, [SheetData("r", (Column("a", RAW), Column("b", RAW)), [(datetime(2020, 1, 13), "=1+2")])])
    sheet = openpyxl.load_workbook(path)["r"]
    assert sheet["A2"].value == datetime(2020, 1, 13) and sheet["A2"].number_format == "dd/mm/yyyy"
    assert sheet["B2"].value == "=1+2" and sheet["B2"].data_type == "s"


def test_a_20_mb_csv_streams(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    line = (
        "WB-2026-00001,Smith,John,17/05/1990,Male,White: Irish,RG14 1AA,West Berkshire,2026-03-01,"
        "43260001234,1234,possession,cannabis,3.5,g,no,yes,,completed,2026-03-20\n"
    )
    count = 20 * 1024 * 1024 // len(line) + 1
    with path.open("w", encoding="utf-8") as handle:
        handle.write("a" + ",x" * 19 + "\n")
        for _ in range(count):
            handle.write(line)
    assert path.stat().st_size > 20 * 1024 * 1024
    with open_spreadsheet(path) as spreadsheet:
        assert sum(1 for _ in spreadsheet.sheets[0].rows()) == count


def test_encrypted_zip_needs_its_password(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    with encrypted_zip(path, "correct horse battery") as archive:
        with archive.entry("people.csv") as stream:
            write_csv(stream, COLUMNS, ROWS)
        with archive.entry("people.xlsx") as stream:
            write_xlsx(stream, [SheetData("people", COLUMNS, ROWS)])
    assert b"Smith" not in path.read_bytes() and b"HYPERLINK" not in path.read_bytes()
    files = read_entries(path, "correct horse battery")
    assert sorted(files) == ["people.csv", "people.xlsx"]
    assert "Zoë" in files["people.csv"].decode("utf-8-sig")
    assert openpyxl.load_workbook(io.BytesIO(files["people.xlsx"]))["people"]["A3"].value == "Zoë -"
    with pytest.raises(RuntimeError, match="Bad password"):
        read_entries(path, "wrong password")


def test_short_passwords_are_refused_and_nothing_is_left(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    with pytest.raises(PasswordError, match="at least 8"):
        with encrypted_zip(path, "short"):
            pass
    assert not path.exists()


def test_formulas_are_neutralised_in_headers_and_cells_of_every_kind(tmp_path: Path) -> None:
    """Issue 14 item 11: whatever the column's kind (a refused-rows file writes values as read),
    and in the header too, CSV text never starts a formula; in XLSX it is a text cell. The file
    is readable by its owner only."""
    import csv
    import stat
    import sys

    from openpyxl import load_workbook

    from diversion_desktop.spreadsheets.writer import RAW, TEXT, Column, SheetData, write_csv, write_xlsx

    cols = [Column("@header", TEXT), Column("value", RAW)]
    rows = [["=1+1", '=HYPERLINK("http://x","ok")'], ["+cmd", "-2+3"]]
    out = tmp_path / "out.csv"
    write_csv(out, cols, rows)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert cells == ["'@header", "value", "'=1+1", '\'=HYPERLINK("http://x","ok")', "'+cmd", "'-2+3"]
    book = tmp_path / "out.xlsx"
    write_xlsx(book, [SheetData("s", [Column("=header"), Column("v", RAW)], rows)])
    sheet = load_workbook(book).active
    assert [(c.value, c.data_type) for c in sheet[1]] == [("=header", "s"), ("v", "s")]
    assert {c.data_type for row in sheet.iter_rows(min_row=2) for c in row} == {"s"}
    if sys.platform != "win32":
        assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(book.stat().st_mode) == 0o600


def test_the_evaluation_workbook_keeps_text_as_text() -> None:
    """A group or column name read from the data that starts with ``=`` is not a formula."""
    import io

    from openpyxl import Workbook, load_workbook

    from diversion_desktop.reports.evaluation_xlsx import write_table
    from diversion_desktop.reports.tables import Cell, Kind, ReportTable

    workbook = Workbook()
    table = ReportTable(
        key="t",
        title="t",
        columns=("=group", "n"),
        rows=((Cell(Kind.TEXT, "=cmd|' /C calc'!A0"), Cell(Kind.COUNT, 7)),),
        notes=("=note",),
    )
    write_table(workbook.active, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert [(c.value, c.data_type) for c in (sheet["A1"], sheet["A2"], sheet["A4"])] == [
        ("=group", "s"),
        ("=cmd|' /C calc'!A0", "s"),
        ("=note", "s"),
    ]
