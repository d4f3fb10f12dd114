"""Charts for the evaluation PDF, drawn as vector graphics (reportlab.graphics), never as images.

Each function takes plain numbers and returns a ``Drawing`` (a flowable). A
value that is not shown (a count under 5, or a figure that would reveal one)
is passed as None: no bar or point is drawn for it, and the count's place is
labelled "<5" or "[c]" where a label fits, so a chart never shows more than
the tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from diversion_desktop.documents import fonts
from diversion_desktop.documents.text import break_lines
from diversion_desktop.reports import axis

# Colour-blind-safe (Okabe–Ito), distinguishable in greyscale too by their order of lightness.
PALETTE = (
    colors.HexColor("#0072B2"),
    colors.HexColor("#E69F00"),
    colors.HexColor("#009E73"),
    colors.HexColor("#CC79A7"),
    colors.HexColor("#56B4E9"),
    colors.HexColor("#D55E00"),
)
INK = colors.HexColor("#1a1a1a")
GRID = colors.HexColor("#d0d0d0")
MUTED = colors.HexColor("#4d4d4d")
FONT_SIZE = 7
TITLE_SIZE = 8.5


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # None: not shown
    marks: Sequence[str] = ()  # what to print where a value is None ("<5", "[c]"), per value
    dashed: bool = False  # (line charts) a dashed line
    colour: int | None = None  # index into PALETTE; by default the series' place

    def colour_for(self, place: int) -> colors.Color:
        return PALETTE[(place if self.colour is None else self.colour) % len(PALETTE)]


@dataclass(frozen=True)
class Estimate:
    """A point with its interval, for interval and forest charts; None when not shown."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    mark: str = ""  # printed instead of the point when value is None
    strong: bool = False  # a total or the reference: label in bold


def _string(
    x: float,
    y: float,
    text: str,
    size: float = FONT_SIZE,
    anchor: Literal["start", "middle", "end"] = "start",
    bold: bool = False,
    colour: colors.Color = INK,
) -> String:
    return String(
        x, y, text, fontName=fonts.BOLD if bold else fonts.BODY, fontSize=size, fillColor=colour, textAnchor=anchor
    )


def _box(x: float, y: float, width: float, height: float, colour: colors.Color) -> Rect:
    """A filled rectangle without an outline (set after: the stubs of Rect's keywords are wrong)."""
    box = Rect(x, y, width, height)
    box.fillColor = colour
    box.strokeColor = None
    return box


def _value_ticks(series: Sequence[Series]) -> list[float]:
    """The value axis' ticks, from 0 to its end: whole numbers, as the values are counts or hours and
    their labels print no decimals (so small counts never label two ticks alike)."""
    values = [v for s in series for v in s.values if v is not None]
    return axis.ticks_from_zero(max(values, default=0))


LABEL_LINE = 9  # the leading of an axis label's lines


def _title_lines(title: str, width: float) -> list[str]:
    return break_lines(title, fonts.BOLD, TITLE_SIZE, width) if title else []


def _title_space(title: str, width: float) -> float:
    """The height the title takes, wrapped to the chart's width (none without a title)."""
    lines = _title_lines(title, width)
    return (TITLE_SIZE + 8 + (len(lines) - 1) * (TITLE_SIZE + 2)) if lines else 0.0


def _title(drawing: Drawing, title: str, width: float, height: float) -> None:
    for index, line in enumerate(_title_lines(title, width)):
        drawing.add(_string(0, height - TITLE_SIZE - index * (TITLE_SIZE + 2), line, TITLE_SIZE, bold=True))


def _label(drawing: Drawing, x: float, middle: float, lines: Sequence[str], bold: bool = False) -> None:
    """An axis label of one or more lines, right-aligned at ``x`` and centred on ``middle``."""
    for index, line in enumerate(lines):
        offset = (len(lines) - 1) * LABEL_LINE / 2 - index * LABEL_LINE
        drawing.add(_string(x, middle - 2.5 + offset, line, anchor="end", bold=bold))


