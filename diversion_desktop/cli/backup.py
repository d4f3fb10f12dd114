"""``backup``: a consistent copy of a SQLite database, safe while the application is running."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "backup", parents=[common], help="copy the SQLite database consistently, even while it is in use",
        description="Copy the SQLite database with SQLite's online backup, so the copy is consistent even "
                    "while the application is open on other workstations. Only for SQLite files: back up "
                    "a server database (PostgreSQL) with its own tools (pg_dump).")
    parser.add_argument("--out", metavar="FILE", required=True, help="the copy to write")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")


def run(args: argparse.Namespace, url: str) -> int:
    import sqlite3

    from diversion_desktop.store.database import describe, sqlite_file
    from diversion_desktop.store.migrate import backup_sqlite

    source = sqlite_file(url)
    if source is None:
        print(f"backup copies SQLite database files only; {describe(url)} is not one. Use the database "
              "server's own backup tools (for PostgreSQL: pg_dump).", file=sys.stderr)
        return EXIT_REFUSED
    if not source.is_file():
        print(f"There is no database at {source}.", file=sys.stderr)
        return EXIT_REFUSED
    out = Path(args.out)
    if out.resolve() == source.resolve():
        print("The backup cannot be written over the database itself: choose another --out file.", file=sys.stderr)
        return EXIT_REFUSED
    if out.exists() and not args.force:
        print(f"{out} already exists: choose another file, or add --force to replace it.", file=sys.stderr)
        return EXIT_REFUSED
    partial = out.with_name(out.name + ".part")
    try:
        partial.unlink(missing_ok=True)
        backup_sqlite(source, partial)
        connection = sqlite3.connect(partial)
        try:
            check = connection.execute("PRAGMA quick_check").fetchone()[0]
            connection.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            connection.close()
        if check != "ok":
            partial.unlink(missing_ok=True)
            print(f"The copy failed its check ({check}); nothing was written.", file=sys.stderr)
            return EXIT_REFUSED
        partial.replace(out)
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        print(f"The backup could not be made: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    print(f"Backup of {source} written to {out} ({out.stat().st_size:,} bytes).")
    return EXIT_OK
