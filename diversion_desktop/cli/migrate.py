"""``migrate``: bring the database schema to the newest version."""

from __future__ import annotations

import argparse

from diversion_desktop.cli.common import EXIT_OK


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    commands.add_parser("migrate", parents=[common], help="upgrade the database schema to the newest version",
                        description="Upgrade the database schema to the newest version (a SQLite file is backed up first).")


def run(_args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.store.database import describe, make_engine
    from diversion_desktop.store.migrate import current_revision, upgrade

    engine = make_engine(url)
    before = current_revision(engine)
    backup = upgrade(engine)
    after = current_revision(engine)
    if before == after:
        print(f"{describe(url)} is up to date (revision {after}).")
    else:
        print(f"{describe(url)} upgraded from {before or 'empty'} to {after}.")
        if backup:
            print(f"Backup of the previous file: {backup}")
    return EXIT_OK
