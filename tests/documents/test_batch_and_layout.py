"""Long documents, merged batches, repeatable bytes and the API's guard rails."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from diversion_desktop.documents import (
    CompletionLetter,
    ConfirmedStep,
    DocumentKind,
    FutureIneligibilityNotice,
    ProsecutionFileNote,
    SubstanceFound,
    TimelineItem,
    render,
    render_batch,
)
from diversion_desktop.domain.next_step import NextStep
from tests.documents.doc_builders import (
    DEFERRED,
    ISSUED,
    VOLUNTARY,
    confirmed,
    document,
    facts,
    flat,
    pdf_info,
    pdf_pages,
    timeline,
)

TIMELINE_HEADER = "Date and time Event Recorded by"


def _long_note(events: int = 150) -> ProsecutionFileNote:
    f = facts(DEFERRED)
    note = document(DocumentKind.PROSECUTION_FILE_NOTE, f)
    assert isinstance(note, ProsecutionFileNote)
    return replace(note, timeline=timeline(f, events))


def test_a_long_prosecution_file_note_flows_onto_more_pages_with_the_header_repeated(tmp_path: Path) -> None:
    note = _long_note()
    rendered = render(DocumentKind.PROSECUTION_FILE_NOTE, note)
    assert rendered.page_count > 3
    pages = [flat(page) for page in pdf_pages(rendered.content, tmp_path)]
    assert len(pages) == rendered.page_count
    first_timeline_page = next(i for i, page in enumerate(pages) if "Timeline" in page)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {rendered.page_count}" in page
        assert page.count("OFFICIAL-SENSITIVE") == 2
    timeline_pages = [page for page in pages[first_timeline_page:] if "Event " in page]
    assert len(timeline_pages) > 2
    for page in timeline_pages:
        assert TIMELINE_HEADER in page, "the timeline's header row repeats on every page it runs onto"
    text = " ".join(pages)
    for i in (1, 75, 150):  # nothing lost at the page breaks
        assert f"Event {i}: phoned the person" in text
    assert text.index("Event 1:") < text.index("Event 75:") < text.index("Event 150:")
    # The decision follows the whole timeline.
    assert text.rindex("Event 150:") < text.index("Sgt Priya Shah")


def test_a_batch_is_one_pdf_numbered_letter_by_letter(tmp_path: Path) -> None:
    adult, youth = facts(VOLUNTARY), facts(VOLUNTARY, youth=True)
    items = [
        (DocumentKind.REFERRAL_LETTER, document(DocumentKind.REFERRAL_LETTER, adult)),  # 2 pages
        (DocumentKind.APPOINTMENT_LETTER, document(DocumentKind.APPOINTMENT_LETTER, youth)),  # 1 page
        (DocumentKind.PROSECUTION_FILE_NOTE, _long_note(60)),
        (DocumentKind.COMPLETION_LETTER, document(DocumentKind.COMPLETION_LETTER, adult)),
    ]
    singles = [render(kind, data).page_count for kind, data in items]
    progress: list[tuple[int, int]] = []
    batch = render_batch(items, title="Today's letters", progress=lambda done, total: progress.append((done, total)))

    assert batch.page_counts == tuple(singles)
    assert batch.page_count == sum(singles)
    assert progress == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]

    pages = [flat(page) for page in pdf_pages(batch.content, tmp_path)]
    assert len(pages) == batch.page_count
    expected = [
        (data.reference, number, count) for (kind, data), count in zip(items, singles) for number in range(1, count + 1)
    ]
    for page, (reference, number, count) in zip(pages, expected):
        assert f"Reference {reference}" in page
        assert f"Page {number} of {count}" in page
        assert page.count("OFFICIAL-SENSITIVE") == 2
    # Each letter starts on its own page, with its own letterhead.
    starts = [sum(singles[:i]) for i in range(len(items))]
    assert "Dear Łukasz Đorđević," in pages[starts[0]]
    assert "Dear Zoë," in pages[starts[1]]
    assert "Prosecution file note" in pages[starts[2]]
    assert "You have completed your drugs diversion" in pages[starts[3]]
    info = pdf_info(batch.content, tmp_path)
    assert info["Title"] == "Today's letters"
    assert info["Author"] == adult.scheme.police.name


def test_a_thousand_letter_batch_keeps_count(tmp_path: Path) -> None:
    f = facts(VOLUNTARY)
    letter = document(DocumentKind.APPOINTMENT_LETTER, f)
    items = [(DocumentKind.APPOINTMENT_LETTER, replace(letter, document_reference=f"AP-{i:04d}")) for i in range(200)]
    batch = render_batch(items, title="Appointment letters")
    assert batch.page_counts == (1,) * 200
    pages = pdf_pages(batch.content, tmp_path)
    assert len(pages) == 200
    assert "Reference AP-0199" in pages[-1] and "Page 1 of 1" in pages[-1]


def test_invariant_output_is_byte_identical() -> None:
    f = facts(VOLUNTARY, youth=True)
    data = document(DocumentKind.REFERRAL_LETTER, f)
    first = render(DocumentKind.REFERRAL_LETTER, data, invariant=True).content
    render(DocumentKind.YOT_NOTICE, document(DocumentKind.YOT_NOTICE, f))  # something else in between
    assert render(DocumentKind.REFERRAL_LETTER, data, invariant=True).content == first
    items = [(DocumentKind.REFERRAL_LETTER, data), (DocumentKind.YOT_NOTICE, document(DocumentKind.YOT_NOTICE, f))]
    assert (
        render_batch(items, title="b", invariant=True).content == render_batch(items, title="b", invariant=True).content
    )


def test_the_invariant_option_does_not_leak_into_later_documents() -> None:
    from reportlab import rl_config

    before = (rl_config.invariant, rl_config.useA85)
    render(DocumentKind.COMPLETION_LETTER, document(DocumentKind.COMPLETION_LETTER, facts()), invariant=True)
    assert (rl_config.invariant, rl_config.useA85) == before


def test_the_document_reference_can_be_given() -> None:
    f = facts(VOLUNTARY)
    data = replace(document(DocumentKind.COMPLETION_LETTER, f), document_reference="WB-DOC-000123")
    assert data.reference == "WB-DOC-000123"
    assert document(DocumentKind.COMPLETION_LETTER, f).reference == "WB-2020-00042-CL"


def test_render_refuses_data_of_another_kind() -> None:
    data = document(DocumentKind.COMPLETION_LETTER, facts())
    with pytest.raises(TypeError, match="ReferralLetter"):
        render(DocumentKind.REFERRAL_LETTER, data)  # type: ignore[arg-type]  # the wrong data, on purpose


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        render_batch([], title="nothing")


def test_no_ineligibility_notice_for_a_step_that_does_not_bar() -> None:
    f = facts()
    decision = ConfirmedStep(NextStep.NO_FURTHER_ACTION, "Sgt Priya Shah", confirmed(f).confirmed_at)
    with pytest.raises(ValueError, match="bars further diversion"):
        render(DocumentKind.FUTURE_INELIGIBILITY_NOTICE, FutureIneligibilityNotice(f, ISSUED, decision=decision))


def test_one_letter_with_many_substances_and_long_text_still_reads(tmp_path: Path) -> None:
    f = facts(
        VOLUNTARY,
        substances=(
            SubstanceFound("Cannabis (herbal)", Decimal("3.5"), "g"),
            SubstanceFound("MDMA / ecstasy", Decimal("2"), "tablets"),
            SubstanceFound("Cocaine", Decimal("0.25"), "g"),
        ),
        incident_place="A very long place description " * 8
        + "near the averyveryveryverylongwordwithoutanyspacesthatmustbecut@example.org end",
    )
    letter = CompletionLetter(f, date(2020, 2, 4), completed_on=date(2020, 2, 4), sessions_attended=2)
    text = flat(" ".join(pdf_pages(render(DocumentKind.COMPLETION_LETTER, letter).content, tmp_path)))
    assert "Dear Łukasz Đorđević," in text
    referral = document(DocumentKind.REFERRAL_LETTER, f)
    text = flat(" ".join(pdf_pages(render(DocumentKind.REFERRAL_LETTER, referral).content, tmp_path, "r")))
    assert "cannabis (herbal), MDMA / ecstasy and cocaine" in text
    assert "averyveryveryverylongword" in text.replace(" ", "")  # cut to fit, not lost
    assert "Cannabis (herbal), 3.5 g; MDMA / ecstasy, 2 tablets; Cocaine, 0.25 g" in text


def test_a_timeline_entry_longer_than_a_page_is_cut_between_lines(tmp_path: Path) -> None:
    note = _long_note(3)
    essay = " ".join(f"word{i}" for i in range(1500))  # far more than one page in a 98 mm column
    note = replace(note, timeline=(*note.timeline, TimelineItem(note.timeline[-1].at, essay, "J. Smith")))
    rendered = render(DocumentKind.PROSECUTION_FILE_NOTE, note)
    text = " ".join(flat(page) for page in pdf_pages(rendered.content, tmp_path))
    assert "word0 " in text and "word1499" in text
    assert text.index("word0 ") < text.index("word700 ") < text.index("word1499")
    assert "Sgt Priya Shah" in text


@pytest.mark.parametrize(
    ("surname", "lines"),
    [
        # Wrapped after its hyphens, each part whole.
        (
            "Wolfeschlegelsteinhausenbergerdorff-Ó'Brien-Śmith-Featherstonehaugh",
            ["Wolfeschlegelsteinhausenbergerdorff-Ó'Brien-", "Śmith-Featherstonehaugh"],
        ),
        # No hyphen to break at: the address is set smaller so the name stays whole.
        (
            "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwaren",
            ["Wolfeschlegelsteinhausenbergerdorffwelchevoralternwaren"],
        ),
    ],
)
def test_a_long_surname_in_the_address_block_is_never_cut_inside_a_word(
    surname: str, lines: list[str], tmp_path: Path
) -> None:
    f = facts(VOLUNTARY, surname=surname)
    rendered = render(DocumentKind.REFERRAL_LETTER, document(DocumentKind.REFERRAL_LETTER, f))
    path = tmp_path / "letter.pdf"
    path.write_bytes(rendered.content)
    # -raw: the lines as drawn (the default mode joins a line ending in a hyphen to the next)
    raw = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-f", "1", "-l", "1", str(path), "-"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    text_lines = [line.strip() for line in raw.splitlines() if line.strip()]
    start = text_lines.index("PRIVATE AND CONFIDENTIAL") + 1
    assert text_lines[start : start + 1 + len(lines)] == ["Łukasz", *lines] or text_lines[
        start : start + len(lines)
    ] == [f"Łukasz {lines[0]}", *lines[1:]]
    assert text_lines[start + 1 + len(lines)] == "Flat 2, Smith & Sons <Ltd> House"
