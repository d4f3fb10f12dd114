"""Every document says what documents.md requires, read back from the PDF with pdftotext."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from diversion_desktop.documents import DocumentKind, RenderedDocument, render
from diversion_desktop.documents.appointment_letter import ADULT_WHAT_TO_BRING, YOUTH_WHAT_TO_BRING
from diversion_desktop.documents.consequences import if_not_attended, on_completion, what_happens_now
from diversion_desktop.documents.data import ReferralFacts
from diversion_desktop.domain.next_step import NextStep
from tests.documents.doc_builders import (
    DEFERRED,
    VOLUNTARY,
    appointment,
    document,
    facts,
    flat,
    pdf_fonts,
    pdf_info,
    pdf_pages,
    pdf_text,
)

# (kind, youth) pairs a real referral can produce: the YOT notice exists only for
# under-18s, the prosecution file note only for adults.
CASES = [
    (kind, youth)
    for kind in DocumentKind
    for youth in (False, True)
    if not (kind is DocumentKind.YOT_NOTICE and not youth)
    and not (kind is DocumentKind.PROSECUTION_FILE_NOTE and youth)
]


def _scheme_for(kind: DocumentKind) -> str:
    return DEFERRED if kind is DocumentKind.PROSECUTION_FILE_NOTE else VOLUNTARY


def _render(kind: DocumentKind, f: ReferralFacts, **changes: object) -> RenderedDocument:
    return render(kind, document(kind, f, **changes))


def _missing(text: str, required: list[str]) -> list[str]:
    folded = flat(text)
    return [item for item in required if flat(item) not in folded]


def _person_block(f: ReferralFacts) -> list[str]:
    return [f.full_name, *f.address]


def _centre(f: ReferralFacts) -> list[str]:
    return [f.centre.provider, f.centre.name, *f.centre.address, f.centre.phone]


def _required(kind: DocumentKind, f: ReferralFacts) -> list[str]:
    """What documents.md says each document must say, as it should read for ``f``."""
    youth = f.youth
    greeting = f"Dear {f.forenames}," if youth else f"Dear {f.full_name},"
    copy = ["Copy to: Anna O'Brien (mother)"] if youth else []
    incident = [
        f.reference,
        "Friday 10 January 2020",
        "2:30 pm",
        "Smith & Sons <Ltd>, Northbrook Street",
        "Cannabis (herbal), 3.5 g",
    ]
    warning = if_not_attended(f.scheme.kind, f.pathway, f.due_date)
    if kind is DocumentKind.REFERRAL_LETTER:
        return [
            *_person_block(f),
            greeting,
            *incident,
            "drugs diversion",
            *_centre(f),
            "Tuesday 21 January 2020 at 2:30 pm",
            "Friday 31 January 2020",
            "Friday 6 March 2020",
            warning,
            f.scheme.data_protection_text,
            *copy,
        ]
    if kind is DocumentKind.YOT_NOTICE:
        police = f.scheme.police
        return [
            f.scheme.yot.name,
            *f.scheme.yot.address,
            f.full_name,
            "Wednesday 1 June 2005",
            "Age at the incident",
            "14",
            "Anna O'Brien",
            "mother",
            "07700 900123",
            *incident,
            "43/12345/20",
            "PC 1234 Σοφία Иванова",
            "Eligible: offered diversion and agreed",
            "PS 999 Jones",
            *_centre(f),
            "Tuesday 21 January 2020 at 2:30 pm",
            NextStep.FUTURE_DIVERSION_BARRED.label,
            police.name,
            police.phone,
            police.email,
            police.signatory,
        ]
    if kind is DocumentKind.APPOINTMENT_LETTER:
        bring = YOUTH_WHAT_TO_BRING if youth else ADULT_WHAT_TO_BRING
        return [
            *_person_block(f),
            greeting,
            "Tuesday 21 January 2020 at 2:30 pm",
            *_centre(f),
            "What to bring",
            *bring,
            f"hone {f.centre.phone} before the",
            "Friday 6 March 2020",
            *copy,
        ]
    if kind is DocumentKind.MISSED_APPOINTMENT_NOTICE:
        return [
            *_person_block(f),
            greeting,
            "Tuesday 21 January 2020 at 2:30 pm",
            f.centre.name,
            "Tuesday 28 January 2020 at 9:00 am",
            "Friday 6 March 2020",
            "last chance",
            warning,
            *copy,
        ]
    if kind is DocumentKind.PROSECUTION_FILE_NOTE:
        return [
            "Prosecution file note",
            f.full_name,
            "Saturday 17 March 1990",
            *incident,
            "43/12345/20",
            "PC 1234 Σοφία Иванова",
            "Eligible: offered diversion and agreed",
            "PS 999 Jones",
            "21 January 2020 2:30 pm",
            "28 January 2020 9:00 am",
            "Not attended",
            "Said the bus was late & the centre <closed>",
            *[f"Event {i}: phoned the person about the appointment" for i in range(1, 7)],
            "message left for O'Brien & family <home>",
            NextStep.REPORT_FOR_PROSECUTION.label,
            "Not attended after 1 allowed rebooking.",
            "Sgt Priya Shah",
            "Monday 2 March 2020 at 10:15 am",
        ]
    if kind is DocumentKind.FUTURE_INELIGIBILITY_NOTICE:
        step = NextStep.FUTURE_DIVERSION_BARRED
        ended = "So your drugs diversion has ended." if youth else "So this diversion has ended."
        return [
            *_person_block(f),
            greeting,
            ended,
            what_happens_now(step, f.pathway, f.incident_at.date()),
            "will not be offered to you again" if youth else "Further drugs diversion will not be offered",
            *copy,
            *([f"Copy to: {f.scheme.yot.name}"] if youth else []),
        ]
    if kind is DocumentKind.COMPLETION_LETTER:
        done = "You finished your drugs diversion" if youth else "You completed the West Berkshire drugs diversion"
        return [
            *_person_block(f),
            greeting,
            done,
            "Tuesday 4 February 2020",
            on_completion(f.pathway, f.incident_at.date()),
            *copy,
            *([f"Copy to: {f.scheme.yot.name}"] if youth else []),
        ]
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "youth"), CASES, ids=lambda v: v.value if hasattr(v, "value") else ("youth" if v else "adult")
)
def test_every_required_item_is_in_the_document(kind: DocumentKind, youth: bool, tmp_path: Path) -> None:
    f = facts(_scheme_for(kind), youth=youth)
    rendered = _render(kind, f)
    text = pdf_text(rendered.content, tmp_path)
    assert _missing(text, _required(kind, f)) == []


@pytest.mark.parametrize(
    ("kind", "youth"), CASES, ids=lambda v: v.value if hasattr(v, "value") else ("youth" if v else "adult")
)
def test_every_page_is_marked_numbered_and_referenced(kind: DocumentKind, youth: bool, tmp_path: Path) -> None:
    f = facts(_scheme_for(kind), youth=youth)
    data = document(kind, f)
    rendered = render(kind, data)
    pages = pdf_pages(rendered.content, tmp_path)
    assert len(pages) == rendered.page_count >= 1
    for number, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2, f"page {number}: marking top and bottom"
        assert f"Page {number} of {rendered.page_count}" in page
        assert f"Reference {data.reference}" in page
        assert "Issued Tuesday 14 January 2020" in page


@pytest.mark.parametrize(
    ("kind", "youth"), CASES, ids=lambda v: v.value if hasattr(v, "value") else ("youth" if v else "adult")
)
def test_metadata_title_and_author_and_a4(kind: DocumentKind, youth: bool, tmp_path: Path) -> None:
    f = facts(_scheme_for(kind), youth=youth)
    rendered = _render(kind, f)
    info = pdf_info(rendered.content, tmp_path)
    assert info["Title"] == rendered.title == f"{kind.label} {f.reference}"
    expected_author = f.centre.provider if kind is DocumentKind.APPOINTMENT_LETTER else f.scheme.police.name
    assert info["Author"] == rendered.author == expected_author
    assert info["Pages"] == str(rendered.page_count)
    assert info["Page size"].startswith("595.276 x 841.89 pts (A4)")


def test_the_youth_letters_are_addressed_to_the_young_person_with_a_copy_to_the_guardian(tmp_path: Path) -> None:
    f = facts(VOLUNTARY, youth=True)
    for kind in (
        DocumentKind.REFERRAL_LETTER,
        DocumentKind.APPOINTMENT_LETTER,
        DocumentKind.MISSED_APPOINTMENT_NOTICE,
        DocumentKind.FUTURE_INELIGIBILITY_NOTICE,
        DocumentKind.COMPLETION_LETTER,
    ):
        text = flat(pdf_text(_render(kind, f).content, tmp_path, kind.value))
        assert "Dear Zoë," in text
        assert "Zoë O'Brien" in text  # the address block
        assert "Copy to: Anna O'Brien (mother)" in text
        adult_text = flat(pdf_text(_render(kind, facts(VOLUNTARY)).content, tmp_path, kind.value + "-adult"))
        assert "Copy to" not in adult_text


def test_the_yot_notice_goes_to_the_areas_yot_from_the_scheme_settings(tmp_path: Path) -> None:
    for code, yot_name in (
        (VOLUNTARY, "West Berkshire Youth Offending Team"),
        (DEFERRED, "Windsor and Maidenhead Youth Offending Team"),
    ):
        f = facts(code, youth=True)
        text = flat(pdf_text(_render(DocumentKind.YOT_NOTICE, f).content, tmp_path))
        assert yot_name in text
        assert f.scheme.yot.address[0] in text


def test_the_referral_letter_says_how_to_book_when_no_appointment_is_booked(tmp_path: Path) -> None:
    f = facts(VOLUNTARY)
    rendered = _render(DocumentKind.REFERRAL_LETTER, f, first_appointment=None)
    text = flat(pdf_text(rendered.content, tmp_path))
    assert "Not booked yet: please phone 01635 000 002 to book it." in text
    assert "Please phone Cranstoun Newbury Drop-in on 01635 000 002 to book your first appointment" in text


def test_the_missed_appointment_notice_says_how_to_rebook_when_nothing_is_booked(tmp_path: Path) -> None:
    f = facts(VOLUNTARY)
    rendered = _render(DocumentKind.MISSED_APPOINTMENT_NOTICE, f, next_appointment=None, rebookings_left=1)
    text = flat(pdf_text(rendered.content, tmp_path))
    assert "Please phone Cranstoun Newbury Drop-in on 01635 000 002 to book a new appointment" in text
    assert "An appointment can be rebooked only once more." in text
    assert "last chance" not in text


def test_a_rebooked_appointment_letter_says_so(tmp_path: Path) -> None:
    f = facts(VOLUNTARY)
    rendered = _render(
        DocumentKind.APPOINTMENT_LETTER, f, rebooked=True, appointment=appointment(f, datetime(2020, 1, 24, 12, 0))
    )
    text = flat(pdf_text(rendered.content, tmp_path))
    assert "Your appointment has changed" in text
    assert "Friday 24 January 2020 at 12 noon" in text


def test_contacts_and_wording_come_from_the_scheme_settings(tmp_path: Path) -> None:
    f = facts(VOLUNTARY)
    police = replace(
        f.scheme.police,
        name="Example Constabulary Diversion Team",
        phone="0118 496 0000",
        signatory="Inspector Ōtani, Diversion Lead",
    )
    scheme = replace(f.scheme, police=police, data_protection_text="Your data is looked after (test wording).")
    text = flat(pdf_text(_render(DocumentKind.REFERRAL_LETTER, replace(f, scheme=scheme)).content, tmp_path))
    for item in (
        "Example Constabulary Diversion Team",
        "0118 496 0000",
        "Inspector Ōtani, Diversion Lead",
        "Your data is looked after (test wording).",
    ):
        assert item in text
    assert "Thames Valley Police" not in text.replace("Thames Valley Police and Cranstoun", "")


AWKWARD = {
    "forenames": "Łukasz Zoë",
    "surname": "Đorđević-O'Brien",
    "address": ("Smith & Sons <Ltd>", '"Quoted" House, 1 Ἀθῆναι Road', "Москва Close", "Newbury RG14 5AA"),
    "incident_place": "Café <b>bold & brash</b>, O'Neill's Yard",
    "officer": "PC 1 Σοφία Иванова",
}


@pytest.mark.parametrize(
    ("kind", "youth"), CASES, ids=lambda v: v.value if hasattr(v, "value") else ("youth" if v else "adult")
)
def test_awkward_characters_print_exactly_as_typed(kind: DocumentKind, youth: bool, tmp_path: Path) -> None:
    f = facts(_scheme_for(kind), youth=youth, **AWKWARD)
    text = flat(pdf_text(_render(kind, f).content, tmp_path))
    assert "Łukasz Zoë Đorđević-O'Brien" in text
    if kind is not DocumentKind.YOT_NOTICE:  # the YOT notice is addressed to the YOT
        for line in AWKWARD["address"]:
            assert line in text
    if kind in (DocumentKind.REFERRAL_LETTER, DocumentKind.YOT_NOTICE, DocumentKind.PROSECUTION_FILE_NOTE):
        assert "Café <b>bold & brash</b>, O'Neill's Yard" in text
    if kind in (DocumentKind.YOT_NOTICE, DocumentKind.PROSECUTION_FILE_NOTE):
        assert "PC 1 Σοφία Иванова" in text
    assert "&amp;" not in text and "&lt;" not in text


def test_only_the_embedded_dejavu_fonts_are_used(tmp_path: Path) -> None:
    f = facts(VOLUNTARY, youth=True, **AWKWARD)
    listing = pdf_fonts(_render(DocumentKind.YOT_NOTICE, f).content, tmp_path)
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    assert rows, listing
    for row in rows:
        assert "DejaVuSans" in row[0], listing
        assert "yes" in row, listing  # embedded (and subset)
    assert "Helvetica" not in listing


# -- the future ineligibility notice says what happened, truly on the day it is issued ----------------
@pytest.mark.parametrize("youth", [False, True], ids=["adult", "youth"])
def test_after_two_missed_appointments_the_notice_names_them_not_a_deadline_still_to_come(
    youth: bool, tmp_path: Path
) -> None:
    f = facts(VOLUNTARY, youth=youth)  # one rebooking allowed; deadline Friday 6 March 2020
    missed = (
        appointment(f, datetime(2020, 1, 21, 14, 30), attendance="Not attended"),
        appointment(f, datetime(2020, 1, 28, 9, 0), attendance="Not attended"),
    )
    notice = replace(document(DocumentKind.FUTURE_INELIGIBILITY_NOTICE, f), missed=missed)
    assert notice.issued_on < f.due_date
    text = flat(pdf_text(render(DocumentKind.FUTURE_INELIGIBILITY_NOTICE, notice).content, tmp_path))
    assert "Friday 6 March 2020" not in text, "the deadline has not come yet on the day of issue"
    if youth:
        assert (
            "You did not go to your meetings on Tuesday 21 January 2020 at 2:30 pm and Tuesday 28 January "
            "2020 at 9:00 am. A meeting can only be missed or changed once. So your drugs diversion has "
            "ended."
        ) in text
    else:
        assert (
            "You did not attend your appointments on Tuesday 21 January 2020 at 2:30 pm and Tuesday 28 "
            "January 2020 at 9:00 am. The scheme allows an appointment to be missed or rebooked only once. "
            "So this diversion has ended."
        ) in text


def test_a_rebooking_at_the_persons_request_is_named_with_the_miss(tmp_path: Path) -> None:
    f = facts(VOLUNTARY)
    notice = replace(
        document(DocumentKind.FUTURE_INELIGIBILITY_NOTICE, f),
        rebooked=(appointment(f, datetime(2020, 1, 21, 14, 30)),),
        missed=(appointment(f, datetime(2020, 1, 28, 9, 0)),),
    )
    text = flat(pdf_text(render(DocumentKind.FUTURE_INELIGIBILITY_NOTICE, notice).content, tmp_path))
    assert (
        "You did not attend your appointment on Tuesday 28 January 2020 at 9:00 am. You asked to rebook your "
        "appointment on Tuesday 21 January 2020 at 2:30 pm."
    ) in text


@pytest.mark.parametrize("youth", [False, True], ids=["adult", "youth"])
def test_once_the_deadline_has_passed_the_notice_names_it(youth: bool, tmp_path: Path) -> None:
    f = facts(VOLUNTARY, youth=youth)
    notice = replace(document(DocumentKind.FUTURE_INELIGIBILITY_NOTICE, f), issued_on=date(2020, 3, 9))
    text = flat(pdf_text(render(DocumentKind.FUTURE_INELIGIBILITY_NOTICE, notice).content, tmp_path))
    assert (
        "You did not go to all your meetings by Friday 6 March 2020."
        if youth
        else "You did not complete the programme by the deadline, Friday 6 March 2020."
    ) in text
