"""The evaluation over the hand-made dataset of tests/evaluation_data.py, every figure worked out by hand.

The same figures are then read back out of the PDF (pdftotext) and the XLSX (openpyxl).
"""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import threading
from datetime import date, datetime

import openpyxl
import pytest
from sqlalchemy import select, text

from diversion_desktop.domain.evaluation import (
    ALL,
    NOT_RECORDED,
    Dimension,
    Measure,
    RateKind,
    Step,
    steps_reached,
)
from diversion_desktop.domain.statistics import Withheld
from diversion_desktop.reports.evaluation_pdf import evaluation_pdf
from diversion_desktop.reports.evaluation_xlsx import ABOUT_SHEET, evaluation_xlsx, table_columns
from diversion_desktop.reports.tables import evaluation_tables, find_table
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.services.evaluation import (
    FAIRNESS_COUNTS,
    EvaluationRequest,
    EvaluationResult,
    EvaluationService,
    _reached,
)
from diversion_desktop.store.models import Referral
from tests.evaluation_data import PERIOD, WB, build

Z = 1.959963984540054
SMALL, PROTECTED = Withheld.SMALL, Withheld.PROTECTED


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


@pytest.fixture
def result(ctx: AppContext) -> EvaluationResult:
    build(ctx)
    return EvaluationService(ctx).compute(EvaluationRequest(*PERIOD))


def funnel(result: EvaluationResult, label: str) -> dict[Step, object]:
    found = next(f for f in result.funnels if f.label == label)
    return {row.step: row.count for row in found.steps}


# -- the funnel --------------------------------------------------------------------------------------------
def test_funnel_per_scheme(result: EvaluationResult) -> None:
    # West Berkshire: 23 taken; 2 not eligible (B1) → 21 eligible and offered; 1 declined (B2) → 20 accepted;
    # attended: 9 + 3 completers and 2 of B6 → 14; completed 12; consequence 3 + 2 = 5.
    assert list(funnel(result, "West Berkshire").values()) == [23, 21, 21, 20, 14, 12, 5]
    # Windsor and Maidenhead: 22 taken; 3 not eligible → 19; none declined; attended = completers 6 + 2 = 8;
    # completed 8; consequence 4 + 2 = 6.
    assert list(funnel(result, "Windsor and Maidenhead").values()) == [22, 19, 19, 19, 8, 8, 6]
    assert list(funnel(result, ALL).values()) == [45, 40, 40, 39, 22, 20, 11]
    west, windsor, every = result.funnels
    # Reported for prosecution: none can be in a voluntary attendance scheme (a zero the rules make, shown);
    # Windsor's 4 (C4) is under 5, and so is the total of 4.
    assert (west.reported, windsor.reported, every.reported) == (0, SMALL, SMALL)
    assert (west.closed, windsor.closed, every.closed) == (17, 14, 31)
    accepted = next(row for row in west.steps if row.step is Step.ACCEPTED)
    assert accepted.of_assessed.value == pytest.approx(20 / 23)
    assert accepted.of_previous is not None and accepted.of_previous.value == pytest.approx(20 / 21)
    assert accepted.drop_off == pytest.approx(1 / 21)


# -- completion ---------------------------------------------------------------------------------------------
def test_completion_rate_with_its_wilson_interval(result: EvaluationResult) -> None:
    rates = {row.label: row.rate for row in result.completion_by_scheme}
    # 12 completed of 17 closed (12 + 5) in West Berkshire: 70.6 %.
    west = rates["West Berkshire"]
    assert (west.numerator, west.denominator) == (12, 17)
    assert west.value == pytest.approx(0.705882, abs=1e-6)
    assert (west.interval.low, west.interval.high) == pytest.approx(wilson_by_hand(12, 17))
    assert west.interval.low == pytest.approx(0.4687, abs=1e-4) and west.interval.high == pytest.approx(
        0.8672, abs=1e-4
    )
    assert (rates["Windsor and Maidenhead"].numerator, rates["Windsor and Maidenhead"].denominator) == (8, 14)
    assert (rates[ALL].numerator, rates[ALL].denominator) == (20, 31)


