"""No document ever has an empty slot ("found you ... at . You were offered"), whatever is not recorded.

Each document is built with every optional value empty (no incident place, no address, no
guardian, no crime reference, officer or station, no police phone, e-mail or address, no worker,
no appointment, no timeline...) and its text, read back with pdftotext, must show no gap where
a value should be: the clause is left out or says "Not recorded".
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from diversion_desktop.documents import (
    AppointmentLetter,
    CompletionLetter,
    ConfirmedStep,
    Document,
    DocumentKind,
    FutureIneligibilityNotice,
    MissedAppointmentNotice,
    ProsecutionFileNote,
    ReferralFacts,
    ReferralLetter,
    YotNotice,
    compose,
    render,
    subject_access,
)
from diversion_desktop.documents.tables import SideBySide, TextTable
from diversion_desktop.documents.text import Text
from diversion_desktop.domain.next_step import next_step_for_non_attendance
from diversion_desktop.domain.schemes import Contact
from tests.documents.doc_builders import DEFERRED, ISSUED, VOLUNTARY, appointment, facts, pdf_text

# What an empty value leaves behind in a sentence or a list.
EMPTY_SLOTS = [
    (" at .", "a place left empty"),
    (" on .", "a date left empty"),
    (" at ,", "a place left empty"),
    (": .", "a value after a colon left empty"),
    ("()", "empty brackets"),
    ("( ", "a bracket opening on nothing"),
    (" )", "a bracket closing on nothing"),
    (" ,", "a comma after nothing"),
    (" .", "a full stop after nothing"),
    (", ,", "an empty item in a list"),
    ("Dear ,", "a greeting to nobody"),
    ("phone and", "a phone number left empty"),
    ("Phone .", "a phone number left empty"),
    ("Copy to: \n", "a copy to nobody"),
]


def _bare(f: ReferralFacts) -> ReferralFacts:
    """``f`` with every optional value empty, the scheme's optional contact details too."""
    scheme = f.scheme
    police = Contact(name=scheme.police.name)
    yot = Contact(name=scheme.yot.name)
    return replace(
        f,
        forenames="",
        address=(),
        incident_place="",
        substances=(),
        guardian=None,
        crime_reference="",
        officer="",
        station="",
        decided_by="",
        scheme=replace(scheme, police=police, yot=yot),
    )


def _bare_appointment(f: ReferralFacts, at: datetime = datetime(2020, 1, 21, 14, 30)):
    return appointment(f, at, session="", worker="", attendance="", note="")


def _decision(f: ReferralFacts) -> ConfirmedStep:
    return ConfirmedStep(
        step=next_step_for_non_attendance(f.scheme.kind, f.pathway),
        confirmed_by="",
        confirmed_at=datetime(2020, 3, 2, 10, 15),
        reason="",
    )


def _document(kind: DocumentKind, f: ReferralFacts) -> Document:
    if kind is DocumentKind.REFERRAL_LETTER:
        return ReferralLetter(f, ISSUED, first_appointment=None)
    if kind is DocumentKind.YOT_NOTICE:
        return YotNotice(f, ISSUED, first_appointment=None)
    if kind is DocumentKind.APPOINTMENT_LETTER:
        return AppointmentLetter(f, ISSUED, appointment=_bare_appointment(f))
    if kind is DocumentKind.MISSED_APPOINTMENT_NOTICE:
        return MissedAppointmentNotice(
            f, ISSUED, missed=_bare_appointment(f), next_appointment=None, rebookings_left=None
        )
    if kind is DocumentKind.PROSECUTION_FILE_NOTE:
        return ProsecutionFileNote(f, ISSUED, decision=_decision(f))
    if kind is DocumentKind.FUTURE_INELIGIBILITY_NOTICE:
        return FutureIneligibilityNotice(f, ISSUED, decision=_decision(f))
    if kind is DocumentKind.COMPLETION_LETTER:
        return CompletionLetter(f, ISSUED, completed_on=date(2020, 2, 4), sessions_attended=2)
    raise AssertionError(kind)


# Every document, for each pathway a real referral can give it.
CASES = [
    pytest.param(kind, youth, id=f"{kind.value}-{'youth' if youth else 'adult'}")
    for kind in DocumentKind
    for youth in (False, True)
    if not (kind is DocumentKind.YOT_NOTICE and not youth)
    and not (kind is DocumentKind.PROSECUTION_FILE_NOTE and youth)
]


def story_texts(flowables: list) -> list[str]:
    """Every string a story draws, as the document module wrote it (before pdftotext folds spaces)."""
    found: list[str] = []
    for flowable in flowables:
        if isinstance(flowable, Text):
            found.append(flowable.text)
        elif isinstance(flowable, TextTable):
            found += [cell for row in flowable.rows for cell in row]
        elif isinstance(flowable, SideBySide):
            found += story_texts([*flowable.left, *flowable.right])
        elif hasattr(flowable, "_content"):  # KeepTogether
            found += story_texts(flowable._content)
    return found


