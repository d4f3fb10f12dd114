"""The ``diversion-desktop`` command: the GUI by default, admin commands by name.

Exit codes: 0 done, 1 input refused (the message says why), 2 usage error.
Headless commands never import Qt, so they start fast and run on servers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from diversion_desktop import __version__

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diversion-desktop",
        description="Diversion Desktop: run a drugs diversion scheme. With no command, opens the application.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--database", metavar="URL",
                        help="database URL (default: DIVERSION_DATABASE_URL, else an embedded SQLite "
                             "file in your user data directory)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Accept --database after the command name too ("demo --database URL").
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database", metavar="URL", default=argparse.SUPPRESS,
                        help="database URL (as before the command)")

    demo = commands.add_parser("demo", parents=[common], help="fill a fresh database with fictitious sample data",
                               description="Fill a fresh database with fictitious people and referrals in every state.")
    demo.add_argument("--people", type=_positive, default=300, help="number of people (default 300)")
    demo.add_argument("--referrals", type=_positive, default=400, help="number of referrals (default 400)")
    demo.add_argument("--seed", type=int, default=2020, help="random seed, for repeatable data")
    demo.add_argument("--force", action="store_true", help="add sample data even if the database is not empty")

    commands.add_parser("migrate", parents=[common], help="upgrade the database schema to the newest version",
                        description="Upgrade the database schema to the newest version (a SQLite file is backed up first).")
    letters = commands.add_parser(
        "letters", parents=[common], help="issue the letters and notices due, as PDF files",
        description="Issue documents without the GUI. Either every document due for one referral "
                    "(--referral REF --out DIR), or a merged batch (--batch appointments --centre C "
                    "--date D --out FILE, or --batch missed --date D --out FILE). Issued documents "
                    "are kept in the database exactly as written.")
    target = letters.add_mutually_exclusive_group(required=True)
    target.add_argument("--referral", metavar="REF", help="referral reference, e.g. WB-2026-00012")
    target.add_argument("--batch", choices=("appointments", "missed"),
                        help="appointments: letters for one centre's booked appointments on a day; "
                             "missed: notices for non-attendances recorded on a day")
    letters.add_argument("--centre", metavar="C", help="centre code (with --batch appointments)")
    letters.add_argument("--date", metavar="D", help="day, as 2026-01-14 or 14/01/2026 (with --batch)")
    letters.add_argument("--out", metavar="PATH", required=True,
                         help="a folder (with --referral) or a PDF file (with --batch)")

    commands.add_parser("schemes", parents=[common], help="check and list the configured schemes",
                        description="Load every scheme file, report any problem, and list the schemes.")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from diversion_desktop.services.bootstrap import resolve_database_url

    url = resolve_database_url(args.database)
    if args.command is None:
        from diversion_desktop.ui.app import run_gui

        return run_gui(url)
    handler = {"demo": _demo, "migrate": _migrate, "schemes": _schemes, "letters": _letters}[args.command]
    return handler(args, url)


def _open(url: str):  # noqa: ANN202 - AppContext, imported lazily
    from diversion_desktop.domain.schemes import SchemeConfigError
    from diversion_desktop.services.bootstrap import open_context

    try:
        return open_context(url)
    except SchemeConfigError as exc:
        print(f"Scheme configuration error: {exc}", file=sys.stderr)
        return None


def _demo(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.demo import fill
    from diversion_desktop.services.errors import ServiceError

    ctx = _open(url)
    if ctx is None:
        return EXIT_REFUSED
    progress = _TerminalProgress("Creating sample data")
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


def _letters(args: argparse.Namespace, url: str) -> int:
    from pathlib import Path

    from diversion_desktop.services.documents import DocumentService
    from diversion_desktop.services.errors import ServiceError
    from diversion_desktop.services.people import parse_date
    from diversion_desktop.services.referrals import ReferralService

    if args.batch:
        if args.batch == "appointments" and not args.centre:
            print("letters --batch appointments needs --centre C", file=sys.stderr)
            return EXIT_USAGE
        day = parse_date(args.date or "")
        if day is None:
            print(f"letters --batch needs --date D as 2026-01-14 or 14/01/2026, got {args.date!r}", file=sys.stderr)
            return EXIT_USAGE
    ctx = _open(url)
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
                info, pdf = (service.stored(due.issued_id) if due.issued_id is not None
                             else service.issue(referral.id, due.kind, due.appointment_id))
                (out / pdf.file_name).write_bytes(pdf.content)
                written.append(f"{out / pdf.file_name}  ({info.label} to {info.recipient}"
                               f"{', reprint' if due.issued else ''})")
            if not written:
                print(f"No documents are due for {referral.reference} ({referral.status.replace('_', ' ')}).")
            for line in written:
                print(line)
            return EXIT_OK
        progress = _TerminalProgress("Preparing documents")
        if args.batch == "appointments":
            issued, pdf = service.appointment_batch(args.centre, day, progress)  # type: ignore[arg-type]
        else:
            issued, pdf = service.missed_batch(day, progress)  # type: ignore[arg-type]
        progress.done()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf.content)
        print(f"{out}: {len(issued)} document(s), {pdf.page_count} page(s).")
        return EXIT_OK
    except ServiceError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"Cannot write {out}: {exc}", file=sys.stderr)
        return EXIT_REFUSED


def _migrate(_args: argparse.Namespace, url: str) -> int:
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


def _schemes(_args: argparse.Namespace, _url: str) -> int:
    from diversion_desktop.domain.scheme_registry import SchemeRegistry
    from diversion_desktop.domain.schemes import SchemeConfigError
    from diversion_desktop.resources import schemes_dir

    try:
        registry = SchemeRegistry.load(schemes_dir())
    except SchemeConfigError as exc:
        print(f"Scheme configuration error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    for scheme in registry:
        note = " (EXAMPLE VALUES)" if scheme.example_values else ""
        print(f"{scheme.code}: {scheme.area} — {scheme.kind.value}{note} [{scheme.source}]")
    return EXIT_OK


class _TerminalProgress:
    """A one-line progress counter on a terminal; silent when output is redirected."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if self.tty and (done == total or done % 10 == 0):
            print(f"\r{self.label}: {done}/{total} ({done * 100 // max(total, 1)} %)", end="", file=sys.stderr)
            self.shown = True

    def done(self) -> None:
        if self.shown:
            print(file=sys.stderr)