def test_completion_by_age_band_hides_what_would_reveal_a_small_count(result: EvaluationResult) -> None:
    rates = {row.label: row.rate for row in result.completion_by_age}
    # 14–17: 2 completed (C3) and 4 consequences (B6, C5), both under 5; closed 6 is shown at first, but in
    # the closed column (6, 18, 7 and 35+'s 0) the 0 is hidden alone, so the smallest shown, 6, goes too.
    assert (rates["14\u201317"].numerator, rates["14\u201317"].denominator) == (SMALL, PROTECTED)
    # 18–24: 18 of 18 completed; the 0 consequences are hidden, so the 18 completed is hidden with them.
    assert (rates["18\u201324"].numerator, rates["18\u201324"].denominator) == (PROTECTED, 18)
    assert rates["18\u201324"].hidden and rates["18\u201324"].value is None
    # 25–34: 0 completed (hidden), 7 consequences hidden with it (C4 + B5), closed 7 shown.
    assert (rates["25\u201334"].numerator, rates["25\u201334"].denominator) == (SMALL, 7)
    assert list(rates) == ["14\u201317", "18\u201324", "25\u201334", "35+", ALL]


# -- the pilots side by side ----------------------------------------------------------------------------------
def test_pilots_side_by_side_with_newcombe_difference(result: EvaluationResult) -> None:
    pilots = result.pilots
    assert pilots is not None
    assert pilots.first == "Voluntary attendance (West Berkshire)"
    assert pilots.second == "Deferred prosecution (Windsor and Maidenhead)"
    rows = {row.kind: row for row in pilots.rows}
    acceptance = rows[RateKind.ACCEPTANCE]
    assert (acceptance.first.numerator, acceptance.first.denominator) == (20, 21)
    assert (acceptance.second.numerator, acceptance.second.denominator) == (19, 19)
    engagement = rows[RateKind.ENGAGEMENT]
    assert (engagement.first.numerator, engagement.first.denominator) == (14, 20)
    assert (engagement.second.numerator, engagement.second.denominator) == (8, 19)
    completion = rows[RateKind.COMPLETION]
    # 8/14 − 12/17 = −0.134454, with Newcombe's interval from the two Wilson intervals.
    (l1, u1), (l2, u2) = wilson_by_hand(8, 14), wilson_by_hand(12, 17)
    p1, p2 = 8 / 14, 12 / 17
    assert completion.difference is not None
    assert completion.difference.estimate == pytest.approx(-0.134454, abs=1e-6)
    assert completion.difference.interval.low == pytest.approx(p1 - p2 - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2))
    assert completion.difference.interval.high == pytest.approx(p1 - p2 + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))
    assert not completion.difference.excludes_zero
    assert rows[RateKind.REPEAT].hidden and rows[RateKind.REPEAT].difference is None


# -- repeat possession ---------------------------------------------------------------------------------------------
def test_repeat_possession_within_12_months(result: EvaluationResult) -> None:
    # The cohort: first referrals of 2025 up to 2 March 2025 that closed. West Berkshire: 12 completers (5 referred
    # again within 12 months; a 6th only after 13 months) and 4 non-completers (B5's first person had a 2024
    # referral, so is not in it; 1 of B6 referred again). Windsor: 8 completers (2 again) and 6 non-completers (0).
    assert result.follow_up_cutoff == date(2025, 3, 2)
    rows = {(row.label, row.outcome): row.rate for row in result.repeat}
    every = rows[(ALL, ALL)]
    assert (every.numerator, every.denominator) == (8, 30)
    assert (every.interval.low, every.interval.high) == pytest.approx(wilson_by_hand(8, 30))
    # West Berkshire non-completers: 4 people, 1 repeat, both under 5; then 16 = 12 + 4 hides the 12 and
    # 6 = 5 + 1 the 5; the 8 Windsor completers go to protect the 12 (20 = 12 + 8), and so on.
    assert rows[("West Berkshire", "Not completed")].denominator == SMALL
    assert rows[("West Berkshire", "Completed")].denominator == PROTECTED
    assert rows[("West Berkshire", "Completed")].numerator == PROTECTED
    assert rows[("West Berkshire", ALL)].denominator == 16
    assert rows[("Windsor and Maidenhead", ALL)].denominator == 14
    assert rows[("Windsor and Maidenhead", ALL)].numerator == SMALL
    assert (rows[(ALL, "Completed")].denominator, rows[(ALL, "Not completed")].denominator) == (20, 10)


