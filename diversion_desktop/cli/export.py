"""``export``: referrals, people, appointments or issued documents as CSV or XLSX, optionally encrypted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from diversion_desktop.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    TerminalProgress,
    add_export_password_options,
    day_option,
    export_password,
    open_data,
)

KINDS = ("referrals", "people", "appointments", "documents")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        "export",
        parents=[common],
        help="export referrals, people, appointments or documents as CSV or XLSX",
        description="Export for partners, streaming (any size). Filters: --area, and --from/--to on the "
        "referral date (appointments: the appointment's date; documents: the issue date; people: "
        "anyone with a referral in the period). The columns are described in "
        "docs/import-export.md. Exports of personal data can be encrypted: with --password-file "
        "or --password the output is an AES-256 encrypted ZIP (open it with 7-Zip or WinZip; "
        "Windows Explorer cannot).",
    )
    parser.add_argument("kind", choices=KINDS, help="what to export")
    parser.add_argument("--format", choices=("csv", "xlsx"), help="file format (default: from --out's suffix)")
    parser.add_argument("--out", metavar="FILE", required=True, help="the file to write")
    parser.add_argument("--area", metavar="A", help="one area: its scheme code or name")
    parser.add_argument("--from", dest="date_from", metavar="D", help="first day, as 2026-01-14 or 14/01/2026")
    parser.add_argument("--to", dest="date_to", metavar="D", help="last day, as 2026-01-31 or 31/01/2026")
    parser.add_argument(
        "--layout",
        choices=("partner", "import"),
        default="partner",
        help="referrals only: 'partner' (one row per referral, the default) or 'import' (the "
        "import template: re-importable into another database)",
    )
    add_export_password_options(parser)


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.errors import ServiceError, ValidationError
    from diversion_desktop.services.exporter import ExportQuery, ExportService

    out = Path(args.out)
    file_format = args.format or out.suffix.lower().lstrip(".")
    if file_format not in ("csv", "xlsx"):
        print("export: give --format csv or xlsx (or an --out file ending in .csv or .xlsx)", file=sys.stderr)
        return EXIT_USAGE
    if args.layout == "import" and args.kind != "referrals":
        print("export: --layout import is for referrals only", file=sys.stderr)
        return EXIT_USAGE
    days = {}
    for name in ("date_from", "date_to"):
        value = getattr(args, name)
        try:
            days[name] = day_option(value)
        except ValueError as exc:
            print(f"export: --{name.removeprefix('date_')} {exc}", file=sys.stderr)
            return EXIT_USAGE
    password, problem = export_password(args)
    if problem:
        print(f"export: {problem}", file=sys.stderr)
        return EXIT_USAGE
    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    service = ExportService(ctx)
    try:
        area = service.resolve_area(args.area)
    except ValidationError as exc:
        print(f"export: {exc.errors['area']}", file=sys.stderr)
        return EXIT_USAGE
    query = ExportQuery(
        kind=args.kind,
        area=area,
        date_from=days["date_from"],
        date_to=days["date_to"],
        layout=args.layout,
        description="command line",
    )
    progress = TerminalProgress("Exporting")
    try:
        result = service.export(query, out, file_format, password=password, progress=progress)
    except ServiceError as exc:
        progress.done()
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    progress.done()
    print(result.summary())
    if not result.encrypted:
        print(
            "Note: this file holds personal data and is not encrypted. Keep it safe, or export with "
            "--password-file F (an AES-encrypted ZIP).",
            file=sys.stderr,
        )
    return EXIT_OK
