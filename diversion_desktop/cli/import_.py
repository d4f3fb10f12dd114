"""``import``: bring referrals and appointments in from a CSV or XLSX file, or write the template."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, TerminalProgress, open_data

NAME = "import"


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        NAME,
        parents=[common],
        help="import referrals and appointments from a CSV or XLSX file",
        description="Import the pilots' records from a CSV (UTF-8, comma or semicolon) or XLSX file made "
        "from the template. Rows are taken in incident date order and decided by the same rules "
        "as the intake form; rows with an outcome become history. Any refused row means nothing "
        "is written, unless --skip-invalid. A referral already in the database is skipped, so "
        "importing the same file twice creates no duplicates. With NAME.csv, the appointments "
        "are read from NAME.appointments.csv when it exists. See docs/import-export.md.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="the .xlsx workbook, or the .csv file(s)")
    parser.add_argument(
        "--template",
        metavar="FILE",
        help="write an empty template instead (FILE.xlsx: sheets referrals and appointments; "
        "FILE.csv: FILE.csv and FILE.appointments.csv) and stop",
    )
    parser.add_argument("--dry-run", action="store_true", help="check and report what would happen; write nothing")
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the good rows (in one transaction) and write the refused rows, with a "
        "'problem' column, beside the input as FILE.refused.xlsx/.csv",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="list only refused rows and rows with a note, then the summary"
    )


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.errors import ServiceError
    from diversion_desktop.services.importer import ImportService

    if args.template:
        if args.files:
            print("import: give either --template FILE or the file(s) to import, not both", file=sys.stderr)
            return EXIT_USAGE
        try:
            written = ImportService.write_template(args.template)
        except ServiceError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_REFUSED
        for path in written:
            print(f"Template written: {path}")
        return EXIT_OK
    if not args.files:
        print("import: give the file to import (or --template FILE to write an empty template)", file=sys.stderr)
        return EXIT_USAGE
    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    progress = TerminalProgress("Checking rows" if args.dry_run else "Importing")
    try:
        report = ImportService(ctx).run(
            args.files, dry_run=args.dry_run, skip_invalid=args.skip_invalid, progress=progress
        )
    except ServiceError as exc:
        progress.done()
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    progress.done()
    try:
        for line in report.each_line(only_problems=args.quiet):
            print(line)
        print(report.summary())
    finally:
        report.close()  # the report's rows are kept in a private file until now
    return EXIT_OK if report.ok else EXIT_REFUSED