# -- officer hours and the months --------------------------------------------------------------------------------------
def test_officer_hours_saved(result: EvaluationResult) -> None:
    # Diversions × 5.5 hours in both schemes: 20 × 5.5 = 110, 19 × 5.5 = 104.5.
    total = result.hours_total
    assert [(cell.diversions, cell.hours) for cell in total.by_scheme] == [(20, 110.0), (19, 104.5)]
    assert (total.total.diversions, total.total.hours) == (39, 214.5)
    january = next(row for row in result.hours if row.month == "2025-01")
    # In January all 20 diversions were West Berkshire's and Windsor had none (a 0, hidden): shown as the
    # month's total, the 20 would give the 0 away, so it is hidden too, and so are the month's hours.
    assert january.total.diversions == 20
    assert [cell.diversions for cell in january.by_scheme] == [PROTECTED, SMALL]
    assert january.total.hours is None
    assert [row.month for row in result.hours] == [f"2025-{m:02d}" for m in range(1, 13)]


def test_referrals_and_completions_per_month(result: EvaluationResult) -> None:
    months = {row.month: row for row in result.monthly}
    assert list(months) == [f"2025-{m:02d}" for m in range(1, 13)]
    # Each month's referrals, and how many of them have completed: West Berkshire's January, Windsor's February.
    assert (months["2025-01"].referrals, months["2025-01"].completions) == ((23, SMALL), (12, SMALL))
    assert (months["2025-02"].referrals, months["2025-02"].completions) == ((SMALL, 22), (SMALL, 8))
    assert months["2025-03"].referrals == (SMALL, SMALL)


# -- fairness ----------------------------------------------------------------------------------------------------------
def test_fairness_by_sex_with_suppression_and_rate_ratio(result: EvaluationResult) -> None:
    table = result.fairness_for(Dimension.SEX)
    assert table.reference == "Male"  # the largest group
    rows = {row.group: row for row in table.rows}
    assert list(rows) == ["Female", "Male", NOT_RECORDED, ALL]
    # Male: 31 taken (B1 2, B2 1, B3 9, B5 3, B7 3, C1 3, C2 6, C4 4); 26 eligible; 25 accepted; attended and
    # completed 15 (B3 + C2); 7 consequences (B5 + C4); reported 4 (C4): under 5.
    assert rows["Male"].counts == (31, 26, 26, 25, 15, 15, 7, SMALL)
    # Female (B4, B6, C3, C5): 9 taken, eligible, accepted; attended 7; completed 5; consequence 4 (under 5).
    # The 5 people of C6 have no sex recorded: 0 attended, 0 completed are hidden, and alone in their column,
    # so Female's 7 and 5 (the smallest shown) are hidden too ("[c]", not "<5": they are not small).
    assert rows["Female"].counts == (9, 9, 9, 9, PROTECTED, PROTECTED, SMALL, SMALL)
    assert rows[NOT_RECORDED].counts == (5, 5, 5, 5, SMALL, SMALL, SMALL, SMALL)
    assert rows[ALL].counts == (45, 40, 40, 39, 22, 20, 11, SMALL)
    # Share of each step: 9 of the 45 taken are women.
    assert rows["Female"].shares[0].value == pytest.approx(9 / 45)
    assert rows["Female"].shares[4].hidden
    # Offered rate, women 9/9 against men 26/31: ratio 31/26 = 1.1923; SE(ln) = √(1/9 − 1/9 + 1/26 − 1/31).
    offered = rows["Female"].rates[0]
    assert offered.ratio is not None
    assert offered.ratio.estimate == pytest.approx(31 / 26)
    se = math.sqrt(1 / 26 - 1 / 31)
    assert offered.ratio.interval.low == pytest.approx(31 / 26 * math.exp(-Z * se))
    assert offered.ratio.interval.high == pytest.approx(31 / 26 * math.exp(Z * se))
    assert offered.ratio.interval.low == pytest.approx(1.0218, abs=1e-4)
    assert offered.ratio.flagged and offered.ratio.direction == "higher"
    # Completion: women's completed count is hidden, so is the ratio.
    assert rows["Female"].rates[1].hidden and rows["Female"].rates[1].ratio is None
    assert rows["Male"].is_reference and rows["Male"].rates[0].ratio is None


def test_fairness_keeps_not_stated_and_not_recorded_apart(result: EvaluationResult) -> None:
    rows = {row.group: row for row in result.fairness_for(Dimension.ETHNICITY).rows}
    assert list(rows)[-3:] == ["Not stated", NOT_RECORDED, ALL]
    assert rows["Not stated"].counts[0] == SMALL  # B6: 2
    assert rows[NOT_RECORDED].counts[0] == SMALL  # B7: 3
    assert rows["White: English, Welsh, Scottish, Northern Irish or British"].counts[0] == 31
    assert rows["Black, Black British, Caribbean or African: African"].counts[:4] == (9, 9, 9, 9)
    assert result.fairness_for(Dimension.ETHNICITY).reference.startswith("White: English")


