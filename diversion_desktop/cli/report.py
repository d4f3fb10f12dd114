"""``report evaluation``: the evaluation as a PDF report or an XLSX workbook, without the GUI."""

from __future__ import annotations

import argparse
import sys

from diversion_desktop.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, TerminalProgress, day_option, open_data
from diversion_desktop.owner_only import write_private

FORMATS = (".pdf", ".xlsx")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report",
        parents=[common],
        help="write the evaluation as a PDF report or an XLSX workbook",
        description="Write the evaluation of the referrals taken in a period (funnel, completion, the two "
        "pilots side by side, repeat possession, officer hours, fairness, monthly series) as a PDF "
        "(a one-page summary first, charts, tables, definitions and method notes) or an XLSX "
        "workbook (one sheet per table). The format follows the --out extension. Counts under 5 "
        'are shown as "<5"; the report holds no personal data.',
    )
    report.add_argument("which", choices=("evaluation",), help="the report to write")
    report.add_argument(
        "--from",
        dest="date_from",
        metavar="D",
        required=True,
        help="first referral date of the period, as 2026-01-01 or 01/01/2026",
    )
    report.add_argument("--to", dest="date_to", metavar="D", required=True, help="last referral date of the period")
    report.add_argument(
        "--area",
        action="append",
        metavar="A",
        default=[],
        help="an area, by name or scheme code (repeat for several; default: every area)",
    )
    report.add_argument(
        "--age-band",
        action="append",
        metavar="B",
        default=[],
        dest="age_bands",
        help="an age band: under 10, 10-13, 14-17, 18-24, 25-34, 35+ (repeat for several; default: every age)",
    )
    report.add_argument(
        "--reference-ethnicity",
        metavar="G",
        default="",
        help="the fairness reference group for ethnicity (default: the largest group)",
    )
    report.add_argument("--reference-sex", metavar="G", default="", help="the reference group for sex")
    report.add_argument("--reference-age-band", metavar="B", default="", help="the reference group for age band")
    report.add_argument("--out", metavar="FILE", required=True, help="report.pdf or report.xlsx")


def run(args: argparse.Namespace, url: str) -> int:
    from pathlib import Path

    from diversion_desktop.domain.evaluation import AGE_BAND_LABELS
    from diversion_desktop.services.errors import ServiceError, ValidationError
    from diversion_desktop.services.evaluation import EvaluationRequest, EvaluationService, normalise_band

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        print(f"report evaluation --out must end in .pdf or .xlsx, got {args.out!r}", file=sys.stderr)
        return EXIT_USAGE
    days = {}
    for option, text in (("--from", args.date_from), ("--to", args.date_to)):
        try:
            days[option] = day_option(text)
        except ValueError as exc:
            print(f"report evaluation {option}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    date_from, date_to = days["--from"], days["--to"]
    if date_from is None or date_to is None:  # required by the parser: only an empty value gets here
        print("report evaluation needs --from and --to, as 2026-01-14 or 14/01/2026", file=sys.stderr)
        return EXIT_USAGE
    if date_from > date_to:
        print(f"report evaluation: --to ({args.date_to}) is before --from ({args.date_from})", file=sys.stderr)
        return EXIT_USAGE
    bands = tuple(normalise_band(band) for band in args.age_bands)
    for name in (*bands, *([normalise_band(args.reference_age_band)] if args.reference_age_band else [])):
        if name not in AGE_BAND_LABELS:
            print(
                f"report evaluation: unknown age band {name!r}; the bands are {', '.join(AGE_BAND_LABELS)}",
                file=sys.stderr,
            )
            return EXIT_USAGE
    ctx = open_data(url)
    if ctx is None:
        return EXIT_REFUSED
    codes = []
    for area in args.area:
        scheme = ctx.schemes.find(area)
        if scheme is None:
            known = ", ".join(f"{s.area} ({s.code})" for s in ctx.schemes)
            print(f"report evaluation: unknown area {area!r}; the areas are {known}", file=sys.stderr)
            return EXIT_USAGE
        codes.append(scheme.code)
    request = EvaluationRequest(
        date_from,
        date_to,
        schemes=tuple(codes),
        age_bands=bands,  # type: ignore[arg-type]  # dates checked above
        reference_ethnicity=args.reference_ethnicity,
        reference_sex=args.reference_sex,
        reference_age_band=args.reference_age_band,
    )
    progress = TerminalProgress("Counting")
    try:
        result = EvaluationService(ctx).compute(request, progress)
        progress.done()
        if out.suffix.lower() == ".pdf":
            from diversion_desktop.reports.evaluation_pdf import evaluation_pdf

            content = evaluation_pdf(result)
        else:
            from diversion_desktop.reports.evaluation_xlsx import evaluation_xlsx

            content = evaluation_xlsx(result)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, content)
    except ValidationError as exc:
        progress.done()
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except ServiceError as exc:
        progress.done()
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"Cannot write {out}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    from diversion_desktop.domain.evaluation import Step

    assessed = result.total_funnel.count(Step.ASSESSED)
    shown = f"{assessed:,}" if isinstance(assessed, int) else assessed.value
    period = f"{request.date_from:%d/%m/%Y} to {request.date_to:%d/%m/%Y}"
    print(f"{out}: evaluation of {shown} referral(s) taken {period} ({result.database_seconds:.2f} s in the database).")
    return EXIT_OK
