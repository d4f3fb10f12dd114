"""The page every document is printed on, and the one place PDFs are built.

A4. Every page shows the protective marking at top and bottom, and a footer
with the document reference, the issue date and "Page N of M". N and M count
the pages of *that* document, also when many documents are merged into one
PDF: the canvas holds its pages back until the end, when each page's document
and that document's page count are known, then writes the footers.

A merged PDF is one story: each document is laid out only when the build
reaches it, and starts with a marker that breaks to a new page and tells the
canvas which document the following pages belong to.

The marking is drawn as each page begins, so it comes first in the page's
text; the footer is written last, once the page count is known.
"""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate
from reportlab.platypus.doctemplate import ActionFlowable, FrameBreak

from diversion_desktop.documents import fonts
from diversion_desktop.documents.dates import full_date
from diversion_desktop.documents.styles import (
    FOOTER_SIZE,
    INK,
    MARKING_SIZE,
    MUTED,
    PAGE_MARGIN_BOTTOM,
    PAGE_MARGIN_TOP,
    PAGE_MARGIN_X,
    RULE,
)

MARKING = "OFFICIAL-SENSITIVE"
CREATOR = "Diversion Desktop"
PAGE_WIDTH, PAGE_HEIGHT = A4

_MARKING_TOP_Y = PAGE_HEIGHT - 12 * mm
_MARKING_BOTTOM_Y = 9 * mm
_FOOTER_Y = 16 * mm

# reportlab's per-document font state is not meant to be shared between two
# documents being built at the same moment: build one at a time.
_build_lock = threading.Lock()


@dataclass
class Composition:
    """One document laid out: its story and what every one of its pages shows."""

    title: str
    author: str
    reference: str
    issued_on: date
    story: list[Flowable] = field(default_factory=list)
    subject: str = ""


@dataclass(frozen=True)
class BuiltPdf:
    content: bytes
    page_counts: tuple[int, ...]  # one per document, in order

    @property
    def page_count(self) -> int:
        return sum(self.page_counts)


class _StartDocument(ActionFlowable):
    """Starts the next document of a story: a new page, its own footer and numbering."""

    def __init__(self, footer: str) -> None:
        super().__init__()
        self.footer = footer

    def apply(self, doc: BaseDocTemplate) -> None:
        # A page the previous document has written on ends here. An untouched
        # page (the very first, or one a previous document only began) is kept.
        # reportlab's own count of what is on the page: no public way to ask, and not in its stubs
        if doc._curPageFlowableCount:  # type: ignore[attr-defined]  # noqa: SLF001 - see above
            doc.handle_pageBreak()
        canvas = cast(_PagedCanvas, doc.canv)  # the build's canvasmaker
        canvas.dd_footers.append(self.footer)
        canvas.dd_document = len(canvas.dd_footers) - 1


class _PendingDocument(Flowable):
    """A document not laid out yet: composed only when the build reaches it.

    A batch of a thousand letters then never holds a thousand stories at once,
    and progress can be reported document by document.
    """

    def __init__(self, index: int, source: Composition | Callable[[], Composition]) -> None:
        super().__init__()
        self.index = index
        self.source = source

    def expand(self) -> list[Flowable]:
        composition = self.source if isinstance(self.source, Composition) else self.source()
        return [_StartDocument(footer_text(composition.reference, composition.issued_on)), *composition.story]


class _KeepWithNext(KeepTogether):
    """A heading (style ``keepWithNext``) and what follows it, as reportlab groups them.

    reportlab's own KeepTogether moves the whole group to the next page whenever it is taller
    than the room left, so a heading before a long table would always start a new page. Here
    the heading stays if the first part of what follows fits under it (the first lines of a
    paragraph, the first rows of a table); if not, heading and all move to the next page. A
    heading is never left alone at the foot of a page.
    """

    def split(self, aW: float, aH: float) -> list[Flowable]:  # noqa: N803 (reportlab's names)
        content: list[Flowable] = self._content  # type: ignore[attr-defined]  # KeepTogether's; not in the stubs
        *heads, following = content
        used = 0.0
        for flowable in heads:
            used += flowable.wrap(aW, aH)[1] + flowable.getSpaceBefore() + flowable.getSpaceAfter()
        room = aH - used - following.getSpaceBefore()
        if room > 0 and not isinstance(following, ActionFlowable):
            parts = following.split(aW, room)
            # A part that is an action (a KeepTogether's own page break) or does not fit is no start.
            if parts and not isinstance(parts[0], ActionFlowable) and parts[0].wrap(aW, room)[1] <= room:
                return [*heads, *parts]
        frame = getattr(self, "_frame", None)
        if frame is not None and getattr(frame, "_atTop", False):
            return list(content)  # a new page would be no better: let each part flow
        return [FrameBreak(), *content]