def _legend_rows(series: Sequence[Series], width: float) -> list[list[tuple[float, int]]]:
    """Where each legend entry goes: rows of (x offset, series index), wrapped to the width."""
    rows: list[list[tuple[float, int]]] = [[]]
    cursor = 0.0
    for index, item in enumerate(series):
        entry = 14 + stringWidth(item.name, fonts.BODY, FONT_SIZE) + 12
        if rows[-1] and cursor + entry > width:
            rows.append([])
            cursor = 0.0
        rows[-1].append((cursor, index))
        cursor += entry
    return rows


LEGEND_ROW = 11


def _legend_height(series: Sequence[Series], width: float) -> float:
    return LEGEND_ROW * len(_legend_rows(series, width)) + 3


def _legend(drawing: Drawing, series: Sequence[Series], x: float, width: float, line: bool = False) -> None:
    rows = _legend_rows(series, width)
    for number, row in enumerate(rows):
        y = (len(rows) - 1 - number) * LEGEND_ROW
        for offset, index in row:
            colour = series[index].colour_for(index)
            left = x + offset
            if line:
                dash: list[float] | None = [3, 2] if series[index].dashed else None
                key = Line(left, y + 2.5, left + 12, y + 2.5, strokeColor=colour, strokeWidth=1.5)
                key.strokeDashArray = dash  # type: ignore[assignment]  # None: reportlab's default, not in its stubs
                drawing.add(key)
            else:
                drawing.add(_box(left, y, 8, 6, colour))
            drawing.add(_string(left + 14, y, series[index].name))


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    width: float,
    height: float = 170,
    value_format: str = "{:,.0f}",
) -> Drawing:
    """Grouped horizontal bars: one row per category, one bar per series, the value at its end."""
    fonts.register_fonts()
    legend_height = _legend_height(series, width)
    label_width = min(max((stringWidth(c, fonts.BODY, FONT_SIZE) for c in categories), default=0) + 6, width * 0.32)
    # Every label whole, on as many lines as it needs: the chart grows to give each row room.
    labels = [break_lines(c, fonts.BODY, FONT_SIZE, label_width - 6) for c in categories]
    tallest = max((len(lines) for lines in labels), default=1) * LABEL_LINE + 4
    height = max(height, _title_space(title, width) + legend_height + 12 + tallest * len(categories))
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    top = height - _title_space(title, width)
    plot_left = label_width
    plot_width = width - plot_left - 34
    plot_bottom = legend_height + 12
    plot_height = top - plot_bottom
    ticks = _value_ticks(series)
    maximum = ticks[-1]
    row = plot_height / max(len(categories), 1)
    bar = min(row * 0.8 / max(len(series), 1), 12)
    for tick in ticks:
        x = plot_left + plot_width * tick / maximum
        drawing.add(Line(x, plot_bottom, x, top, strokeColor=GRID, strokeWidth=0.4))
        drawing.add(_string(x, plot_bottom - 9, value_format.format(tick), anchor="middle", colour=MUTED))
    for index, _category in enumerate(categories):
        y_top = top - index * row - (row - bar * len(series)) / 2
        _label(drawing, label_width - 6, top - index * row - row / 2, labels[index])
        for number, item in enumerate(series):
            y = y_top - (number + 1) * bar
            value = item.values[index]
            colour = item.colour_for(number)
            if value is None:
                mark = item.marks[index] if index < len(item.marks) else ""
                drawing.add(_string(plot_left + 2, y + bar / 2 - 2.5, mark, colour=MUTED))
                continue
            length = plot_width * value / maximum
            drawing.add(_box(plot_left, y, length, bar * 0.9, colour))
            drawing.add(_string(plot_left + length + 2, y + bar / 2 - 2.5, value_format.format(value)))
    drawing.add(Line(plot_left, plot_bottom, plot_left, top, strokeColor=INK, strokeWidth=0.6))
    _legend(drawing, series, plot_left, plot_width)
    return drawing


