"""``merge``: merge two records of one person (coordinators); ``unmerge`` undoes it."""

from __future__ import annotations

import argparse

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, using_data

NAME = "merge"


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        NAME,
        parents=[common],
        help="merge two records of one person into one",
        description="Move OTHER_REF's referrals and aliases to KEEP_REF; OTHER_REF's name becomes an alias and "
        "its reference still finds the person. Audited, and undone with 'unmerge MERGE_ID'. Records "
        "with different dates of birth are refused unless --dates-differ says you have checked.",
    )
    parser.add_argument("keep", metavar="KEEP_REF", help="the record to keep, e.g. P000123")
    parser.add_argument("other", metavar="OTHER_REF", help="the record to merge into it")
    parser.add_argument("--reason", required=True, help="why they are one person (kept with the merge)")
    parser.add_argument(
        "--dates-differ",
        action="store_true",
        help="merge although the dates of birth differ (a typing slip); KEEP_REF's date is kept",
    )


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.merge import MergeService

    def merge(ctx):  # noqa: ANN001, ANN202 - AppContext, MergeResult
        service = MergeService(ctx)
        return service.merge(
            service.person_id(args.keep),
            service.person_id(args.other),
            args.reason,
            allow_different_birth_dates=args.dates_differ,
        )

    result = using_data(url, merge)
    if result is None:
        return EXIT_REFUSED
    print(result.summary())
    print(f"To undo: unmerge {result.merge_id} --reason TEXT")
    return EXIT_OK
