"""``backup --encrypt`` and ``restore`` as an administrator runs them: real processes, real files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.import_files import referral, write_import

PASSWORD = "correct horse battery"


def run(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIVERSION_USER": "admin"}
    env.pop("DIVERSION_BACKUP_PASSWORD", None)
    if password is not None:
        env["DIVERSION_BACKUP_PASSWORD"] = password
    # No terminal: a command that needs a password and has none must say so, not wait for one.
    return subprocess.run(
        [sys.executable, "-m", "diversion_desktop", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("cli-backup")
    url = f"sqlite:///{(folder / 'live.sqlite3').as_posix()}"
    rows = [
        referral(reference="WB-2026-00101", surname="Jones", incident_date="2026-01-12"),
        referral(reference="WB-2026-00102", surname="Brown", incident_date="2026-01-13"),
    ]
    result = run("import", str(write_import(folder, "csv", rows)), "--database", url)
    assert result.returncode == 0, result.stderr
    return url


def surnames(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        return {row[0] for row in connection.execute("SELECT surname FROM people")}


def test_help() -> None:
    for command, words in (
        ("backup", ("--encrypt", "--plain", "DIVERSION_BACKUP_PASSWORD", "restore")),
        ("restore", ("--out NEWFILE", "NEW file", "DIVERSION_BACKUP_PASSWORD")),
    ):
        result = run(command, "--help")
        assert result.returncode == 0 and f"usage: diversion-desktop {command}" in result.stdout
        text = " ".join(result.stdout.split())
        assert all(word in text for word in words), (command, text)


def test_encrypted_backup_and_restore(db: str, tmp_path: Path) -> None:
    backup = tmp_path / "nightly.ddbackup"
    made = run("backup", "--out", str(backup), "--encrypt", "--database", db, password=PASSWORD)
    assert made.returncode == 0, made.stderr
    assert "encrypted" in made.stdout and "restore" in made.stdout
    assert backup.read_bytes().startswith(b"age-encryption.org/v1\n") and sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["nightly.ddbackup"]
    restored = tmp_path / "restored.sqlite3"
    wrong = run("restore", str(backup), "--out", str(restored), "--database", db, password=PASSWORD + "!")
    assert wrong.returncode == 1 and "password" in wrong.stderr and not restored.exists()
    right = run("restore", str(backup), "--out", str(restored), "--database", db, password=PASSWORD)
    assert right.returncode == 0, right.stderr
    assert f"--database sqlite:///{restored.resolve().as_posix()}" in right.stdout
    assert surnames(restored) == surnames(Path(db.removeprefix("sqlite:///")))
    again = run("restore", str(backup), "--out", str(restored), "--database", db, password=PASSWORD)
    assert again.returncode == 1 and "already exists" in again.stderr
    # The restored file is a database the application opens.
    assert run("migrate", "--database", f"sqlite:///{restored.as_posix()}").returncode == 0


def test_passwords_are_needed_and_long_enough(db: str, tmp_path: Path) -> None:
    out = tmp_path / "b.ddbackup"
    none = run("backup", "--out", str(out), "--encrypt", "--database", db)
    assert none.returncode == 2 and "DIVERSION_BACKUP_PASSWORD" in none.stderr
    short = run("backup", "--out", str(out), "--encrypt", "--database", db, password="only eleven")
    assert short.returncode == 2 and "at least 12" in short.stderr
    assert not out.exists()
    assert run("backup", "--out", str(out), "--encrypt", "--database", db, password=PASSWORD).returncode == 0
    needed = run("restore", str(out), "--out", str(tmp_path / "r.sqlite3"), "--database", db)
    assert needed.returncode == 2 and "encrypted" in needed.stderr and "DIVERSION_BACKUP_PASSWORD" in needed.stderr


def test_bad_backups_are_refused(db: str, tmp_path: Path) -> None:
    out = tmp_path / "b.ddbackup"
    assert run("backup", "--out", str(out), "--encrypt", "--database", db, password=PASSWORD).returncode == 0
    cut = tmp_path / "cut.ddbackup"
    cut.write_bytes(out.read_bytes()[:-100])
    target = tmp_path / "r.sqlite3"
    truncated = run("restore", str(cut), "--out", str(target), "--database", db, password=PASSWORD)
    assert truncated.returncode == 1 and "incomplete" in truncated.stderr and "Nothing was restored" in truncated.stderr
    text = tmp_path / "notes.txt"
    text.write_text("not a backup", encoding="utf-8")
    foreign = run("restore", str(text), "--out", str(target), "--database", db)
    assert foreign.returncode == 1 and "not a Diversion Desktop backup" in foreign.stderr
    missing = run("restore", str(tmp_path / "none.ddbackup"), "--out", str(target), "--database", db)
    assert missing.returncode == 1 and "no backup" in missing.stderr
    assert not target.exists() and not [p for p in tmp_path.iterdir() if ".part" in p.name]


def test_plain_backup_restores_without_a_password(db: str, tmp_path: Path) -> None:
    plain = tmp_path / "plain.sqlite3"
    assert run("backup", "--out", str(plain), "--plain", "--database", db).returncode == 0
    restored = run("restore", str(plain), "--out", str(tmp_path / "back.sqlite3"), "--database", db)
    assert restored.returncode == 0, restored.stderr
    assert surnames(tmp_path / "back.sqlite3") == {"Jones", "Brown"}


def test_the_default_backup_is_encrypted(db: str, tmp_path: Path) -> None:
    """Issue 14 item 9: as in the application, a backup is encrypted unless --plain says otherwise."""
    out = tmp_path / "b.ddbackup"
    asked = run("backup", "--out", str(out), "--database", db)
    assert asked.returncode == 2 and "DIVERSION_BACKUP_PASSWORD" in asked.stderr and not out.exists()
    assert run("backup", "--out", str(out), "--database", db, password=PASSWORD).returncode == 0
    assert out.read_bytes().startswith(b"age-encryption.org/v1\n")


def test_an_edited_plain_backup_is_not_restored(db: str, tmp_path: Path) -> None:
    """Issue 14 item 9: changing a name or ``barred`` in a plain backup no longer passes restore."""
    plain = tmp_path / "plain.sqlite3"
    assert run("backup", "--out", str(plain), "--plain", "--database", db).returncode == 0
    with closing(sqlite3.connect(plain)) as connection:
        connection.execute("UPDATE people SET surname = 'Smith', barred = 1 WHERE surname = 'Jones'")
        connection.commit()
    target = tmp_path / "back.sqlite3"
    edited = run("restore", str(plain), "--out", str(target), "--database", db)
    assert edited.returncode == 1 and "changed after it was made" in edited.stderr and not target.exists()
    with closing(sqlite3.connect(plain)) as connection:
        connection.execute("DROP TABLE backup_seal")
        connection.commit()
    unsealed = run("restore", str(plain), "--out", str(target), "--database", db)
    assert unsealed.returncode == 1 and "--unsealed" in unsealed.stderr and not target.exists()
    assert run("restore", str(plain), "--out", str(target), "--unsealed", "--database", db).returncode == 0


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and owner-only modes are POSIX")
def test_a_killed_encrypted_backup_leaves_no_plaintext(db: str, tmp_path: Path) -> None:
    """Issue 14 item 8: the real command killed (SIGKILL) at moments spread over its copy and its
    encryption never leaves a plaintext database beside the output; what it leaves in its private
    workspace is owner-only, and the next command to open the database deletes it."""
    import signal
    import stat
    import time

    live = Path(db.removeprefix("sqlite:///"))
    big = tmp_path / "big.sqlite3"
    with closing(sqlite3.connect(live)) as source, closing(sqlite3.connect(big)) as target:
        source.backup(target)
        target.execute("CREATE TABLE ballast (b BLOB)")  # 40 MiB, so a backup lasts long enough to kill
        target.executemany("INSERT INTO ballast VALUES (?)", [(os.urandom(1 << 20),) for _ in range(40)])
        target.commit()
    url = f"sqlite:///{big.as_posix()}"
    work = tmp_path / "work"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "DIVERSION_BACKUP_PASSWORD": PASSWORD, "DIVERSION_BACKUP_WORK_DIR": str(work)}
    plaintext_left, killed, in_workspace = [], 0, 0
    for run_number in range(13):
        out = out_dir / f"b{run_number}.ddbackup"
        process = subprocess.Popen(
            [sys.executable, "-m", "diversion_desktop", "backup", "--out", str(out), "--encrypt", "--database", url],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while (
            not (
                list(work.glob("backup-*")) or list(out_dir.glob(f".{out.name}*")) or list(out_dir.glob(f"{out.name}*"))
            )
            and process.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.002)  # the backup has started writing
        time.sleep(run_number * 0.04)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        for path in out_dir.iterdir():
            if path.is_file() and path.read_bytes()[:16] == b"SQLite format 3\x00":
                plaintext_left.append(path.name)
        for path in work.glob("backup-*/*"):
            in_workspace += path.name == "copy.sqlite3"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert killed >= 10 and plaintext_left == []
    assert in_workspace >= 1  # some kills did land while the plaintext copy existed
    # The next command that opens the database (any command) deletes what the killed ones left.
    assert (
        subprocess.run(
            [sys.executable, "-m", "diversion_desktop", "audit", "verify", "--database", url],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
        ).returncode
        == 0
    )
    # (A workspace killed in the instant between its folder and its lock is kept for a minute, in case
    # its backup is just starting: it never holds a copy.)
    assert [p for p in work.glob("backup-*/*") if p.name != "in-use.lock"] == []
