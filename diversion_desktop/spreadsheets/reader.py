"""Open a CSV or XLSX file and stream each sheet's rows as plain values.

A CSV file is one sheet named after the file. It is read as UTF-8, with or
without a byte order mark; the separator (comma or semicolon) is taken from the
header line, and an Excel ``sep=;`` first line is understood. An XLSX workbook
gives one sheet per worksheet, read in streaming mode, with formulas left
unevaluated (their text is what is read). The first non-empty row of a sheet
is its header. Rows are re-readable (each ``rows()`` call reads again), so a
huge file is never held in memory, and empty rows are skipped and counted.
"""

from __future__ import annotations

import codecs
import csv
from xml.parsers.expat import ExpatError
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from diversion_desktop.spreadsheets.cells import EXCEL_EPOCH_1900, is_empty

CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class SpreadsheetError(ValueError):
    """The file cannot be read as a spreadsheet; the message names the file and says why."""


Values = tuple[Any, ...]


@dataclass
class Sheet:
    """One table: a CSV file or a worksheet. ``rows()`` yields (row number, values)."""

    name: str
    path: Path
    headers: tuple[str, ...]
    header_row: int
    # Workbooks only: plain numbers in date columns are Excel date serials from this epoch.
    serial_epoch: datetime | None = None
    _opener: Any = field(default=None, repr=False)
    empty_rows: int = 0

    def rows(self) -> Iterator[tuple[int, Values]]:
        """Each non-empty row after the header, as many values as there are headers (or more)."""
        width = len(self.headers)
        empty = 0
        for number, values in self._opener():
            if number <= self.header_row:
                continue
            if all(is_empty(v) for v in values):
                empty += 1
                continue
            if len(values) < width:
                values = tuple(values) + (None,) * (width - len(values))
            yield number, tuple(values)
        self.empty_rows = empty


class Spreadsheet:
    """An opened file: its sheets. Use as a context manager (a workbook stays open)."""

    def __init__(self, path: Path, sheets: list[Sheet], closer: Any = None) -> None:
        self.path = path
        self.sheets = sheets
        self._closer = closer

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
            self._closer = None

    def __enter__(self) -> Spreadsheet:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_spreadsheet(path: Path) -> Spreadsheet:
    """Open a CSV or XLSX file by its suffix; raises SpreadsheetError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise SpreadsheetError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    try:
        if suffix in XLSX_SUFFIXES:
            return _open_xlsx(path)
        if suffix in CSV_SUFFIXES:
            return _open_csv(path)
    except OSError as exc:  # no permission, a file locked by another program, a lost network drive
        raise SpreadsheetError(f"{path.name} cannot be opened: {exc.strerror or exc}.") from None
    if suffix == ".xls":
        raise SpreadsheetError(f"{path.name}: old Excel files (.xls) cannot be read; save it as .xlsx "
                               "(Excel Workbook) or as CSV UTF-8.")
    raise SpreadsheetError(f"{path.name}: only .csv and .xlsx files can be imported.")


# -- CSV ---------------------------------------------------------------------------------
def _csv_dialect(path: Path) -> tuple[str, bool]:
    """(separator, whether the first line is an Excel 'sep=' hint)."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SpreadsheetError(f"{path.name} is saved as UTF-16 ('Unicode text'); save it as "
                               "'CSV UTF-8 (Comma delimited)' instead.")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise _not_utf8(path, head, exc.start) from None
        text = head[:exc.start].decode("utf-8-sig", errors="ignore")
    lines = text.splitlines()
    first = lines[0].strip() if lines else ""
    if first.lower().startswith("sep=") and len(first) == 5:
        return first[4], True
    header = next((line for line in lines if line.strip()), "")
    return (";" if header.count(";") > header.count(",") else ","), False


def _not_utf8(path: Path, data: bytes, offset: int) -> SpreadsheetError:
    line = data[:offset].count(b"\n") + 1
    return SpreadsheetError(
        f"{path.name} is not UTF-8 text (byte 0x{data[offset]:02X} on line {line}). In Excel use "
        "Save As → 'CSV UTF-8 (Comma delimited)'; in LibreOffice choose the character set 'Unicode (UTF-8)'.")


def _open_csv(path: Path) -> Spreadsheet:
    separator, sep_line = _csv_dialect(path)

    def records() -> Iterator[tuple[int, Values]]:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=separator)
            number = 0
            try:
                for record in reader:
                    number += 1
                    if sep_line and number == 1:
                        continue
                    yield (number - 1 if sep_line else number), tuple(record)
            except UnicodeDecodeError as exc:
                raise SpreadsheetError(
                    f"{path.name} is not UTF-8 text (after row {number}). In Excel use Save As → "
                    "'CSV UTF-8 (Comma delimited)'.") from exc
            except csv.Error as exc:
                raise SpreadsheetError(f"{path.name}, row {number + 1}: not valid CSV ({exc}).") from exc

    headers, header_row = _header(records())
    sheet = Sheet(name=path.stem, path=path, headers=headers, header_row=header_row, _opener=records)
    return Spreadsheet(path, [sheet] if headers else [])


def _header(rows: Iterator[tuple[int, Values]]) -> tuple[tuple[str, ...], int]:
    for number, values in rows:
        if not all(is_empty(v) for v in values):
            cells = [("" if v is None else str(v)).strip() for v in values]
            while cells and not cells[-1]:
                cells.pop()
            return tuple(cells), number
    return (), 0


