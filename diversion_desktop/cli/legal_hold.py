"""``legal-hold``: keep a referral from anonymisation (a pending prosecution), or release it."""

from __future__ import annotations

import argparse

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, using_data

NAME = "legal-hold"


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser(
        NAME,
        parents=[common],
        help="set or release a referral's legal hold",
        description="A referral under a legal hold is never anonymised by 'retention'. Setting a hold needs a "
        "reason; releasing takes one for the audit trail. A hold is set automatically when a next "
        "step 'report for prosecution' is confirmed.",
    )
    parser.add_argument("referral", metavar="REFERRAL_REF", help="the referral's reference, e.g. WB-2026-00001")
    state = parser.add_mutually_exclusive_group(required=True)
    state.add_argument("--on", dest="on", action="store_true", help="set the hold")
    state.add_argument("--off", dest="on", action="store_false", help="release the hold")
    parser.add_argument("--reason", default="", help="why (required with --on)")


def run(args: argparse.Namespace, url: str) -> int:
    from diversion_desktop.services.retention import RetentionService

    def set_hold(ctx):  # noqa: ANN001, ANN202 - AppContext, the hold's state
        service = RetentionService(ctx)
        return service.set_legal_hold(service.referral_id(args.referral), args.on, args.reason)

    state = using_data(url, set_hold)
    if state is None:
        return EXIT_REFUSED
    print(state.summary())
    return EXIT_OK
