"""The command line as an administrator uses it: real processes, real database files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from diversion_desktop import __version__


def run(*args: str, env_db: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "diversion_desktop", *args]
    env = None
    if env_db is not None:
        import os

        env = {**os.environ, "DIVERSION_DATABASE_URL": env_db}
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"diversion-desktop {__version__}"
    for command in ((), ("demo",), ("letters",), ("migrate",), ("schemes",)):
        result = run(*command, "--help")
        assert result.returncode == 0 and "usage: diversion-desktop" in result.stdout


def test_usage_error_exits_2() -> None:
    assert run("demo", "--people", "none").returncode == 2
    assert run("letters", "--batch", "missed", "--out", "x.pdf").returncode == 2


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "demo.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    result = run("demo", "--people", "40", "--referrals", "60", "--database", url)
    assert result.returncode == 0, result.stderr
    assert "Sample data added" in result.stdout
    return url


def test_demo_refuses_a_database_with_people(demo_db: str) -> None:
    result = run("demo", env_db=demo_db)
    assert result.returncode == 1 and "already holds people" in result.stderr


def test_migrate_reports_up_to_date(demo_db: str) -> None:
    result = run("--database", demo_db, "migrate")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_letters_for_a_referral(demo_db: str, tmp_path: Path) -> None:
    import sqlite3

    path = demo_db.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        reference = connection.execute(
            "SELECT reference FROM referrals WHERE status='awaiting_appointment' ORDER BY id LIMIT 1"
        ).fetchone()[0]
    result = run("letters", "--referral", reference, "--out", str(tmp_path / "out"), "--database", demo_db)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / f"{reference}-RL.pdf").read_bytes().startswith(b"%PDF")
    missing = run("letters", "--referral", "WB-1999-99999", "--out", str(tmp_path), "--database", demo_db)
    assert missing.returncode == 1 and "No referral" in missing.stderr


def test_broken_scheme_file_is_named(tmp_path: Path) -> None:
    import os
    import shutil

    from diversion_desktop.resources import resources_dir

    resources = tmp_path / "resources"
    shutil.copytree(resources_dir(), resources)
    scheme = resources / "schemes" / "west-berkshire.toml"
    scheme.write_text(
        scheme.read_text(encoding="utf-8").replace('kind = "voluntary_attendance"', 'kind = "caution"'),
        encoding="utf-8",
    )
    env = {**os.environ, "DIVERSION_RESOURCES": str(resources)}
    result = subprocess.run(
        [sys.executable, "-m", "diversion_desktop", "schemes"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "west-berkshire.toml" in result.stderr and "'kind'" in result.stderr and "caution" in result.stderr
