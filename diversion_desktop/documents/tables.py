"""Tables of plain text: labelled facts and timelines, drawn in one pass.

reportlab's ``Table`` is general (spans, nested flowables, per-cell styles) and
its generality is most of the cost of a letter. The documents only need ruled
tables of text: columns of fixed width, each column in one style, a shaded
first column or a shaded header row, and rows that wrap. ``TextTable`` does
that and no more. It splits between pages by rows, repeats its header row on
every page it runs onto, and cuts a row between its lines only when a single
row is too tall for a whole page. Like ``Text``, it draws the strings exactly
as given (no markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable

from diversion_desktop.documents.text import break_lines


@dataclass(frozen=True)
class TableLook:
    """How a table is drawn: the same for every table of a kind, so defined once."""

    rule: Color
    shade: Color
    rule_width: float = 0.5
    pad_x: float = 5
    pad_top: float = 3
    pad_bottom: float = 4
    shade_first_column: bool = False  # labels down the left
    shade_header: bool = True


class TextTable(Flowable):
    """A ruled table of text (see the module docstring)."""

    def __init__(
        self,
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        column_styles: Sequence[ParagraphStyle],
        look: TableLook,
        header: Sequence[str] | None = None,
        header_style: ParagraphStyle | None = None,
        _laid_out: list[tuple[float, list[list[str]]]] | None = None,
    ) -> None:
        super().__init__()
        if any(len(row) != len(widths) for row in rows):
            raise ValueError("Every row needs one cell per column.")
        self.rows = [list(row) for row in rows]
        self.widths = list(widths)
        self.column_styles = list(column_styles)
        self.look = look
        self.header = list(header) if header is not None else None
        self.header_style = header_style or column_styles[0]
        self._laid_out = _laid_out  # (height, lines per cell) for each row, once measured
        self._header_laid_out: tuple[float, list[list[str]]] | None = None

    def __repr__(self) -> str:
        return f"TextTable({len(self.rows)} rows)"

    # -- measuring -------------------------------------------------------------------
    def _measure(self, cells: Sequence[str], styles: Sequence[ParagraphStyle]) -> tuple[float, list[list[str]]]:
        look = self.look
        lines = [
            break_lines(text, style.fontName, style.fontSize, width - 2 * look.pad_x)
            for text, style, width in zip(cells, styles, self.widths)
        ]
        tallest = max(len(cell) * style.leading for cell, style in zip(lines, styles))
        return tallest + look.pad_top + look.pad_bottom, lines

    def _layout(self) -> list[tuple[float, list[list[str]]]]:
        if self._laid_out is None:
            self._laid_out = [self._measure(row, self.column_styles) for row in self.rows]
        if self.header is not None and self._header_laid_out is None:
            self._header_laid_out = self._measure(self.header, [self.header_style] * len(self.widths))
        return self._laid_out

    def _header_height(self) -> float:
        self._layout()
        return self._header_laid_out[0] if self._header_laid_out is not None else 0.0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        rows = self._layout()
        self.width = sum(self.widths)
        self.height = self._header_height() + sum(height for height, _ in rows)
        return self.width, self.height

    # -- splitting between pages ------------------------------------------------------
    def _part(self, laid_out: list[tuple[float, list[list[str]]]]) -> TextTable:
        part = TextTable(
            [[" ".join(cell) for cell in cells] for _, cells in laid_out],
            self.widths,
            self.column_styles,
            self.look,
            self.header,
            self.header_style,
            laid_out,
        )
        return part

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 - reportlab's names
        rows = self._layout()
        room = availHeight - self._header_height()
        used = 0.0
        fit = 0
        for height, _ in rows:
            if used + height > room:
                break
            used += height
            fit += 1
        if fit == len(rows):  # only a rounding difference from wrap(): leave the last row over
            fit -= 1
        if fit == 0:
            first_row = self._cut_row(rows[0], room)
            if first_row is None:
                return []
            top, bottom = first_row
            return [self._part([top]), self._part([bottom, *rows[1:]])]
        return [self._part(rows[:fit]), self._part(rows[fit:])]

    def _cut_row(
        self, row: tuple[float, list[list[str]]], room: float
    ) -> tuple[tuple[float, list[list[str]]], tuple[float, list[list[str]]]] | None:
        """A row taller than the room left, cut between lines, if at least two lines fit."""
        look = self.look
        leading = max(style.leading for style in self.column_styles)
        lines_that_fit = int((room - look.pad_top - look.pad_bottom) // leading)
        height, cells = row
        if lines_that_fit < 2 or height <= room:
            return None
        top = [cell[:lines_that_fit] for cell in cells]
        bottom = [cell[lines_that_fit:] for cell in cells]
        pad = look.pad_top + look.pad_bottom

        def measured(part: list[list[str]]) -> float:
            return max(len(cell) * style.leading for cell, style in zip(part, self.column_styles)) + pad

        return (measured(top), top), (measured(bottom), bottom)

    # -- drawing ---------------------------------------------------------------------
    def draw(self) -> None:
        canvas = self.canv
        look = self.look
        rows = self._layout()
        x_edges = [0.0]
        for width in self.widths:
            x_edges.append(x_edges[-1] + width)
        top = self.height
        bands: list[tuple[float, float, list[list[str]], Sequence[ParagraphStyle], bool]] = []
        y = top
        if self.header is not None and self._header_laid_out is not None:
            height, cells = self._header_laid_out
            bands.append((y, height, cells, [self.header_style] * len(self.widths), True))
            y -= height
        for height, cells in rows:
            bands.append((y, height, cells, self.column_styles, False))
            y -= height

        canvas.saveState()
        canvas.setFillColor(look.shade)
        if look.shade_first_column:
            canvas.rect(0, 0, self.widths[0], top, stroke=0, fill=1)
        if look.shade_header and self.header is not None:
            band_top, band_height = bands[0][0], bands[0][1]
            canvas.rect(0, band_top - band_height, self.width, band_height, stroke=0, fill=1)

        text = canvas.beginText()
        font: tuple[str, float, float] | None = None
        colour: object = None
        for band_top, _, cells, styles, _ in bands:
            for column, (cell, style) in enumerate(zip(cells, styles)):
                if not cell:
                    continue
                if (style.fontName, style.fontSize, style.leading) != font:
                    font = (style.fontName, style.fontSize, style.leading)
                    text.setFont(*font)
                if style.textColor != colour:
                    colour = style.textColor
                    text.setFillColor(colour)
                text.setTextOrigin(x_edges[column] + look.pad_x, band_top - look.pad_top - style.fontSize)
                for line in cell:
                    text.textLine(line)
        canvas.drawText(text)

        canvas.setStrokeColor(look.rule)
        canvas.setLineWidth(look.rule_width)
        lines: list[tuple[float, float, float, float]] = [(0, band_top, self.width, band_top) for band_top, *_ in bands]
        lines.append((0, 0, self.width, 0))
        lines.extend((x, 0, x, top) for x in x_edges)
        canvas.lines(lines)
        canvas.restoreState()


class SideBySide(Flowable):
    """Two stacks of flowables side by side, top-aligned (the letterhead; the addressee and
    our reference): what a borderless one-row Table did, at a fraction of the cost.
    Never split: it sits at the top of a letter's first page."""

    def __init__(
        self,
        left: Sequence[Flowable],
        right: Sequence[Flowable],
        widths: tuple[float, float],
        rule_below: tuple[Color, float, float] | None = None,
    ) -> None:
        super().__init__()
        self.left = list(left)
        self.right = list(right)
        self.widths = widths
        self.rule_below = rule_below  # (colour, line width, gap above the line)

    def _stack(self, flowables: Sequence[Flowable], width: float) -> list[tuple[Flowable, float, float]]:
        placed = []
        y = 0.0
        for index, flowable in enumerate(flowables):
            _, height = flowable.wrap(width, 10_000)
            if index:
                y += flowable.getSpaceBefore()
            placed.append((flowable, y, height))
            y += height + (flowable.getSpaceAfter() if index < len(flowables) - 1 else 0)
        return placed

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 - reportlab's names
        self._left = self._stack(self.left, self.widths[0])
        self._right = self._stack(self.right, self.widths[1])
        tallest = max([y + h for _, y, h in self._left + self._right] or [0.0])
        self.width = sum(self.widths)
        self.height = tallest + (self.rule_below[2] if self.rule_below else 0.0)
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        for placed, x in ((self._left, 0.0), (self._right, self.widths[0])):
            for flowable, y, height in placed:
                flowable.drawOn(canvas, x, self.height - y - height)
        if self.rule_below:
            colour, line_width, _ = self.rule_below
            canvas.saveState()
            canvas.setStrokeColor(colour)
            canvas.setLineWidth(line_width)
            canvas.line(0, 0, self.width, 0)
            canvas.restoreState()
