"""Plain text as a flowable: the letters' paragraphs, without a markup parser.

reportlab's ``Paragraph`` parses its text as markup, which is both the main
cost of a letter and a trap: a typed "Smith & Sons <Ltd>" loses its "<Ltd>"
and "O'Brien <b>bold" raises, unless escaped. Nothing in these documents needs
inline markup (each block of text is set in one style), so ``Text`` takes the
string as it is: wrapped at spaces (a no-break space keeps a phone number
together), a word too long for the line cut where it must, and split between
pages by whole lines, never leaving one line alone at the top or bottom of a
page when the style says so. It is about twice as quick as a Paragraph.

The style is an ordinary ``ParagraphStyle``: font, size, leading, colour,
indents, spacing and alignment (left, right or centred) are honoured.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.platypus import Flowable


def break_lines(text: str, font_name: str, size: float, width: float) -> list[str]:
    """Lines of at most ``width`` points; a new line wherever the text has one."""
    font = getFont(font_name)
    measure = font.stringWidth
    space = measure(" ", size)
    result: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        line_width = 0.0
        for word in paragraph.split(" "):
            if not word:
                continue
            word_width = measure(word, size)
            if word_width > width:
                # Start it on a line of its own; break it after a hyphen if it has one
                # ("Wolfeschlegel-Ó'Brien-Śmith"), cutting between letters only where it must.
                if line:
                    result.append(" ".join(line))
                pieces = _break_word(word, measure, size, width)
                result.extend(pieces[:-1])
                line, line_width = [pieces[-1]], measure(pieces[-1], size)
                continue
            needed = word_width if not line else line_width + space + word_width
            if needed <= width or not line:
                line.append(word)
                line_width = needed
            else:
                result.append(" ".join(line))
                line, line_width = [word], word_width
        result.append(" ".join(line))
    return result


def _break_word(word: str, measure: Callable[[str, float], float], size: float, width: float) -> list[str]:
    """A word wider than the line as lines that fit: as many hyphenated parts as fit on each
    line; a part that is itself too wide is cut between letters."""
    parts = [part for part in re.split(r"(?<=-)", word) if part]
    lines: list[str] = []
    current = ""
    for part in parts:
        if current and measure(current + part, size) <= width:
            current += part
            continue
        if current:
            lines.append(current)
        if measure(part, size) > width:
            pieces = _cut(part, measure, size, width)
            lines.extend(pieces[:-1])
            current = pieces[-1]
        else:
            current = part
    lines.append(current)
    return lines


def _cut(word: str, measure: Callable[[str, float], float], size: float, width: float) -> list[str]:
    """A word wider than the line (a long e-mail address, say), cut into pieces that fit."""
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and measure(current + char, size) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    pieces.append(current)
    return pieces


class Text(Flowable):
    """A block of plain text in one style (see the module docstring)."""

    def __init__(
        self,
        text: str,
        style: ParagraphStyle,
        bullet: str = "",
        _lines: list[str] | None = None,
        _width: float | None = None,
    ) -> None:
        super().__init__()
        self.text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        self.style = style
        self.bullet = bullet
        self._lines = _lines
        self._for_width = _width

    def __repr__(self) -> str:
        return f"Text({self.text[:40]!r}...)"

    def _text_width(self, avail_width: float) -> float:
        return avail_width - self.style.leftIndent - self.style.rightIndent

    def lines(self, avail_width: float) -> list[str]:
        width = self._text_width(avail_width)
        if self._lines is None or self._for_width != width:
            source = self.text if self._lines is None else "\n".join(self._lines)
            self._lines = break_lines(source, self.style.fontName, self.style.fontSize, width)
            self._for_width = width
        return self._lines

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        self.width = availWidth
        self.height = len(self.lines(availWidth)) * self.style.leading
        return self.width, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 - reportlab's names
        lines = self.lines(availWidth)
        total = len(lines)
        fit = min(int((availHeight + 1e-6) // self.style.leading), total - 1)
        least = 1 if self.style.allowOrphans else 2
        if not self.style.allowWidows and total - fit < 2:
            fit = total - 2
        if fit < least:
            return []
        width = self._text_width(availWidth)
        first = Text(self.text, self.style, self.bullet, lines[:fit], width)
        rest = Text(self.text, self.style, "", lines[fit:], width)
        first.spaceAfter = 0  # the paragraph goes on over the page
        rest.spaceBefore = 0
        return [first, rest]

    def draw(self) -> None:
        style = self.style
        canvas = self.canv
        lines = self._lines or []
        y = self.height - style.fontSize
        if self.bullet:
            canvas.setFont(style.fontName, style.fontSize)
            canvas.setFillColor(style.textColor)
            canvas.drawString(style.bulletIndent, y, self.bullet)
        text = canvas.beginText()
        text.setFont(style.fontName, style.fontSize, style.leading)
        text.setFillColor(style.textColor)
        if style.alignment in (TA_RIGHT, TA_CENTER):
            right = self.width - style.rightIndent
            measure = getFont(style.fontName).stringWidth
            for index, line in enumerate(lines):
                line_width = measure(line, style.fontSize)
                if style.alignment == TA_RIGHT:
                    x = right - line_width
                else:
                    x = style.leftIndent + (right - style.leftIndent - line_width) / 2
                text.setTextOrigin(x, y - index * style.leading)
                text.textOut(line)
        else:
            text.setTextOrigin(style.leftIndent, y)
            for line in lines:
                text.textLine(line)
        canvas.drawText(text)
