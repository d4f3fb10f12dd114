"""The evaluation as a PDF report: a one-page summary, then each section with its charts and
tables, then the definitions and method notes.

    evaluation_pdf(result) -> bytes

Built on the documents' page (A4, DejaVu embedded, the marking on every page
and "Page N of M"); the charts are vector drawings (:mod:`.charts`). Every
table is one of :func:`.tables.evaluation_tables`, so the PDF prints the very
figures the screen and the workbook show. The report holds aggregates only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import CondPageBreak, Flowable, PageBreak, Spacer, Table, TableStyle

from diversion_desktop.documents import fonts
from diversion_desktop.documents.styles import ACCENT, ADULT, INK, MUTED, PAGE_MARGIN_X, RULE, SHADE
from diversion_desktop.documents.template import CREATOR, PAGE_WIDTH, Composition, build_pdf
from diversion_desktop.documents.text import Text, break_lines
from diversion_desktop.domain.evaluation import (
    ALL,
    FAIRNESS_RATES,
    Dimension,
    Step,
    definitions,
    method_notes,
    month_label,
)
from diversion_desktop.domain.evaluation_result import Count, EvaluationResult, Rate
from diversion_desktop.domain.statistics import Withheld
from diversion_desktop.reports import charts
from diversion_desktop.reports.tables import (
    ReportTable,
    evaluation_tables,
    find_table,
    selection_text,
    text,
)

WIDTH = PAGE_WIDTH - 2 * PAGE_MARGIN_X
TABLE_SIZE = 7.5
TITLE = "Drugs diversion evaluation"

_CELL = ParagraphStyle("report-cell", fontName=fonts.BODY, fontSize=TABLE_SIZE, leading=TABLE_SIZE * 1.25)
_NOTE = ParagraphStyle("report-note", parent=ADULT.body, fontSize=7.5, leading=9.5, textColor=MUTED, spaceAfter=3)
_BODY = ParagraphStyle("report-body", parent=ADULT.body, fontSize=9.5, leading=13)
_TERM = ParagraphStyle("report-term", parent=_BODY, fontName=fonts.BOLD, spaceAfter=0, keepWithNext=1)
_SECTION = ParagraphStyle(
    "report-section", parent=ADULT.subheading, fontSize=13, leading=17, spaceBefore=4, spaceAfter=6, keepWithNext=1
)
_TABLE_TITLE = ParagraphStyle(
    "report-table-title",
    parent=ADULT.body_bold,
    fontSize=9.5,
    leading=12,
    textColor=ACCENT,
    spaceBefore=6,
    spaceAfter=3,
    keepWithNext=1,
)
_PAD = 3


def evaluation_pdf(result: EvaluationResult, *, invariant: bool = False) -> bytes:
    """The whole report as PDF bytes. ``invariant`` makes the bytes repeatable (tests)."""
    fonts.register_fonts()
    tables = evaluation_tables(result)
    request = result.request
    reference = f"EVAL-{request.date_from:%Y%m%d}-{request.date_to:%Y%m%d}"
    title = f"{TITLE}, {request.date_from:%d/%m/%Y} to {request.date_to:%d/%m/%Y}"
    story = [*_summary_page(result, tables), PageBreak(), *_sections(result, tables), PageBreak(), *_definitions()]
    composition = Composition(
        title=title,
        author=CREATOR,
        reference=reference,
        issued_on=result.generated_at.date(),
        story=story,
        subject="Aggregate evaluation report: no personal data",
    )
    built = build_pdf([composition], title=title, author=CREATOR, subject=composition.subject, invariant=invariant)
    return built.content


# -- the first page --------------------------------------------------------------------------------
def _summary_page(result: EvaluationResult, tables: Sequence[ReportTable]) -> list[Flowable]:
    story: list[Flowable] = [Text(TITLE, ADULT.heading)]
    selection = ReportTable(
        "selection", "", ("", ""), tuple((text(label), text(value)) for label, value in selection_text(result))
    )
    story.append(pdf_table(selection, header=False, label_column=True))
    story.append(Spacer(1, 4 * mm))
    story += _titled(find_table(tables, "Summary"))
    story.append(Spacer(1, 3 * mm))
    story.append(_funnel_chart(result, height=150))
    story.append(Spacer(1, 3 * mm))
    story.append(_completion_chart(result))
    story.append(
        Text(
            "The sections that follow give every figure with its definition; the definitions and "
            "the methods are on the last pages. Counts under 5 are shown as \u201c<5\u201d.",
            _NOTE,
        )
    )
    return story


# -- the sections ---------------------------------------------------------------------------------------
def _sections(result: EvaluationResult, tables: Sequence[ReportTable]) -> list[Flowable]:
    story: list[Flowable] = []
    number = 0

    def section(title: str) -> None:
        nonlocal number
        number += 1
        if story:
            story.append(CondPageBreak(70 * mm))
        story.append(Text(f"{number}. {title}", _SECTION))

    section("The funnel")
    story.append(_funnel_chart(result))
    story += _titled(find_table(tables, "Funnel"))

    section("Completion")
    story.append(_completion_chart(result))
    story += _titled(find_table(tables, "Completion by area"))
    story += _titled(find_table(tables, "Completion by age band"))

    if result.pilots is not None:
        section("The two pilots side by side")
        story.append(_pilot_chart(result))
        story += _titled(find_table(tables, "Pilots side by side"))

    section("Repeat possession")
    story += _titled(find_table(tables, "Repeat possession"))

    section("Officer hours saved")
    story.append(
        charts.column_chart(
            "Officer hours saved per month",
            [month_label(row.month) for row in result.hours],
            [
                charts.Series(scheme.area, [cell.hours for cell in (row.by_scheme[index] for row in result.hours)])
                for index, scheme in enumerate(result.schemes)
            ],
            WIDTH,
        )
    )
    story += _titled(find_table(tables, "Officer hours"))

    section("Referrals and completions per month")
    story.append(_monthly_chart(result))
    story += _titled(find_table(tables, "Monthly"))

    section("Fairness")
    story.append(
        Text(
            "For each group: the count at each step, its share of the step, and three rates with their "
            "ratio to the reference group. A ratio above 1 means the group's rate is higher than the "
            "reference group's.",
            _BODY,
        )
    )
    for dimension in Dimension:
        fairness = result.fairness_for(dimension)
        story.append(CondPageBreak(60 * mm))
        story.append(Text(dimension.label, ParagraphStyle("dimension", parent=_SECTION, fontSize=11, leading=14)))
        for chart in _ratio_charts(fairness):
            story.append(chart)
        short = {Dimension.ETHNICITY: "ethnicity", Dimension.SEX: "sex", Dimension.AGE_BAND: "age band"}[dimension]
        for part in ("counts", "shares", "rates"):
            story += _titled(find_table(tables, f"Fairness {short} {part}"[:31]))
    return story


def _definitions() -> list[Flowable]:
    story: list[Flowable] = [Text("Definitions", _SECTION)]
    for item in definitions():
        story += [Text(item.term, _TERM), Text(item.text, _BODY)]
    story.append(Text("Method notes", _SECTION))
    for item in method_notes():
        story += [Text(item.term, _TERM), Text(item.text, _BODY)]
    return story


# -- charts from the result ------------------------------------------------------------------------------
def _number(value: Count) -> float | None:
    return float(value) if isinstance(value, int) else None


def _mark(value: Count) -> str:
    return value.value if isinstance(value, Withheld) else ""


def _funnel_chart(result: EvaluationResult, height: float = 200) -> Flowable:
    steps = list(Step)
    series = [
        charts.Series(
            funnel.label, [_number(funnel.count(step)) for step in steps], [_mark(funnel.count(step)) for step in steps]
        )
        for funnel in result.funnels[:-1]
    ]
    return charts.bar_chart("Referrals reaching each step", [step.label for step in steps], series, WIDTH, height)


def _completion_chart(result: EvaluationResult) -> Flowable:
    return charts.interval_chart(
        "Completion rate with its 95% interval",
        [
            *(
                _estimate(row.label if row.label != ALL else "All areas", row.rate, strong=row.label == ALL)
                for row in result.completion_by_scheme
            ),
            *(
                _estimate(f"Age {row.label}" if row.label != ALL else "All ages", row.rate, strong=row.label == ALL)
                for row in result.completion_by_age
            ),
        ],
        WIDTH,
    )


def _estimate(label: str, rate: Rate, strong: bool = False) -> charts.Estimate:
    if rate.value is None:
        return charts.Estimate(label, None, mark="[c]" if rate.hidden else "\u2013", strong=strong)
    interval = rate.interval
    return charts.Estimate(
        label, rate.value, interval.low if interval else None, interval.high if interval else None, strong=strong
    )


def _pilot_chart(result: EvaluationResult) -> Flowable:
    assert result.pilots is not None
    estimates = []
    bound = 0.1
    for row in result.pilots.rows:
        if row.difference is None:
            estimates.append(charts.Estimate(row.kind.label, None, mark="[c]" if row.hidden else "\u2013"))
            continue
        diff = row.difference
        bound = max(bound, abs(diff.interval.low), abs(diff.interval.high))
        estimates.append(
            charts.Estimate(row.kind.label, diff.estimate * 100, diff.interval.low * 100, diff.interval.high * 100)
        )
    limit = min(100.0, (int(bound * 100 / 10) + 1) * 10)
    return charts.interval_chart(
        "Difference, deferred prosecution minus voluntary attendance (percentage points)",
        estimates,
        WIDTH,
        -limit,
        limit,
        percent=False,
        reference=0.0,
    )


def _monthly_chart(result: EvaluationResult) -> Flowable:
    labels = [month_label(row.month) for row in result.monthly]
    series = [
        charts.Series(
            f"{scheme.area}: referrals", [_number(row.referrals[index]) for row in result.monthly], colour=index
        )
        for index, scheme in enumerate(result.schemes)
    ]
    series += [
        charts.Series(
            f"{scheme.area}: of which completed",
            [_number(row.completions[index]) for row in result.monthly],
            dashed=True,
            colour=index,
        )
        for index, scheme in enumerate(result.schemes)
    ]
    return charts.line_chart(
        "Referrals per month (solid), and how many of them have completed (dashed)", labels, series, WIDTH
    )


def _ratio_charts(fairness) -> list[Flowable]:  # noqa: ANN001 - FairnessTable
    """One chart per rate that has at least one ratio to show, on a log scale."""
    drawn: list[Flowable] = []
    if not fairness.reference:
        return drawn
    for index, kind in enumerate(FAIRNESS_RATES):
        estimates = []
        for row in fairness.rows:
            if row.is_total:
                continue
            rate = row.rates[index]
            if row.is_reference:
                estimates.append(charts.Estimate(f"{row.group} (reference)", 1.0, strong=True))
            elif rate.ratio is not None:
                estimates.append(
                    charts.Estimate(row.group, rate.ratio.estimate, rate.ratio.interval.low, rate.ratio.interval.high)
                )
            else:
                estimates.append(charts.Estimate(row.group, None, mark="[c]" if rate.hidden else "\u2013"))
        if sum(1 for e in estimates if e.value is not None) < 2:
            continue
        drawn.append(
            charts.interval_chart(
                f"{kind.label}: ratio to {fairness.reference} (log scale)",
                estimates,
                WIDTH,
                0.25,
                4.0,
                percent=False,
                reference=1.0,
                log=True,
            )
        )
    return drawn


# -- tables --------------------------------------------------------------------------------------------
def _titled(table: ReportTable) -> list[Flowable]:
    story: list[Flowable] = [Text(table.title, _TABLE_TITLE), pdf_table(table)]
    story += [Text(note, _NOTE) for note in table.notes]
    return story


def pdf_table(table: ReportTable, header: bool = True, label_column: bool = False) -> Flowable:
    """A ReportTable as a ruled platypus Table of plain strings (no markup is parsed), the
    width of the page unless it is a list of labels (``label_column``)."""
    columns = len(table.columns)
    numeric = [any(row[i].is_number for row in table.rows) for i in range(columns)]
    widths = _widths(table, numeric, stretch=not label_column)
    data: list[list[str]] = []
    if header:
        data.append(
            [
                "\n".join(break_lines(title, fonts.BOLD, TABLE_SIZE, widths[i] - 2 * _PAD))
                for i, title in enumerate(table.columns)
            ]
        )
    for row in table.rows:
        data.append(
            [
                "\n".join(break_lines(cell.text, fonts.BODY, TABLE_SIZE, widths[i] - 2 * _PAD))
                for i, cell in enumerate(row)
            ]
        )
    style: list[tuple[Any, ...]] = [  # reportlab's commands: a name, two cells, then what the name takes
        ("FONT", (0, 0), (-1, -1), fonts.BODY, TABLE_SIZE, TABLE_SIZE * 1.25),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ]
    if header:
        style += [
            ("FONT", (0, 0), (-1, 0), fonts.BOLD, TABLE_SIZE, TABLE_SIZE * 1.25),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ]
    if label_column:
        style.append(("FONT", (0, 0), (0, -1), fonts.BOLD, TABLE_SIZE, TABLE_SIZE * 1.25))
        style.append(("LINEBELOW", (0, 0), (-1, -1), 0, colors.white))
    offset = 1 if header else 0
    for index in table.total_rows:
        style.append(("FONT", (0, index + offset), (-1, index + offset), fonts.BOLD, TABLE_SIZE, TABLE_SIZE * 1.25))
    for column, is_number in enumerate(numeric):
        if is_number:
            style.append(("ALIGN", (column, 0), (column, -1), "RIGHT"))
    pdf = Table(data, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    pdf.setStyle(TableStyle(style))
    return pdf


def _widths(table: ReportTable, numeric: Sequence[bool], stretch: bool = True) -> list[float]:
    """Numbers as wide as their longest figure (or header word); text columns share what is left."""

    def measure(value: str, font: str) -> float:
        return stringWidth(value, font, TABLE_SIZE)

    columns = len(table.columns)
    natural = []
    for i in range(columns):
        cells = [row[i].text for row in table.rows]
        widest = max((measure(value, fonts.BODY) for value in cells), default=0)
        header_word = max((measure(word, fonts.BOLD) for word in table.columns[i].split()), default=0)
        natural.append(max(widest, header_word) + 2 * _PAD + 1)
    fixed = sum(w for w, is_number in zip(natural, numeric) if is_number)
    text_columns = [i for i in range(columns) if not numeric[i]]
    room = WIDTH - fixed
    if not text_columns or room <= 0:
        scale = WIDTH / sum(natural) if sum(natural) > WIDTH else 1
        return [w * scale for w in natural]
    wanted = sum(natural[i] for i in text_columns)
    widths = list(natural)
    if wanted <= room and not stretch:
        return widths
    # Narrow text columns keep their natural width; the wide ones share the rest (and wrap).
    pending = sorted(text_columns, key=lambda i: natural[i])
    left = room
    while pending:
        share = left / len(pending)
        column = pending[0]
        if natural[column] > share:
            break
        widths[column] = natural[column] if not stretch or len(pending) > 1 else left
        left -= widths[column]
        pending.pop(0)
    wide = sum(natural[i] for i in pending)
    for i in pending:
        widths[i] = max(left * natural[i] / wide, 40)
    return widths