def text_slots(texts: list[str]) -> list[str]:
    """Empty slots in the strings of a story: the patterns, two spaces, or a space at either end
    (" (P-000001)" is a name left out)."""
    found = []
    for text in texts:
        for line in text.split("\n"):
            if line != line.strip() or "  " in line:
                found.append(f"stray space: {line!r}")
        found += empty_slots(text)
    return found


def empty_slots(text: str) -> list[str]:
    """Every empty slot in ``text`` (pdftotext's), with a little of the text around it."""
    found = []
    lines = [line for line in text.splitlines() if not line.startswith("Reference ")]  # the footer's gaps are meant
    for line in lines:
        if "  " in line.strip():
            found.append(f"two spaces: {line!r}")
        if line.rstrip() != line.rstrip(" :"):
            found.append(f"nothing after a colon: {line!r}")
    flat = " ".join(" ".join(lines).split()) + "\n"
    for pattern, what in EMPTY_SLOTS:
        for match in re.finditer(re.escape(pattern), flat):
            found.append(f"{what}: {flat[max(match.start() - 40, 0) : match.end() + 20]!r}")
    return found


@pytest.mark.parametrize(("kind", "youth"), CASES)
def test_a_document_with_nothing_optional_recorded_has_no_empty_slot(
    kind: DocumentKind, youth: bool, tmp_path: Path
) -> None:
    f = _bare(facts(DEFERRED if kind is DocumentKind.PROSECUTION_FILE_NOTE else VOLUNTARY, youth=youth))
    data = _document(kind, f)
    assert text_slots(story_texts(compose(kind, data).story)) == []
    text = pdf_text(render(kind, data).content, tmp_path)
    assert empty_slots(text) == []
    assert "Not recorded" in text or kind in (
        DocumentKind.APPOINTMENT_LETTER,
        DocumentKind.COMPLETION_LETTER,
        DocumentKind.MISSED_APPOINTMENT_NOTICE,
        DocumentKind.FUTURE_INELIGIBILITY_NOTICE,
    )


def test_the_referral_letter_leaves_out_the_place_when_none_was_recorded(tmp_path: Path) -> None:
    f = replace(facts(VOLUNTARY), incident_place="", substances=facts(VOLUNTARY).substances)
    text = " ".join(
        pdf_text(
            render(DocumentKind.REFERRAL_LETTER, _document(DocumentKind.REFERRAL_LETTER, f)).content, tmp_path
        ).split()
    )
    assert "police found you in possession of cannabis (herbal). You were offered a place" in text
    assert "Place Not recorded" in text


def test_the_checker_finds_the_empty_slots_it_looks_for() -> None:
    """The patterns above do catch what the trial found (so the test above can fail)."""
    assert empty_slots("possession of cannabis resin at . You were offered a place") != []
    assert empty_slots("If you have a question, phone  and give your reference") != []
    assert empty_slots("Officer:\nStation") != []
    assert empty_slots("Reference WB-1   \u00b7   Issued Tuesday 14 January 2020") == []
    assert empty_slots("police found you in possession of cannabis. You were offered a place") == []


def _bare_subject_access() -> subject_access.SubjectAccessReport:
    """A subject-access export of a person with (almost) nothing recorded: an anonymised record."""
    person = {
        "reference": "P-000001",
        "surname": "",
        "forenames": "",
        "date_of_birth": date(1990, 1, 1),
        "address": "",
        "postcode": "",
        "phone": "",
        "guardian_name": "",
        "barred": False,
        "barred_at": None,
        "merged_into": None,
    }
    referral = {
        "reference": "",
        "incident_at": datetime(2020, 1, 10, 14, 30),
        "incident_place": "",
        "crime_reference": "",
        "officer_name": "",
        "substances": [],
        "appointments": [
            {
                "scheduled_at": datetime(2020, 1, 21, 14, 30),
                "worker": "",
                "attendance": None,
                "session_notes": "",
                "rebook_reason": "",
            }
        ],
        "timeline": [{"at": datetime(2020, 1, 10, 15, 0), "kind": "", "text": "", "actor": ""}],
        "issued_documents": [],
        "scheme_settings": {},
    }
    content = {
        "person": person,
        "aliases": [],
        "merged_records": [{"reference": "", "surname": ""}],
        "merges": [],
        "referrals": [referral],
        "audit_events": [
            {
                "at": datetime(2020, 1, 11, 9, 0),
                "username": "",
                "action": "person_changed",
                "record_reference": "",
                "changes": [["address", "", None]],
                "detail": "",
            }
        ],
    }
    return subject_access.SubjectAccessReport(
        reference="SAR-P-000001-20200114",
        made_at=datetime(2020, 1, 14, 9, 0),
        made_by="coordinator",
        person_reference="P-000001",
        person_name="",
        json_file_name="P-000001.json",
        content=content,
    )


def test_the_subject_access_pdf_of_a_record_with_nothing_recorded_has_no_empty_slot(tmp_path: Path) -> None:
    report = _bare_subject_access()
    assert text_slots(story_texts(subject_access.compose(report).story)) == []
    text = pdf_text(subject_access.render(report), tmp_path)
    assert empty_slots(text) == []
    assert "Not recorded" in text
