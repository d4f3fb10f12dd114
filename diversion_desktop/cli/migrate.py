"""``migrate``: bring the database schema to the newest version."""

from __future__ import annotations

import argparse

from diversion_desktop.cli.common import EXIT_OK


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    commands.add_parser(
        "migrate",
        parents=[common],
        help="upgrade the database schema to the newest version",
        description="Upgrade the database schema to the newest version (a SQLite file is backed up first).",
    )


def run(_args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.bootstrap import migrate_database

    result = migrate_database(url)
    if result.before == result.after:
        print(f"{result.database} is up to date (revision {result.after}).")
    else:
        print(f"{result.database} upgraded from {result.before or 'empty'} to {result.after}.")
        if result.backup:
            print(f"Backup of the previous file: {result.backup}")
    return EXIT_OK
