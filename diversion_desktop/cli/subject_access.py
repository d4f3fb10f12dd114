"""``subject-access``: everything held about one person, as a PDF and a JSON file, optionally encrypted."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    add_export_password_options,
    export_password,
    using_data,
)

NAME = "subject-access"


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        NAME,
        parents=[common],
        help="export everything held about one person (PDF and JSON)",
        description="Write a readable PDF and a JSON file with everything held about the person: their record "
        "and any merged into it, aliases, referrals with appointments, session notes, timeline and "
        "issued documents' details (not the letters' PDFs), merges and the audit entries about "
        "them. Audited. The files hold personal data: with --password-file or --password both go "
        "into one AES-256 encrypted ZIP instead (open it with 7-Zip or WinZip; Windows Explorer "
        "cannot); give the password to the recipient by another route.",
    )
    parser.add_argument("person", metavar="PERSON_REF", help="the person's reference, e.g. P000123")
    parser.add_argument("--out", metavar="DIR", required=True, help="folder to write the files into")
    add_export_password_options(parser)


def run(args: argparse.Namespace, url: str) -> int:
    from pathlib import Path

    from diversion_desktop.services.subject_access import SubjectAccessService

    password, problem = export_password(args)
    if problem:
        print(f"{NAME}: {problem}", file=sys.stderr)
        return EXIT_USAGE

    def export(ctx):  # noqa: ANN001, ANN202 - AppContext, the export's summary
        service = SubjectAccessService(ctx)
        person = service.find(args.person)
        if person.merged_into_reference:
            print(
                f"{person.reference} was merged into {person.merged_into_reference}: exporting "
                f"{person.merged_into_reference} with every record merged into it."
            )
        return service.export_with_summary(person.id, Path(args.out), password=password)

    result = using_data(url, export)
    if result is None:
        return EXIT_REFUSED
    print(result.summary())
    if not result.encrypted:
        print(
            "Note: these files hold personal data and are not encrypted. Keep them safe, or export with "
            "--password-file F (an AES-encrypted ZIP).",
            file=sys.stderr,
        )
    return EXIT_OK