def interval_chart(
    title: str,
    estimates: Sequence[Estimate],
    width: float,
    low: float = 0.0,
    high: float = 1.0,
    percent: bool = True,
    reference: float | None = None,
    log: bool = False,
    height: float | None = None,
) -> Drawing:
    """A point and its interval per row (a "forest plot"): rates with their 95 % intervals,
    differences between the pilots, or ratios to a reference group (``log`` scale)."""
    fonts.register_fonts()
    row = 13.0
    title_space = _title_space(title, width)
    axis_space = 16
    label_width = min(
        max((stringWidth(e.label, fonts.BOLD if e.strong else fonts.BODY, FONT_SIZE) for e in estimates), default=0)
        + 8,
        width * 0.42,
    )
    # Every label whole, wrapped to the label column; a row is as tall as its label.
    labels = [
        break_lines(e.label, fonts.BOLD if e.strong else fonts.BODY, FONT_SIZE, label_width - 8) for e in estimates
    ]
    rows = [max(row, len(lines) * LABEL_LINE + 4) for lines in labels]
    height = max(height or 0, title_space + axis_space + (sum(rows) if rows else row) + 4)
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    plot_left = label_width
    plot_width = width - plot_left - 10
    top = height - title_space
    bottom = axis_space

    def position(value: float) -> float:
        value = min(max(value, low), high)
        if log:
            return plot_left + plot_width * (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
        return plot_left + plot_width * (value - low) / (high - low)

    # Linear ticks print as whole percentages or percentage points: a whole step of those (20%, never 2.5%).
    scale = 100 if percent else 1
    ticks = _log_ticks(low, high) if log else [t / scale for t in axis.ticks(low * scale, high * scale, whole=True)]
    for tick in ticks:
        x = position(tick)
        drawing.add(Line(x, bottom, x, top, strokeColor=GRID, strokeWidth=0.4))
        label = f"{tick * 100:.0f}%" if percent else (f"{tick:g}" if log else f"{tick:+.0f}" if tick else "0")
        drawing.add(_string(x, bottom - 9, label, anchor="middle", colour=MUTED))
    if reference is not None and low <= reference <= high:
        x = position(reference)
        drawing.add(Line(x, bottom, x, top, strokeColor=INK, strokeWidth=0.8, strokeDashArray=[2, 2]))
    for index, estimate in enumerate(estimates):
        y = top - sum(rows[:index]) - rows[index] / 2
        _label(drawing, label_width - 8, y, labels[index], bold=estimate.strong)
        if estimate.value is None:
            drawing.add(_string(plot_left + 2, y - 2.5, estimate.mark, colour=MUTED))
            continue
        colour = PALETTE[0]
        if estimate.low is not None and estimate.high is not None:
            x1, x2 = position(estimate.low), position(estimate.high)
            drawing.add(Line(x1, y, x2, y, strokeColor=colour, strokeWidth=1.2))
            drawing.add(Line(x1, y - 3, x1, y + 3, strokeColor=colour, strokeWidth=1.2))
            drawing.add(Line(x2, y - 3, x2, y + 3, strokeColor=colour, strokeWidth=1.2))
        drawing.add(Circle(position(estimate.value), y, 2.6, fillColor=colour, strokeColor=colour))
    drawing.add(Line(plot_left, bottom, plot_left + plot_width, bottom, strokeColor=INK, strokeWidth=0.6))
    return drawing


def _log_ticks(low: float, high: float) -> list[float]:
    candidates = (0.1, 0.2, 0.25, 0.5, 1, 2, 4, 5, 10)
    return [t for t in candidates if low <= t <= high]


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], width: float, height: float = 170
) -> Drawing:
    """Lines over months; a value not shown breaks its line. Labels are thinned to fit."""
    fonts.register_fonts()
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    top = height - _title_space(title, width)
    legend_height = _legend_height(series, width - 34)
    plot_left, plot_bottom = 34, legend_height + 16
    plot_width, plot_height = width - plot_left - 8, top - plot_bottom
    ticks = _value_ticks(series)
    maximum = ticks[-1]
    count = max(len(labels), 1)

    def x_of(index: int) -> float:
        return plot_left + (plot_width * (index + 0.5) / count)

    def y_of(value: float) -> float:
        return plot_bottom + plot_height * value / maximum

    for tick in ticks:
        y = y_of(tick)
        drawing.add(Line(plot_left, y, plot_left + plot_width, y, strokeColor=GRID, strokeWidth=0.4))
        drawing.add(_string(plot_left - 4, y - 2.5, f"{tick:,.0f}", anchor="end", colour=MUTED))
    every = max(1, math.ceil(count / max(int(plot_width / 38), 1)))
    for index, label in enumerate(labels):
        if index % every == 0:
            drawing.add(_string(x_of(index), plot_bottom - 9, label, anchor="middle", colour=MUTED))
    for number, item in enumerate(series):
        colour = item.colour_for(number)
        dash: list[float] | None = [3, 2] if item.dashed else None
        run: list[float] = []
        for index, value in enumerate([*item.values, None]):
            if value is not None:
                run += [x_of(index), y_of(value)]
                continue
            if len(run) >= 4:
                polyline = PolyLine(run, strokeColor=colour, strokeWidth=1.3)
                polyline.strokeDashArray = dash  # type: ignore[assignment]  # None: reportlab's default, not in its stubs
                drawing.add(polyline)
            if len(run) == 2:
                drawing.add(Circle(run[0], run[1], 1.8, fillColor=colour, strokeColor=colour))
            run = []
    drawing.add(Line(plot_left, plot_bottom, plot_left + plot_width, plot_bottom, strokeColor=INK, strokeWidth=0.6))
    _legend(drawing, series, plot_left, plot_width, line=True)
    return drawing


