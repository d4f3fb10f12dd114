"""The Evaluation screen over the hand-made dataset: computed off the GUI thread, the same tables as the
reports, "<5" where a count is small, and the result saved as PDF and XLSX."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCharts import QBoxPlotSeries, QHorizontalBarSeries, QLineSeries, QValueAxis
from PySide6.QtCore import Qt

from diversion_desktop.domain.evaluation import Dimension
from diversion_desktop.reports.tables import evaluation_tables, find_table
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.evaluation import EvaluationService
from diversion_desktop.ui import evaluation_view
from diversion_desktop.ui.evaluation_view import EvaluationView
from diversion_desktop.ui.tasks import TaskRunner
from tests.evaluation_data import build
from tests.ui.conftest_views import click, open_message_boxes


@pytest.fixture
def view(qtbot, gui_ctx: AppContext, gui_runner: TaskRunner) -> EvaluationView:
    build(gui_ctx)
    widget = EvaluationView(gui_ctx, gui_runner)
    qtbot.addWidget(widget)
    widget.resize(1300, 900)
    widget.show()
    widget.date_from.setText("01/01/2025")
    widget.date_to.setText("31/12/2025")
    return widget


def compute(qtbot, view: EvaluationView) -> None:
    with qtbot.waitSignal(view.sig_computed, timeout=20000):
        click(qtbot, view.compute_button)


def cells(view: EvaluationView, key: str) -> list[list[str]]:
    model = view.table_view(key).model()
    return [[str(model.index(r, c).data()) for c in range(model.columnCount())] for r in range(model.rowCount())]


def test_defaults_to_the_last_12_months(qtbot, gui_ctx: AppContext, gui_runner: TaskRunner) -> None:
    widget = EvaluationView(gui_ctx, gui_runner)
    qtbot.addWidget(widget)
    assert widget.date_from.text() == "11/03/2025" and widget.date_to.text() == "10/03/2026"
    assert not widget.pdf_button.isEnabled() and not widget.xlsx_button.isEnabled()
    assert widget.references[Dimension.SEX].currentText() == "Largest group"


def test_computes_off_the_gui_thread_with_progress(qtbot, view: EvaluationView, monkeypatch) -> None:
    threads: list[threading.Thread] = []
    original = EvaluationService.compute

    def recording(self, request, progress=None):
        threads.append(threading.current_thread())
        return original(self, request, progress)

    monkeypatch.setattr(EvaluationService, "compute", recording)
    steps: list[tuple[int, int]] = []
    view.relay.sig_progress.connect(lambda done, total: steps.append((done, total)))
    compute(qtbot, view)
    assert threads and threads[0] is not threading.main_thread()
    assert steps[-1] == (4, 4)
    assert not view.progress.isVisible()
    assert "45 referral(s)" in view.status.text()
    assert view.pdf_button.isEnabled() and view.xlsx_button.isEnabled()


def test_tables_show_the_figures_worked_out_by_hand(qtbot, view: EvaluationView) -> None:
    compute(qtbot, view)
    completion = cells(view, "Completion by area")
    assert completion[0] == ["West Berkshire", "12", "17", "70.6%", "46.9\u201386.7%"]
    assert completion[-1][:3] == ["All", "20", "31"]
    funnel = cells(view, "Funnel")
    assert ["Windsor and Maidenhead", "Reported for prosecution", "<5", "\u2013", "\u2013", "\u2013"] in funnel
    sex = cells(view, "Fairness sex counts")
    assert sex[0] == ["Female", "9", "9", "9", "9", "[c]", "[c]", "<5", "<5"]
    rates = cells(view, "Fairness sex rates")
    female_offered = next(row for row in rates if row[0] == "Female" and row[1] == "Offered diversion")
    assert female_offered[6:] == ["1.19", "1.02\u20131.39", "Higher"]
    # The screen shows exactly the tables the reports print.
    assert view.result is not None
    assert view.table("Completion by area") == find_table(evaluation_tables(view.result), "Completion by area")
    model = view.table_view("Funnel").model()
    row = next(r for r in range(model.rowCount()) if model.index(r, 2).data() == "<5")
    assert model.index(row, 2).data(Qt.ItemDataRole.ToolTipRole) == "A count under 5: not shown."
    assert model.index(row, 2).data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignRight


def test_charts_are_drawn(qtbot, view: EvaluationView) -> None:
    compute(qtbot, view)
    funnel = view.funnel_chart.chart().series()
    assert len(funnel) == 1 and isinstance(funnel[0], QHorizontalBarSeries)
    assert [bars.label() for bars in funnel[0].barSets()] == ["West Berkshire", "Windsor and Maidenhead"]
    assert funnel[0].barSets()[0].at(6) == 23  # assessed (the first step is drawn at the top)
    boxes = view.completion_chart.chart().series()[0]
    assert isinstance(boxes, QBoxPlotSeries)
    first = boxes.boxSets()[0]
    assert first.label() == "West Berkshire"
    assert first.at(2) == pytest.approx(100 * 12 / 17)  # the rate, between its interval's ends
    assert first.at(0) == pytest.approx(46.87, abs=0.01) and first.at(4) == pytest.approx(86.72, abs=0.01)
    assert any(isinstance(s, QLineSeries) for s in view.monthly_chart.chart().series())
    assert view.hours_chart.chart().series()


@pytest.mark.parametrize("band", ["14\u201317", None])
def test_count_axes_tick_at_whole_numbers(qtbot, view: EvaluationView, band: str | None) -> None:
    """Over the 14–17 year olds every count is under 5 (nothing is drawn): the count axes still run from 0
    in whole steps, so "%d" labels no two ticks alike (it printed "0 0 1 1"); over everyone too."""
    for label, box in view.band_boxes.items():
        box.setChecked(band is None or label == band)
    compute(qtbot, view)
    for chart in (view.funnel_chart, view.hours_chart, view.monthly_chart):
        (values,) = [a for a in chart.chart().axes() if isinstance(a, QValueAxis)]
        step = (values.max() - values.min()) / (values.tickCount() - 1)
        assert values.min() == 0 and values.max() >= 1, chart.accessibleName()
        assert step >= 1 and step == int(step) and values.labelFormat() == "%d", chart.accessibleName()


def test_save_as_pdf_and_xlsx(qtbot, view: EvaluationView, monkeypatch, tmp_path: Path) -> None:
    compute(qtbot, view)
    asked: list[str] = []

    def choose(_parent, _caption, suggested, _filter):
        asked.append(suggested)
        return str(tmp_path / Path(suggested).stem)  # no extension: the view adds it

    monkeypatch.setattr(evaluation_view, "choose_save_path", choose)
    with qtbot.waitSignal(view.sig_saved, timeout=20000) as saved:
        click(qtbot, view.pdf_button)
    assert asked[0] == "evaluation-2025-01-01-to-2025-12-31.pdf"
    pdf = Path(saved.args[0])
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    with qtbot.waitSignal(view.sig_saved, timeout=20000) as saved:
        click(qtbot, view.xlsx_button)
    workbook = openpyxl.load_workbook(io.BytesIO(Path(saved.args[0]).read_bytes()))
    row = next(workbook["Completion by area"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert row[:3] == ("West Berkshire", 12, 17)
    assert "Saved" in view.status.text()


def test_cancelling_the_file_chooser_saves_nothing(qtbot, view: EvaluationView, monkeypatch, tmp_path) -> None:
    compute(qtbot, view)
    monkeypatch.setattr(evaluation_view, "choose_save_path", lambda *_a: "")
    click(qtbot, view.pdf_button)
    assert view.status.text() == "Not saved." and not list(tmp_path.glob("*.pdf"))


def test_choices_narrow_the_evaluation(qtbot, view: EvaluationView) -> None:
    view.area_boxes["windsor-and-maidenhead"].setChecked(False)
    for label, box in view.band_boxes.items():
        box.setChecked(label == "18\u201324")
    view.references[Dimension.SEX].setCurrentIndex(view.references[Dimension.SEX].findData("Female"))
    request = view.request()
    assert request.schemes == ("west-berkshire",) and request.age_bands == ("18\u201324",)
    assert request.reference_sex == "Female"
    compute(qtbot, view)
    # West Berkshire's 18–24 year olds: B3 9 and B4 3.
    assert cells(view, "Funnel")[0][:3] == ["West Berkshire", "Assessed", "12"]
    assert not view.tabs.isTabVisible(view.tabs.indexOf(view.pages["Pilots"]))  # one scheme kind only


def test_what_cannot_be_computed_is_said(qtbot, view: EvaluationView) -> None:
    failures: list[str] = []
    view.sig_failed.connect(failures.append)
    view.date_to.setText("31/12/2024")
    click(qtbot, view.compute_button)
    assert "ends before it starts" in view.status.text()
    view.date_to.setText("31/12/2025")
    for box in view.area_boxes.values():
        box.setChecked(False)
    click(qtbot, view.compute_button)
    assert "at least one area" in view.status.text()
    assert len(failures) == 2 and view.result is None and not open_message_boxes(view)
