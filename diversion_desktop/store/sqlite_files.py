"""SQLite database files as files: a consistent copy of a live one, checks, and clean removal.

Used by backup and restore (services/backup.py). Everything here works on paths with the
standard ``sqlite3`` module, not through the application's engine, because a backup and a
restored file are separate databases that the application must not open as its own.

A plain (not encrypted) backup is *sealed*: a table ``backup_seal`` in the copy holds the SHA-256
of everything else in it (the schema, triggers included, and every row of every table, in a
fixed order). Restore recomputes it, refuses the copy when it differs, and drops the table from
the restored database. It proves the copy was not damaged nor edited by someone who did not also
recompute the seal; it does not prove who made the copy: anyone with the file and this method
can edit rows and seal it again. An encrypted backup needs no seal: AES-GCM authenticates it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from diversion_desktop.store.migrate import VERSION_TABLE
from diversion_desktop.store.private_files import create_private

Progress = Callable[[int, int], None]
PAGES_PER_STEP = 4096  # 16 MiB at the usual 4 KiB page: progress about every tenth of a second
_COMPANIONS = ("-wal", "-shm", "-journal")
SEAL_TABLE = "backup_seal"
SEAL_ALGORITHM = "sha256-content-v1"


def snapshot_copy(source: Path, destination: Path, progress: Progress | None = None) -> int:
    """Copy the live database ``source`` into ``destination`` (a new or empty file) with SQLite's
    online backup; returns the bytes copied. ``progress(done, total)`` counts bytes.

    The copy is the database as it was when the copy started. A read transaction is held on the
    source for the whole copy: without it a step-by-step backup starts again whenever another
    instance writes, and on a busy database might never finish. In WAL mode (the application's)
    that transaction does not hold up anyone else's writes. ``destination`` is created readable
    by its owner only."""
    create_private(destination)
    with closing(sqlite3.connect(str(source), isolation_level=None, timeout=30)) as src:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the snapshot
        page_size = src.execute("PRAGMA page_size").fetchone()[0]
        total = src.execute("PRAGMA page_count").fetchone()[0] * page_size

        def step(_status: int, remaining: int, pages: int) -> None:
            if progress is not None:
                progress((pages - remaining) * page_size, total)

        with closing(sqlite3.connect(str(destination))) as dst:
            src.backup(dst, pages=PAGES_PER_STEP, progress=step)
        src.execute("COMMIT")
    if progress is not None:
        progress(total, total)
    return total


def check(path: Path, thorough: bool) -> list[str]:
    """SQLite's own check of the file: [] when sound, else its findings. ``thorough``: the full
    ``integrity_check`` (also compares every index with its table), else ``quick_check``.
    Raises sqlite3.DatabaseError when the file is not a database at all."""
    pragma = "integrity_check" if thorough else "quick_check"
    with closing(sqlite3.connect(str(path))) as connection:
        rows = [str(row[0]) for row in connection.execute(f"PRAGMA {pragma}")]
    return [] if rows == ["ok"] else rows


def make_self_contained(path: Path) -> None:
    """Rollback-journal mode, so the database is the one file (no -wal beside it to lose); the
    application turns WAL back on when it opens the file."""
    with closing(sqlite3.connect(str(path))) as connection:
        connection.execute("PRAGMA journal_mode=DELETE").fetchone()


def _read_only(path: Path) -> sqlite3.Connection:
    """Read-only and immutable, so nothing is written beside the file (no journal, -wal or -shm):
    a backup may sit on read-only media. A -wal beside the file is ignored: backups and restored
    files are made self-contained, and a live database is not read this way."""
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)


def tables(path: Path) -> set[str]:
    with closing(_read_only(path)) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def revision(path: Path) -> str | None:
    """The schema revision recorded in the file, or None when it records none."""
    with closing(_read_only(path)) as connection:
        if not connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
        ).fetchone():
            return None
        row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()  # noqa: S608 - a constant table name
    return str(row[0]) if row else None


def _content_digest(connection: sqlite3.Connection) -> str:
    """SHA-256 of the schema and every row of every table but the seal's, in a fixed order: the
    same for the same content whatever the file's page layout."""
    digest = hashlib.sha256()
    schema = connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name != ? ORDER BY type, name", (SEAL_TABLE,)
    ).fetchall()
    digest.update(repr(schema).encode("utf-8"))
    for _type, name, _table, sql in schema:
        if _type != "table" or name.startswith("sqlite_stat"):
            continue
        order = "" if "WITHOUT ROWID" in (sql or "").upper() else " ORDER BY rowid"
        quoted = '"' + name.replace('"', '""') + '"'
        for row in connection.execute(f"SELECT * FROM {quoted}{order}"):  # noqa: S608 - names from the schema
            digest.update(repr((name, row)).encode("utf-8"))
    return digest.hexdigest()


def seal(path: Path, made: str) -> str:
    """Add the seal (see the module's docstring) to the self-contained copy at ``path``."""
    with closing(sqlite3.connect(str(path))) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {SEAL_TABLE}")
        value = _content_digest(connection)
        connection.execute(
            f"CREATE TABLE {SEAL_TABLE} (algorithm TEXT NOT NULL, digest TEXT NOT NULL, made TEXT NOT NULL)"
        )
        connection.execute(f"INSERT INTO {SEAL_TABLE} VALUES (?, ?, ?)", (SEAL_ALGORITHM, value, made))  # noqa: S608 - a constant table name
        connection.commit()
    return value


def seal_state(path: Path) -> str:
    """ "sound", "missing" (made without one: by an older version, or the seal was removed) or
    "broken" (the content is not what was sealed)."""
    with closing(sqlite3.connect(str(path))) as connection:
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (SEAL_TABLE,)).fetchone():
            return "missing"
        rows = connection.execute(f"SELECT algorithm, digest FROM {SEAL_TABLE}").fetchall()  # noqa: S608 - a constant table name
        if len(rows) != 1 or rows[0][0] != SEAL_ALGORITHM:
            return "broken"
        return "sound" if rows[0][1] == _content_digest(connection) else "broken"


def remove_seal(path: Path) -> None:
    """The restored database without the seal (the application's schema has no such table)."""
    with closing(sqlite3.connect(str(path))) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {SEAL_TABLE}")
        connection.commit()


def remove(path: Path) -> None:
    """Delete a database file and any journal SQLite left beside it; missing files are fine."""
    for name in ("", *_COMPANIONS):
        path.with_name(path.name + name).unlink(missing_ok=True)
