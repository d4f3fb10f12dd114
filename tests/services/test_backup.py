"""Backup and restore on real files with real SQLite and real encryption (age, and the format-1
files made before it): round trips, a database in use, and every bad input (wrong password, cut
short, changed, reordered, not a backup, newer) refused with nothing left behind and nothing
changed."""

from __future__ import annotations

import os
import sqlite3
import stat
import struct
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from diversion_desktop.domain.permissions import ROLE_PERMISSIONS, Permission, Principal, Role
from diversion_desktop.services.backup import (
    MIN_PASSWORD_LENGTH,
    BackupError,
    BackupPasswordError,
    BackupService,
    DamagedBackup,
    NewerBackup,
    NotABackup,
    UnsealedBackup,
    backup_source,
)
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import PermissionDenied, ServiceError
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.spreadsheets.encrypted import MIN_PASSWORD_LENGTH as EXPORT_MIN_PASSWORD_LENGTH
from diversion_desktop.store import encrypted_backup, private_files, sqlite_files
from diversion_desktop.store.migrate import alembic_config, before_copies, head_revision, upgrade
from tests import legacy_backup

PASSWORD = "correct horse battery"


@pytest.fixture
def fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cheaper scrypt (2**14), so the many refusals below run quickly (age's chunks are 64 KiB:
    the test database spans several). The real parameters are used by the first test."""
    monkeypatch.setattr(encrypted_backup, "SCRYPT_N", 2**14)


@pytest.fixture
def service(ctx: AppContext, make_draft: Callable[..., object]) -> BackupService:
    intake = IntakeService(ctx)
    intake.save(make_draft())
    intake.save(make_draft(surname="Jones", forenames="Ann", crime_reference="43260009999"))
    return BackupService(ctx)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "backups"
    folder.mkdir()
    return folder


def dump(path: Path) -> list[str]:
    """Every row of every table, as SQL: equal dumps mean equal databases. The audit trail is
    left out: the live database goes on to record the backup and the restore themselves."""
    with closing(sqlite3.connect(path)) as connection:
        return [
            line
            for line in connection.iterdump()
            if line.startswith("INSERT") and not line.startswith('INSERT INTO "audit_events"')
        ]


def test_backups_and_restores_are_audited(service: BackupService, out_dir: Path) -> None:
    from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService

    result = service.backup(out_dir / "audited.sqlite3")
    service.restore(result.out, out_dir / "restored.sqlite3", None)
    _total, rows = AuditTrailService(service.ctx).events(AuditFilters())
    assert [r.action for r in rows[:2]] == ["backup_restored", "backup_made"]
    assert "NOT encrypted backup to" in rows[1].detail


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE people SET surname = 'Smyth' WHERE surname = 'Jones'",
        "UPDATE people SET barred = 1",
        "DELETE FROM referrals WHERE id = (SELECT max(id) FROM referrals)",
        "DROP TRIGGER audit_events_no_update",
    ],
)
def test_an_edited_plain_backup_is_refused(service: BackupService, out_dir: Path, edit: str) -> None:
    """Issue 14 item 9: a plain backup carries a seal (a SHA-256 of its content) that restore checks."""
    plain = service.backup(out_dir / "plain.sqlite3").out
    with closing(sqlite3.connect(plain)) as connection:
        connection.execute(edit)
        connection.commit()
    with pytest.raises(DamagedBackup, match="changed after it was made"):
        service.restore(plain, out_dir / "back.sqlite3", None)
    assert not (out_dir / "back.sqlite3").exists() and leftovers(out_dir) == []


def test_a_plain_backup_without_its_seal_is_restored_only_on_purpose(service: BackupService, out_dir: Path) -> None:
    from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService

    plain = service.backup(out_dir / "plain.sqlite3").out
    with closing(sqlite3.connect(plain)) as connection:
        connection.execute("DROP TABLE backup_seal")
        connection.execute("UPDATE people SET surname = 'Smyth' WHERE surname = 'Jones'")
        connection.commit()
    with pytest.raises(UnsealedBackup, match="carries no checksum"):
        service.restore(plain, out_dir / "back.sqlite3", None)
    restored = service.restore(plain, out_dir / "back.sqlite3", None, unsealed=True)
    assert "backup_seal" not in sqlite_files.tables(restored.out)
    _total, rows = AuditTrailService(service.ctx).events(AuditFilters(action="backup_restored"))
    assert "WITHOUT checking a seal" in rows[0].detail


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no owner-only mode bits (see docs/security.md)")
@pytest.mark.usefixtures("fast_kdf")
def test_every_file_written_is_readable_by_its_owner_only(
    service: BackupService, out_dir: Path, db_path: Path, tmp_path: Path
) -> None:
    """Issue 14 item 8: plain and encrypted backups, restored databases and the copy kept before an
    upgrade are 0600, whatever the umask."""
    old_umask = os.umask(0o022)
    try:
        plain = service.backup(out_dir / "plain.sqlite3").out
        encrypted = service.backup(out_dir / "b.ddbackup", PASSWORD).out
        from_plain = service.restore(plain, out_dir / "from-plain.sqlite3", None).out
        from_encrypted = service.restore(encrypted, out_dir / "from-encrypted.sqlite3", PASSWORD).out
        old = tmp_path / "old.sqlite3"
        engine = create_engine(f"sqlite:///{old.as_posix()}")
        try:
            from alembic import command

            command.upgrade(alembic_config(engine), "0008")
            upgrade(engine)
        finally:
            engine.dispose()
        [before] = before_copies(old)
    finally:
        os.umask(old_umask)
    assert {p.name: oct(mode(p)) for p in (plain, encrypted, from_plain, from_encrypted, before)} == {
        p.name: "0o600" for p in (plain, encrypted, from_plain, from_encrypted, before)
    }
    assert sqlite_files.seal_state(before) == "sound"  # restore checks it like a plain backup


def test_copies_kept_before_upgrades_are_pruned(service: BackupService, tmp_path: Path) -> None:
    """An upgrade keeps its new copy and deletes those older than 30 days; retention deletes every
    copy older than 30 days, the newest too."""
    from diversion_desktop.store.migrate import prune_before_copies

    db = tmp_path / "live.sqlite3"
    db.write_bytes(b"")
    month_ago = time.time() - 31 * 86400
    for name, age in (
        ("live.before-0005.20250101-000000.sqlite3", month_ago - 100),
        ("live.before-0007.20250102-000000.sqlite3", month_ago),
        ("live.before-0009.20260301-000000.sqlite3", time.time()),
    ):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (age, age))
    assert [p.name for p in prune_before_copies(db)] == [
        "live.before-0005.20250101-000000.sqlite3",
        "live.before-0007.20250102-000000.sqlite3",
    ]
    os.utime(tmp_path / "live.before-0009.20260301-000000.sqlite3", (month_ago, month_ago))
    assert [p.name for p in prune_before_copies(db)] == []  # the newest stays at an upgrade
    assert len(prune_before_copies(db, keep_newest=False)) == 1 and before_copies(db) == []


def leftovers(folder: Path) -> list[str]:
    """What a backup or restore may leave only while it runs: ``.part`` files and temporary copies."""
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name or p.name.endswith((".copy", ".copy-journal")))


def frames(path: Path) -> list[tuple[int, int, int]]:
    """(start, end, last flag) of every chunk in an age backup: after the header (up to the line
    starting "---") and the 16-byte nonce, 64 KiB and a 16-byte tag each, the last one shorter."""
    data = path.read_bytes()
    offset = data.index(b"\n", data.index(b"\n---")) + 1 + 16
    found = []
    while offset < len(data):
        end = min(offset + encrypted_backup.AGE_CHUNK + 16, len(data))
        found.append((offset, end, int(end == len(data))))
        offset = end
    return found


def legacy_frames(path: Path) -> list[tuple[int, int, int]]:
    """(start, end, last flag) of every chunk in a format-1 backup, from its framing."""
    data = path.read_bytes()
    header_length = struct.unpack(">H", data[9:11])[0]
    offset = 11 + header_length + 16
    found = []
    while offset < len(data):
        flag, length = struct.unpack(">BI", data[offset : offset + 5])
        found.append((offset, offset + 5 + length, flag))
        offset += 5 + length
    return found


def test_password_length_is_the_longer_of_exports_and_12() -> None:
    assert EXPORT_MIN_PASSWORD_LENGTH == 8 and MIN_PASSWORD_LENGTH == 12


def test_encrypted_round_trip(service: BackupService, db_path: Path, out_dir: Path, tmp_path: Path) -> None:
    steps: list[tuple[int, int]] = []
    result = service.backup(out_dir / "nightly.ddbackup", PASSWORD, progress=lambda d, t: steps.append((d, t)))
    assert (
        result.encrypted
        and result.out == out_dir / "nightly.ddbackup"
        and result.revision == head_revision(service.ctx.engine)
    )
    data = result.out.read_bytes()
    assert data.startswith(b"age-encryption.org/v1\n-> scrypt ") and b"SQLite format 3" not in data
    assert b"Jones" not in data
    assert steps[-1][0] == steps[-1][1] == 2 * result.database_bytes  # copy, then encryption
    assert [d for d, _t in steps] == sorted(d for d, _t in steps)
    assert sorted(p.name for p in out_dir.iterdir()) == ["nightly.ddbackup"]  # no plaintext copy left
    info = service.inspect(result.out)
    # age keeps nothing readable without the password but the size: the revision is checked on restore
    assert info.encrypted and info.revision is None and not info.newer
    assert info.database_bytes == result.database_bytes and "encrypted backup" in info.describe()
    assert "checked when it is restored" in info.describe()

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    seen: list[tuple[int, int]] = []
    restored = service.restore(
        result.out, restored_dir / "copy.sqlite3", PASSWORD, progress=lambda d, t: seen.append((d, t))
    )
    assert restored.out == restored_dir / "copy.sqlite3" and restored.encrypted and not restored.upgrade_needed
    assert seen[-1] == (len(data), len(data))
    assert dump(restored.out) == dump(db_path) and len([x for x in dump(db_path) if "Jones" in x]) >= 1
    assert sorted(p.name for p in restored_dir.iterdir()) == ["copy.sqlite3"]
    assert f"--database sqlite:///{restored.out.resolve().as_posix()}" in restored.summary()
    # The restored file opens as a database of the application.
    opened = open_context(restored.url)
    opened.engine.dispose()


def test_plain_round_trip(service: BackupService, db_path: Path, out_dir: Path) -> None:
    result = service.backup(out_dir / "plain.sqlite3")
    assert not result.encrypted and result.out.read_bytes().startswith(b"SQLite format 3\x00")
    with closing(sqlite3.connect(result.out)) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert sorted(p.name for p in out_dir.iterdir()) == ["plain.sqlite3"]
    info = service.inspect(result.out)
    assert not info.encrypted and info.revision == result.revision
    restored = service.restore(result.out, out_dir / "back.sqlite3", None)
    assert not restored.encrypted and dump(restored.out) == dump(db_path)
    with pytest.raises(BackupError, match="already exists"):
        service.backup(out_dir / "plain.sqlite3")
    assert service.backup(out_dir / "plain.sqlite3", force=True).out.exists()


@pytest.mark.usefixtures("fast_kdf")
def test_backup_of_a_database_in_use(
    service: BackupService, db_path: Path, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed rows still in the write-ahead log are in the copy; another instance's open write
    transaction neither blocks the backup nor shows in it; a write committed while the copy is
    under way does not make it inconsistent (the copy is the database as it was at its start)."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("PRAGMA wal_autocheckpoint=0")  # keep what it commits in the -wal file
    other.execute("UPDATE people SET surname = 'Committed' WHERE surname = 'Jones'")
    assert (db_path.with_name(db_path.name + "-wal")).stat().st_size > 0
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE people SET surname = 'Uncommitted' WHERE surname = 'Smith'")
    monkeypatch.setattr(sqlite_files, "PAGES_PER_STEP", 2)  # many steps, so a write can land between them
    writer = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    landed: list[bool] = []

    def write_midway(done: int, total: int) -> None:
        if not landed and 0 < done < total // 2:
            other.execute("COMMIT")  # the open transaction commits while the copy runs
            writer.execute("UPDATE people SET surname = 'During' WHERE surname = 'Committed'")
            landed.append(True)

    try:
        result = service.backup(out_dir / "live.ddbackup", PASSWORD, progress=write_midway)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
        writer.close()
    assert landed
    restored = service.restore(result.out, out_dir / "live.sqlite3", PASSWORD)
    with closing(sqlite3.connect(restored.out)) as copy:
        names = {row[0] for row in copy.execute("SELECT surname FROM people")}
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert names == {"Smith", "Committed"}


@pytest.mark.usefixtures("fast_kdf")
def test_wrong_password_changes_nothing(service: BackupService, out_dir: Path) -> None:
    backup = service.backup(out_dir / "b.ddbackup", PASSWORD).out
    before = backup.read_bytes()
    with pytest.raises(BackupPasswordError, match="not this backup's password"):
        service.restore(backup, out_dir / "r.sqlite3", "correct horse batterz")
    with pytest.raises(BackupPasswordError, match="encrypted: give its password"):
        service.restore(backup, out_dir / "r.sqlite3", None)
    assert not (out_dir / "r.sqlite3").exists() and leftovers(out_dir) == [] and backup.read_bytes() == before


@pytest.mark.usefixtures("fast_kdf")
def test_a_backup_cut_short_anywhere_is_refused(service: BackupService, out_dir: Path) -> None:
    backup = service.backup(out_dir / "b.ddbackup", PASSWORD).out
    data = backup.read_bytes()
    chunks = frames(backup)
    assert len(chunks) > 3 and [flag for *_r, flag in chunks] == [0] * (len(chunks) - 1) + [1]
    header_end = chunks[0][0]
    cuts = {
        0,
        4,
        8,
        22,
        30,
        header_end - 17,
        header_end - 5,
        header_end,  # inside the magic, header, nonce
        chunks[2][0] + 3,
        (chunks[2][0] + chunks[2][1]) // 2,
        len(data) - 1,
    }
    cuts |= {end for _start, end, _flag in chunks[:-1]}  # exactly at every chunk boundary but the last
    for cut in sorted(cuts):
        truncated = out_dir / f"cut-{cut}.ddbackup"
        truncated.write_bytes(data[:cut])
        expected = NotABackup if cut == 0 else DamagedBackup
        with pytest.raises(expected) as refused:
            service.restore(truncated, out_dir / "r.sqlite3", PASSWORD)
        assert "Nothing was restored" in str(refused.value), cut
        if cut >= header_end:
            assert "incomplete" in str(refused.value) or "cut short" in str(refused.value), cut
        assert not (out_dir / "r.sqlite3").exists() and leftovers(out_dir) == [], cut
        truncated.unlink()


@pytest.mark.usefixtures("fast_kdf")
def test_changed_bytes_reordered_or_extra_chunks_are_refused(service: BackupService, out_dir: Path) -> None:
    backup = service.backup(out_dir / "b.ddbackup", PASSWORD).out
    data = backup.read_bytes()
    chunks = frames(backup)
    (a_start, a_end, _), (b_start, b_end, _) = chunks[1], chunks[2]
    last_start = chunks[-1][0]
    flipped_body = bytearray(data)
    flipped_body[(b_start + b_end) // 2] ^= 0x01
    flipped_nonce = bytearray(data)
    flipped_nonce[chunks[0][0] - 1] ^= 0x01
    bad = {
        "flipped byte": bytes(flipped_body),
        "reordered": data[:a_start] + data[b_start:b_end] + data[a_start:a_end] + data[b_end:],
        "chunk dropped": data[:a_start] + data[a_end:],
        "chunk repeated": data[:b_end] + data[a_start:a_end] + data[b_end:],
        "data after the end": data + b"\x00",
        "cut at a chunk boundary": data[: chunks[-2][1]],
        "nonce changed": bytes(flipped_nonce),
        "last chunk from another place": data[:last_start] + data[a_start:a_end],
    }
    for name, content in bad.items():
        changed = out_dir / "changed.ddbackup"
        changed.write_bytes(content)
        with pytest.raises(DamagedBackup):
            service.restore(changed, out_dir / "r.sqlite3", PASSWORD)
        assert not (out_dir / "r.sqlite3").exists() and leftovers(out_dir) == [], name
    # A changed salt or cost: the sealed key does not open, which cannot be told from a wrong password.
    stanza = data.index(b"-> scrypt ") + len(b"-> scrypt ")
    other = b"B" if data[stanza : stanza + 1] == b"A" else b"A"  # the salt's first letter, still base64
    for changed_header in (data[:stanza] + other + data[stanza + 1 :], data.replace(b" 14\n", b" 15\n", 1)):
        changed.write_bytes(changed_header)
        with pytest.raises(BackupPasswordError, match="header was changed"):
            service.restore(changed, out_dir / "r.sqlite3", PASSWORD)
    # A changed MAC: the key opens, the header's check fails.
    mac = data.index(b"\n--- ") + 6
    changed.write_bytes(data[:mac] + (b"B" if data[mac : mac + 1] == b"A" else b"A") + data[mac + 1 :])
    with pytest.raises(DamagedBackup, match="header was changed"):
        service.restore(changed, out_dir / "r.sqlite3", PASSWORD)
    # A version of the format this version does not know.
    changed.write_bytes(data.replace(b"age-encryption.org/v1", b"age-encryption.org/v2", 1))
    with pytest.raises(NewerBackup, match="newer version"):
        service.restore(changed, out_dir / "r.sqlite3", PASSWORD)
    assert not (out_dir / "r.sqlite3").exists() and leftovers(out_dir) == []


@pytest.mark.usefixtures("fast_kdf")
def test_a_backup_encrypted_before_age_is_still_restored(
    service: BackupService, db_path: Path, out_dir: Path, tmp_path: Path
) -> None:
    """Format 1 (``DDBACKUP``, made by the writer the application had before age): read, checked
    and refused as before."""
    plain = service.backup(tmp_path / "plain.sqlite3").out
    with closing(sqlite3.connect(plain)) as connection:
        connection.execute("DROP TABLE backup_seal")  # the old writer encrypted an unsealed copy
        connection.commit()
    legacy = out_dir / "old.ddbackup"
    revision = head_revision(service.ctx.engine)
    legacy_backup.encrypt_legacy(
        plain,
        legacy,
        PASSWORD,
        revision=revision,
        created="2026-03-02T22:00:00",
        chunk_size=16 * 1024,
        scrypt=(2**14, 8, 1),
    )
    data = legacy.read_bytes()
    info = service.inspect(legacy)
    assert info.encrypted and info.revision == revision and info.database_bytes == plain.stat().st_size
    assert "made 2026-03-02 22:00:00" in info.describe() and not info.newer
    with pytest.raises(BackupPasswordError, match="not this backup's password"):
        service.restore(legacy, out_dir / "r.sqlite3", "correct horse batterz")
    chunks = legacy_frames(legacy)
    assert len(chunks) > 5
    (a_start, a_end, _), (b_start, b_end, _) = chunks[1], chunks[2]
    flipped = bytearray(data)
    flipped[(b_start + b_end) // 2] ^= 0x01
    header = bytearray(data)
    header[data.index(b'"created":"') + 12] ^= 0x01
    newer = bytearray(data)
    newer[8] = encrypted_backup.FORMAT_VERSION + 1
    bad = {
        "cut short": (data[: chunks[3][1]], DamagedBackup, "cut short"),
        "flipped byte": (bytes(flipped), DamagedBackup, "fails its check"),
        "reordered": (
            data[:a_start] + data[b_start:b_end] + data[a_start:a_end] + data[b_end:],
            DamagedBackup,
            "fails its check",
        ),
        "header changed": (bytes(header), BackupPasswordError, "header was changed"),
        "newer format": (bytes(newer), NewerBackup, "newer version"),
    }
    changed = out_dir / "changed.ddbackup"
    for name, (content, error, message) in bad.items():
        changed.write_bytes(content)
        with pytest.raises(error, match=message):
            service.restore(changed, out_dir / "r.sqlite3", PASSWORD)
        assert not (out_dir / "r.sqlite3").exists() and leftovers(out_dir) == [], name
    restored = service.restore(legacy, out_dir / "r.sqlite3", PASSWORD)
    assert restored.encrypted and restored.revision == revision and dump(restored.out) == dump(db_path)


def test_not_a_backup(service: BackupService, out_dir: Path, tmp_path: Path) -> None:
    text = out_dir / "notes.txt"
    text.write_text("minutes of the meeting\n", encoding="utf-8")
    empty = out_dir / "empty.ddbackup"
    empty.write_bytes(b"")
    for path in (text, empty):
        with pytest.raises(NotABackup, match="not a Diversion Desktop backup"):
            service.restore(path, out_dir / "r.sqlite3", PASSWORD)
        with pytest.raises(NotABackup):
            service.inspect(path)
    foreign = out_dir / "other-app.sqlite3"
    with closing(sqlite3.connect(foreign)) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num TEXT)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
        connection.execute("CREATE TABLE invoices (id INTEGER)")
        connection.commit()
    with pytest.raises(NotABackup, match="not one of Diversion Desktop's"):
        service.restore(foreign, out_dir / "r.sqlite3", None)
    corrupt = out_dir / "corrupt.sqlite3"
    corrupt.write_bytes(service.backup(tmp_path / "good.sqlite3").out.read_bytes()[: 4096 * 3])
    with pytest.raises(DamagedBackup):
        service.restore(corrupt, out_dir / "r.sqlite3", None)
    with pytest.raises(BackupError, match="There is no file"):
        service.restore(out_dir / "missing.ddbackup", out_dir / "r.sqlite3", PASSWORD)
    assert not (out_dir / "r.sqlite3").exists() and leftovers(out_dir) == []


@pytest.mark.usefixtures("fast_kdf")
def test_a_backup_from_a_newer_version_is_refused(service: BackupService, out_dir: Path, tmp_path: Path) -> None:
    plain = service.backup(tmp_path / "plain.sqlite3").out
    with closing(sqlite3.connect(plain)) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
        connection.commit()
    assert service.inspect(plain).newer
    with pytest.raises(NewerBackup, match="newer version of Diversion Desktop .*revision 9999"):
        service.restore(plain, out_dir / "r.sqlite3", None)
    encrypted = out_dir / "newer.ddbackup"
    encrypted_backup.encrypt(plain, encrypted, PASSWORD)
    assert not service.inspect(encrypted).newer  # age: the revision is inside, read when restored
    with pytest.raises(NewerBackup, match="revision 9999"):
        service.restore(encrypted, out_dir / "r.sqlite3", PASSWORD)
    legacy = out_dir / "newer-legacy.ddbackup"
    legacy_backup.encrypt_legacy(
        plain, legacy, PASSWORD, revision="9999", created="2030-01-01T00:00:00", scrypt=(2**14, 8, 1)
    )
    info = service.inspect(legacy)
    assert info.encrypted and info.revision == "9999" and info.newer and "newer version" in info.describe()
    with pytest.raises(NewerBackup, match="revision 9999"):
        service.restore(legacy, out_dir / "r.sqlite3", PASSWORD)
    assert not (out_dir / "r.sqlite3").exists() and leftovers(out_dir) == []


def test_a_backup_from_an_older_version_is_restored_and_upgraded(service: BackupService, tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{old.as_posix()}")
    try:
        from alembic import command

        command.upgrade(alembic_config(engine), "0003")
    finally:
        engine.dispose()
    with pytest.raises(UnsealedBackup, match="no checksum.*--unsealed"):  # older versions did not seal
        service.restore(old, tmp_path / "restored.sqlite3", None)
    restored = service.restore(old, tmp_path / "restored.sqlite3", None, unsealed=True)
    assert restored.revision == "0003" and restored.upgrade_needed
    assert "upgraded when first opened" in restored.summary()
    opened = open_context(restored.url)  # upgrades it
    head = head_revision(opened.engine)
    opened.engine.dispose()
    assert sqlite_files.revision(restored.out) == head


@pytest.mark.usefixtures("fast_kdf")
def test_restore_never_replaces_a_file(service: BackupService, out_dir: Path, db_path: Path) -> None:
    backup = service.backup(out_dir / "b.ddbackup", PASSWORD).out
    existing = out_dir / "existing.sqlite3"
    existing.write_bytes(b"precious")
    with pytest.raises(BackupError, match="already exists.*new file"):
        service.restore(backup, existing, PASSWORD)
    with pytest.raises(BackupError, match="already exists"):
        service.restore(backup, db_path, PASSWORD)
    with pytest.raises(BackupError, match="does not exist"):
        service.restore(backup, out_dir / "no such folder" / "r.sqlite3", PASSWORD)
    assert existing.read_bytes() == b"precious" and leftovers(out_dir) == []
    assert not (out_dir / "no such folder").exists()


@pytest.mark.usefixtures("fast_kdf")
def test_backup_refusals(service: BackupService, out_dir: Path, db_path: Path) -> None:
    with pytest.raises(BackupPasswordError, match=f"at least {MIN_PASSWORD_LENGTH}"):
        service.backup(out_dir / "b.ddbackup", "eleven char")
    with pytest.raises(BackupPasswordError, match="space"):
        service.backup(out_dir / "b.ddbackup", " leading space pass")
    with pytest.raises(BackupError, match="over the database itself"):
        service.backup(db_path, PASSWORD, force=True)
    with pytest.raises(BackupError, match="folder"):
        service.backup(out_dir, PASSWORD, force=True)
    assert list(out_dir.iterdir()) == []
    with pytest.raises(BackupError, match="pg_dump") as server:
        backup_source("postgresql://user:secret@server/diversion")
    assert "secret" not in str(server.value)
    with pytest.raises(BackupError, match="no database"):
        backup_source(f"sqlite:///{(out_dir / 'none.sqlite3').as_posix()}")


@pytest.mark.usefixtures("fast_kdf")
def test_an_interrupted_backup_leaves_nothing(
    service: BackupService, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped during the copy and during the encryption: no temporary plaintext, no .part, and an
    earlier backup of the same name is left as it was. While it runs, the plaintext copy is only in
    the private workspace (never beside the output), readable by its owner only."""
    monkeypatch.setattr(sqlite_files, "PAGES_PER_STEP", 2)  # the copy in steps, so it can be stopped midway
    earlier = out_dir / "b.ddbackup"
    earlier.write_bytes(b"last week's backup")

    class Stop(Exception):
        pass

    for phase in ("copy", "encryption"):

        def stop(done: int, total: int, phase: str = phase) -> None:
            if (phase == "copy" and 0 < done < total // 2) or (phase == "encryption" and done > total * 3 // 4):
                assert not [
                    p
                    for p in out_dir.iterdir()
                    if p.name != "b.ddbackup" and not p.read_bytes().startswith(b"age-encryption.org/v1")
                ]  # nothing plain beside it
                [copy] = list(private_files.work_root().glob("backup-*/copy.sqlite3"))
                if sys.platform != "win32":
                    assert mode(copy) == 0o600 and mode(copy.parent) == 0o700
                raise Stop

        with pytest.raises(Stop):
            service.backup(earlier, PASSWORD, progress=stop, force=True)
        assert sorted(p.name for p in out_dir.iterdir()) == ["b.ddbackup"], phase
        assert earlier.read_bytes() == b"last week's backup"
        assert list(private_files.work_root().glob("backup-*")) == [], phase


@pytest.mark.usefixtures("fast_kdf")
@pytest.mark.parametrize("role", list(Role))
def test_only_a_role_allowed_to_back_up_may(service: BackupService, out_dir: Path, role: Role) -> None:
    """The permission matrix for this service: every role, every method."""
    plain = service.backup(out_dir / "plain.sqlite3").out
    encrypted = service.backup(out_dir / "e.ddbackup", PASSWORD).out
    before = sorted(p.name for p in out_dir.iterdir())
    service.ctx.sign_in_as(Principal("x", frozenset({role})))
    attempts = {
        "backup": lambda: service.backup(out_dir / "b.ddbackup", PASSWORD),
        "inspect": lambda: service.inspect(encrypted),
        "restore": lambda: service.restore(encrypted, out_dir / "r.sqlite3", PASSWORD),
    }
    assert set(attempts) == {n for n in vars(BackupService) if not n.startswith("_")}
    if Permission.BACKUP in ROLE_PERMISSIONS[role]:
        for attempt in attempts.values():
            attempt()
        assert (out_dir / "b.ddbackup").exists() and (out_dir / "r.sqlite3").exists()
        return
    for name, attempt in attempts.items():
        with pytest.raises(PermissionDenied, match="backup"):
            attempt()
        assert sorted(p.name for p in out_dir.iterdir()) == before, name
    service.ctx.sign_in_as(None)
    with pytest.raises(PermissionDenied, match="Sign in"):
        service.restore(plain, out_dir / "r.sqlite3", None)
    assert sorted(p.name for p in out_dir.iterdir()) == before


def test_every_refusal_is_a_service_error() -> None:
    for error in (BackupError, BackupPasswordError, DamagedBackup, NotABackup, NewerBackup):
        assert issubclass(error, ServiceError)
