"""``diversion-desktop report evaluation`` as an administrator runs it: real processes, a real database file."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from diversion_desktop.services.bootstrap import open_context
from tests.conftest import EVERY_ROLE
from tests.evaluation_data import build


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diversion_desktop", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("report") / "evaluation.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    ctx = open_context(url, principal=EVERY_ROLE)
    build(ctx)
    ctx.engine.dispose()
    return url


def test_help_names_the_options() -> None:
    result = run("report", "--help")
    assert result.returncode == 0
    for option in ("--from", "--to", "--area", "--out", "evaluation"):
        assert option in result.stdout


def test_writes_a_pdf(database: str, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = run(
        "report", "evaluation", "--from", "2025-01-01", "--to", "31/12/2025", "--out", str(out), "--database", database
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert "evaluation of 45 referral(s)" in result.stdout


def test_a_two_digit_year_is_the_year_nearest_today(database: str, tmp_path: Path) -> None:
    """As `export --from` takes it (one date parser for every way in)."""
    out = tmp_path / "report.pdf"
    result = run(
        "report", "evaluation", "--from", "01/01/25", "--to", "31.12.25", "--out", str(out), "--database", database
    )
    assert result.returncode == 0, result.stderr
    assert "evaluation of 45 referral(s)" in result.stdout
    refused = run(
        "report", "evaluation", "--from", "31/02/25", "--to", "31/12/25", "--out", str(out), "--database", database
    )
    assert refused.returncode == 2 and "--from: '31/02/25' is not a real date" in refused.stderr


def test_writes_a_workbook_for_one_area(database: str, tmp_path: Path) -> None:
    out = tmp_path / "west.xlsx"
    result = run(
        "report",
        "evaluation",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--area",
        "West Berkshire",
        "--out",
        str(out),
        "--database",
        database,
    )
    assert result.returncode == 0, result.stderr
    workbook = openpyxl.load_workbook(io.BytesIO(out.read_bytes()))
    funnel = workbook["Funnel"]
    assert next(funnel.iter_rows(min_row=2, max_row=2, values_only=True))[:3] == ("West Berkshire", "Assessed", 23)
    assert "Pilots side by side" not in workbook.sheetnames  # one scheme kind: nothing to compare


@pytest.mark.parametrize(
    "args",
    [
        ("--from", "2025-01-01", "--to", "2025-12-31", "--out", "report.docx"),  # an unknown format
        ("--from", "2025-13-01", "--to", "2025-12-31", "--out", "report.pdf"),  # not a date
        ("--from", "2025-12-31", "--to", "2025-01-01", "--out", "report.pdf"),  # the period runs backwards
        ("--from", "2025-01-01", "--out", "report.pdf"),  # no end
        ("--from", "2025-01-01", "--to", "2025-12-31", "--area", "Atlantis", "--out", "report.pdf"),
        ("--from", "2025-01-01", "--to", "2025-12-31", "--age-band", "60-70", "--out", "report.pdf"),
    ],
)
def test_usage_errors_exit_2(database: str, tmp_path: Path, args: tuple[str, ...]) -> None:
    out_args = [str(tmp_path / a) if a.startswith("report.") else a for a in args]
    result = run("report", "evaluation", *out_args, "--database", database)
    assert result.returncode == 2, result.stderr
    assert not list(tmp_path.iterdir())
