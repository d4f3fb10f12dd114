"""Small crafted files are refused quickly, in words, without filling the memory.

Each workbook is built here (a tiny zip) and read in a separate process, the way the import reads
it (every row of every sheet), with its address space limited where the platform allows
(``resource.setrlimit`` on Linux). The process reports the refusal, its peak memory and its time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from diversion_desktop.spreadsheets import reader
from diversion_desktop.spreadsheets.reader import SpreadsheetError, open_spreadsheet

MEMORY_LIMIT = 1024 * 1024 * 1024  # the reading process may not take more address space than this
PEAK_MB = 400  # nor more resident memory than this
SECONDS = 60

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
KIND = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

READ_ALL = """
import json, resource, sys, time
from diversion_desktop.spreadsheets.reader import SpreadsheetError, open_spreadsheet
start = time.perf_counter()
try:
    with open_spreadsheet(sys.argv[1]) as book:
        rows = sum(1 for sheet in book.sheets for _ in sheet.rows())
    outcome = f"read {rows} rows"
except SpreadsheetError as error:
    outcome = f"refused: {error}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"outcome": outcome, "seconds": time.perf_counter() - start, "peak_mb": peak}))
"""


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def read_bounded(path: Path) -> dict:
    """Read every row of ``path`` in a child process; what it said, its time and peak memory."""
    limited = sys.platform.startswith("linux")
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", READ_ALL, str(path)],
        capture_output=True,
        text=True,
        timeout=SECONDS * 3,
        preexec_fn=_limit_memory if limited else None,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    found["wall"] = time.perf_counter() - started
    return found


def assert_refused(path: Path, words: str) -> None:
    found = read_bounded(path)
    assert found["outcome"].startswith("refused:"), found
    assert words in found["outcome"], found
    assert found["seconds"] < SECONDS, found
    if sys.platform != "win32":
        assert found["peak_mb"] < PEAK_MB, found


def workbook(
    path: Path, sheet: str | Iterable[bytes], *, strings: Iterable[bytes] = (), styles: Iterable[bytes] = ()
) -> Path:
    """A minimal workbook: one sheet 'referrals'; ``sheet``, ``strings`` and ``styles`` are the
    parts' XML (chunks of bytes for parts too large to hold, written as they come)."""
    relations = [f'<Relationship Id="rId1" Type="{KIND}worksheet" Target="worksheets/sheet1.xml"/>']
    parts: dict[str, Iterable[bytes]] = {
        "xl/worksheets/sheet1.xml": [sheet.encode()] if isinstance(sheet, str) else sheet
    }
    if strings:
        relations.append(f'<Relationship Id="rId2" Type="{KIND}sharedStrings" Target="sharedStrings.xml"/>')
        parts["xl/sharedStrings.xml"] = strings
    if styles:
        relations.append(f'<Relationship Id="rId3" Type="{KIND}styles" Target="styles.xml"/>')
        parts["xl/styles.xml"] = styles
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{KIND}officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{KIND[:-1]}"><sheets>'
            '<sheet name="referrals" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS}">{"".join(relations)}</Relationships>'
        )
        for name, chunks in parts.items():
            with archive.open(name, "w", force_zip64=True) as part:
                for chunk in chunks:
                    part.write(chunk)
    return path


HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>surname</t></is></c></row>'


def sheet_xml(rows: str) -> str:
    return f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER}{rows}</sheetData></worksheet>'


