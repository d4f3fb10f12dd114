"""The building blocks the documents share: letterhead, addresses, tables, sign-off.

All text goes into :class:`~diversion_desktop.documents.text.Text` flowables or
plain table cells, which draw it exactly as given and never read it as markup:
a name like "Smith & Sons <Ltd>" prints as typed, with nothing to escape.
(Should a reportlab ``Paragraph`` ever be needed, user text must go through
``xml.sax.saxutils.escape`` first.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Spacer

from diversion_desktop.documents import wording
from diversion_desktop.documents.data import AppointmentDetails, Party
from diversion_desktop.documents.dates import date_and_time, full_date
from diversion_desktop.documents.styles import RULE, SHADE, LetterStyles
from diversion_desktop.documents.tables import SideBySide, TableLook, TextTable
from diversion_desktop.documents.text import Text
from diversion_desktop.domain.schemes import Centre, Contact

CONTENT_WIDTH = 170 * mm  # A4 less the side margins


def para(text: str, style: ParagraphStyle) -> Text:
    """A paragraph of plain text."""
    return Text(text, style)


def heading(text: str, styles: LetterStyles) -> Text:
    return Text(text, styles.heading)


def section(text: str, styles: LetterStyles) -> list[Flowable]:
    """A section heading, never left alone at the bottom of a page: its style keeps it with the
    start of what follows (the template's keepWithNext keeps the first lines or rows with it,
    without carrying a whole long table over to the next page)."""
    return [Text(text, styles.subheading)]


def kept_section(text: str, content: Sequence[Flowable], styles: LetterStyles) -> Flowable:
    """A short section that must be read in one piece (the consequence): never split by a page."""
    return KeepTogether([Text(text, styles.subheading), *content])


def bullets(items: Iterable[str], styles: LetterStyles) -> list[Flowable]:
    return [Text(item, styles.bullet, bullet="\u2022") for item in items]


def contact_lines(contact: Contact) -> list[str]:
    result = list(contact.address)
    if contact.phone:
        result.append(f"Telephone {contact.phone}")
    if contact.email:
        result.append(contact.email)
    return result


def letterhead(sender: Contact, styles: LetterStyles) -> Flowable:
    """The sender's name on the left, address and contact details on the right, a rule below."""
    return SideBySide(
        [Text(sender.name, styles.letterhead_name)],
        [Text("\n".join(contact_lines(sender)), styles.letterhead_address)],
        (CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.45),
        rule_below=(RULE, 0.75, 6),
    )


def recipient_block(
    recipient: Party | Contact, reference: str, issued_on: date, styles: LetterStyles, private: bool = True
) -> Flowable:
    """The addressee (left) and our reference and date (right), as on a posted letter."""
    left: list[Flowable] = []
    if private:
        left.append(Text("PRIVATE AND CONFIDENTIAL", styles.cell_label))
    lines = [line for line in [recipient.name, *recipient.address] if line.strip()]
    left.append(Text("\n".join(lines), _fitting(styles.address, lines, _ADDRESS_WIDTH)))
    right = Text(f"Our reference: {reference}\nDate: {full_date(issued_on)}", styles.right)
    return SideBySide(left, [right], (_ADDRESS_WIDTH, CONTENT_WIDTH - _ADDRESS_WIDTH))


_ADDRESS_WIDTH = CONTENT_WIDTH * 0.55
_SMALLEST_ADDRESS_SIZE = 8.0


def _fitting(style: ParagraphStyle, lines: Sequence[str], width: float) -> ParagraphStyle:
    """The address style, made smaller (down to 8 pt) if a word of the address (a very long
    surname with no hyphen to break at) is wider than the window of the envelope, so words are
    never cut between letters; lines still wrap at spaces and after hyphens."""
    words = [part for line in lines for word in line.split() for part in re.split(r"(?<=-)", word)]
    widest = max((stringWidth(word, style.fontName, style.fontSize) for word in words), default=0.0)
    if widest <= width:
        return style
    size = max(int(style.fontSize * width / widest * 10) / 10, _SMALLEST_ADDRESS_SIZE)  # rounded down: fits
    return ParagraphStyle(
        f"{style.name}-{size:.2f}", parent=style, fontSize=size, leading=style.leading * size / style.fontSize
    )


def opening(
    letterhead_contact: Contact,
    recipient: Party | Contact,
    reference: str,
    issued_on: date,
    styles: LetterStyles,
    private: bool = True,
) -> list[Flowable]:
    """Letterhead, addressee, reference and date: the top of every letter."""
    return [
        letterhead(letterhead_contact, styles),
        Spacer(1, 5 * mm),
        recipient_block(recipient, reference, issued_on, styles, private),
        Spacer(1, 6 * mm),
    ]


Value = str | Sequence[str]

_DETAILS_LOOK = TableLook(rule=RULE, shade=SHADE, shade_first_column=True, shade_header=False)
_GRID_LOOK = TableLook(rule=RULE, shade=SHADE, pad_x=4, pad_top=2, pad_bottom=3)


def _text(value: Value) -> str:
    """The value as table text; nothing recorded says so rather than leaving a blank cell."""
    text = value if isinstance(value, str) else "\n".join(v for v in value if v)
    return text if text.strip() else wording.NOT_RECORDED


def details(rows: Iterable[tuple[str, Value]], styles: LetterStyles, label_width: float = 42 * mm) -> TextTable:
    """A two-column table of labelled facts; a value may be several lines."""
    table = TextTable(
        [[label, _text(value)] for label, value in rows],
        [label_width, CONTENT_WIDTH - label_width],
        [styles.cell_label, styles.cell],
        _DETAILS_LOOK,
    )
    table.spaceAfter = 4
    return table


def grid(
    header: Sequence[str], rows: Iterable[Sequence[str]], widths: Sequence[float], styles: LetterStyles
) -> TextTable:
    """A table with a header row that repeats on every page it runs onto."""
    table = TextTable(
        [list(row) for row in rows],
        widths,
        [styles.cell] * len(widths),
        _GRID_LOOK,
        header=header,
        header_style=styles.cell_header,
    )
    table.spaceAfter = 4
    return table


def sign_off(signatory: str, organisation: str, styles: LetterStyles) -> Flowable:
    """``Yours sincerely`` and who signs, kept together on one page."""
    parts: list[Flowable] = [Spacer(1, 2 * mm), Text("Yours sincerely,", styles.body), Spacer(1, 5 * mm)]
    if signatory:
        parts.append(Text(signatory, styles.body_bold))
    parts.append(Text(organisation, styles.body))
    return KeepTogether(parts)


def copies(parties: Iterable[str], styles: LetterStyles) -> list[Flowable]:
    """``Copy to: ...`` lines at the foot of a letter."""
    return [Text(f"Copy to: {name}", styles.body) for name in parties if name]


def appointment_rows(appointment: AppointmentDetails, youth: bool = False) -> list[tuple[str, Value]]:
    rows: list[tuple[str, Value]] = [("Date and time" if not youth else "When", date_and_time(appointment.at))]
    if appointment.centre is not None:  # a place not recorded is left unsaid
        rows += [
            ("Place" if not youth else "Where", wording.centre_line(appointment.centre)),
            ("Telephone", appointment.centre.phone),
        ]
    rows.append(("Session" if not youth else "What it is", appointment.session))
    if appointment.worker:
        rows.append(("Worker" if not youth else "You will see", appointment.worker))
    return rows


def provider_letterhead(centre: Centre) -> Contact:
    """The provider as sender: its name, the centre's address and phone (from the scheme settings)."""
    return Contact(name=centre.provider, address=(centre.name, *centre.address), phone=centre.phone)
