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
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.parsers.expat import ExpatError

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
        raise SpreadsheetError(
            f"{path.name}: old Excel files (.xls) cannot be read; save it as .xlsx (Excel Workbook) or as CSV UTF-8."
        )
    raise SpreadsheetError(f"{path.name}: only .csv and .xlsx files can be imported.")


# -- CSV ---------------------------------------------------------------------------------
def _csv_dialect(path: Path) -> tuple[str, bool]:
    """(separator, whether the first line is an Excel 'sep=' hint)."""
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SpreadsheetError(
            f"{path.name} is saved as UTF-16 ('Unicode text'); save it as 'CSV UTF-8 (Comma delimited)' instead."
        )
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            raise _not_utf8(path, head, exc.start) from None
        text = head[: exc.start].decode("utf-8-sig", errors="ignore")
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
        "Save As → 'CSV UTF-8 (Comma delimited)'; in LibreOffice choose the character set 'Unicode (UTF-8)'."
    )


def _open_csv(path: Path) -> Spreadsheet:
    separator, sep_line = _csv_dialect(path)

    def records() -> Iterator[tuple[int, Values]]:
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(_csv_lines(handle, path), delimiter=separator)
            number = 0
            try:
                for record in reader:
                    number += 1
                    if sep_line and number == 1:
                        continue
                    if len(record) > MAX_COLUMNS:
                        raise SpreadsheetError(
                            f"{path.name}, row {number}: {len(record):,} columns; a sheet has at "
                            f"most {MAX_COLUMNS:,}. Is it really a CSV file?"
                        )
                    yield (number - 1 if sep_line else number), tuple(record)
            except UnicodeDecodeError as exc:
                raise SpreadsheetError(
                    f"{path.name} is not UTF-8 text (after row {number}). In Excel use Save As → "
                    "'CSV UTF-8 (Comma delimited)'."
                ) from exc
            except csv.Error as exc:
                raise SpreadsheetError(f"{path.name}, row {number + 1}: not valid CSV ({exc}).") from exc

    headers, header_row = _header(records())
    sheet = Sheet(name=path.stem, path=path, headers=headers, header_row=header_row, _opener=records)
    return Spreadsheet(path, [sheet] if headers else [])


MAX_LINE_CHARS = 1_000_000  # one line of a CSV file


def _csv_lines(handle: Any, path: Path) -> Iterator[str]:
    """The file's lines, refusing one so long that it is not a table (it would be read whole)."""
    number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise SpreadsheetError(
                f"{path.name}, line {number}: longer than {MAX_LINE_CHARS:,} characters. Is it really a CSV file?"
            )
        yield line


def _header(rows: Iterator[tuple[int, Values]]) -> tuple[tuple[str, ...], int]:
    for number, values in rows:
        if not all(is_empty(v) for v in values):
            cells = [("" if v is None else str(v)).strip() for v in values]
            while cells and not cells[-1]:
                cells.pop()
            return tuple(cells), number
    return (), 0


# -- XLSX --------------------------------------------------------------------------------
# Every workbook is read within these bounds, so a small crafted file (a zip that inflates to
# gigabytes, a row numbered in the billions) is refused with a message instead of filling the
# memory or running for hours. Rows, columns and cell length are Excel's own limits.
# This expat reader is the only XLSX path. Measured on a 20,000-referral + 20,000-appointment
# import workbook (issue 15): it reads every row in 2.0-2.8 s; openpyxl read-only takes 7.8-11.6 s
# and python-calamine 0.8 s. Neither library keeps the bounds: openpyxl fills a gap up to a row
# numbered 150,000,000 with empty rows (minutes) and holds every shared string (a 2 MB file of 20
# million ran out of 1 GB); calamine allocates the sheet's whole grid at once (that 2 KB file
# asked for 4.8 GB and aborted the process) and gives a formula's cached value, not the formula.
MAX_ROWS = 1_048_576
MAX_COLUMNS = 16_384
MAX_CELL_CHARS = 32_767
MAX_SHARED_STRINGS = 2_000_000
MAX_CELL_FORMATS = 65_536
MAX_SHEET_BYTES = 1_500_000_000  # one worksheet's XML, uncompressed (a full 1,048,576-row sheet fits)
MAX_SHARED_STRINGS_BYTES = 500_000_000
MAX_SMALL_PART_BYTES = 20_000_000  # workbook, relationships, styles
MAX_TOKEN_BYTES = 4_000_000  # a single tag or run of text: more is not a spreadsheet
MAX_OPEN_SECONDS = 120.0  # reading the workbook's parts before the first row

