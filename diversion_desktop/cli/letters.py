"""``letters``: issue the documents due for a referral, or a merged batch, without the GUI."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, TerminalProgress, day_option, open_data
from diversion_desktop.owner_only import write_private


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    letters = commands.add_parser(
        "letters",
        parents=[common],
        help="issue the letters and notices due, as PDF files",
        description="Issue documents without the GUI. Either every document due for one referral "
        "(--referral REF --out DIR), or a merged batch (--batch appointments --centre C "
        "--date D --out FILE, or --batch missed --date D --out FILE). Issued documents "
        "are kept in the database exactly as written.",
    )
    target = letters.add_mutually_exclusive_group(required=True)
    target.add_argument("--referral", metavar="REF", help="referral reference, e.g. WB-2026-00012")
    target.add_argument(
        "--batch",
        choices=("appointments", "missed"),
        help="appointments: letters for one centre's booked appointments on a day; "
        "missed: notices for non-attendances recorded on a day",
    )
    letters.add_argument("--centre", metavar="C", help="centre code (with --batch appointments)")
    letters.add_argument("--date", metavar="D", help="day, as 2026-01-14 or 14/01/2026 (with --batch)")
    letters.add_argument(
        "--out", metavar="PATH", required=True, help="a folder (with --referral) or a PDF file (with --batch)"
    )


def run(args: argparse.Namespace, url: str) -> int:
    from pathlib import Path

    from diversion_desktop.services.documents import DocumentService
    from diversion_desktop.services.errors import ServiceError
    from diversion_desktop.services.referrals import ReferralService

    if args.batch:
        if args.batch == "appointments" and not args.centre:
            print("letters --batch appointments needs --centre C", file=sys.stderr)
            return EXIT_USAGE
        try:
            day = day_option(args.date)
        except ValueError as exc:
            print(f"letters --batch --date: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if day is None:
            print(f"letters --batch needs --date D as 2026-01-14 or 14/01/2026, got {args.date!r}", file=sys.stderr)
            return EXIT_USAGE
    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    service = DocumentService(ctx)
    out = Path(args.out)
    try:
        if args.referral:
            referral = ReferralService(ctx).find(args.referral)
            out.mkdir(parents=True, exist_ok=True)
            written = []
            for due in service.due(referral.id):
                info, pdf = (
                    service.stored(due.issued_id)
                    if due.issued_id is not None
                    else service.issue(referral.id, due.kind, due.appointment_id)
                )
                write_private(out / pdf.file_name, pdf.content)
                written.append(
                    f"{out / pdf.file_name}  ({info.label} to {info.recipient}{', reprint' if due.issued else ''})"
                )
            if not written:
                print(f"No documents are due for {referral.reference} ({referral.status.replace('_', ' ')}).")
            for line in written:
                print(line)
            return EXIT_OK
        progress = TerminalProgress("Preparing documents")
        if args.batch == "appointments":
            issued, pdf = service.appointment_batch(args.centre, day, progress)  # type: ignore[arg-type]  # day checked above
        else:
            issued, pdf = service.missed_batch(day, progress)  # type: ignore[arg-type]  # day checked above
        progress.done()
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, pdf.content)
        print(f"{out}: {len(issued)} document(s), {pdf.page_count} page(s).")
        return EXIT_OK
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"Cannot write {out}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
