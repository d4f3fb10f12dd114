"""The consequence each letter states: right for all four scheme-kind × age cases, taken
from the domain's table and never decided in the letter code."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from diversion_desktop.documents import DocumentKind, consequences, render
from diversion_desktop.documents.consequences import if_not_attended, what_happens_now
from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.schemes import SchemeKind
from tests.documents.doc_builders import DEFERRED, VOLUNTARY, document, facts, flat, pdf_text

# What each case must (and must not) tell the person, in the scheme rules' terms.
FOUR_CASES = [
    # scheme, youth, must say, must not say
    (
        VOLUNTARY,
        False,
        ["will not be offered a drugs diversion again", "You will not be taken to court for this offence"],
        ["summons", "report you"],
    ),
    (
        VOLUNTARY,
        True,
        ["you will not be offered this help again", "You will not go to court for this"],
        ["summons", "report you"],
    ),
    (
        DEFERRED,
        False,
        [
            "the police will report you for the original offence",
            "summons to go to court",
            "You would also not be offered a drugs diversion again",
        ],
        ["You will not be taken to court"],
    ),
    (
        DEFERRED,
        True,
        ["you will not be offered this help again", "You will not go to court for this"],
        ["summons", "report you"],
    ),
]


def _case_id(value: object) -> str:
    if isinstance(value, bool):
        return "youth" if value else "adult"
    if isinstance(value, str):
        return value
    return ""


@pytest.mark.parametrize(("scheme", "youth", "says", "never"), FOUR_CASES, ids=_case_id)
@pytest.mark.parametrize(
    "kind", [DocumentKind.REFERRAL_LETTER, DocumentKind.MISSED_APPOINTMENT_NOTICE, DocumentKind.APPOINTMENT_LETTER]
)
def test_letters_before_the_deadline_warn_of_the_right_consequence(
    kind: DocumentKind, scheme: str, youth: bool, says: list[str], never: list[str], tmp_path: Path
) -> None:
    f = facts(scheme, youth=youth)
    text = flat(pdf_text(render(kind, document(kind, f)).content, tmp_path))
    for phrase in says:
        assert phrase in text
    for phrase in never:
        assert phrase not in text
    due = "Friday 6 March 2020" if scheme == VOLUNTARY else "Friday 21 February 2020"
    assert due in text


FOUR_OUTCOMES = [
    (
        VOLUNTARY,
        False,
        [
            "You will not be taken to court for the offence on Friday 10 January 2020",
            "you will not be offered a drugs diversion again",
        ],
        ["summons"],
    ),
    (VOLUNTARY, True, ["You will not go to court for what happened on Friday 10 January 2020"], ["summons"]),
    (
        DEFERRED,
        False,
        ["The police will now report you for the original offence", "summons to go to court"],
        ["You will not be taken to court"],
    ),
    (DEFERRED, True, ["You will not go to court for what happened on Friday 10 January 2020"], ["summons"]),
]


@pytest.mark.parametrize(("scheme", "youth", "says", "never"), FOUR_OUTCOMES, ids=_case_id)
def test_the_ineligibility_notice_states_the_confirmed_step(
    scheme: str, youth: bool, says: list[str], never: list[str], tmp_path: Path
) -> None:
    f = facts(scheme, youth=youth)
    kind = DocumentKind.FUTURE_INELIGIBILITY_NOTICE
    text = flat(pdf_text(render(kind, document(kind, f)).content, tmp_path))
    for phrase in says:
        assert phrase in text
    for phrase in never:
        assert phrase not in text


def test_the_letters_follow_the_domain_table_not_a_copy_of_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Change the rule in the domain and the letter changes with it."""
    f = facts(VOLUNTARY)  # voluntary attendance: normally "barred", never a prosecution
    monkeypatch.setattr(
        consequences, "next_step_for_non_attendance", lambda kind, pathway: NextStep.REPORT_FOR_PROSECUTION
    )
    text = flat(
        pdf_text(render(DocumentKind.REFERRAL_LETTER, document(DocumentKind.REFERRAL_LETTER, f)).content, tmp_path)
    )
    assert "the police will report you for the original offence" in text


def test_the_wording_module_has_no_scheme_kind_table() -> None:
    """consequences.py maps steps to words; which step applies is only the domain's business."""
    source = Path(consequences.__file__).read_text(encoding="utf-8")
    assert "SchemeKind.VOLUNTARY_ATTENDANCE" not in source
    assert "SchemeKind.DEFERRED_PROSECUTION" not in source


@pytest.mark.parametrize("kind", list(SchemeKind))
def test_youth_wording_uses_short_sentences(kind: SchemeKind) -> None:
    texts = [
        if_not_attended(kind, Pathway.YOUTH, date(2020, 3, 6)),
        what_happens_now(NextStep.FUTURE_DIVERSION_BARRED, Pathway.YOUTH, date(2020, 1, 10)),
        what_happens_now(NextStep.NO_FURTHER_ACTION, Pathway.YOUTH, date(2020, 1, 10)),
    ]
    for text in texts:
        sentences = [s for s in re.split(r"(?<=\.)\s+", text) if s]
        assert max(len(s.split()) for s in sentences) <= 22, text


def test_every_step_and_pathway_has_words() -> None:
    for step in NextStep:
        for pathway in Pathway:
            assert what_happens_now(step, pathway, date(2020, 1, 10))
    for kind in SchemeKind:
        for pathway in Pathway:
            assert if_not_attended(kind, pathway, date(2020, 3, 6))


def test_the_yot_notice_names_the_step_for_professionals(tmp_path: Path) -> None:
    for scheme in (VOLUNTARY, DEFERRED):
        f = facts(scheme, youth=True)
        text = flat(pdf_text(render(DocumentKind.YOT_NOTICE, document(DocumentKind.YOT_NOTICE, f)).content, tmp_path))
        assert f"If not attended {NextStep.FUTURE_DIVERSION_BARRED.label}" in text