_BAD_WORKBOOK = (
    "cannot be read as an Excel workbook ({}). Is it password-protected, or not really an "
    ".xlsx file? Save it again from Excel or LibreOffice as 'Excel Workbook (.xlsx)'."
)
_CHUNK = 256 * 1024


class _Refused(Exception):
    """A bound was passed; the message says which, in words (made a SpreadsheetError naming the file)."""


def _open_xlsx(path: Path) -> Spreadsheet:
    """The workbook's sheets, streamed with expat within the bounds above."""
    import zipfile

    try:
        book = _Workbook(path)
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(f"{path.name} " + _BAD_WORKBOOK.format(exc)) from None
    except _Refused as exc:
        raise SpreadsheetError(f"{path.name} cannot be imported: {exc}.") from None
    except (KeyError, ValueError, IndexError, StopIteration, ExpatError, ElementTree.ParseError) as exc:
        raise SpreadsheetError(f"{path.name} " + _BAD_WORKBOOK.format(exc or type(exc).__name__)) from None
    sheets: list[Sheet] = []
    try:
        for name, member in book.sheets:

            def records(name: str = name, member: str = member) -> Iterator[tuple[int, Values]]:
                try:
                    with book.open(member, MAX_SHEET_BYTES) as stream:
                        parser = _SheetParser(book.shared_strings, book.date_styles, book.epoch)
                        yield from parser.rows(stream)
                except _Refused as exc:
                    raise SpreadsheetError(f"{path.name}, sheet '{name}' cannot be imported: {exc}.") from None
                except (KeyError, ValueError, IndexError, ExpatError, OSError, zipfile.BadZipFile) as exc:
                    raise SpreadsheetError(f"{path.name}, sheet '{name}': cannot be read ({exc}).") from exc

            headers, header_row = _header(records())
            if headers:
                sheets.append(
                    Sheet(
                        name=name,
                        path=path,
                        headers=headers,
                        header_row=header_row,
                        serial_epoch=book.epoch,
                        _opener=records,
                    )
                )
    except BaseException:
        book.archive.close()
        raise
    return Spreadsheet(path, sheets, closer=book.archive.close)


def _local(tag: str) -> str:
    """An element's name without its namespace ('{ns}sheet', 'x:sheet' → 'sheet')."""
    return tag.rpartition("}")[2].rpartition(":")[2]


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f} MB"


class _Workbook:
    """What is needed to read the cells of an .xlsx file: sheet names and parts, shared strings,
    which cell styles are dates, and the date system. Any namespace (transitional or strict)."""

    def __init__(self, path: Path) -> None:
        import zipfile

        self.archive = zipfile.ZipFile(path)
        self.deadline = time.monotonic() + MAX_OPEN_SECONDS
        try:
            self._read()
        except BaseException:
            self.archive.close()
            raise

    def open(self, member: str, limit: int) -> Any:
        """A part of the archive as a stream, refused when it would inflate beyond ``limit``.
        (The zip module stops at the size a part declares, so the declared size is a true bound.)"""
        size = self.archive.getinfo(member).file_size
        if size > limit:
            raise _Refused(
                f"its part {member} would take {_megabytes(size)} when unpacked (at most "
                f"{_megabytes(limit)} is read): the file is damaged or not a plain workbook"
            )
        return self.archive.open(member)

    def _xml(self, member: str) -> ElementTree.Element:
        with self.open(member, MAX_SMALL_PART_BYTES) as stream:
            return ElementTree.fromstring(stream.read())

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
        main = next(
            (part for kind, part in self._relations("").values() if kind.endswith("/officeDocument")), "xl/workbook.xml"
        )
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
        if member is None or member not in self.archive.NameToInfo:
            return []
        reader = _SharedStrings()
        with self.open(member, MAX_SHARED_STRINGS_BYTES) as stream:
            _stream_xml(stream, reader, self.deadline)
        return reader.strings

    def _date_styles(self, member: str | None) -> frozenset[int]:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        if member is None or member not in self.archive.NameToInfo:
            return frozenset()
        reader = _Styles()
        with self.open(member, MAX_SMALL_PART_BYTES) as stream:
            _stream_xml(stream, reader, self.deadline)
        return frozenset(
            index
            for index, fmt in enumerate(reader.formats)
            if is_date_format(reader.custom.get(fmt) or BUILTIN_FORMATS.get(fmt, "General"))
        )