def test_fairness_by_age_band_and_a_chosen_reference(ctx: AppContext) -> None:
    build(ctx)
    result = EvaluationService(ctx).compute(EvaluationRequest(*PERIOD, reference_age_band="25-34"))
    table = result.fairness_for(Dimension.AGE_BAND)
    assert table.reference == "25\u201334"
    rows = {row.group: row for row in table.rows}
    # A young person is never reported for prosecution: that 0 is shown.
    assert rows["14\u201317"].counts[FAIRNESS_COUNTS.index(Measure.REPORTED)] == 0
    # Offered: 35+ 8/11 against 25–34 8/10: ratio 0.9091, SE = √(1/8 − 1/11 + 1/8 − 1/10).
    ratio = rows["35+"].rates[0].ratio
    assert ratio is not None and ratio.estimate == pytest.approx((8 / 11) / (8 / 10))
    se = math.sqrt(1 / 8 - 1 / 11 + 1 / 8 - 1 / 10)
    assert ratio.interval.high == pytest.approx((8 / 11) / (8 / 10) * math.exp(Z * se))
    assert not ratio.flagged


# -- the selection -----------------------------------------------------------------------------------------------------
def test_areas_and_age_bands_narrow_the_selection(ctx: AppContext) -> None:
    build(ctx)
    service = EvaluationService(ctx)
    west = service.compute(EvaluationRequest(*PERIOD, schemes=("West Berkshire",)))
    assert [s.code for s in west.schemes] == [WB] and west.pilots is None
    assert funnel(west, ALL)[Step.ASSESSED] == 23
    young = service.compute(EvaluationRequest(*PERIOD, age_bands=("14-17",)))
    # B6 2 + C3 2 + C5 2: 6 taken, and every count of it under 5 except that.
    assert funnel(young, ALL)[Step.ASSESSED] == 6
    assert [row.group for row in young.fairness_for(Dimension.AGE_BAND).rows] == ["14\u201317", ALL]
    assert young.total_funnel.count(Step.COMPLETED) == SMALL
    nothing = service.compute(EvaluationRequest(date(2020, 1, 1), date(2020, 12, 31)))
    assert nothing.total_funnel.count(Step.ASSESSED) == SMALL
    assert all(row.rate.value is None for row in nothing.completion_by_scheme)


def test_a_request_that_makes_no_sense_is_refused(ctx: AppContext) -> None:
    service = EvaluationService(ctx)
    with pytest.raises(ValidationError) as refused:
        service.compute(
            EvaluationRequest(date(2025, 2, 1), date(2025, 1, 1), schemes=("atlantis",), age_bands=("99-100",))
        )
    assert set(refused.value.errors) == {"date_to", "schemes", "age_bands"}


def test_progress_is_reported_to_the_end(ctx: AppContext) -> None:
    seen: list[tuple[int, int]] = []
    EvaluationService(ctx).compute(EvaluationRequest(*PERIOD), lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 4) and seen[-1] == (4, 4) and len(seen) == 5
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_the_sql_says_what_the_domain_says(ctx: AppContext) -> None:
    """Every stored state gives the same steps by the SQL (person-group query) and by steps_reached."""
    build(ctx)
    table = Referral.__table__
    conditions = _reached(table)
    with ctx.session_factory() as session:
        states = session.execute(
            select(table.c.status, table.c.outcome, table.c.next_step, table.c.sessions_attended).distinct()
        ).all()
        assert len(states) >= 6
        for state in states:
            where = [
                table.c.status == state[0],
                table.c.outcome == state[1],
                table.c.next_step == state[2],
                table.c.sessions_attended == state[3],
            ]
            reached = {
                measure
                for measure, condition in conditions.items()
                if session.execute(select(text("1")).select_from(table).where(*where, condition).limit(1)).first()
            }
            expected = set(steps_reached(*state)) - {Step.ASSESSED, Step.OFFERED}
            assert reached == expected, state


