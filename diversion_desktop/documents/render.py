"""Documents to PDF bytes: one at a time, or many merged into one PDF.

    render(DocumentKind.REFERRAL_LETTER, ReferralLetter(...)) -> RenderedDocument
    render_batch([(kind, data), ...], title="...", progress=callback) -> RenderedDocument

Pure functions: the same data gives the same document. With ``invariant=True``
the bytes are identical too (tests use it); an issued document is kept as the
bytes it was printed from, so the app does not need it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from diversion_desktop.documents import fonts
from diversion_desktop.documents.data import Document, DocumentKind
from diversion_desktop.documents.template import Composition, build_pdf

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RenderedDocument:
    content: bytes  # the PDF
    title: str
    author: str
    page_count: int
    kind: DocumentKind | None  # None for a merged batch
    reference: str  # the document reference; for a batch, the first document's
    page_counts: tuple[int, ...]  # pages of each document, in order (one entry unless a batch)


def compose(kind: DocumentKind, data: Document) -> Composition:
    """Lay a document out without building the PDF (the story and its page furniture)."""
    expected = getattr(type(data), "KIND", None)
    if expected is not kind:
        raise TypeError(f"A {kind.label.lower()} is made from {_data_name(kind)}, not from {type(data).__name__}.")
    fonts.register_fonts()  # paragraphs look their fonts up as they are made
    return data.compose()


def render(kind: DocumentKind, data: Document, *, invariant: bool = False) -> RenderedDocument:
    """One document as PDF bytes."""
    composition = compose(kind, data)
    built = build_pdf(
        [composition],
        title=composition.title,
        author=composition.author,
        subject=composition.subject,
        invariant=invariant,
    )
    return RenderedDocument(
        content=built.content,
        title=composition.title,
        author=composition.author,
        page_count=built.page_count,
        kind=kind,
        reference=composition.reference,
        page_counts=built.page_counts,
    )


def render_batch(
    documents: Sequence[tuple[DocumentKind, Document]],
    *,
    title: str,
    author: str = "",
    progress: Progress | None = None,
    invariant: bool = False,
) -> RenderedDocument:
    """Many documents merged into one PDF, ready to print in one go.

    Each document starts on a new page and keeps its own reference, issue date
    and "Page N of M". ``progress(done, total)`` is called as each document
    starts and once at the end, on the calling thread; an exception raised in
    it (a Cancel button, say) abandons the batch.
    """
    if not documents:
        raise ValueError("The batch is empty: there is no document to print.")
    total = len(documents)
    first = compose(*documents[0])
    sources: list[Composition | Callable[[], Composition]] = [first]
    for kind, data in documents[1:]:
        sources.append(partial(compose, kind, data))
    on_document = (lambda index: progress(index, total)) if progress is not None else None
    built = build_pdf(
        sources,
        title=title,
        author=author or first.author,
        subject=first.subject,
        invariant=invariant,
        on_document=on_document,
    )
    if progress is not None:
        progress(total, total)
    return RenderedDocument(
        content=built.content,
        title=title,
        author=author or first.author,
        page_count=built.page_count,
        kind=None,
        reference=first.reference,
        page_counts=built.page_counts,
    )


def _data_name(kind: DocumentKind) -> str:
    return "".join(part.capitalize() for part in kind.value.split("_"))
