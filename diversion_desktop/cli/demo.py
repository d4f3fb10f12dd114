"""``demo``: fictitious sample data in a fresh database."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, TerminalProgress, open_data, positive


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = commands.add_parser("demo", parents=[common], help="fill a fresh database with fictitious sample data",
                               description="Fill a fresh database with fictitious people and referrals in every state.")
    demo.add_argument("--people", type=positive, default=300, help="number of people (default 300)")
    demo.add_argument("--referrals", type=positive, default=400, help="number of referrals (default 400)")
    demo.add_argument("--seed", type=int, default=2020, help="random seed, for repeatable data")
    demo.add_argument("--force", action="store_true", help="add sample data even if the database is not empty")


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.demo import fill
    from diversion_desktop.services.errors import ServiceError

    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    progress = TerminalProgress("Creating sample data")
    try:
        counts = fill(ctx, people=args.people, referrals=args.referrals, seed=args.seed,
                      progress=progress, force=args.force)
    except ServiceError as exc:
        progress.done()
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    progress.done()
    stories = ", ".join(f"{story.replace('_', ' ')} {n}" for story, n in sorted(counts.items()))
    print(f"Sample data added to {ctx.database_label}: {sum(counts.values())} referrals ({stories}).")
    return EXIT_OK
