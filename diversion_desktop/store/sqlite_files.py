"""SQLite database files as files: a consistent copy of a live one, checks, and clean removal.

Used by backup and restore (services/backup.py). Everything here works on paths with the
standard ``sqlite3`` module, not through the application's engine, because a backup and a
restored file are separate databases that the application must not open as its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from diversion_desktop.store.migrate import VERSION_TABLE

Progress = Callable[[int, int], None]
PAGES_PER_STEP = 4096  # 16 MiB at the usual 4 KiB page: progress about every tenth of a second
_COMPANIONS = ("-wal", "-shm", "-journal")


def snapshot_copy(source: Path, destination: Path, progress: Progress | None = None) -> int:
    """Copy the live database ``source`` into ``destination`` (a new or empty file) with SQLite's
    online backup; returns the bytes copied. ``progress(done, total)`` counts bytes.

    The copy is the database as it was when the copy started. A read transaction is held on the
    source for the whole copy: without it a step-by-step backup starts again whenever another
    instance writes, and on a busy database might never finish. In WAL mode (the application's)
    that transaction does not hold up anyone else's writes."""
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
        if not connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                  (VERSION_TABLE,)).fetchone():
            return None
        row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    return str(row[0]) if row else None


def remove(path: Path) -> None:
    """Delete a database file and any journal SQLite left beside it; missing files are fine."""
    for name in ("", *_COMPANIONS):
        path.with_name(path.name + name).unlink(missing_ok=True)
