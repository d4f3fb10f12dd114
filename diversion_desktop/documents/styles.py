"""Text styles (reportlab ParagraphStyles, read by Text and TextTable), defined once.

Two sets: ``ADULT`` and ``YOUTH``. The young person's letters use a slightly
larger type and more space between lines, to go with their shorter sentences.
Professional documents (the YOT notice, the prosecution file note) use ADULT.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm

from diversion_desktop.documents.fonts import BODY, BOLD

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#4d4d4d")
RULE = colors.HexColor("#7f7f7f")
SHADE = colors.HexColor("#e8e8e8")  # table headers and labels
ACCENT = colors.HexColor("#1f3864")  # letterhead name and headings

PAGE_MARGIN_X = 20 * mm
PAGE_MARGIN_TOP = 18 * mm
PAGE_MARGIN_BOTTOM = 23 * mm
MARKING_SIZE = 10
FOOTER_SIZE = 8


@dataclass(frozen=True)
class LetterStyles:
    body: ParagraphStyle
    body_bold: ParagraphStyle
    heading: ParagraphStyle  # the document's title
    subheading: ParagraphStyle  # a section of the document
    cell: ParagraphStyle
    cell_label: ParagraphStyle
    cell_header: ParagraphStyle
    bullet: ParagraphStyle
    letterhead_name: ParagraphStyle
    letterhead_address: ParagraphStyle
    right: ParagraphStyle
    address: ParagraphStyle  # the addressee's block, the same size in every letter


def _styles(prefix: str, size: float, leading: float) -> LetterStyles:
    # No line left alone at the top or the bottom of a page.
    body = ParagraphStyle(
        f"{prefix}-body",
        fontName=BODY,
        fontSize=size,
        leading=leading,
        textColor=INK,
        spaceAfter=leading * 0.4,
        allowWidows=0,
        allowOrphans=0,
    )
    cell_size = min(size, 10)
    cell = ParagraphStyle(f"{prefix}-cell", parent=body, fontSize=cell_size, leading=cell_size * 1.3, spaceAfter=0)
    return LetterStyles(
        body=body,
        body_bold=ParagraphStyle(f"{prefix}-body-bold", parent=body, fontName=BOLD, spaceAfter=0),
        heading=ParagraphStyle(
            f"{prefix}-heading",
            parent=body,
            fontName=BOLD,
            fontSize=size + 5,
            leading=(size + 5) * 1.25,
            textColor=ACCENT,
            spaceBefore=2,
            spaceAfter=leading * 0.7,
            keepWithNext=1,
        ),
        subheading=ParagraphStyle(
            f"{prefix}-subheading",
            parent=body,
            fontName=BOLD,
            fontSize=size + 1,
            leading=(size + 1) * 1.3,
            textColor=ACCENT,
            spaceBefore=leading * 0.4,
            spaceAfter=leading * 0.25,
            keepWithNext=1,
        ),
        cell=cell,
        cell_label=ParagraphStyle(f"{prefix}-cell-label", parent=cell, fontName=BOLD),
        cell_header=ParagraphStyle(f"{prefix}-cell-header", parent=cell, fontName=BOLD),
        bullet=ParagraphStyle(
            f"{prefix}-bullet", parent=body, leftIndent=14, bulletIndent=3, spaceAfter=leading * 0.15
        ),
        letterhead_name=ParagraphStyle(
            f"{prefix}-lh-name", parent=body, fontName=BOLD, fontSize=12, leading=15, textColor=ACCENT, spaceAfter=0
        ),
        letterhead_address=ParagraphStyle(
            f"{prefix}-lh-address",
            parent=body,
            fontSize=8.5,
            leading=11,
            textColor=MUTED,
            alignment=TA_RIGHT,
            spaceAfter=0,
        ),
        right=ParagraphStyle(
            f"{prefix}-right", parent=body, fontSize=10.5, leading=14, alignment=TA_RIGHT, spaceAfter=0
        ),
        address=ParagraphStyle(f"{prefix}-address", parent=body, fontSize=10.5, leading=13.5, spaceAfter=0),
    )


ADULT = _styles("adult", 10.5, 14.5)
YOUTH = _styles("youth", 11.5, 15.5)


def styles_for(youth: bool) -> LetterStyles:
    return YOUTH if youth else ADULT
