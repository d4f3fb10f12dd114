"""``merge``, ``unmerge``, ``subject-access``, ``retention`` and ``legal-hold`` as run from a terminal:
real processes on a real database file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.domain.permissions import Role
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.users import UserService
from diversion_desktop.spreadsheets.encrypted import read_entries
from tests.conftest import EVERY_ROLE, FakeClock

SQL_TEXT = "'; DROP TABLE people; --"
STATION_PASSWORD = "station staff password 1"


def run(
    url: str, *args: str, user: str | None = None, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DIVERSION_USER", "DIVERSION_PASSWORD", "DIVERSION_EXPORT_PASSWORD")
    }
    if user is not None:
        env.update(DIVERSION_USER=user, DIVERSION_PASSWORD=STATION_PASSWORD)
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "diversion_desktop", *args, "--database", url],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def sql(url: str, statement: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection, connection:
        return connection.execute(statement, params).fetchall()


@pytest.fixture
def url(db_url: str, make_draft: Callable[..., IntakeDraft]) -> str:
    """Two records of John Smith (P000001 with WB-2026-00001, P000002 "Smyth" with WB-2026-00002,
    declined) and no users yet: commands run as the installation."""
    ctx = open_context(db_url, clock=FakeClock(), user="tester", principal=EVERY_ROLE)
    intake = IntakeService(ctx)
    intake.save(make_draft())
    intake.save(make_draft(surname="Smyth", consent=False))
    ctx.engine.dispose()
    return db_url


def test_help_for_every_new_command(url: str) -> None:
    for command in ("merge", "unmerge", "subject-access", "retention", "legal-hold"):
        result = run(url, command, "--help")
        assert result.returncode == 0 and "usage: diversion-desktop" in result.stdout, command


def test_merge_then_unmerge(url: str) -> None:
    merged = run(url, "merge", "P000001", "P-000002", "--reason", SQL_TEXT)
    assert merged.returncode == 0, merged.stderr
    assert "P000002 merged into P000001 (merge 1)" in merged.stdout and "unmerge 1" in merged.stdout
    assert sql(url, "SELECT reason FROM person_merges") == [(SQL_TEXT,)]
    assert sql(url, "SELECT count(*) FROM people") == [(2,)]
    again = run(url, "merge", "P000001", "P000002", "--reason", "again")
    assert again.returncode == 1 and "already merged into P000001" in again.stderr

    undone = run(url, "unmerge", "1", "--reason", "Two people")
    assert undone.returncode == 0, undone.stderr
    assert "Merge 1 undone" in undone.stdout
    assert sql(url, "SELECT merged_into_id FROM people ORDER BY id") == [(None,), (None,)]
    assert run(url, "unmerge", "1", "--reason", "x").returncode == 1


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("merge", "P000001", "P000002", "--reason", " "), 1, "Give the reason for the merge"),
        (("merge", "P000001", "P000002", "--reason", "x" * 100_000), 1, "too long (100,000 characters)"),
        (("merge", "P000001", "P000001", "--reason", "same"), 1, "cannot be merged into itself"),
        (("merge", "P000001", SQL_TEXT, "--reason", "same"), 1, "is not a person reference"),
        (("merge", "P000001", "P000002"), 2, "--reason"),
        (("unmerge", "x", "--reason", "x"), 2, "is not a whole number"),
        (("legal-hold", "WB-2026-00001", "--reason", "x"), 2, "one of the arguments --on --off is required"),
        (("legal-hold", "WB-2026-00001", "--on"), 1, "Give the reason for the legal hold"),
        (("legal-hold", SQL_TEXT, "--on", "--reason", "x"), 1, "no referral with the reference"),
    ],
)
def test_refused_with_a_clear_message_and_nothing_changes(
    url: str, args: tuple[str, ...], code: int, words: str
) -> None:
    before = sql(url, "SELECT count(*) FROM audit_events")
    result = run(url, *args)
    assert result.returncode == code
    assert words in result.stderr
    assert sql(url, "SELECT count(*) FROM audit_events") == before
    assert sql(url, "SELECT count(*) FROM person_merges") == [(0,)]


def test_subject_access_writes_both_files(url: str, tmp_path: Path) -> None:
    result = run(url, "subject-access", "P000001", "--out", str(tmp_path / "sar"))
    assert result.returncode == 0, result.stderr
    files = sorted(p.suffix for p in (tmp_path / "sar").iterdir())
    assert files == [".json", ".pdf"]
    data = json.loads(next((tmp_path / "sar").glob("*.json")).read_text(encoding="utf-8"))
    assert data["person"]["surname"] == "Smith" and data["referrals"][0]["reference"] == "WB-2026-00001"
    assert "Subject-access export of P000001" in result.stdout
    assert "not encrypted" in result.stderr
    missing = run(url, "subject-access", "P000099", "--out", str(tmp_path))
    assert missing.returncode == 1 and "no person with the reference P000099" in missing.stderr


def _sar_files(folder: Path, password: str) -> dict[str, bytes]:
    """The one ZIP in ``folder``, opened: {suffix: bytes}."""
    [archive] = folder.iterdir()
    assert archive.suffix == ".zip"
    return {Path(name).suffix: data for name, data in read_entries(archive, password).items()}


def test_subject_access_encrypted_with_a_password_file_or_the_environment(url: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("correct horse battery\nsecond line ignored\n", encoding="utf-8")
    from_file = run(url, "subject-access", "P000001", "--out", str(tmp_path / "file"), "--password-file", str(secret))
    assert from_file.returncode == 0, from_file.stderr
    assert "AES-256 encrypted" in from_file.stdout and "7-Zip" in from_file.stdout and ".zip" in from_file.stdout
    assert "not encrypted" not in from_file.stderr
    files = _sar_files(tmp_path / "file", "correct horse battery")
    assert sorted(files) == [".json", ".pdf"] and files[".pdf"].startswith(b"%PDF")
    assert json.loads(files[".json"])["person"]["surname"] == "Smith"

    from_env = run(
        url,
        "subject-access",
        "P000002",
        "--out",
        str(tmp_path / "env"),
        "--password",
        env_extra={"DIVERSION_EXPORT_PASSWORD": "another long one"},
    )
    assert from_env.returncode == 0, from_env.stderr
    assert json.loads(_sar_files(tmp_path / "env", "another long one")[".json"])["person"]["reference"] == "P000002"
    details = sql(url, "SELECT detail FROM audit_events WHERE action='subject_access_export' ORDER BY id")
    assert len(details) == 2 and all("encrypted ZIP" in d and "NOT encrypted" not in d for (d,) in details)


def test_subject_access_password_usage_errors_exit_2_and_write_nothing(url: str, tmp_path: Path) -> None:
    short, empty = tmp_path / "short.txt", tmp_path / "empty.txt"
    short.write_text("abc\n", encoding="utf-8")
    empty.write_text("", encoding="utf-8")
    out = str(tmp_path / "sar")
    before = sql(url, "SELECT count(*) FROM audit_events")
    for args, env, words in (
        (("--password-file", str(short), "--password"), {}, "not allowed with argument"),
        (("--password",), {}, "--password needs the environment variable DIVERSION_EXPORT_PASSWORD"),
        (("--password",), {"DIVERSION_EXPORT_PASSWORD": "short"}, "at least 8 characters"),
        (("--password-file", str(short)), {}, "at least 8 characters"),
        (("--password-file", str(empty)), {}, "is empty"),
        (("--password-file", str(tmp_path / "missing.txt")), {}, "cannot read the password file"),
        (("--password-file",), {}, "expected one argument"),
    ):
        result = run(url, "subject-access", "P000001", "--out", out, *args, env_extra=env)
        assert result.returncode == 2, (args, result.stderr)
        assert words in result.stderr, (args, result.stderr)
    assert not (tmp_path / "sar").exists()
    assert sql(url, "SELECT count(*) FROM audit_events") == before


def test_retention_dry_run_then_run_with_a_legal_hold(url: str) -> None:
    # Both referrals were closed long ago (the declined one) or are made so here.
    sql(
        url,
        "UPDATE referrals SET referral_date='2015-01-05', outcome_date='2015-01-05', status='declined', "
        "outcome='declined'",
    )
    held = run(url, "legal-hold", "WB-2026-00001", "--on", "--reason", "Appeal pending")
    assert held.returncode == 0 and "is under a legal hold" in held.stdout, held.stderr

    dry = run(url, "retention", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert (
        "1 closed referral(s) to anonymise, 1 person record(s)" in dry.stdout
        and "1 kept under a legal hold" in dry.stdout
    )
    assert "WB-2026-00002" in dry.stdout and "nothing was changed" in dry.stdout
    assert sql(url, "SELECT count(*) FROM referrals WHERE anonymised_at IS NOT NULL") == [(0,)]

    done = run(url, "retention")
    assert done.returncode == 0, done.stderr
    assert "1 referral(s) and 1 person record(s) anonymised" in done.stdout
    assert sql(url, "SELECT surname FROM people ORDER BY id") == [("Smith",), ("Anonymised",)]
    assert sql(url, "SELECT count(*) FROM audit_events WHERE action='retention_run'") == [(1,)]

    released = run(url, "legal-hold", "WB-2026-00001", "--off", "--reason", "Appeal dismissed")
    assert released.returncode == 0 and "is not under a legal hold" in released.stdout
    assert "1 referral(s) and 1 person record(s)" in run(url, "retention").stdout
    assert sql(url, "SELECT surname FROM people ORDER BY id") == [("Anonymised",), ("Anonymised",)]


def test_a_station_user_is_refused_everything(url: str, tmp_path: Path) -> None:
    ctx = open_context(url, principal=EVERY_ROLE)
    users = UserService(ctx)
    users.create_user("admin", "administrator password 1", [Role.ADMINISTRATOR], must_change_password=False)
    users.create_user("pc", STATION_PASSWORD, [Role.STATION_STAFF], must_change_password=False)
    ctx.engine.dispose()
    before = sql(url, "SELECT count(*) FROM person_merges"), sql(url, "SELECT surname, merged_into_id FROM people")
    for args in (
        ("merge", "P000001", "P000002", "--reason", "same"),
        ("unmerge", "1", "--reason", "x"),
        ("subject-access", "P000001", "--out", str(tmp_path / "sar")),
        ("retention",),
        ("retention", "--dry-run"),
        ("legal-hold", "WB-2026-00001", "--on", "--reason", "x"),
    ):
        result = run(url, *args, user="pc")
        assert result.returncode == 1, args
        assert "pc may not do this" in result.stderr and "Nothing was read or changed" in result.stderr, args
    assert (
        sql(url, "SELECT count(*) FROM person_merges"),
        sql(url, "SELECT surname, merged_into_id FROM people"),
    ) == before
    assert not (tmp_path / "sar").exists()