class _Handler:
    """Expat callbacks; ``events`` counts them so a single endless tag is noticed."""

    events = 0

    def start(self, name: str, attrs: dict[str, str]) -> None: ...

    def end(self, name: str) -> None: ...

    def text(self, data: str) -> None: ...


def _expat(handler: _Handler) -> Any:
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.text
    return parser


def _feed(parser: Any, handler: _Handler, chunks: Iterator[bytes], deadline: float | None = None) -> Iterator[None]:
    """Feed the chunks to expat; after each, a chance to hand on what it found. Refuses a run of
    bytes with no element or text in it (one endless tag), and passing the deadline."""
    quiet = 0
    for chunk in chunks:
        before = handler.events
        parser.Parse(chunk, not chunk)
        quiet = quiet + len(chunk) if handler.events == before else 0
        if quiet > MAX_TOKEN_BYTES:
            raise _Refused(
                f"it holds a single element longer than {_megabytes(MAX_TOKEN_BYTES)}, which no "
                "spreadsheet program writes"
            )
        if deadline is not None and time.monotonic() > deadline:
            raise _Refused(
                f"its parts took longer than {MAX_OPEN_SECONDS:.0f} seconds to read; it is too "
                "large or not a plain workbook"
            )
        yield


def _chunks(stream: Any) -> Iterator[bytes]:
    while True:
        chunk = stream.read(_CHUNK)
        yield chunk
        if not chunk:
            return


def _stream_xml(stream: Any, handler: _Handler, deadline: float) -> None:
    for _ in _feed(_expat(handler), handler, _chunks(stream), deadline):
        pass


def _bounded_text(buffer: list[str], length: int, data: str) -> int:
    """Add ``data`` to a cell's text, refusing text longer than a cell can hold."""
    length += len(data)
    if length > MAX_CELL_CHARS:
        raise _Refused(f"a cell holds more than {MAX_CELL_CHARS:,} characters (the most a cell can hold)")
    buffer.append(data)
    return length


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Characters XML cannot carry are written _xHHHH_ in a workbook (an underscore itself as
    _x005F_); decoded here, so a control character is seen (and refused) rather than kept as code."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