def column_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    width: float,
    height: float = 170,
    value_format: str = "{:,.0f}",
) -> Drawing:
    """Columns per month, one beside the other for each series; a value not shown leaves a gap."""
    fonts.register_fonts()
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    top = height - _title_space(title, width)
    legend_height = _legend_height(series, width - 40)
    plot_left, plot_bottom = 40, legend_height + 16
    plot_width, plot_height = width - plot_left - 8, top - plot_bottom
    ticks = _value_ticks(series)
    maximum = ticks[-1]
    count = max(len(labels), 1)
    slot = plot_width / count
    bar = slot * 0.8 / max(len(series), 1)
    for tick in ticks:
        y = plot_bottom + plot_height * tick / maximum
        drawing.add(Line(plot_left, y, plot_left + plot_width, y, strokeColor=GRID, strokeWidth=0.4))
        drawing.add(_string(plot_left - 4, y - 2.5, value_format.format(tick), anchor="end", colour=MUTED))
    every = max(1, math.ceil(count / max(int(plot_width / 38), 1)))
    for index, label in enumerate(labels):
        left = plot_left + index * slot + slot * 0.1
        if index % every == 0:
            drawing.add(
                _string(plot_left + (index + 0.5) * slot, plot_bottom - 9, label, anchor="middle", colour=MUTED)
            )
        for number, item in enumerate(series):
            value = item.values[index]
            if value is None:
                continue
            drawing.add(
                _box(
                    left + number * bar, plot_bottom, bar * 0.92, plot_height * value / maximum, item.colour_for(number)
                )
            )
    drawing.add(Line(plot_left, plot_bottom, plot_left + plot_width, plot_bottom, strokeColor=INK, strokeWidth=0.6))
    _legend(drawing, series, plot_left, plot_width)
    return drawing
