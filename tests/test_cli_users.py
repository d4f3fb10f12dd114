"""Users, sign-in and the audit trail from the command line (real processes, real files)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ADMIN_PASSWORD = "a long admin passphrase"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DIVERSION_USER", "DIVERSION_PASSWORD", "DIVERSION_NEW_PASSWORD")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "diversion_desktop", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{(tmp_path_factory.mktemp('users') / 'users.sqlite3').as_posix()}"
    first = run(
        "users",
        "add",
        "admin",
        "--role",
        "administrator",
        "--role",
        "coordinator",
        "--database",
        url,
        DIVERSION_PASSWORD=ADMIN_PASSWORD,
    )
    assert first.returncode == 0, first.stderr
    assert "first administrator admin" in first.stdout
    return url


def as_admin(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run(*args, DIVERSION_USER="admin", DIVERSION_PASSWORD=ADMIN_PASSWORD, **env)


def test_commands_need_a_signed_in_user_once_users_exist(db: str, tmp_path: Path) -> None:
    refused = run("export", "referrals", "--out", str(tmp_path / "r.csv"), "--database", db)
    assert refused.returncode == 1 and "--user" in refused.stderr
    wrong = run(
        "export",
        "referrals",
        "--out",
        str(tmp_path / "r.csv"),
        "--database",
        db,
        "--user",
        "admin",
        DIVERSION_PASSWORD="not the password",
    )
    assert wrong.returncode == 1 and "Sign-in refused" in wrong.stderr and not (tmp_path / "r.csv").exists()
    ok = as_admin("export", "referrals", "--out", str(tmp_path / "r.csv"), "--database", db)
    assert ok.returncode == 0, ok.stderr


def test_add_users_and_hold_them_to_their_roles(db: str) -> None:
    added = as_admin(
        "users",
        "add",
        "pc1234",
        "--role",
        "station staff",
        "--database",
        db,
        DIVERSION_NEW_PASSWORD="station staff passphrase",
    )
    assert added.returncode == 0, added.stderr
    weak = as_admin(
        "users", "add", "pc999", "--role", "station_staff", "--database", db, DIVERSION_NEW_PASSWORD="password123"
    )
    assert weak.returncode == 1 and "at least 12" in weak.stderr
    unknown_role = as_admin(
        "users",
        "add",
        "pc998",
        "--role",
        "sergeant",
        "--database",
        db,
        DIVERSION_NEW_PASSWORD="station staff passphrase",
    )
    assert unknown_role.returncode == 2 and "station_staff" in unknown_role.stderr
    listed = as_admin("users", "list", "--database", db).stdout
    assert "pc1234\tstation_staff\tpolice\tactive" in listed
    # station staff may not manage users, nor read the audit trail (once they chose their password)
    changed = run(
        "users",
        "passwd",
        "--database",
        db,
        DIVERSION_USER="pc1234",
        DIVERSION_PASSWORD="station staff passphrase",
        DIVERSION_NEW_PASSWORD="my own desk passphrase",
    )
    assert changed.returncode == 0, changed.stderr
    station = {"DIVERSION_USER": "pc1234", "DIVERSION_PASSWORD": "my own desk passphrase"}
    refused = run("users", "list", "--database", db, **station)
    assert refused.returncode == 1 and "may not" in refused.stderr
    assert run("audit", "verify", "--database", db, **station).returncode == 1


@pytest.mark.parametrize(
    ("display_name", "words"),
    [
        ("PC \x1b[2JJones", "control character (U+001B"),
        ("\u200b", "no visible letter"),
        ("Jones\u202e", "reverses the text"),
    ],
)
def test_a_display_name_must_be_visible_text(db: str, display_name: str, words: str) -> None:
    refused = as_admin(
        "users",
        "add",
        "pc4321",
        "--role",
        "station_staff",
        "--display-name",
        display_name,
        "--database",
        db,
        DIVERSION_NEW_PASSWORD="station staff passphrase",
    )
    assert refused.returncode == 1 and words in refused.stderr, refused.stderr
    assert "pc4321" not in as_admin("users", "list", "--database", db).stdout


def test_audit_verify_detects_a_tampered_row(db: str, tmp_path: Path) -> None:
    ok = as_admin("audit", "verify", "--database", db)
    assert ok.returncode == 0 and "intact" in ok.stdout, ok.stderr
    exported = as_admin("audit", "export", "--out", str(tmp_path / "a.csv"), "--action", "sign_in", "--database", db)
    assert exported.returncode == 0 and (tmp_path / "a.csv").exists()
    # --from/--to read as every command reads a day (domain/dates.py): a two-digit year too.
    dated = as_admin(
        "audit",
        "export",
        "--out",
        str(tmp_path / "b.csv"),
        "--from",
        "01/01/20",
        "--to",
        "31.12.2099",
        "--action",
        "sign_in",
        "--database",
        db,
    )
    assert dated.returncode == 0, dated.stderr
    before, since = ((tmp_path / name).read_text(encoding="utf-8-sig").splitlines() for name in ("a.csv", "b.csv"))
    assert since[: len(before)] == before and len(since) == len(before) + 1  # and this command's own sign-in
    impossible = as_admin("audit", "export", "--out", str(tmp_path / "c.csv"), "--from", "31/02/2026", "--database", db)
    assert impossible.returncode == 2 and "'31/02/2026' is not a real date" in impossible.stderr
    copy = tmp_path / "copy.sqlite3"
    with sqlite3.connect(db.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as connection:
        connection.execute("DROP TRIGGER audit_events_no_update")
        connection.execute("UPDATE audit_events SET detail = 'nothing to see' WHERE id = 2")
    tampered = as_admin("audit", "verify", "--database", f"sqlite:///{copy.as_posix()}")
    assert tampered.returncode == 1 and "row 2" in tampered.stderr


def test_users_add_without_users_needs_a_password(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'fresh.sqlite3').as_posix()}"
    result = run("users", "add", "admin", "--role", "administrator", "--database", url)
    assert result.returncode == 1 and "DIVERSION_NEW_PASSWORD" in result.stderr


def test_a_password_an_administrator_set_must_be_changed_before_any_command(db: str, tmp_path: Path) -> None:
    """Issue 14.6: the forced change applied to the application only; the command line let the
    administrator's password export everything."""
    added = as_admin(
        "users",
        "add",
        "coord7",
        "--role",
        "coordinator",
        "--database",
        db,
        DIVERSION_NEW_PASSWORD="set by the administrator",
    )
    assert added.returncode == 0, added.stderr
    given = {"DIVERSION_USER": "coord7", "DIVERSION_PASSWORD": "set by the administrator"}
    out = tmp_path / "people.csv"
    for command in (("export", "people", "--out", str(out)), ("audit", "verify"), ("users", "list")):
        refused = run(*command, "--database", db, **given)
        assert refused.returncode == 1 and "users passwd" in refused.stderr, (command, refused.stderr)
    assert not out.exists()
    changed = run("users", "passwd", "--database", db, **given, DIVERSION_NEW_PASSWORD="coordinator's own phrase")
    assert changed.returncode == 0 and "changed" in changed.stdout, changed.stderr
    ok = run(
        "export",
        "people",
        "--out",
        str(out),
        "--database",
        db,
        DIVERSION_USER="coord7",
        DIVERSION_PASSWORD="coordinator's own phrase",
    )
    assert ok.returncode == 0 and out.exists(), ok.stderr