# -- XLSX --------------------------------------------------------------------------------
def _open_xlsx(path: Path) -> Spreadsheet:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise SpreadsheetError(f"{path.name} cannot be read as an Excel workbook ({exc}). Is it "
                               "password-protected, or not really an .xlsx file?") from None
    epoch = getattr(workbook, "epoch", EXCEL_EPOCH_1900)
    sheets: list[Sheet] = []
    for worksheet in workbook.worksheets:
        fast = _sheet_source(workbook, worksheet)

        def records(ws: Any = worksheet, fast: Any = fast) -> Iterator[tuple[int, Values]]:
            try:
                if fast is not None:
                    yield from fast()
                else:
                    yield from enumerate(ws.iter_rows(values_only=True), start=1)
            except (KeyError, ValueError, TypeError, IndexError, ExpatError) as exc:
                raise SpreadsheetError(f"{path.name}, sheet '{ws.title}': cannot be read ({exc}).") from exc

        headers, header_row = _header(records())
        if headers:
            sheets.append(Sheet(name=worksheet.title, path=path, headers=headers, header_row=header_row,
                                serial_epoch=epoch, _opener=records))
    return Spreadsheet(path, sheets, closer=workbook.close)


def _sheet_source(workbook: Any, worksheet: Any) -> Any:
    """A reader of the worksheet's XML several times quicker than openpyxl's cell by cell, giving
    the same values (formulas as their text, "=..."); None when openpyxl's internals are not as
    expected, and openpyxl reads the sheet itself."""
    opener = getattr(worksheet, "_get_source", None)
    shared = getattr(worksheet, "_shared_strings", None)
    date_styles = getattr(workbook, "_date_formats", None)
    if opener is None or shared is None or date_styles is None:
        return None
    epoch = getattr(workbook, "epoch", EXCEL_EPOCH_1900)

    def rows() -> Iterator[tuple[int, Values]]:
        with opener() as stream:
            yield from _SheetParser(shared, date_styles, epoch).rows(stream)

    return rows


class _SheetParser:
    """Streams ``<sheetData>`` with expat: (row number, values) for every row, gaps as empty rows."""

    def __init__(self, shared: Any, date_styles: Any, epoch: datetime) -> None:
        self.shared = shared
        self.date_styles = date_styles
        self.epoch = epoch
        self.ready: list[tuple[int, Values]] = []
        self.row = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.value: str | None = None
        self.formula: str | None = None
        self.inline: list[str] = []
        self.capture: str | None = None
        self.buffer: list[str] = []
        self.phonetic = 0

    def rows(self, stream: Any) -> Iterator[tuple[int, Values]]:
        from xml.parsers import expat

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        while True:
            chunk = stream.read(256 * 1024)
            parser.Parse(chunk, not chunk)
            if self.ready:
                yield from self.ready
                self.ready = []
            if not chunk:
                return

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2] if ":" in name else name
        if local == "c":
            ref = attrs.get("r")
            self.column = _column_number(ref) if ref else self.column + 1
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.value = self.formula = None
            if self.inline:
                self.inline = []
        elif local == "row":
            number = attrs.get("r")
            row = int(number) if number else self.row + 1
            for gap in range(self.row + 1, row):
                self.ready.append((gap, ()))
            self.row = row
            self.cells = {}
            self.column = 0
        elif local in ("v", "f") or (local == "t" and not self.phonetic):
            self.capture = local
            self.buffer = []
        elif local == "rPh":
            self.phonetic += 1

    def _text(self, data: str) -> None:
        if self.capture is not None:
            self.buffer.append(data)

    def _end(self, name: str) -> None:
        local = name.rpartition(":")[2] if ":" in name else name
        if local == self.capture:
            text = "".join(self.buffer)
            if local == "v":
                self.value = text
            elif local == "f":
                self.formula = text
            else:
                self.inline.append(text)
            self.capture = None
        elif local == "c":
            self.cells[self.column] = self._cell()
        elif local == "row":
            values = [None] * (max(self.cells) if self.cells else 0)
            for column, value in self.cells.items():
                values[column - 1] = value
            self.ready.append((self.row, tuple(values)))
        elif local == "rPh":
            self.phonetic -= 1

    def _cell(self) -> Any:
        if self.formula is not None:
            return "=" + self.formula  # never evaluated: the importer refuses it
        kind, value = self.kind, self.value
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline else None
        if value is None or value == "":
            return None
        if kind == "s":
            return self.shared[int(value)]
        if kind == "n":
            number: int | float = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            if self.style in self.date_styles:
                from openpyxl.utils.datetime import from_excel

                try:
                    return from_excel(number, self.epoch)
                except (OverflowError, ValueError):
                    return number
            return number
        if kind == "b":
            return value == "1"
        if kind == "d":
            return datetime.fromisoformat(value.replace("Z", ""))
        return value  # "str" (a formula's text result) and "e" (an error such as #N/A)


_COLUMNS: dict[str, int] = {}


def _column_number(reference: str) -> int:
    """'B12' → 2, 'AA3' → 27."""
    letters = reference.rstrip("0123456789")
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for char in letters:
            number = number * 26 + ord(char) - 64
        if len(_COLUMNS) < 20000:
            _COLUMNS[letters] = number
    return number