def repeated(head: str, item: str, count: int, tail: str) -> Iterable[bytes]:
    """``head``, ``item`` ``count`` times, ``tail``: written in 1 MB pieces, never held whole."""
    yield head.encode()
    per_chunk = max(1, 1_000_000 // len(item))
    piece = (item * per_chunk).encode()
    for _ in range(count // per_chunk):
        yield piece
    yield (item * (count % per_chunk)).encode()
    yield tail.encode()


def test_a_plain_workbook_reads_in_the_same_bounds(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>Smith {n}</t></is></c></row>' for n in range(2, 2002)
    )
    found = read_bounded(workbook(tmp_path / "plain.xlsx", sheet_xml(rows)))
    assert found["outcome"] == "read 2000 rows", found


def test_a_row_numbered_in_the_hundreds_of_millions(tmp_path: Path) -> None:
    path = workbook(tmp_path / "far.xlsx", sheet_xml('<row r="150000000"><c r="A150000000"><v>1</v></c></row>'))
    assert path.stat().st_size < 2000
    assert_refused(path, "a row numbered 150,000,000, beyond the last row a sheet can have (1,048,576)")


def test_a_cell_past_the_last_column(tmp_path: Path) -> None:
    path = workbook(tmp_path / "wide.xlsx", sheet_xml('<row r="2"><c r="ZZZZZZZ2"><v>1</v></c></row>'))
    assert_refused(path, "beyond the last column a sheet can have (16,384, XFD)")


def test_more_rows_than_a_sheet_can_have(tmp_path: Path) -> None:
    sheet = repeated(
        f'<worksheet xmlns="{MAIN}"><sheetData>{HEADER}', "<row/>", reader.MAX_ROWS + 10, "</sheetData></worksheet>"
    )
    assert_refused(workbook(tmp_path / "long.xlsx", sheet), "a row numbered 1,048,577, beyond the last row")


def test_a_gigabyte_of_styles_in_a_small_zip(tmp_path: Path) -> None:
    styles = repeated(
        f'<styleSheet xmlns="{MAIN}"><cellXfs>', '<xf numFmtId="0"/>' + " " * 82, 10_000_000, "</cellXfs></styleSheet>"
    )
    path = workbook(tmp_path / "styles.xlsx", sheet_xml(""), styles=styles)
    assert path.stat().st_size < 5_000_000
    assert_refused(path, "its part xl/styles.xml would take 1,000 MB when unpacked (at most 20 MB is read)")


def test_one_endless_tag(tmp_path: Path) -> None:
    styles = repeated(
        f'<styleSheet xmlns="{MAIN}"><numFmts><numFmt numFmtId="164" formatCode="',
        "0",
        15_000_000,
        '"/></numFmts></styleSheet>',
    )
    assert_refused(workbook(tmp_path / "tag.xlsx", sheet_xml(""), styles=styles), "a single element longer than 4 MB")


def test_twenty_million_shared_strings(tmp_path: Path) -> None:
    strings = repeated(f'<sst xmlns="{MAIN}">', "<si><t>a</t></si>", 20_000_000, "</sst>")
    path = workbook(
        tmp_path / "strings.xlsx", sheet_xml('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), strings=strings
    )
    assert path.stat().st_size < 2_000_000
    assert_refused(path, "more than 2,000,000 different texts")


def test_a_cell_longer_than_a_cell_can_be(tmp_path: Path) -> None:
    rows = f'<row r="2"><c r="A2" t="inlineStr"><is><t>{"x" * 40_000}</t></is></c></row>'
    assert_refused(workbook(tmp_path / "cell.xlsx", sheet_xml(rows)), "more than 32,767 characters")


def test_escaped_characters_are_decoded(tmp_path: Path) -> None:
    strings = [f'<sst xmlns="{MAIN}"><si><t>Smith_x001B_[31m</t></si><si><t>_x005F_x0041_</t></si></sst>'.encode()]
    rows = (
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
        '<c r="C2" t="inlineStr"><is><t>Jo_x0000_hn</t></is></c><c r="D2"><v>1E-400</v></c>'
        '<c r="E2"><v>0.0004</v></c></row>'
    )
    with open_spreadsheet(workbook(tmp_path / "escapes.xlsx", sheet_xml(rows), strings=strings)) as book:
        [(_number, values)] = list(book.sheets[0].rows())
    # A number too small for a float is kept as written (and so refused as a quantity), never as 0.
    assert values == ("Smith\x1b[31m", "_x0041_", "Jo\x00hn", "1E-400", 0.0004)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("surname\n" + "x" * 1_100_000 + "\n", "line 2: longer than 1,000,000 characters"),
        ("surname\n" + "," * 20_000 + "\n", "row 2: 20,001 columns; a sheet has at most 16,384"),
    ],
)
def test_csv_lines_that_are_not_a_table(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SpreadsheetError, match=words), open_spreadsheet(path) as book:
        list(book.sheets[0].rows())
