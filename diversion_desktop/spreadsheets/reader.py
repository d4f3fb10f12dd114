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
from xml.etree import ElementTree
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
_BAD_WORKBOOK = ("cannot be read as an Excel workbook ({}). Is it password-protected, or not really an "
                 ".xlsx file?")


def _open_xlsx(path: Path) -> Spreadsheet:
    """The workbook's sheets, read by :class:`_Workbook` (quick, streaming); a workbook laid out
    in a way it does not know is read by openpyxl instead."""
    import zipfile

    try:
        book = _Workbook(path)
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(f"{path.name} " + _BAD_WORKBOOK.format(exc)) from None
    except (KeyError, ValueError, IndexError, ExpatError, ElementTree.ParseError):
        return _open_with_openpyxl(path)
    sheets: list[Sheet] = []
    for name, member in book.sheets:

        def records(name: str = name, member: str = member) -> Iterator[tuple[int, Values]]:
            try:
                with book.archive.open(member) as stream:
                    yield from _SheetParser(book.shared_strings, book.date_styles, book.epoch).rows(stream)
            except (KeyError, ValueError, IndexError, ExpatError, OSError) as exc:
                raise SpreadsheetError(f"{path.name}, sheet '{name}': cannot be read ({exc}).") from exc

        headers, header_row = _header(records())
        if headers:
            sheets.append(Sheet(name=name, path=path, headers=headers, header_row=header_row,
                                serial_epoch=book.epoch, _opener=records))
    return Spreadsheet(path, sheets, closer=book.archive.close)


def _local(tag: str) -> str:
    """An element's name without its namespace ('{ns}sheet', 'x:sheet' → 'sheet')."""
    return tag.rpartition("}")[2].rpartition(":")[2]


class _Workbook:
    """What is needed to read the cells of an .xlsx file: sheet names and parts, shared strings,
    which cell styles are dates, and the date system. Any namespace (transitional or strict)."""

    def __init__(self, path: Path) -> None:
        import zipfile

        self.archive = zipfile.ZipFile(path)
        try:
            self._read()
        except BaseException:
            self.archive.close()
            raise

    def _xml(self, member: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.archive.read(member))

    def _relations(self, member: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, part) for a part, from its _rels file."""
        folder, _slash, name = member.rpartition("/")
        rels = f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"
        found: dict[str, tuple[str, str]] = {}
        if rels not in self.archive.NameToInfo:
            return found
        for element in self._xml(rels):
            if _local(element.tag) == "Relationship" and element.get("TargetMode") != "External":
                target = element.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else _join(folder, target)
                found[element.get("Id", "")] = (element.get("Type", ""), part)
        return found

    def _read(self) -> None:
        main = next((part for kind, part in self._relations("").values() if kind.endswith("/officeDocument")),
                    "xl/workbook.xml")
        workbook = self._xml(main)
        relations = self._relations(main)
        self.epoch = EXCEL_EPOCH_1900
        self.sheets: list[tuple[str, str]] = []
        for element in workbook.iter():
            name = _local(element.tag)
            if name == "workbookPr" and element.get("date1904", "").lower() in ("1", "true"):
                self.epoch = datetime(1904, 1, 1)
            elif name == "sheet":
                rid = next(v for k, v in element.attrib.items() if _local(k) == "id")
                kind, part = relations[rid]
                if kind.endswith("/worksheet"):  # not chartsheets
                    self.sheets.append((element.get("name", ""), part))
        parts = {kind.rpartition("/")[2]: part for kind, part in relations.values()}
        self.shared_strings = self._shared_strings(parts.get("sharedStrings"))
        self.date_styles = self._date_styles(parts.get("styles"))

    def _shared_strings(self, member: str | None) -> list[str]:
        strings: list[str] = []
        if member is None or member not in self.archive.NameToInfo:
            return strings
        with self.archive.open(member) as stream:
            for _event, element in ElementTree.iterparse(stream):
                if _local(element.tag) == "si":
                    strings.append("".join(t.text or "" for t in _texts(element)))
                    element.clear()
        return strings

    def _date_styles(self, member: str | None) -> frozenset[int]:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        if member is None or member not in self.archive.NameToInfo:
            return frozenset()
        styles = self._xml(member)
        custom: dict[int, str] = {}
        formats: list[int] = []
        for element in styles:
            name = _local(element.tag)
            if name == "numFmts":
                for fmt in element:
                    custom[int(fmt.get("numFmtId", -1))] = fmt.get("formatCode", "")
            elif name == "cellXfs":
                formats = [int(xf.get("numFmtId", 0)) for xf in element if _local(xf.tag) == "xf"]
        return frozenset(index for index, fmt in enumerate(formats)
                         if is_date_format(custom.get(fmt) or BUILTIN_FORMATS.get(fmt, "General")))


def _texts(si: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """The <t> elements of a shared string, leaving out phonetic guides (<rPh>)."""
    for child in si:
        name = _local(child.tag)
        if name == "t":
            yield child
        elif name == "r":
            yield from (t for t in child if _local(t.tag) == "t")


def _join(folder: str, target: str) -> str:
    parts = [p for p in folder.split("/") if p] if folder else []
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


def _open_with_openpyxl(path: Path) -> Spreadsheet:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise SpreadsheetError(f"{path.name} " + _BAD_WORKBOOK.format(exc)) from None
    epoch = getattr(workbook, "epoch", EXCEL_EPOCH_1900)
    sheets: list[Sheet] = []
    for worksheet in workbook.worksheets:

        def records(ws: Any = worksheet) -> Iterator[tuple[int, Values]]:
            try:
                yield from enumerate(ws.iter_rows(values_only=True), start=1)
            except (KeyError, ValueError, TypeError, IndexError) as exc:
                raise SpreadsheetError(f"{path.name}, sheet '{ws.title}': cannot be read ({exc}).") from exc

        headers, header_row = _header(records())
        if headers:
            sheets.append(Sheet(name=worksheet.title, path=path, headers=headers, header_row=header_row,
                                serial_epoch=epoch, _opener=records))
    return Spreadsheet(path, sheets, closer=workbook.close)


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
