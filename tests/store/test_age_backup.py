"""Encrypted backups are standard age files: another implementation of age (pyrage, the Python
binding of rage) opens a backup made here and gives back the database file, as ``age -d`` would;
a file it encrypts with a passphrase restores here; and the ``age`` tool itself does the same
when it is installed (packaging/install-system-deps.sh --test installs it)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pyrage
import pytest

from diversion_desktop.services.backup import BackupService, DamagedBackup
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.store import encrypted_backup

PASSWORD = "correct horse battery"


@pytest.fixture
def service(ctx: AppContext, make_draft: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> BackupService:
    monkeypatch.setattr(encrypted_backup, "SCRYPT_N", 2**14)  # quicker; the real cost is tested elsewhere
    IntakeService(ctx).save(make_draft(surname="Jones", forenames="Ann", crime_reference="43260009999"))
    return BackupService(ctx)


def people(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute("SELECT surname, forenames FROM people ORDER BY id").fetchall()


def test_pyrage_decrypts_a_backup_into_the_database(service: BackupService, db_path: Path, tmp_path: Path) -> None:
    backup = service.backup(tmp_path / "nightly.ddbackup", PASSWORD).out
    plain = pyrage.passphrase.decrypt(backup.read_bytes(), PASSWORD)
    assert plain.startswith(b"SQLite format 3\x00")
    database = tmp_path / "from-age.sqlite3"
    database.write_bytes(plain)
    assert ("Jones", "Ann") in people(database) and people(database) == people(db_path)
    with closing(sqlite3.connect(database)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(backup.read_bytes(), "not the password")


def test_a_file_encrypted_by_pyrage_is_restored(service: BackupService, db_path: Path, tmp_path: Path) -> None:
    """A plain backup encrypted with another age implementation (its own scrypt cost, 2**18 here)."""
    plain = service.backup(tmp_path / "plain.sqlite3").out
    encrypted = tmp_path / "by-rage.age"
    encrypted.write_bytes(pyrage.passphrase.encrypt(plain.read_bytes(), PASSWORD))
    assert service.inspect(encrypted).database_bytes == plain.stat().st_size
    restored = service.restore(encrypted, tmp_path / "restored.sqlite3", PASSWORD)
    assert restored.encrypted and people(restored.out) == people(db_path)


def test_an_age_file_for_keys_is_refused_plainly(service: BackupService, tmp_path: Path) -> None:
    plain = service.backup(tmp_path / "plain.sqlite3").out
    encrypted = tmp_path / "for-a-key.age"
    encrypted.write_bytes(pyrage.encrypt(plain.read_bytes(), [pyrage.x25519.Identity.generate().to_public()]))
    with pytest.raises(DamagedBackup, match="not protected by a password alone"):
        service.restore(encrypted, tmp_path / "restored.sqlite3", PASSWORD)
    assert not (tmp_path / "restored.sqlite3").exists()


def _age_decrypt(source: Path, out: Path, password: str) -> int:
    """Run ``age -d`` as a person would: it asks for the passphrase on its terminal (a pty here)."""
    import pty

    pid, terminal = pty.fork()
    if pid == 0:  # the child: age, with the pty as its controlling terminal
        os.execvp("age", ["age", "--decrypt", "--output", str(out), str(source)])
    seen = b""
    try:
        while b"passphrase" not in seen.lower():
            seen += os.read(terminal, 1024)
        os.write(terminal, password.encode("utf-8") + b"\n")
        while True:
            try:
                if not os.read(terminal, 1024):
                    break
            except OSError:  # the child closed the terminal
                break
    finally:
        os.close(terminal)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.skipif(
    sys.platform == "win32" or shutil.which("age") is None,
    reason="the age tool is not installed (packaging/install-system-deps.sh --test installs it)",
)
def test_the_age_tool_decrypts_a_backup(service: BackupService, db_path: Path, tmp_path: Path) -> None:
    backup = service.backup(tmp_path / "nightly.ddbackup", PASSWORD).out
    assert _age_decrypt(backup, tmp_path / "wrong.sqlite3", "not the password") != 0
    assert _age_decrypt(backup, tmp_path / "from-age.sqlite3", PASSWORD) == 0
    assert people(tmp_path / "from-age.sqlite3") == people(db_path)
