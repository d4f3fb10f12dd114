"""Test data for the documents: the real scheme files, and people with awkward names.

``facts(scheme_code, youth=...)`` gives a referral with every field filled;
``document(kind, facts)`` wraps it in the data for one document kind.
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from diversion_desktop.documents import (
    AppointmentDetails,
    AppointmentLetter,
    CompletionLetter,
    ConfirmedStep,
    Document,
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
)
from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import next_step_for_non_attendance
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.domain.schemes import Scheme
from diversion_desktop.resources import schemes_dir

VOLUNTARY = "west-berkshire"
DEFERRED = "windsor-and-maidenhead"

ISSUED = date(2020, 1, 14)  # a Tuesday
INCIDENT = datetime(2020, 1, 10, 14, 30)


@cache
def registry() -> SchemeRegistry:
    return SchemeRegistry.load(schemes_dir())


def scheme(code: str) -> Scheme:
    return registry().get(code)


def facts(scheme_code: str = VOLUNTARY, youth: bool = False, **changes: object) -> ReferralFacts:
    s = scheme(scheme_code)
    centre = s.default_centre(youth)
    base = ReferralFacts(
        reference=f"{s.reference_prefix}-2020-00042",
        scheme=SchemeDetails.from_scheme(s),
        pathway=Pathway.YOUTH if youth else Pathway.ADULT,
        forenames="Zoë" if youth else "Łukasz",
        surname="O'Brien" if youth else "Đorđević",
        date_of_birth=date(2005, 6, 1) if youth else date(1990, 3, 17),
        address=("Flat 2, Smith & Sons <Ltd> House", "14 Market Place", "Newbury", "RG14 5AA"),
        referral_date=date(2020, 1, 10),
        incident_at=INCIDENT,
        incident_place="Smith & Sons <Ltd>, Northbrook Street",
        substances=(SubstanceFound("Cannabis (herbal)", Decimal("3.50"), "g"),),
        centre=centre,
        first_attendance_due=date(2020, 1, 10) + timedelta(days=s.days_to_first_attendance),
        due_date=date(2020, 1, 10) + timedelta(days=s.days_to_complete),
        guardian=Party("Anna O'Brien", ("14 Market Place", "Newbury", "RG14 5AA"), "mother", "07700 900123")
        if youth
        else None,
        crime_reference="43/12345/20",
        officer="PC 1234 Σοφία Иванова",
        station="Newbury",
        decision="Eligible: offered diversion and agreed",
        decided_by="PS 999 Jones",
    )
    return replace(base, **changes)


def appointment(
    f: ReferralFacts, at: datetime = datetime(2020, 1, 21, 14, 30), **changes: object
) -> AppointmentDetails:
    base = AppointmentDetails(at=at, centre=f.centre, session="Assessment", worker="Chloé Dubois")
    return replace(base, **changes)


def confirmed(f: ReferralFacts) -> ConfirmedStep:
    return ConfirmedStep(
        step=next_step_for_non_attendance(f.scheme.kind, f.pathway),
        confirmed_by="Sgt Priya Shah",
        confirmed_at=datetime(2020, 3, 2, 10, 15),
        reason="Not attended after 1 allowed rebooking.",
    )


def timeline(f: ReferralFacts, events: int = 6) -> tuple[TimelineItem, ...]:
    start = datetime.combine(f.referral_date, datetime.min.time()) + timedelta(hours=15)
    return tuple(
        TimelineItem(
            at=start + timedelta(hours=7 * i),
            event=f"Event {i + 1}: phoned the person about the appointment; no answer "
            f"(message left for O'Brien & family <home>).",
            by="J. Smith",
        )
        for i in range(events)
    )


def document(kind: DocumentKind, f: ReferralFacts, **changes: object) -> Document:
    first = appointment(f)
    made: Document
    if kind is DocumentKind.REFERRAL_LETTER:
        made = ReferralLetter(f, ISSUED, first_appointment=first)
    elif kind is DocumentKind.YOT_NOTICE:
        made = YotNotice(f, ISSUED, first_appointment=first)
    elif kind is DocumentKind.APPOINTMENT_LETTER:
        made = AppointmentLetter(f, ISSUED, appointment=first)
    elif kind is DocumentKind.MISSED_APPOINTMENT_NOTICE:
        made = MissedAppointmentNotice(
            f,
            ISSUED,
            missed=replace(first, attendance="Not attended"),
            next_appointment=appointment(f, datetime(2020, 1, 28, 9, 0)),
            rebookings_left=0,
        )
    elif kind is DocumentKind.PROSECUTION_FILE_NOTE:
        made = ProsecutionFileNote(
            f,
            ISSUED,
            decision=confirmed(f),
            appointments=(
                replace(first, attendance="Not attended"),
                appointment(
                    f,
                    datetime(2020, 1, 28, 9, 0),
                    attendance="Not attended",
                    note="Said the bus was late & the centre <closed>",
                ),
            ),
            timeline=timeline(f),
        )
    elif kind is DocumentKind.FUTURE_INELIGIBILITY_NOTICE:
        made = FutureIneligibilityNotice(f, ISSUED, decision=confirmed(f))
    elif kind is DocumentKind.COMPLETION_LETTER:
        made = CompletionLetter(f, ISSUED, completed_on=date(2020, 2, 4), sessions_attended=2)
    else:  # pragma: no cover
        raise AssertionError(kind)
    return replace(made, **changes) if changes else made


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "doc", page: int | None = None) -> str:
    """The text of a PDF (or of one page) as pdftotext reads it, in reading order."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    result = subprocess.run([*args, str(path), "-"], check=True, capture_output=True)
    return result.stdout.decode("utf-8")


def pdf_pages(pdf: bytes, tmp_path: Path, name: str = "doc") -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    text = pdf_text(pdf, tmp_path, name)
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_info(pdf: bytes, tmp_path: Path, name: str = "info") -> dict[str, str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(path)], check=True, capture_output=True)
    info: dict[str, str] = {}
    for line in result.stdout.decode("utf-8").splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


def pdf_fonts(pdf: bytes, tmp_path: Path, name: str = "fonts") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True).stdout.decode()


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces folded, for phrases that wrap."""
    return " ".join(text.split())
