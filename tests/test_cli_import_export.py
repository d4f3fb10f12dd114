"""``import``, ``export`` and ``backup`` as an administrator runs them: real processes, real files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from diversion_desktop.spreadsheets.encrypted import read_entries
from tests.import_files import appointment, referral, write_import


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "diversion_desktop", *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DIVERSION_USER": "admin", **(env or {})},
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'cli.sqlite3').as_posix()}"


ROWS = [
    referral(reference="WB-2025-00001", incident_date="2025-06-01", outcome="not_attended", outcome_date="2025-08-01"),
    referral(incident_date="2026-01-10"),
    referral(reference="WB-2026-00102", surname="Jones", incident_date="2026-01-12"),
]
APPOINTMENTS = [appointment(reference="WB-2026-00102", appointment_at="2026-01-14 10:00")]


def test_help_on_every_new_command() -> None:
    for command in ("import", "export", "backup"):
        result = run(command, "--help")
        assert result.returncode == 0 and f"usage: diversion-desktop {command}" in result.stdout


def test_usage_errors_exit_2(tmp_path: Path, db: str) -> None:
    assert run("import", "--database", db).returncode == 2
    assert run("import", "--template", str(tmp_path / "t.xlsx"), str(tmp_path / "x.csv")).returncode == 2
    assert run("export", "people", "--database", db).returncode == 2  # no --out
    assert run("export", "people", "--out", str(tmp_path / "x.txt"), "--database", db).returncode == 2
    assert run("export", "letters", "--out", str(tmp_path / "x.csv")).returncode == 2
    bad_day = run("export", "referrals", "--out", str(tmp_path / "x.csv"), "--from", "31/02/2026", "--database", db)
    assert bad_day.returncode == 2 and "not a real date" in bad_day.stderr
    area = run("export", "referrals", "--out", str(tmp_path / "x.csv"), "--area", "Mars", "--database", db)
    assert area.returncode == 2 and "Unknown area 'Mars'" in area.stderr
    missing = run(
        "export",
        "people",
        "--out",
        str(tmp_path / "x.csv"),
        "--password",
        "--database",
        db,
        env={"DIVERSION_EXPORT_PASSWORD": ""},
    )
    assert missing.returncode == 2 and "DIVERSION_EXPORT_PASSWORD" in missing.stderr
    short = tmp_path / "short.txt"
    short.write_text("abc\n", encoding="utf-8")
    result = run("export", "people", "--out", str(tmp_path / "x.csv"), "--password-file", str(short), "--database", db)
    assert result.returncode == 2 and "at least 8" in result.stderr


def test_template_dry_run_import_and_again(tmp_path: Path, db: str) -> None:
    template = run("import", "--template", str(tmp_path / "template.csv"))
    assert template.returncode == 0
    assert (tmp_path / "template.csv").is_file() and (tmp_path / "template.appointments.csv").is_file()
    path = write_import(tmp_path, "csv", ROWS, APPOINTMENTS)
    dry = run("import", str(path), "--dry-run", "--database", db)
    assert dry.returncode == 0, dry.stderr
    assert "referrals row 2 WB-2025-00001: ready" in dry.stdout and "Nothing was written" in dry.stdout
    done = run("import", str(path), "--database", db)
    assert done.returncode == 0, done.stderr
    assert "referrals row 3 WB-2026-00101: created — matched to person P000001" in done.stdout
    assert "An earlier diversion ended in non-attendance" in done.stdout
    assert "Imported 3 referral(s) with 1 appointment(s)" in done.stdout
    again = run("import", str(path), "--database", db, "--quiet")
    assert again.returncode == 0 and "Already imported: 3 referral row(s)" in again.stdout
    assert "row 2" not in again.stdout  # --quiet lists only refused rows and rows to check


def test_refused_rows_exit_1_with_the_report_and_skip_invalid(tmp_path: Path, db: str) -> None:
    path = write_import(tmp_path, "xlsx", [*ROWS, referral(reference="WB-2026-00103", surname="Brown", area="Mars")])
    refused = run("import", str(path), "--database", db)
    assert refused.returncode == 1
    assert "referrals row 5 WB-2026-00103: refused — area: unknown area 'Mars'" in refused.stdout
    assert "Nothing was written" in refused.stdout
    with sqlite3.connect(tmp_path / "cli.sqlite3") as connection:
        assert connection.execute("SELECT count(*) FROM referrals").fetchone()[0] == 0
    skipped = run("import", str(path), "--skip-invalid", "--database", db)
    assert skipped.returncode == 1 and "Imported 3 referral(s)" in skipped.stdout
    assert (tmp_path / "pilot.refused.xlsx").is_file()
    sheet = openpyxl.load_workbook(tmp_path / "pilot.refused.xlsx")["referrals"]
    assert sheet.max_row == 2 and "unknown area" in sheet.cell(2, sheet.max_column).value


def test_a_file_that_cannot_be_imported(tmp_path: Path, db: str) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("ref,name\nWB-1,Smith\n", encoding="utf-8")
    result = run("import", str(path), "--database", db)
    assert result.returncode == 1 and "missing reference" in result.stderr and "unknown 'ref', 'name'" in result.stderr


def test_exports(tmp_path: Path, db: str) -> None:
    assert run("import", str(write_import(tmp_path, "csv", ROWS, APPOINTMENTS)), "--database", db).returncode == 0
    for kind in ("referrals", "people", "appointments", "documents"):
        result = run("export", kind, "--out", str(tmp_path / f"{kind}.xlsx"), "--database", db)
        assert result.returncode == 0, result.stderr
        assert "not encrypted" in result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "referrals.xlsx")["referrals"]
    assert [c.value for c in sheet[1]][:3] == ["reference", "person_reference", "age_band"] and sheet.max_row == 4
    area = run(
        "export",
        "referrals",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "wb"),
        "--area",
        "West Berkshire",
        "--from",
        "01/01/2026",
        "--to",
        "2026-01-11",
        "--database",
        db,
    )
    assert area.returncode == 0, area.stderr
    lines = (tmp_path / "wb").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith("WB-2026-00101,P000001,35+,West Berkshire")
    # A two-digit year, as `report` takes it: the same period (one date parser for every way in).
    short = run(
        "export",
        "referrals",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "wb26"),
        "--area",
        "West Berkshire",
        "--from",
        "01/01/26",
        "--to",
        "11/01/26",
        "--database",
        db,
    )
    assert short.returncode == 0, short.stderr
    assert (tmp_path / "wb26").read_text(encoding="utf-8-sig").splitlines() == lines
    layout = run("export", "referrals", "--layout", "import", "--out", str(tmp_path / "records.csv"), "--database", db)
    assert layout.returncode == 0 and (tmp_path / "records.appointments.csv").is_file()


def test_encrypted_exports(tmp_path: Path, db: str) -> None:
    assert run("import", str(write_import(tmp_path, "csv", ROWS)), "--database", db).returncode == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("correct horse battery\n", encoding="utf-8")
    from_file = run(
        "export", "people", "--out", str(tmp_path / "people.xlsx"), "--password-file", str(secret), "--database", db
    )
    assert from_file.returncode == 0 and "7-Zip" in from_file.stdout and "not encrypted" not in from_file.stderr
    assert list(read_entries(tmp_path / "people.xlsx.zip", "correct horse battery")) == ["people.xlsx"]
    from_env = run(
        "export",
        "referrals",
        "--out",
        str(tmp_path / "r.zip"),
        "--format",
        "csv",
        "--password",
        "--database",
        db,
        env={"DIVERSION_EXPORT_PASSWORD": "another long one"},
    )
    assert from_env.returncode == 0, from_env.stderr
    assert b"WB-2026" in read_entries(tmp_path / "r.zip", "another long one")["r.csv"]


def test_backup_of_a_database_in_use(tmp_path: Path, db: str) -> None:
    assert run("import", str(write_import(tmp_path, "csv", ROWS)), "--database", db).returncode == 0
    live = sqlite3.connect(tmp_path / "cli.sqlite3")  # another instance holding the file open, mid-transaction
    live.execute("BEGIN")
    live.execute("SELECT count(*) FROM people").fetchone()
    try:
        result = run("backup", "--out", str(tmp_path / "copy.sqlite3"), "--plain", "--database", db)
    finally:
        live.rollback()
        live.close()
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("SELECT count(*) FROM referrals").fetchone()[0] == 3
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    again = run("backup", "--out", str(tmp_path / "copy.sqlite3"), "--plain", "--database", db)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert (
        run("backup", "--out", str(tmp_path / "copy.sqlite3"), "--plain", "--force", "--database", db).returncode == 0
    )
    server = run(
        "backup", "--out", str(tmp_path / "x"), "--plain", "--database", "postgresql://user:secret@server/diversion"
    )
    assert server.returncode == 1 and "SQLite" in server.stderr and "secret" not in server.stderr
    missing = run(
        "backup", "--out", str(tmp_path / "y"), "--plain", "--database", f"sqlite:///{tmp_path / 'none.sqlite3'}"
    )
    assert missing.returncode == 1 and "no database" in missing.stderr