# -- the same figures in the PDF and the workbook ----------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_pdf_prints_the_same_figures(result: EvaluationResult, tmp_path) -> None:
    path = tmp_path / "evaluation.pdf"
    path.write_bytes(evaluation_pdf(result, invariant=True))
    words = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "OFFICIAL-SENSITIVE" in words and "Drugs diversion evaluation" in words
    assert "1 January 2025 to 31 December 2025" in words
    # West Berkshire's completion rate and interval, worked out above: 12/17 = 70.6 %, 46.9–86.7 %.
    assert "70.6%" in words and "46.9\u201386.7%" in words
    assert "214.5" in words  # officer hours
    assert "26.7%" in words  # repeat possession, 8 of 30
    assert "1.19" in words and "1.02\u20131.39" in words  # women's offered-rate ratio
    assert "<5" in words and "[c]" in words
    assert "Method notes" in words and "Newcombe" in words and "Wilson" in words
    # Every cell of every table is somewhere in the text.
    for table in evaluation_tables(result):
        for row in table.rows:
            for cell in row:
                if cell.is_number and cell.text not in ("\u2013",):
                    assert cell.text in words, (table.key, cell.text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_small_counts_get_distinct_whole_axis_labels_in_the_pdf(ctx: AppContext, tmp_path) -> None:
    """Over the 14–17 year olds every count of an area is under 5, so no bar is drawn: the funnel's count
    axis still reads "0 1", not "0 0 0 1 1 1" (steps of 0.2 printed without decimals)."""
    build(ctx)
    young = EvaluationService(ctx).compute(EvaluationRequest(*PERIOD, age_bands=("14-17",)))
    path = tmp_path / "evaluation.pdf"
    path.write_bytes(evaluation_pdf(young, invariant=True))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # A line of numbers only is a horizontal axis: counts, percentages or percentage points.
    axes = [line.split() for line in text.splitlines() if re.fullmatch(r"\s*[-+]?\d+%?(\s+[-+]?\d+%?)+\s*", line)]
    assert ["0", "1"] in axes  # the funnel, twice (the summary and its section)
    assert ["0%", "20%", "40%", "60%", "80%", "100%"] in axes  # completion rates
    for labels in axes:
        assert len(set(labels)) == len(labels), labels


def test_the_workbook_holds_the_same_figures_typed(result: EvaluationResult) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(evaluation_xlsx(result)))
    tables = evaluation_tables(result)
    assert workbook.sheetnames == [ABOUT_SHEET, *(table.key for table in tables)]
    sheet = workbook["Completion by area"]
    assert sheet.freeze_panes == "B2"
    rows = list(sheet.iter_rows(min_row=1, max_row=4, values_only=True))
    assert rows[0] == ("Area", "Completed", "Closed diversions", "Completion rate", "95% CI (low)", "95% CI (high)")
    low, high = wilson_by_hand(12, 17)
    assert rows[1][:3] == ("West Berkshire", 12, 17)
    assert (
        rows[1][3] == pytest.approx(12 / 17) and rows[1][4] == pytest.approx(low) and rows[1][5] == pytest.approx(high)
    )
    assert sheet.cell(row=2, column=4).number_format == "0.0%"
    sex = workbook["Fairness sex counts"]
    female = next(row for row in sex.iter_rows(values_only=True) if row[0] == "Female")
    assert female[1:] == (9, 9, 9, 9, "[c]", "[c]", "<5", "<5")
    # Every table, cell for cell: the numbers typed, a hidden count as its mark, never the number.
    for table in tables:
        sheet = workbook[table.key]
        columns = table_columns(table)
        for row_number, row in enumerate(table.rows, start=2):
            values = [sheet.cell(row=row_number, column=c).value for c in range(1, len(columns) + 1)]
            expected = []
            for index, cell in enumerate(row):
                width = sum(1 for i, _title in columns if i == index)
                expected += (list(cell.numbers()) + [None])[:width]
            for got, wanted in zip(values, expected):
                if isinstance(wanted, float):
                    assert got == pytest.approx(wanted), table.key
                else:
                    assert got == (None if wanted == "" else wanted), table.key


