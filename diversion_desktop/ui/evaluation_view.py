"""The Evaluation screen: is the scheme working, and is it applied fairly — for a chosen period.

Choose the period (by referral date), the areas and the age bands, and the
reference group of each fairness comparison, then Compute: the counting runs
on the worker (``TaskRunner``) with a progress bar. The result shows as charts
(QtCharts: the funnel per area, completion rates with their 95 % intervals,
officer hours and referrals per month) and as tables, one tab per
section; every table is one of ``reports.tables.evaluation_tables``, the same
tables the PDF and the workbook print, so the three always agree. Counts under
5 show as "<5". "Save as PDF…" and "Save as XLSX…" write the result on screen.

``choose_save_path`` is the one place a file dialog opens (tests replace it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QBoxPlotSeries,
    QBoxSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QLogValueAxis,
    QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.evaluation import (
    AGE_BAND_LABELS,
    ALL,
    FAIRNESS_RATES,
    NOT_RECORDED,
    Dimension,
    Step,
    add_months,
    month_label,
)
from diversion_desktop.domain.people_codes import ETHNICITY_2021, SEX
from diversion_desktop.domain.statistics import Withheld
from diversion_desktop.owner_only import write_private
from diversion_desktop.reports.axis import ticks_from_zero
from diversion_desktop.reports.tables import ReportTable, evaluation_tables, selection_text
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.services.evaluation import (
    Count,
    EvaluationRequest,
    EvaluationResult,
    EvaluationService,
    FairnessTable,
)
from diversion_desktop.ui import file_dialogs
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.progress import ProgressRelay
from diversion_desktop.ui.tasks import TaskRunner, show_error
from diversion_desktop.ui.widgets import DateEdit

LARGEST = "Largest group"
# Okabe–Ito, as the PDF's charts.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
_MARK_TIPS = {
    Withheld.SMALL.value: "A count under 5: not shown.",
    Withheld.PROTECTED.value: "Not shown, because it would let a count under 5 be worked out.",
    "\u2013": "Nothing to compute.",
}


def choose_save_path(parent: QWidget | None, caption: str, suggested_name: str, file_filter: str) -> str:
    """The system "Save as" dialog; the chosen path, or "" if cancelled (tests replace this)."""
    return file_dialogs.save_path(parent, caption, suggested_name, file_filter)


# -- tables ---------------------------------------------------------------------------------------------
class ReportTableModel(QAbstractTableModel):
    """A read-only model over one ``ReportTable``: the cells' own text, numbers to the right."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table: ReportTable | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_table(self, table: ReportTable | None) -> None:
        self.beginResetModel()
        self.table = table
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.table is None else len(self.table.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.table is None else len(self.table.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.table is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.table.columns[section] if 0 <= section < len(self.table.columns) else None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.table is None or not index.isValid():
            return None
        cell = self.table.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if cell.is_number else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and index.row() in self.table.total_rows:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return _MARK_TIPS.get(cell.text, cell.text)
        return None


class _TablePanel(QWidget):
    """A table's title, the table, and its notes."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; color: #1f3864;")
        self.model = ReportTableModel(self)
        self.view = QTableView()
        self.view.setObjectName(_object_name(key))
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(False)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setStyleSheet("color: #4d4d4d;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.view)
        layout.addWidget(self.notes)

    def show_table(self, table: ReportTable | None) -> None:
        self.model.set_table(table)
        self.title.setText(table.title if table else "")
        self.view.setAccessibleName(table.title if table else self.key)
        self.notes.setText("\n".join(table.notes) if table else "")
        rows = len(table.rows) if table else 0
        # Tall enough for every row (the tab scrolls, not the table), within reason.
        height = self.view.horizontalHeader().sizeHint().height() + 4
        height += min(rows, 40) * self.view.verticalHeader().defaultSectionSize()
        self.view.setMinimumHeight(min(height, 900))
        self.view.setMaximumHeight(max(height, 80))


def _object_name(key: str) -> str:
    words = key.replace("-", " ").split()
    return words[0].lower() + "".join(word.capitalize() for word in words[1:]) + "Table"


# -- charts -----------------------------------------------------------------------------------------------
def _chart_view(title: str) -> QChartView:
    chart = QChart()
    chart.setTitle(title)
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    view = QChartView(chart)
    view.setAccessibleName(title)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(300)
    return view


def _value(count: Count) -> float:
    """A count for a bar: a hidden one draws nothing (its table cell says "<5" or "[c]")."""
    return float(count) if isinstance(count, int) else 0.0


def _whole_ticks(values: QValueAxis, top: float) -> None:
    """A value axis from 0 past ``top`` with whole-number ticks, for counts and hours. Qt's
    applyNiceNumbers stepped by 0.5 when the counts were small or all hidden, which "%d" printed as
    "0 0 1 1", and left no axis at all (a 0 to 0 range) when every month's hours were hidden."""
    ticks = ticks_from_zero(top)
    values.setLabelFormat("%d")
    values.setRange(0, ticks[-1])
    values.setTickCount(len(ticks))


def _reset(view: QChartView, title: str) -> QChart:
    chart = view.chart()
    chart.removeAllSeries()
    for axis in chart.axes():
        chart.removeAxis(axis)
    chart.setTitle(title)
    view.setAccessibleName(title)
    return chart


def draw_funnel(view: QChartView, result: EvaluationResult) -> None:
    chart = _reset(view, "Referrals reaching each step (counts under 5 are not drawn)")
    series = QHorizontalBarSeries()
    steps = list(reversed(list(Step)))  # the first step at the top
    for index, funnel in enumerate(result.funnels[:-1]):
        bars = QBarSet(funnel.label)
        bars.setColor(QColor(PALETTE[index % len(PALETTE)]))
        bars.setLabelColor(QColor("#1a1a1a"))
        for step in steps:
            bars.append(_value(funnel.count(step)))
        series.append(bars)
    series.setLabelsVisible(True)
    series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsOutsideEnd)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    categories.append([step.label for step in steps])
    values = QValueAxis()
    top = max([_value(f.count(Step.ASSESSED)) for f in result.funnels[:-1]] + [0.0])
    chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(categories)
    series.attachAxis(values)
    _whole_ticks(values, top * 1.12)  # room for the labels at the bars' ends


def draw_completion(view: QChartView, result: EvaluationResult) -> None:
    """Completion rates with their 95 % intervals, as whiskers (a box plot with no box)."""
    chart = _reset(view, "Completion rate with its 95% interval (hidden rates are not drawn)")
    series = QBoxPlotSeries()
    series.setName("Completion rate and 95% interval")
    series.setBrush(QBrush(QColor(PALETTE[0])))
    series.setPen(QPen(QColor(PALETTE[0]), 2))
    series.setBoxWidth(0.15)
    labels = []
    rows = [(row.label if row.label != ALL else "All areas", row.rate) for row in result.completion_by_scheme]
    rows += [(f"Age {row.label}" if row.label != ALL else "All ages", row.rate) for row in result.completion_by_age]
    for label, rate in rows:
        if rate.value is None or rate.interval is None:
            continue
        value = rate.value * 100
        series.append(QBoxSet(rate.interval.low * 100, value, value, value, rate.interval.high * 100, label))
        labels.append(label)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    categories.append(labels)
    values = QValueAxis()
    values.setRange(0, 100)
    values.setLabelFormat("%d%%")
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(categories)
    series.attachAxis(values)
    chart.legend().setVisible(False)


def draw_hours(view: QChartView, result: EvaluationResult) -> None:
    chart = _reset(view, "Officer hours saved per month (months with under 5 diversions are not drawn)")
    series = QBarSeries()
    top = 0.0
    for index, scheme in enumerate(result.schemes):
        bars = QBarSet(scheme.area)
        bars.setColor(QColor(PALETTE[index % len(PALETTE)]))
        for row in result.hours:
            hours = row.by_scheme[index].hours
            bars.append(hours if hours is not None else 0.0)
            top = max(top, hours or 0.0)
        series.append(bars)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    categories.append([month_label(row.month) for row in result.hours])
    values = QValueAxis()
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(categories)
    series.attachAxis(values)
    _whole_ticks(values, top)


def draw_monthly(view: QChartView, result: EvaluationResult) -> None:
    """A line per area for referrals (solid) and how many of them completed (dashed); a hidden
    month breaks the line."""
    chart = _reset(view, "Referrals per month (solid), and how many of them have completed (dashed)")
    categories = QBarCategoryAxis()
    categories.append([month_label(row.month) for row in result.monthly])
    values = QValueAxis()
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    top = 0.0
    for index, scheme in enumerate(result.schemes):
        for name, dashed in (("referrals", False), ("of which completed", True)):
            points = [row.referrals[index] if not dashed else row.completions[index] for row in result.monthly]
            pen = QPen(QColor(PALETTE[index % len(PALETTE)]), 2)
            if dashed:
                pen.setStyle(Qt.PenStyle.DashLine)
            first = True
            for run in _runs(points):
                line = QLineSeries()
                line.setName(f"{scheme.area}: {name}")
                line.setPen(pen)
                for position, value in run:
                    line.append(position, value)
                    top = max(top, value)
                chart.addSeries(line)
                line.attachAxis(categories)
                line.attachAxis(values)
                if not first:
                    for marker in chart.legend().markers(line):
                        marker.setVisible(False)
                first = False
    _whole_ticks(values, top * 1.1)


def draw_ratios(view: QChartView, table: FairnessTable) -> None:
    """Each group's offered rate as a ratio to the reference group's, with its 95 % interval, on a log
    scale around 1 (groups whose ratio is hidden or cannot be computed are left out; the table has them)."""
    kind = FAIRNESS_RATES[0]
    chart = _reset(
        view, f"{kind.label}: ratio to {table.reference or 'the reference group'} with its 95% interval (log scale)"
    )
    series = QBoxPlotSeries()
    series.setBrush(QBrush(QColor(PALETTE[0])))
    series.setPen(QPen(QColor(PALETTE[0]), 2))
    series.setBoxWidth(0.15)
    labels = []
    for row in table.rows:
        ratio = row.rates[0].ratio
        if row.is_total or (ratio is None and not row.is_reference):
            continue
        low, value, high = (
            (1.0, 1.0, 1.0) if row.is_reference else (ratio.interval.low, ratio.estimate, ratio.interval.high)
        )
        label = _short(row.group) + (" (reference)" if row.is_reference else "")
        series.append(QBoxSet(low, value, value, value, high, label))
        labels.append(label)
    chart.addSeries(series)
    categories = QBarCategoryAxis()
    categories.append(labels)
    values = QLogValueAxis()
    values.setBase(2)
    values.setRange(0.25, 4)
    values.setLabelFormat("%.2g")
    chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(categories)
    series.attachAxis(values)
    chart.legend().setVisible(False)


def _short(group: str) -> str:
    """A census category without its heading ("Black, … African: Caribbean" → "Caribbean")."""
    return group.split(": ", 1)[1] if ": " in group else group


def _runs(points: Sequence[Count | None]) -> list[list[tuple[float, float]]]:
    """Unbroken runs of shown values, as (position, value)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for position, value in enumerate(points):
        if isinstance(value, int):
            runs[-1].append((float(position), float(value)))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


# -- the screen ---------------------------------------------------------------------------------------------
class EvaluationView(QWidget):
    sig_computed = Signal(object)  # the EvaluationResult now shown
    sig_saved = Signal(str)  # the path of a PDF or XLSX just written
    sig_failed = Signal(str)  # the message of a computation or a save that failed

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.service = EvaluationService(ctx)
        self.result: EvaluationResult | None = None
        self._latest = 0
        self.relay = ProgressRelay(self._progress, self)
        self.panels: dict[str, _TablePanel] = {}
        self._build()
        today = ctx.today()
        self.date_from.set_value(add_months(today, -12) + timedelta(days=1))
        self.date_to.set_value(today)
        self._update_buttons()

    # -- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.date_from = DateEdit()
        self.date_from.setObjectName("evaluationFrom")
        self.date_from.setAccessibleName("From")
        self.date_to = DateEdit()
        self.date_to.setObjectName("evaluationTo")
        self.date_to.setAccessibleName("To")

        self.area_boxes: dict[str, QCheckBox] = {}
        areas = QGroupBox("Areas")
        area_layout = QHBoxLayout(areas)
        for scheme in self.ctx.schemes:
            box = QCheckBox(scheme.area)
            box.setObjectName(f"area_{scheme.code}")
            box.setChecked(True)
            self.area_boxes[scheme.code] = box
            area_layout.addWidget(box)
        area_layout.addStretch(1)

        self.band_boxes: dict[str, QCheckBox] = {}
        bands = QGroupBox("Age bands (age on the incident date)")
        band_layout = QHBoxLayout(bands)
        for label in AGE_BAND_LABELS:
            box = QCheckBox(label)
            box.setObjectName(f"band_{label}")
            box.setChecked(True)
            self.band_boxes[label] = box
            band_layout.addWidget(box)
        band_layout.addStretch(1)

        self.references: dict[Dimension, QComboBox] = {}
        references = QGroupBox("Fairness: compare each group with")
        reference_layout = QHBoxLayout(references)
        choices = {
            Dimension.ETHNICITY: [*ETHNICITY_2021, NOT_RECORDED],
            Dimension.SEX: [*SEX, NOT_RECORDED],
            Dimension.AGE_BAND: list(AGE_BAND_LABELS),
        }
        for dimension, groups in choices.items():
            combo = QComboBox()
            combo.setObjectName(f"reference_{dimension.value}")
            combo.setAccessibleName(f"Reference group for {dimension.label.lower()}")
            combo.addItem(LARGEST, "")
            for group in groups:
                combo.addItem(group, group)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(14)
            self.references[dimension] = combo
            caption = QLabel(f"{dimension.label}:")
            caption.setBuddy(combo)
            reference_layout.addWidget(caption)
            reference_layout.addWidget(combo, 1)

        self.compute_button = QPushButton("&Compute")
        self.compute_button.setObjectName("computeButton")
        self.compute_button.setDefault(True)
        self.compute_button.clicked.connect(self.compute)
        self.pdf_button = QPushButton("Save as &PDF…")
        self.pdf_button.setObjectName("savePdfButton")
        self.pdf_button.clicked.connect(self.save_pdf)
        self.xlsx_button = QPushButton("Save as &XLSX…")
        self.xlsx_button.setObjectName("saveXlsxButton")
        self.xlsx_button.clicked.connect(self.save_xlsx)
        self.progress = QProgressBar()
        self.progress.setObjectName("evaluationProgress")
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(220)
        self.status = QLabel("Choose the period and press Compute.")
        self.status.setObjectName("evaluationStatus")
        self.status.setWordWrap(True)

        period = QHBoxLayout()
        for caption_text, edit in (("&From", self.date_from), ("&To", self.date_to)):
            caption = QLabel(caption_text)
            caption.setBuddy(edit)
            caption.setMinimumWidth(caption.fontMetrics().horizontalAdvance(caption_text.replace("&", "")) + 4)
            edit.setMaximumWidth(130)
            period.addWidget(caption)
            period.addSpacing(4)
            period.addWidget(edit)
            period.addSpacing(12)
        period.addWidget(QLabel("(referral dates, dd/mm/yyyy)"))
        period.addStretch(1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.compute_button)
        buttons.addWidget(self.progress)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.xlsx_button)

        controls = QVBoxLayout()
        controls.addLayout(period)
        choices_row = QHBoxLayout()
        choices_row.addWidget(areas)
        choices_row.addWidget(bands, 1)
        controls.addLayout(choices_row)
        controls.addWidget(references)
        controls.addLayout(buttons)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("evaluationTabs")
        self.funnel_chart = _chart_view("Referrals reaching each step")
        self.completion_chart = _chart_view("Completion rate")
        self.hours_chart = _chart_view("Officer hours saved per month")
        self.monthly_chart = _chart_view("Referrals and completions per month")
        self.selection_label = QLabel()
        self.selection_label.setObjectName("evaluationSelection")
        self.selection_label.setTextFormat(Qt.TextFormat.PlainText)
        pages: list[tuple[str, list[QWidget | str]]] = [
            ("Summary", [self.selection_label, "Summary"]),
            ("Funnel", [self.funnel_chart, "Funnel"]),
            ("Completion", [self.completion_chart, "Completion by area", "Completion by age band"]),
            ("Pilots", ["Pilots side by side"]),
            ("Repeat possession", ["Repeat possession"]),
            ("Officer hours", [self.hours_chart, "Officer hours"]),
            ("Monthly", [self.monthly_chart, "Monthly"]),
        ]
        self.ratio_charts: dict[Dimension, QChartView] = {}
        for dimension in Dimension:
            short = {Dimension.ETHNICITY: "ethnicity", Dimension.SEX: "sex", Dimension.AGE_BAND: "age band"}[dimension]
            self.ratio_charts[dimension] = _chart_view(f"{dimension.label}: ratios")
            pages.append(
                (
                    f"Fairness: {dimension.label.lower()}",
                    [
                        self.ratio_charts[dimension],
                        *(f"Fairness {short} {part}"[:31] for part in ("rates", "counts", "shares")),
                    ],
                )
            )
        self.pages: dict[str, QWidget] = {}
        for title, parts in pages:
            page = QWidget()
            layout = QVBoxLayout(page)
            for part in parts:
                if isinstance(part, str):
                    panel = _TablePanel(part)
                    self.panels[part] = panel
                    layout.addWidget(panel)
                else:
                    layout.addWidget(part)
            layout.addStretch(1)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(page)
            self.pages[title] = scroll
            self.tabs.addTab(scroll, title)

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.tabs, 1)
        self.setFocusProxy(self.date_from)

    # -- the request ------------------------------------------------------------------------------------
    def request(self) -> EvaluationRequest:
        """What the controls ask for; raises ValidationError naming what to correct."""
        errors: dict[str, str] = {}
        date_from, date_to = self.date_from.value(), self.date_to.value()
        if date_from is None:
            errors["date_from"] = "Enter the first referral date of the period as dd/mm/yyyy."
        if date_to is None:
            errors["date_to"] = "Enter the last referral date of the period as dd/mm/yyyy."
        if date_from and date_to and date_from > date_to:
            errors["date_to"] = "The period ends before it starts."
        areas = [code for code, box in self.area_boxes.items() if box.isChecked()]
        if not areas:
            errors["schemes"] = "Choose at least one area."
        bands = [label for label, box in self.band_boxes.items() if box.isChecked()]
        if not bands:
            errors["age_bands"] = "Choose at least one age band."
        if errors:
            raise ValidationError(errors)
        assert date_from is not None and date_to is not None
        return EvaluationRequest(
            date_from,
            date_to,
            schemes=() if len(areas) == len(self.area_boxes) else tuple(areas),
            age_bands=() if len(bands) == len(self.band_boxes) else tuple(bands),
            reference_ethnicity=self.references[Dimension.ETHNICITY].currentData() or "",
            reference_sex=self.references[Dimension.SEX].currentData() or "",
            reference_age_band=self.references[Dimension.AGE_BAND].currentData() or "",
        )

    # -- computing -----------------------------------------------------------------------------------------
    def compute(self) -> None:
        if self.busy:
            return
        try:
            request = self.request()
        except ValidationError as error:
            self.status.setText(" ".join(error.errors.values()))
            self.sig_failed.emit(str(error))
            return
        self._latest += 1
        token = self._latest
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.status.setText("Counting…")
        service = self.service
        Op(self, lambda report: service.compute(request, report)).with_progress(self.relay).busy(
            self._update_buttons
        ).success(lambda result: self._computed(result, token)).failure(
            lambda error: self._failed(error, token)
        ).run_in(self.runner)

    def _progress(self, done: int, total: int) -> None:
        if self.busy:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _computed(self, result: EvaluationResult, token: int) -> None:
        if token != self._latest:
            return
        self.progress.setVisible(False)
        self.show_result(result)
        assessed = result.total_funnel.count(Step.ASSESSED)
        shown = f"{assessed:,}" if isinstance(assessed, int) else assessed.value
        self.status.setText(f"{shown} referral(s) in the period; counted in {result.database_seconds:.2f} s.")
        self._update_buttons()
        self.sig_computed.emit(result)

    def _failed(self, error: BaseException, token: int) -> bool:
        if token != self._latest:
            return True
        self.progress.setVisible(False)
        self.status.setText("The evaluation could not be computed.")
        self._update_buttons()
        show_error(self, error)  # (before sig_failed: its listeners find the message open)
        self.sig_failed.emit(str(error))
        return True

    def show_result(self, result: EvaluationResult) -> None:
        """Every chart and table from one result."""
        self.result = result
        tables = evaluation_tables(result)
        for key, panel in self.panels.items():
            panel.show_table(next((t for t in tables if t.key == key), None))
            panel.setVisible(any(t.key == key for t in tables))
        self.tabs.setTabVisible(self.tabs.indexOf(self.pages["Pilots"]), result.pilots is not None)
        self.selection_label.setText("\n".join(f"{label}: {value}" for label, value in selection_text(result)))
        draw_funnel(self.funnel_chart, result)
        draw_completion(self.completion_chart, result)
        draw_hours(self.hours_chart, result)
        draw_monthly(self.monthly_chart, result)
        for dimension, view in self.ratio_charts.items():
            draw_ratios(view, result.fairness_for(dimension))

    def table(self, key: str) -> ReportTable | None:
        """The table shown under ``key`` (a ReportTable key such as "Funnel")."""
        panel = self.panels.get(key)
        return panel.model.table if panel else None

    def table_view(self, key: str) -> QTableView:
        return self.panels[key].view

    # -- saving ------------------------------------------------------------------------------------------
    def save_pdf(self) -> None:
        self._save("Save the evaluation as PDF", ".pdf", "PDF documents (*.pdf)")

    def save_xlsx(self) -> None:
        self._save("Save the evaluation as XLSX", ".xlsx", "Excel workbooks (*.xlsx)")

    def _save(self, caption: str, suffix: str, file_filter: str) -> None:
        result = self.result
        if result is None or self.busy:
            return
        request = result.request
        suggested = f"evaluation-{request.date_from:%Y-%m-%d}-to-{request.date_to:%Y-%m-%d}{suffix}"
        chosen = choose_save_path(self, caption, suggested, file_filter)
        if not chosen:
            self.status.setText("Not saved.")
            return
        path = Path(chosen)
        if path.suffix.lower() != suffix:
            path = path.with_name(path.name + suffix)
        self.status.setText(f"Writing {path.name}…")

        def write() -> str:
            if suffix == ".pdf":
                from diversion_desktop.reports.evaluation_pdf import evaluation_pdf

                content = evaluation_pdf(result)
            else:
                from diversion_desktop.reports.evaluation_xlsx import evaluation_xlsx

                content = evaluation_xlsx(result)
            write_private(path, content)  # (personal data: owner only)
            return str(path)

        def done(written: str) -> None:
            self.status.setText(f"Saved {written}.")
            self._update_buttons()
            self.sig_saved.emit(written)

        def failed(error: BaseException) -> bool:
            self.status.setText(f"{path.name} was not saved.")
            self._update_buttons()
            show_error(
                self,
                error
                if not isinstance(error, OSError)
                else OSError(f"{path} could not be written ({error.strerror or error})."),
            )
            self.sig_failed.emit(str(error))
            return True

        Op(self, write).busy(self._update_buttons).success(done).failure(failed).run_in(self.runner)

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _update_buttons(self) -> None:
        self.compute_button.setEnabled(not self.busy)
        ready = self.result is not None and not self.busy
        self.pdf_button.setEnabled(ready)
        self.xlsx_button.setEnabled(ready)
