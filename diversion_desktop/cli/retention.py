"""``retention``: anonymise closed referrals older than their scheme's retention period."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, TerminalProgress, open_data

NAME = "retention"
LISTED = 50  # references printed; the audit trail has every one


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        NAME,
        parents=[common],
        help="anonymise closed referrals past the retention period",
        description="Anonymise every closed referral whose last date is older than its scheme's "
        "retention_months (scheme file; 72 if not set), except those under a legal hold, and every "
        "person whose referrals all are. Names, addresses, contact details and free text are "
        "removed; sex, year and month of birth, area, dates and outcomes are kept. Each record and "
        "the run are audited. Runs in batches; if it stops, run it again to finish.",
    )
    parser.add_argument("--dry-run", action="store_true", help="report what would be anonymised; change nothing")


def _listed(label: str, references: tuple[str, ...]) -> None:
    if not references:
        return
    more = f" … and {len(references) - LISTED:,} more" if len(references) > LISTED else ""
    print(f"{label}: {', '.join(references[:LISTED])}{more}")


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.errors import ServiceError
    from diversion_desktop.services.retention import RetentionService

    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    service = RetentionService(ctx)
    try:
        if args.dry_run:
            plan = service.plan()
            print(plan.summary())
            _listed("Referrals", plan.sample)
            print("Dry run: nothing was changed.")
            return EXIT_OK
        progress = TerminalProgress("Anonymising")
        report = service.run(progress)
        progress.done()
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        ctx.engine.dispose()
    print(report.summary())
    _listed("Referrals", report.referral_references)
    _listed("People", report.person_references)
    return EXIT_OK