class _SharedStrings(_Handler):
    """The shared strings table, leaving out phonetic guides (<rPh>)."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.buffer: list[str] = []
        self.length = 0
        self.capture = False
        self.phonetic = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        local = name.rpartition(":")[2]
        if local == "t" and not self.phonetic:
            self.capture = True
        elif local == "si":
            self.buffer = []
            self.length = 0
        elif local == "rPh":
            self.phonetic += 1

    def text(self, data: str) -> None:
        self.events += 1
        if self.capture:
            self.length = _bounded_text(self.buffer, self.length, data)

    def end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if local == "t":
            self.capture = False
        elif local == "si":
            if len(self.strings) >= MAX_SHARED_STRINGS:
                raise _Refused(
                    f"it holds more than {MAX_SHARED_STRINGS:,} different texts; split it into smaller files"
                )
            self.strings.append(_unescape("".join(self.buffer)))
        elif local == "rPh":
            self.phonetic -= 1


class _Styles(_Handler):
    """Number formats and the number format of each cell style."""

    def __init__(self) -> None:
        self.custom: dict[int, str] = {}
        self.formats: list[int] = []
        self.in_cell_styles = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        local = name.rpartition(":")[2]
        if local == "numFmt":
            if len(self.custom) >= MAX_CELL_FORMATS:
                raise _Refused(f"it defines more than {MAX_CELL_FORMATS:,} number formats")
            self.custom[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            self.in_cell_styles = True
        elif local == "xf" and self.in_cell_styles:
            if len(self.formats) >= MAX_CELL_FORMATS:
                raise _Refused(f"it defines more than {MAX_CELL_FORMATS:,} cell styles")
            self.formats.append(int(attrs.get("numFmtId", 0)))

    def text(self, data: str) -> None:
        self.events += 1

    def end(self, name: str) -> None:
        if name.rpartition(":")[2] == "cellXfs":
            self.in_cell_styles = False


def _join(folder: str, target: str) -> str:
    parts = [p for p in folder.split("/") if p] if folder else []
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    return "/".join(parts)


class _SheetParser(_Handler):
    """Streams ``<sheetData>`` with expat: (row number, values) for every row, gaps as empty rows."""

    def __init__(self, shared: Any, date_styles: Any, epoch: datetime) -> None:
        self.shared = shared
        self.date_styles = date_styles
        self.epoch = epoch
        self.ready: list[tuple[int, Values]] = []
        self.row = 0
        self.rows_seen = 0
        self.cells: dict[int, Any] = {}
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.value: str | None = None
        self.formula: str | None = None
        self.inline: list[str] = []
        self.capture: str | None = None
        self.buffer: list[str] = []
        self.length = 0
        self.phonetic = 0

    def rows(self, stream: Any) -> Iterator[tuple[int, Values]]:
        parser = _expat(self)
        for _ in _feed(parser, self, _chunks(stream)):
            if self.ready:
                yield from self.ready
                self.ready = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.events += 1
        local = name.rpartition(":")[2] if ":" in name else name
        if local == "c":
            ref = attrs.get("r")
            self.column = _column_number(ref) if ref else self.column + 1
            if self.column > MAX_COLUMNS:
                raise _Refused(
                    f"row {self.row} has a cell in column {self.column:,}, beyond the last column a "
                    f"sheet can have ({MAX_COLUMNS:,}, XFD)"
                )
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.value = self.formula = None
            if self.inline:
                self.inline = []
        elif local == "row":
            number = attrs.get("r")
            row = int(number) if number else self.row + 1
            self.rows_seen += 1
            if row > MAX_ROWS or self.rows_seen > MAX_ROWS:
                what = f"a row numbered {row:,}" if row > MAX_ROWS else f"more than {MAX_ROWS:,} rows"
                raise _Refused(f"it has {what}, beyond the last row a sheet can have ({MAX_ROWS:,})")
            for gap in range(self.row + 1, row):
                self.ready.append((gap, ()))
            self.row = row
            self.cells = {}
            self.column = 0
        elif local in ("v", "f") or (local == "t" and not self.phonetic):
            self.capture = local
            self.buffer = []
            self.length = 0
        elif local == "rPh":
            self.phonetic += 1

    def text(self, data: str) -> None:
        self.events += 1
        if self.capture is not None:
            self.length = _bounded_text(self.buffer, self.length, data)

    def end(self, name: str) -> None:
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
            return _unescape("".join(self.inline)) if self.inline else None
        if value is None or value == "":
            return None
        if kind == "s":
            return self.shared[int(value)]
        if kind == "n":
            if "." in value or "E" in value or "e" in value:
                number: int | float = float(value)
                if (number == 0 or math.isinf(number)) and not _zero(value):
                    return value  # beyond what a float holds (1E-400): kept as written, so it is refused
            else:
                number = int(value)
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
        return _unescape(value)  # "str" (a formula's text result) and "e" (an error such as #N/A)


def _zero(written: str) -> bool:
    """Whether a number as written in a cell is zero ('0.0', '0E+5')."""
    return not any(char in "123456789" for char in written.lower().partition("e")[0])


_COLUMNS: dict[str, int] = {}


def _column_number(reference: str) -> int:
    """'B12' → 2, 'AA3' → 27 (a reference of more than three letters is past the last column)."""
    letters = reference.rstrip("0123456789")
    number = _COLUMNS.get(letters)
    if number is None:
        number = 0
        for char in letters[:4]:
            number = number * 26 + ord(char) - 64
        if len(_COLUMNS) < 20000:
            _COLUMNS[letters] = number
    return number
