"""``restore``: bring a backup (encrypted or not) back as a new database file, after checking it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diversion_desktop.cli.backup import read_password, with_byte_progress
from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, using_data


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "restore",
        parents=[common],
        help="restore a backup into a new database file, after checking it",
        description="Restore a backup made by `diversion-desktop backup` (encrypted or not) into a NEW file: an "
        "existing file is never replaced, and the database in use (--database, whose users sign in) "
        "is not touched. The backup is checked first: the password, that nothing is missing or "
        "changed, SQLite's integrity check, and that it is a Diversion Desktop database no newer than "
        "this version. A plain backup's seal (a SHA-256 of its content) must match: it finds a copy that "
        "was damaged or edited, but anyone who knows the method could edit it and seal it again, so "
        "only an encrypted backup proves it is as it was made. An encrypted backup's password comes "
        "from DIVERSION_BACKUP_PASSWORD, else it is asked for on the terminal. The new file is "
        "readable by its owner only. Open the restored file with --database sqlite:///NEWFILE.",
    )
    parser.add_argument("file", metavar="FILE", help="the backup")
    parser.add_argument("--out", metavar="NEWFILE", required=True, help="the new database file to create")
    parser.add_argument(
        "--unsealed",
        action="store_true",
        help="restore a plain database copy that carries no seal (made by an older version, or "
        "not a backup): nothing shows whether it was changed; the audit trail records it",
    )


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.backup import BackupService

    source, out = Path(args.file), Path(args.out)
    if not source.is_file():
        print(f"There is no backup at {source}.", file=sys.stderr)
        return EXIT_REFUSED
    if out.exists():
        print(
            f"{out} already exists. A backup is restored into a new file only: choose another --out.", file=sys.stderr
        )
        return EXIT_REFUSED
    usage: list[str] = []  # a password problem: a usage error (exit 2), not a refusal

    def restore(ctx):  # noqa: ANN001, ANN202 - AppContext, RestoreResult or None
        service = BackupService(ctx)
        info = service.inspect(source)
        password: str | None = None
        if info.encrypted:
            password, problem = read_password(confirm=False)
            if problem:
                usage.append(f"diversion-desktop restore: {source} is encrypted and {problem}")
                return None
        return with_byte_progress(
            "Restoring",
            lambda progress: service.restore(source, out, password, progress=progress, unsealed=args.unsealed),
        )

    result = using_data(url, restore)  # the database whose users sign in; the restored file is separate
    if usage:
        print(usage[0], file=sys.stderr)
        return EXIT_USAGE
    if result is None:
        return EXIT_REFUSED
    print(result.summary())
    return EXIT_OK
