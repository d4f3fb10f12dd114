"""``unmerge``: undo a merge of two person records, putting back exactly what moved."""

from __future__ import annotations

import argparse

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, positive, using_data

NAME = "unmerge"


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        NAME,
        parents=[common],
        help="undo a merge of two person records",
        description="Undo merge MERGE_ID (printed by 'merge'): the referrals and aliases it moved go back, the "
        "alias it added is removed and the barred flags are restored. Refused if already undone or "
        "if a later merge depends on it (undo that one first).",
    )
    parser.add_argument("merge_id", metavar="MERGE_ID", type=positive, help="the merge's number")
    parser.add_argument("--reason", required=True, help="why the merge was wrong")


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.merge import MergeService

    result = using_data(url, lambda ctx: MergeService(ctx).undo(args.merge_id, args.reason))
    if result is None:
        return EXIT_REFUSED
    print(result.summary())
    return EXIT_OK
