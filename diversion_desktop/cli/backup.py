"""``backup``: a consistent copy of a SQLite database, safe while the application is running,
optionally encrypted (the work is done by services/backup.py)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, TerminalProgress, using_data

Result = TypeVar("Result")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "backup",
        parents=[common],
        help="copy the SQLite database consistently, even while it is in use",
        description="Copy the SQLite database with SQLite's online backup, so the copy is consistent even "
        "while the application is open on other workstations. The copy is encrypted with a "
        "password in the standard age format (age-encryption.org, key from scrypt), as the "
        "application's backups are; `diversion-desktop restore` (or File → Restore a backup… in the "
        "application) decrypts it, and so does the ordinary `age -d` (or `rage -d`) tool, which gives "
        "back the SQLite database file. The password comes from the environment variable "
        "DIVERSION_BACKUP_PASSWORD, else it is "
        "asked for twice on the terminal; it must be at least 12 characters. --plain writes an "
        "unencrypted SQLite copy instead, sealed with a checksum of its content that restore "
        "checks. The file is readable by its owner only. Only for SQLite files: back up a server "
        "database (PostgreSQL) with its own tools (pg_dump).",
    )
    parser.add_argument("--out", metavar="FILE", required=True, help="the copy to write")
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--encrypt", action="store_true", help="encrypt the copy with a password (the default)")
    kind.add_argument(
        "--plain",
        action="store_true",
        help="do NOT encrypt: a plain SQLite copy of every record, sealed with a checksum",
    )


def read_password(confirm: bool) -> tuple[str | None, str]:
    """(the password, or None; the problem when there is none): from DIVERSION_BACKUP_PASSWORD,
    else asked on the terminal (twice when ``confirm``)."""
    import getpass

    from diversion_desktop.services.backup import PASSWORD_ENV

    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password, ""
    if not sys.stdin.isatty():
        return None, (
            f"a password is needed: set the environment variable {PASSWORD_ENV}, or run the command "
            "on a terminal to be asked for it"
        )
    try:
        password = getpass.getpass("Backup password: ")
        if confirm and getpass.getpass("The same password again: ") != password:
            return None, "the two passwords are not the same"
    except (EOFError, KeyboardInterrupt):
        return None, "no password was given"
    return (password, "") if password else (None, "no password was given")


def with_byte_progress(label: str, call: Callable[[Callable[[int, int], None]], Result]) -> Result:
    """``call(progress)``, its progress in bytes shown on the terminal in MiB; the progress line
    is ended before anything else is printed (a refusal included)."""
    terminal = TerminalProgress(f"{label} (MiB)")
    mib = 1 << 20

    def report(done: int, total: int) -> None:
        terminal(done // mib, total // mib)

    try:
        return call(report)
    finally:
        terminal.done()


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.backup import BackupPasswordError, BackupService, backup_source, check_password
    from diversion_desktop.services.errors import ServiceError

    try:
        backup_source(url)  # before opening: opening would create a missing file
    except ServiceError as exc:
        print(exc, file=sys.stderr)
        return EXIT_REFUSED
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"{out} already exists: choose another file, or add --force to replace it.", file=sys.stderr)
        return EXIT_REFUSED
    password: str | None = None
    if not args.plain:
        password, problem = read_password(confirm=True)
        try:
            if password is not None:
                check_password(password)
        except BackupPasswordError as exc:
            problem = str(exc)
        if problem:
            print(f"diversion-desktop backup: {problem[:1].lower()}{problem[1:]}", file=sys.stderr)
            return EXIT_USAGE
    result = using_data(
        url,
        lambda ctx: with_byte_progress(  # signs the user in; None after saying why not
            "Backing up", lambda progress: BackupService(ctx).backup(out, password, progress=progress, force=args.force)
        ),
    )
    if result is None:
        return EXIT_REFUSED
    print(result.summary())
    return EXIT_OK