def test_about_sheet_states_the_definitions(result: EvaluationResult) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(evaluation_xlsx(result)))[ABOUT_SHEET]
    texts = [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    assert "Completion rate" in texts and "Small numbers" in texts and "Fairness" in texts
    assert any("no personal data" in t for t in texts)


def test_screen_tables_are_the_report_tables(result: EvaluationResult) -> None:
    table = find_table(evaluation_tables(result), "Funnel")
    texts = [[cell.text for cell in row] for row in table.rows]
    assert ["West Berkshire", "Accepted", "20", "87.0%", "95.2%", "4.8%"] in texts
    assert ["Windsor and Maidenhead", Measure.REPORTED.label, "<5", "\u2013", "\u2013", "\u2013"] in texts


# -- reading on two connections ---------------------------------------------------------------------------------
def test_one_reader_or_two_give_the_same_result(ctx: AppContext) -> None:
    build(ctx)
    together = EvaluationService(ctx, workers=1).compute(EvaluationRequest(*PERIOD))
    side_by_side = EvaluationService(ctx).compute(EvaluationRequest(*PERIOD))
    assert together == side_by_side


def test_readers_that_saw_different_data_are_read_again_together(
    ctx: AppContext, intake, make_draft, monkeypatch
) -> None:
    """A change saved after the first connection began reading and before the second did (person 1
    referred again, their ethnicity recorded anew): the two saw different data, so everything is
    read again in one transaction, which sees the change."""
    build(ctx)
    before = EvaluationService(ctx).compute(EvaluationRequest(*PERIOD))
    threads: list[str] = []
    first_began = threading.Event()
    original = EvaluationService._last_change

    def a_referral_is_saved_in_between(session):
        threads.append(threading.current_thread().name)
        if threading.current_thread().name.startswith("evaluation-read"):
            assert first_began.wait(10)
            intake.save(
                make_draft(
                    person_id=1,
                    incident_at=datetime(2025, 6, 1, 21, 30),
                    ethnicity_self="Asian or Asian British: Indian",
                )
            )
            return original(session)
        seen = original(session)
        first_began.set()
        return seen

    monkeypatch.setattr(EvaluationService, "_last_change", staticmethod(a_referral_is_saved_in_between))
    result = EvaluationService(ctx).compute(EvaluationRequest(*PERIOD))
    assert sorted(name.startswith("evaluation-read") for name in threads) == [False, False, True]
    monkeypatch.undo()
    assert result == EvaluationService(ctx, workers=1).compute(EvaluationRequest(*PERIOD))
    assert result.fairness_for(Dimension.ETHNICITY) != before.fairness_for(Dimension.ETHNICITY)


# -- reading indexes only ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "request_",
    [
        EvaluationRequest(*PERIOD),
        EvaluationRequest(*PERIOD, schemes=("west-berkshire",)),
        EvaluationRequest(*PERIOD, schemes=("windsor-and-maidenhead",), age_bands=("18–24", "25–34")),
    ],
    ids=["all", "one area", "one area, two age bands"],
)
def test_every_query_reads_a_covering_index_never_the_referrals_rows(ctx: AppContext, request_) -> None:
    """At a million referrals reading the rows (or a narrower index, then the rows) costs seconds:
    whatever the selection, SQLite is to read the evaluation's indexes alone."""
    from sqlalchemy import event

    build(ctx)
    statements: list[tuple[str, object]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "referrals" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(ctx.engine, "before_cursor_execute", keep)
    try:
        EvaluationService(ctx, workers=1).compute(request_)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", keep)
    assert len(statements) == 3
    with ctx.engine.connect() as connection:
        for statement, parameters in statements:
            plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
            reads = [step for step in plan if step.startswith(("SCAN", "SEARCH"))]
            assert reads and all("COVERING INDEX ix_referrals_" in step for step in reads), plan


# -- chart labels are never cut off ------------------------------------------------------------------------------
LONG_GROUPS = [
    "White: English, Welsh, Scottish, Northern Irish or British (reference)",
    "Mixed or multiple ethnic groups: White and Black Caribbean",
    "Other ethnic group: any other ethnic group (please describe)",
    "Not stated",
]


def _chart_words(drawing, tmp_path) -> str:
    from reportlab.graphics import renderPDF

    path = tmp_path / "chart.pdf"
    renderPDF.drawToFile(drawing, str(path))
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("chart", ["interval", "bar"])
def test_long_group_labels_are_drawn_whole(chart: str, tmp_path) -> None:
    from diversion_desktop.reports import charts
    from diversion_desktop.reports.evaluation_pdf import WIDTH

    if chart == "interval":
        drawing = charts.interval_chart(
            "Offered diversion: ratio (log scale)",
            [charts.Estimate(g, 1.0 + i / 10, 0.8, 1.5) for i, g in enumerate(LONG_GROUPS)],
            WIDTH,
            0.25,
            4.0,
            percent=False,
            reference=1.0,
            log=True,
        )
    else:
        drawing = charts.bar_chart("Referrals", LONG_GROUPS, [charts.Series("West Berkshire", [10, 20, 30, 40])], WIDTH)
    words = _chart_words(drawing, tmp_path)
    for group in LONG_GROUPS:
        assert group in words, group