class _DocTemplate(BaseDocTemplate):
    on_document: Callable[[int], None] | None = None
    keepTogetherClass = _KeepWithNext  # noqa: N815 (reportlab's name) - how reportlab groups a keepWithNext heading with what follows

    def filterFlowables(self, flowables: list[Flowable]) -> None:  # noqa: N802 (reportlab's hook)
        first = flowables[0] if flowables else None
        if isinstance(first, _PendingDocument):
            if self.on_document is not None:
                self.on_document(first.index)
            flowables[0:1] = first.expand()


class _PagedCanvas(Canvas):
    """Keeps the pages until the end so each footer can say "Page N of M"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dd_document = 0
        self.dd_footers: list[str] = []
        self.dd_page_counts: tuple[int, ...] = ()
        self._held_pages: list[dict[str, Any]] = []
        fonts.prime(self._doc)  # type: ignore[attr-defined]  # the canvas's PDF document; not in the stubs

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._held_pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's own next page; not in the stubs

    def save(self) -> None:
        held = self._held_pages
        totals = Counter(page["dd_document"] for page in held)
        numbers: Counter[int] = Counter()
        for page in held:
            self.__dict__.update(page)
            document = page["dd_document"]
            numbers[document] += 1
            self._draw_footer(self.dd_footers[document], numbers[document], totals[document])
            Canvas.showPage(self)
        self.dd_page_counts = tuple(totals[i] for i in range(len(self.dd_footers)))
        Canvas.save(self)

    def _draw_footer(self, text: str, number: int, total: int) -> None:
        self.saveState()
        self.setFillColor(MUTED)
        self.setFont(fonts.BODY, FOOTER_SIZE)
        self.drawString(PAGE_MARGIN_X, _FOOTER_Y, text)
        self.drawRightString(PAGE_WIDTH - PAGE_MARGIN_X, _FOOTER_Y, f"Page {number} of {total}")
        self.restoreState()


def _draw_markings(canvas: Canvas, _doc: BaseDocTemplate) -> None:
    """What is the same on every page; drawn first so it is read first."""
    canvas.saveState()
    canvas.setFillColor(INK)
    canvas.setFont(fonts.BOLD, MARKING_SIZE)
    canvas.drawCentredString(PAGE_WIDTH / 2, _MARKING_TOP_Y, MARKING)
    canvas.drawCentredString(PAGE_WIDTH / 2, _MARKING_BOTTOM_Y, MARKING)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    rule_y = _FOOTER_Y + FOOTER_SIZE + 3
    canvas.line(PAGE_MARGIN_X, rule_y, PAGE_WIDTH - PAGE_MARGIN_X, rule_y)
    canvas.restoreState()


def footer_text(reference: str, issued_on: date) -> str:
    return f"Reference {reference}   \u00b7   Issued {full_date(issued_on)}"


def _document_template(buffer: io.BytesIO, *, title: str, author: str, subject: str, invariant: bool) -> _DocTemplate:
    doc = _DocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author=author,
        subject=subject,
        creator=CREATOR,
        lang="en-GB",
        invariant=1 if invariant else 0,
        pageCompression=1,
        initialFontName=fonts.BODY,
        initialFontSize=10.5,
        initialLeading=14,
        leftMargin=PAGE_MARGIN_X,
        rightMargin=PAGE_MARGIN_X,
        topMargin=PAGE_MARGIN_TOP,
        bottomMargin=PAGE_MARGIN_BOTTOM,
    )
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_draw_markings)])
    return doc


def build_pdf(
    documents: Sequence[Composition | Callable[[], Composition]],
    *,
    title: str,
    author: str,
    subject: str = "",
    invariant: bool = False,
    on_document: Callable[[int], None] | None = None,
) -> BuiltPdf:
    """Lay out one or more documents into one PDF, each numbered on its own.

    A document is given laid out (a Composition) or as a function that lays it
    out when the build reaches it. ``invariant`` makes the bytes repeatable
    (fixed dates and identifiers), for tests; ``on_document(i)`` is called as
    document ``i`` starts.
    """
    if not documents:
        raise ValueError("There is no document to build.")
    fonts.register_fonts()
    story: list[Flowable] = [_PendingDocument(i, source) for i, source in enumerate(documents)]
    buffer = io.BytesIO()
    with _build_lock:
        # Binary (compressed only) streams: smaller and faster than ASCII85 on top.
        # Read by reportlab as the PDF is written, so set only for this build.
        saved_a85, rl_config.useA85 = rl_config.useA85, 0
        try:
            doc = _document_template(buffer, title=title, author=author, subject=subject, invariant=invariant)
            doc.on_document = on_document
            doc.build(story, canvasmaker=_PagedCanvas)
        finally:
            rl_config.useA85 = saved_a85
        page_counts = cast(_PagedCanvas, doc.canv).dd_page_counts
    return BuiltPdf(content=buffer.getvalue(), page_counts=page_counts)
