"""Write rows as CSV or XLSX, streaming: rows are consumed one by one, never all held.

Each column has a kind that says how its values are written:

| kind       | CSV                         | XLSX                                  |
| ---------- | --------------------------- | ------------------------------------- |
| `text`     | as is (see below)           | text                                  |
| `date`     | `2020-01-13`                | a date cell shown as 13/01/2020        |
| `datetime` | `2020-01-13 21:30`          | a date-and-time cell, 13/01/2020 21:30 |
| `int`      | `12`                        | a number                              |
| `decimal`  | `3.5`                       | a number                              |
| `bool`     | `yes` / `no`                | TRUE / FALSE                          |
| `raw`      | a value as read from a file | the value as read, typed as it was    |

CSV is UTF-8 with a byte order mark (so Excel shows accented names correctly),
comma-separated. Any text a spreadsheet program would take for a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return), in a
header or a cell of any kind, gets a leading apostrophe in CSV (``neutral``);
the importer takes it off again. In XLSX such text is a text cell, never a
formula (``xlsx_text``). Every CSV and XLSX file the application writes goes
through this module, the audit export and the evaluation workbook included.
XLSX sheets have a frozen, filtered header row and column widths fitted to
the header and the first rows. Files are created readable by their owner only
(``store.private_files``): they hold personal data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from diversion_desktop.owner_only import open_private
from diversion_desktop.spreadsheets.cells import FORMULA_STARTS

TEXT, DATE, DATETIME, INT, DECIMAL, BOOL, RAW = "text", "date", "datetime", "int", "decimal", "bool", "raw"
XLSX_DATE_FORMAT = "dd/mm/yyyy"
XLSX_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_WIDTH_SAMPLE = 200  # rows looked at to size the columns
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_PROGRESS_EVERY = 500

RowsWritten = Callable[[int], None]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = TEXT
    width: float | None = None  # in characters; None: fitted to the header and the first rows


@dataclass
class SheetData:
    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


def columns(names: Iterable[str], kind: str = TEXT) -> tuple[Column, ...]:
    return tuple(Column(name, kind) for name in names)


# -- CSV ---------------------------------------------------------------------------------
def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def csv_value(value: Any, kind: str = TEXT) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if kind == DATE else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return neutral(str(value))


def neutral(text: str) -> str:
    """``text`` as a spreadsheet program shows it, never runs it: a leading apostrophe before
    anything that would start a formula (a name typed as ``=HYPERLINK(...)`` stays a name)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(
    target: Path | IO[bytes], cols: Sequence[Column], rows: Iterable[Sequence[Any]], progress: RowsWritten | None = None
) -> int:
    """Write a header and the rows; returns the number of rows written."""
    if isinstance(target, Path):
        with open_private(target) as handle:
            return write_csv(handle, cols, rows, progress)
    stream = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(stream)
        writer.writerow([neutral(c.name) for c in cols])
        kinds = [c.kind for c in cols]
        count = 0
        for row in rows:
            writer.writerow([csv_value(v, k) for v, k in zip(row, kinds, strict=False)])
            count += 1
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(count)
        stream.flush()
    finally:
        stream.detach()
    if progress is not None:
        progress(count)
    return count


# -- XLSX --------------------------------------------------------------------------------
def _display_length(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime) and kind != DATE:
        return 16
    if isinstance(value, (date, datetime)):
        return 10
    return max((len(line) for line in str(value).splitlines()), default=0)


def _widths(cols: Sequence[Column], sample: Sequence[Sequence[Any]]) -> list[float]:
    widths = []
    for index, column in enumerate(cols):
        if column.width is not None:
            widths.append(column.width)
            continue
        longest = max(
            [
                len(column.name) + 3,  # room for the filter button
                *(_display_length(row[index] if index < len(row) else None, column.kind) + 1 for row in sample),
            ]
        )
        widths.append(float(min(max(longest, _MIN_WIDTH), _MAX_WIDTH)))
    return widths


def _clean_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _xlsx_cells(ws: Any, row: Sequence[Any], kinds: Sequence[str]) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell

    cells: list[Any] = []
    for index, value in enumerate(row):
        kind = kinds[index] if index < len(kinds) else RAW
        if value is None:
            cells.append(None)
        elif isinstance(value, bool):
            cells.append(value)
        elif isinstance(value, datetime):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = (
                XLSX_DATE_FORMAT
                if (kind == DATE or (kind == RAW and value.time() == datetime.min.time()))
                else XLSX_DATETIME_FORMAT
            )
            cells.append(cell)
        elif isinstance(value, date):
            # openpyxl writes a date; its stubs' WriteOnlyCell names only datetime
            cell = WriteOnlyCell(ws, value=value)  # type: ignore[arg-type]  # see above
            cell.number_format = XLSX_DATE_FORMAT
            cells.append(cell)
        elif isinstance(value, Decimal):
            normal = value.normalize()
            cells.append(int(normal) if normal == normal.to_integral_value() else float(normal))
        elif isinstance(value, (int, float)):
            cells.append(value)
        else:
            cells.append(xlsx_text(ws, str(value)))
    return cells


def xlsx_text(ws: Any, value: str) -> Any:
    """``value`` for an XLSX cell as text: openpyxl stores a string starting with ``=`` as a
    formula, so that one is made a text cell explicitly."""
    from openpyxl.cell import WriteOnlyCell

    text = _clean_text(value)
    if not text.startswith("="):
        return text
    return as_text(WriteOnlyCell(ws, value=text))


def as_text(cell: Any) -> Any:
    """The cell, kept as text if openpyxl would store its string as a formula (for sheets
    written cell by cell, like the evaluation workbook's)."""
    if isinstance(cell.value, str) and cell.value.startswith("="):
        cell.data_type = "s"
    return cell


def write_xlsx(target: Path | IO[bytes], sheets: Sequence[SheetData], progress: RowsWritten | None = None) -> list[int]:
    """Write a workbook with one sheet per ``SheetData``; returns the rows written per sheet."""
    if isinstance(target, Path):  # open first: a bad path fails before any sheet is started
        with open_private(target) as handle:
            return write_xlsx(handle, sheets, progress)
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    counts: list[int] = []
    done_before = 0
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name[:31])
        cols = list(sheet.columns)
        kinds = [c.kind for c in cols]
        iterator: Iterator[Sequence[Any]] = iter(sheet.rows)
        sample = list(islice(iterator, _WIDTH_SAMPLE))
        for index, width in enumerate(_widths(cols, sample), start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in cols:
            cell = WriteOnlyCell(ws, value=_clean_text(column.name))
            cell.data_type = "s"  # a header is text, whatever it starts with
            cell.font = bold
            header.append(cell)
        ws.append(header)
        count = 0
        for row in chain(sample, iterator):
            ws.append(_xlsx_cells(ws, row, kinds))
            count += 1
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(done_before + count)
        if cols:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{count + 1}"
        counts.append(count)
        done_before += count
    if not sheets:
        workbook.create_sheet("empty")
    workbook.save(target)
    if progress is not None:
        progress(done_before)
    return counts
