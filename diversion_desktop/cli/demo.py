"""``demo``: fictitious sample data in a fresh database.

A few hundred referrals go through the real services (the default); from
``BULK_FROM`` referrals on, or with ``--bulk``, the bulk generator writes a
force's years of history straight into a fresh SQLite file (a million people and
referrals in under a minute).
"""

from __future__ import annotations

import argparse
import sys
import time

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, TerminalProgress, open_data, positive

BULK_FROM = 5_000  # referrals; below this the services make every referral


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="fill a fresh database with fictitious sample data",
        description="Fill a fresh database with fictitious people and referrals in every state. "
        f"From {BULK_FROM:,} referrals on (or with --bulk) the data are written in "
        "bulk into a fresh SQLite file.",
    )
    demo.add_argument("--people", type=positive, default=300, help="number of people (default 300)")
    demo.add_argument("--referrals", type=positive, default=400, help="number of referrals (default 400)")
    demo.add_argument(
        "--appointments",
        type=positive,
        default=None,
        help="about how many appointments, bulk only (default three a referral)",
    )
    demo.add_argument("--seed", type=int, default=2020, help="random seed, for repeatable data")
    demo.add_argument(
        "--force",
        action="store_true",
        help="add sample data even if the database is not empty (not in bulk: that needs a fresh database)",
    )
    demo.add_argument("--bulk", action="store_true", help=f"write in bulk even below {BULK_FROM:,} referrals")
    demo.add_argument("--workers", type=int, default=None, help="processes making rows in bulk (default: up to 2)")


def run(args: argparse.Namespace, url: str) -> int:
    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    if args.bulk or args.referrals >= BULK_FROM:
        return _bulk(args, ctx)
    if args.appointments is not None:
        print("--appointments applies to bulk sample data only (add --bulk).", file=sys.stderr)
        return EXIT_REFUSED
    from diversion_desktop.sample_data.demo import fill
    from diversion_desktop.services.errors import ServiceError

    progress = TerminalProgress("Creating sample data")
    try:
        counts = fill(
            ctx, people=args.people, referrals=args.referrals, seed=args.seed, progress=progress, force=args.force
        )
    except ServiceError as exc:
        progress.done()
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    progress.done()
    stories = ", ".join(f"{story.replace('_', ' ')} {n}" for story, n in sorted(counts.items()))
    print(f"Sample data added to {ctx.database_label}: {sum(counts.values())} referrals ({stories}).")
    return EXIT_OK


class PhaseProgress:
    """One line per phase on a terminal, rewritten as it goes; a line per finished phase otherwise."""

    LABELS = {
        "plan": "Planning",
        "referrals": "People, referrals, appointments",
        "people never referred": "People never referred",
        "indexes": "Building indexes",
    }

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, phase: str, done: int, total: int) -> None:
        label = self.LABELS.get(phase, phase)
        elapsed = time.perf_counter() - self.started
        line = f"{label}: {done:,}/{total:,} ({done * 100 // max(total, 1)} %)  {elapsed:5.1f} s"
        if done >= total:
            print(f"\r{line}\033[K" if self.tty else line, file=sys.stderr)
        elif self.tty and elapsed - self.last > 0.2:
            self.last = elapsed
            print(f"\r{line}\033[K", end="", file=sys.stderr)


def _bulk(args: argparse.Namespace, ctx) -> int:  # noqa: ANN001 - AppContext
    from diversion_desktop.sample_data.bulk import fill_bulk
    from diversion_desktop.services.errors import ServiceError

    if args.force:
        print("Bulk sample data goes into a fresh database only (--force does not apply).", file=sys.stderr)
        return EXIT_REFUSED
    try:
        result = fill_bulk(
            ctx,
            people=args.people,
            referrals=args.referrals,
            appointments=args.appointments,
            seed=args.seed,
            progress=PhaseProgress(),
            workers=args.workers,
        )
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    statuses = ", ".join(f"{status.replace('_', ' ')} {n:,}" for status, n in result.by_status.items())
    print(
        f"Sample data added to {ctx.database_label} in {result.seconds:.1f} s: {result.people:,} people, "
        f"{result.referrals:,} referrals ({statuses}), {result.appointments:,} appointments."
    )
    return EXIT_OK
