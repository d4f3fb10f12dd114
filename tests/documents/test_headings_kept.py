"""A heading is never left alone at the foot of a page: it goes over with the start of what follows.

Each document is laid out many times with a little more text before its sections each time, so
that every heading in turn falls near the foot of a page; on every page the last line of the body
(above the footer) must not be a heading.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from diversion_desktop.documents import DocumentKind, ProsecutionFileNote, compose, render
from diversion_desktop.documents.text import Text
from tests.documents.doc_builders import DEFERRED, VOLUNTARY, document, facts, pdf_pages, timeline

FILLER = "The scheme keeps what you say private, except where someone is at risk of harm. "


def _headings(kind: DocumentKind, data: object) -> set[str]:
    story = compose(kind, data).story  # type: ignore[arg-type]  # data of the kind
    return {f.text for f in story if isinstance(f, Text) and f.style.name.endswith(("-heading", "-subheading"))}


def _last_body_line(page: str) -> str:
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    body = [
        line
        for line in lines
        if line != "OFFICIAL-SENSITIVE" and not line.startswith("Reference ") and not line.startswith("Page ")
    ]
    return body[-1] if body else ""


def _variants(kind: DocumentKind) -> list[object]:
    """The document with 0 to 59 sentences more before its sections."""
    made = []
    for sentences in range(60):
        if kind is DocumentKind.PROSECUTION_FILE_NOTE:
            f = facts(DEFERRED)
            note = document(kind, f)
            assert isinstance(note, ProsecutionFileNote)
            made.append(
                replace(
                    note,
                    facts=replace(f, incident_place="Northbrook Street. " + FILLER * sentences),
                    timeline=timeline(f, 3),
                )
            )
        else:
            f = facts(VOLUNTARY)
            scheme = replace(f.scheme, data_protection_text=FILLER * (sentences + 1))
            made.append(document(kind, replace(f, incident_place=FILLER * sentences, scheme=scheme)))
    return made


@pytest.mark.parametrize(
    "kind", [DocumentKind.REFERRAL_LETTER, DocumentKind.PROSECUTION_FILE_NOTE], ids=lambda k: k.value
)
def test_no_page_ends_with_a_heading(kind: DocumentKind, tmp_path: Path) -> None:
    alone = []
    for number, data in enumerate(_variants(kind)):
        headings = _headings(kind, data)
        rendered = render(kind, data)  # type: ignore[arg-type]  # data of the kind
        pages = pdf_pages(rendered.content, tmp_path, f"variant-{number}")
        for page_number, page in enumerate(pages[:-1], start=1):
            last = _last_body_line(page)
            if last in headings:
                alone.append(f"variant {number}, page {page_number}: {last!r}")
    assert alone == []
