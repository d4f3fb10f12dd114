"""``audit``: check that the audit trail is intact, or export it (administrators)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, day_option, open_data


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "audit",
        parents=[common],
        help="verify or export the audit trail",
        description="The audit trail is append-only and hash-chained. 'verify' walks the chain and names any "
        "row that was edited or deleted (exit 1 if one was); 'export' writes rows as CSV.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("verify", parents=[common], help="check every row against its hash and the row before")
    export = actions.add_parser("export", parents=[common], help="write the audit rows as CSV")
    export.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    export.add_argument("--user-name", dest="username", default="", help="only this user's actions")
    export.add_argument("--person", default="", help="only about this person (their reference)")
    export.add_argument("--action", dest="what", default="", help="only this action (e.g. sign_in_failed)")
    export.add_argument("--from", dest="date_from", default=None, metavar="D", help="first day (2026-01-14)")
    export.add_argument("--to", dest="date_to", default=None, metavar="D", help="last day")


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService
    from diversion_desktop.services.errors import ServiceError, ValidationError

    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    try:
        service = AuditTrailService(ctx)
        if args.action == "verify":
            result = service.verify()
            print(result.summary(), file=sys.stdout if result.ok else sys.stderr)
            return EXIT_OK if result.ok else EXIT_REFUSED
        try:
            first, last = day_option(args.date_from), day_option(args.date_to)
        except ValueError as exc:
            print(f"--from/--to: {exc}", file=sys.stderr)
            return EXIT_USAGE
        filters = AuditFilters(
            username=args.username, person_reference=args.person, action=args.what, date_from=first, date_to=last
        )
        written = service.export(filters, Path(args.out))
        print(f"Wrote {written} audit row(s) to {args.out}.")
        return EXIT_OK
    except ValidationError as exc:
        print("\n".join(exc.errors.values()), file=sys.stderr)
        return EXIT_REFUSED
    except (ServiceError, OSError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    finally:
        ctx.engine.dispose()
