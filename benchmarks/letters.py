"""How fast letters are made: one letter after warm-up, and 1,000 merged into one PDF.

    .venv/bin/python benchmarks/letters.py [--runs 300] [--batch 1000]

Targets (issue 3): one letter ≤ 5 ms after warm-up, embedded font included;
1,000 letters merged into one PDF ≤ 5 s on the 2-core development machine.
The letters are built from the real scheme files, for people whose names
change from letter to letter (plain, accented, Greek and Cyrillic), so the
font subsets are not the same every time. Wall-clock times: the median of all
runs with the lowest and highest (and, for one letter, the 90th percentile) beside it.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.figures import ms, seconds, spread
from diversion_desktop.documents import (
    AppointmentDetails,
    AppointmentLetter,
    CompletionLetter,
    ConfirmedStep,
    DocumentKind,
    FutureIneligibilityNotice,
    MissedAppointmentNotice,
    Party,
    ProsecutionFileNote,
    ReferralFacts,
    ReferralLetter,
    SchemeDetails,
    SubstanceFound,
    TimelineItem,
    YotNotice,
    render,
    render_batch,
)
from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import next_step_for_non_attendance
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.resources import schemes_dir

PEOPLE = [
    ("John", "Smith"),
    ("Łukasz", "Đorđević"),
    ("Zoë", "O'Brien"),
    ("Aoife", "Ní Bhriain"),
    ("Σοφία", "Παπαδοπούλου"),
    ("Иван", "Петров"),
    ("Mary-Jane", "Smith & Sons <Ltd>"),
    ("Ahmed", "Khan"),
]
LETTER_TARGET_MS = 5.0
BATCH_TARGET_S = 5.0
_SCHEMES = {scheme.code: scheme for scheme in SchemeRegistry.load(schemes_dir())}


def _facts(index: int, youth: bool = False, scheme_code: str = "west-berkshire") -> ReferralFacts:
    scheme = _SCHEMES[scheme_code]
    forenames, surname = PEOPLE[index % len(PEOPLE)]
    referral = date(2020, 1, 10) + timedelta(days=index % 30)
    return ReferralFacts(
        reference=f"{scheme.reference_prefix}-2020-{index + 1:05d}",
        scheme=SchemeDetails.from_scheme(scheme),
        pathway=Pathway.YOUTH if youth else Pathway.ADULT,
        forenames=forenames,
        surname=surname,
        date_of_birth=date(2005, 6, 1) if youth else date(1990, 3, 17),
        address=(f"{index % 90 + 1} Market Place", "Newbury", "RG14 5AA"),
        referral_date=referral,
        incident_at=datetime.combine(referral, datetime.min.time()) + timedelta(hours=14, minutes=30),
        incident_place="Northbrook Street, Newbury",
        substances=(SubstanceFound("Cannabis (herbal)", Decimal("3.5"), "g"),),
        centre=scheme.default_centre(youth),
        first_attendance_due=referral + timedelta(days=scheme.days_to_first_attendance),
        due_date=referral + timedelta(days=scheme.days_to_complete),
        guardian=Party("Anna O'Brien", ("14 Market Place", "Newbury"), "mother", "07700 900123") if youth else None,
        crime_reference="43/12345/20",
        officer="PC 1234 Jones",
        station="Newbury",
        decided_by="PS 999 Jones",
    )


def _document(kind: DocumentKind, index: int) -> object:
    youth = kind is DocumentKind.YOT_NOTICE
    scheme = "windsor-and-maidenhead" if kind is DocumentKind.PROSECUTION_FILE_NOTE else "west-berkshire"
    f = _facts(index, youth, scheme)
    issued = f.referral_date + timedelta(days=1)
    first = AppointmentDetails(
        at=datetime.combine(issued, datetime.min.time()) + timedelta(days=7, hours=14),
        centre=f.centre,
        worker="Chloé Dubois",
    )
    step = ConfirmedStep(
        next_step_for_non_attendance(f.scheme.kind, f.pathway),
        "Sgt Priya Shah",
        datetime.combine(f.due_date, datetime.min.time()) + timedelta(days=1, hours=10),
    )
    if kind is DocumentKind.REFERRAL_LETTER:
        return ReferralLetter(f, issued, first_appointment=first)
    if kind is DocumentKind.YOT_NOTICE:
        return YotNotice(f, issued, first_appointment=first)
    if kind is DocumentKind.APPOINTMENT_LETTER:
        return AppointmentLetter(f, issued, appointment=first)
    if kind is DocumentKind.MISSED_APPOINTMENT_NOTICE:
        return MissedAppointmentNotice(
            f,
            issued,
            missed=replace(first, attendance="Not attended"),
            next_appointment=replace(first, at=first.at + timedelta(days=7)),
            rebookings_left=0,
        )
    if kind is DocumentKind.PROSECUTION_FILE_NOTE:
        events = tuple(
            TimelineItem(first.at + timedelta(days=i), f"Event {i + 1}: phoned, no answer.", "J. Smith")
            for i in range(8)
        )
        return ProsecutionFileNote(
            f, issued, decision=step, timeline=events, appointments=(replace(first, attendance="Not attended"),)
        )
    if kind is DocumentKind.FUTURE_INELIGIBILITY_NOTICE:
        return FutureIneligibilityNotice(f, issued, decision=step)
    return CompletionLetter(f, issued, completed_on=f.due_date - timedelta(days=3), sessions_attended=2)


def time_one(kind: DocumentKind, runs: int, warm_up: int = 50) -> tuple[dict[str, float], float, int]:
    """(every run's seconds as ``spread``, their 90th percentile, pages) for one document. The
    names change from run to run."""
    documents = [_document(kind, i) for i in range(len(PEOPLE))]
    for i in range(warm_up):
        render(kind, documents[i % len(documents)])
    times: list[float] = []
    pages = 0
    for i in range(runs):
        data = documents[i % len(documents)]
        start = time.perf_counter()
        rendered = render(kind, data)
        times.append(time.perf_counter() - start)
        pages = max(pages, rendered.page_count)
    return spread(times), sorted(times)[int(len(times) * 0.9)], pages


def time_batch(count: int, rounds: int = 3) -> tuple[dict[str, float], int, int]:
    """(every round's seconds as ``spread``, pages, bytes) for ``count`` appointment letters merged into one PDF."""
    items = [(DocumentKind.APPOINTMENT_LETTER, _document(DocumentKind.APPOINTMENT_LETTER, i)) for i in range(count)]
    render_batch(items[:20], title="warm-up")
    times = []
    for _ in range(rounds):
        gc.collect()
        start = time.perf_counter()
        rendered = render_batch(items, title=f"{count} appointment letters")
        times.append(time.perf_counter() - start)
    return spread(times), rendered.page_count, len(rendered.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed renders per document kind")
    parser.add_argument("--batch", type=int, default=1000, help="letters in the merged batch")
    parser.add_argument("--batch-runs", type=int, default=3, help="times the batch is made")
    args = parser.parse_args()

    rows = []
    for kind in DocumentKind:
        one, p90, pages = time_one(kind, args.runs)
        letter = kind is not DocumentKind.PROSECUTION_FILE_NOTE
        target = f"≤ {LETTER_TARGET_MS:g} ms" if letter else "(case file note)"
        verdict = ("yes" if one["median"] * 1000 <= LETTER_TARGET_MS else "NO") if letter else ""
        rows.append((f"one {kind.label.lower()} ({pages} p.)", f"{ms(one)}; p90 {p90 * 1000:.2f} ms", target, verdict))
    batch, pages, size = time_batch(args.batch, args.batch_runs)
    rows.append(
        (
            f"{args.batch:,} appointment letters merged ({pages} p., {size / 1e6:.1f} MB)",
            f"{seconds(batch)}; {batch['median'] / args.batch * 1000:.2f} ms a letter",
            f"≤ {BATCH_TARGET_S:g} s",
            "yes" if batch["median"] <= BATCH_TARGET_S else "NO",
        )
    )

    headers = ("measure", "wall clock: median of all runs (lowest–highest, runs)", "target", "met")
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print(line)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
