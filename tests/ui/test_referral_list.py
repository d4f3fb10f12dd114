"""The referral list view: it loads when shown, pages as it scrolls (never more than a page a
request), filters and sorts through the database, jumps to the end, and opens a referral."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from diversion_desktop.sample_data.bulk import fill_bulk
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.referral_list import ReferralListFilters, ReferralListService
from diversion_desktop.ui.referral_list import COLUMNS, LOADING, ReferralListView
from diversion_desktop.ui.table_models import ROW_ROLE
from diversion_desktop.ui.tasks import TaskRunner

PAGE = 25  # small pages, so a few hundred referrals make many


@pytest.fixture
def list_ctx(gui_ctx: AppContext) -> AppContext:
    fill_bulk(gui_ctx, people=300, referrals=400, seed=5, workers=0)
    return gui_ctx


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Every request the list makes of the service: (what, offset, rows asked for, rows returned)."""
    made: list[tuple[str, int, int, int]] = []
    original_open, original_page = ReferralListService.open, ReferralListService.page
    opening = []  # open() reads its first page through page(): that is part of the open

    def open_(self, filters, limit=100):
        opening.append(True)
        try:
            opened = original_open(self, filters, limit)
        finally:
            opening.pop()
        made.append(("open", 0, limit, len(opened.page.rows)))
        return opened

    def page(self, filters, offset, limit=100, total=None):
        found = original_page(self, filters, offset, limit, total)
        if not opening:
            made.append(("page", offset, limit, len(found.rows)))
        return found

    monkeypatch.setattr(ReferralListService, "open", open_)
    monkeypatch.setattr(ReferralListService, "page", page)
    return made


@pytest.fixture
def view(qtbot, list_ctx: AppContext, gui_runner: TaskRunner) -> Iterator[ReferralListView]:
    widget = ReferralListView(list_ctx, gui_runner)
    widget.model.page_size = PAGE
    widget.resize(1100, 500)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.sig_loaded, timeout=10000):
        widget.show()
    yield widget


def wait_idle(qtbot, view: ReferralListView) -> None:
    qtbot.waitUntil(lambda: not view.model.busy and not view.runner.busy, timeout=10000)


def shown_ids(view: ReferralListView) -> list[int]:
    model = view.model
    return [model.index(row, 0).data(ROW_ROLE).id for row in range(model.rowCount())]


def load_everything(qtbot, view: ReferralListView) -> None:
    """Scroll page by page to the end, so every row has been fetched once."""
    model = view.model
    for row in range(0, model.rowCount(), PAGE):
        if not model.is_loaded(row):
            model.index(row, 0).data()
            qtbot.waitUntil(lambda r=row: model.is_loaded(r), timeout=10000)


def test_loads_when_shown(view: ReferralListView, list_ctx: AppContext) -> None:
    service = ReferralListService(list_ctx)
    opened = service.open(ReferralListFilters(), PAGE)
    assert view.model.rowCount() == opened.total == 400
    assert view.summary.text() == "400 referrals."
    first = opened.page.rows[0]
    assert [view.model.index(0, c).data() for c in range(len(COLUMNS))][:2] == [first.reference, first.person_name]


def test_a_page_at_a_time(qtbot, view: ReferralListView, requests: list) -> None:
    """Scrolling, jumping to the end and back: every request is for one page, never the list."""
    model, table = view.model, view.table
    view.jump_to_last()
    qtbot.waitUntil(lambda: model.is_loaded(model.rowCount() - 1), timeout=10000)
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum() // 2)
    qtbot.wait(50)
    table.scrollToTop()
    wait_idle(qtbot, view)
    load_everything(qtbot, view)
    wait_idle(qtbot, view)
    assert requests, "the list asked for nothing"
    for _what, offset, asked, returned in requests:
        assert asked == PAGE and returned <= PAGE and offset % PAGE == 0
    pages = [offset for what, offset, _a, _r in requests if what == "page"]
    assert len(pages) == len(set(pages)) or len(pages) <= 2 * (400 // PAGE + 1)  # no page fetched over and over
    assert len(model._pages) <= model.max_pages


def test_rows_are_the_services_in_order(qtbot, view: ReferralListView, list_ctx: AppContext) -> None:
    load_everything(qtbot, view)
    want = [r.id for r in ReferralListService(list_ctx).iterate(ReferralListFilters())]
    assert shown_ids(view) == want


def test_filters_follow_the_widgets(qtbot, view: ReferralListView, list_ctx: AppContext) -> None:
    service = ReferralListService(list_ctx)
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.status_filter.setCurrentIndex(view.status_filter.findData("completed"))
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.area_filter.setCurrentIndex(view.area_filter.findData("Windsor and Maidenhead"))
    filters = ReferralListFilters(status="completed", area="Windsor and Maidenhead")
    assert view.current_filters() == filters.as_dict()
    assert view.model.rowCount() == service.count(filters) > 0
    load_everything(qtbot, view)
    assert shown_ids(view) == [r.id for r in service.iterate(filters)]
    assert {view.model.index(r, 5).data() for r in range(view.model.rowCount())} == {"Completed"}


def test_text_is_debounced_and_only_the_last_list_is_shown(
    qtbot, view: ReferralListView, list_ctx: AppContext, requests: list
) -> None:
    service = ReferralListService(list_ctx)
    reference = service.open(ReferralListFilters()).page.rows[3].reference
    requests.clear()
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        qtbot.keyClicks(view.text_filter, reference[:3])  # typed quickly: one list, after the pause
    assert [r[0] for r in requests] == ["open"]
    assert view.model.filters.text == reference[:3]
    # Two changes in a row: the first list may still arrive, but only the second is shown.
    view.set_filters({"text": reference[:2]})
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.set_filters({"text": reference})
    wait_idle(qtbot, view)
    assert view.model.rowCount() == 1
    assert view.model.index(0, 0).data() == reference
    assert view.text_filter.text() == reference


def test_sorting_by_a_column(qtbot, view: ReferralListView, list_ctx: AppContext) -> None:
    header = view.table.horizontalHeader()
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        header.setSortIndicator(1, Qt.SortOrder.AscendingOrder)  # Person
    assert view.current_filters()["sort"] == "person" and view.current_filters()["descending"] is False
    load_everything(qtbot, view)
    want = [r.id for r in ReferralListService(list_ctx).iterate(ReferralListFilters(sort="person", descending=False))]
    assert shown_ids(view) == want
    with qtbot.assertNotEmitted(view.sig_loaded, wait=100):
        header.setSortIndicator(2, Qt.SortOrder.AscendingOrder)  # date of birth: not sortable
    assert header.sortIndicatorSection() == 1 and view.current_filters()["sort"] == "person"


def test_jump_to_the_last_referral(qtbot, view: ReferralListView, list_ctx: AppContext) -> None:
    last = list(ReferralListService(list_ctx).iterate(ReferralListFilters()))[-1]
    view.jump_to_last()
    model = view.model
    qtbot.waitUntil(lambda: model.index(model.rowCount() - 1, 0).data() != LOADING, timeout=10000)
    assert model.index(model.rowCount() - 1, 0).data() == last.reference
    assert view.selected_row() == model.rowCount() - 1


def test_opening_a_referral(qtbot, view: ReferralListView) -> None:
    first = view.model.index(0, 0).data(ROW_ROLE)
    view.table.selectRow(0)
    with qtbot.waitSignal(view.sig_open_referral, timeout=2000) as opened:
        qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [first.id]
    second = view.model.index(1, 0).data(ROW_ROLE)
    view.table.setFocus()
    view.table.selectRow(1)
    with qtbot.waitSignal(view.sig_open_referral, timeout=2000) as opened:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert opened.args == [second.id]


def test_nothing_is_read_before_the_tab_is_shown(
    qtbot, list_ctx: AppContext, gui_runner: TaskRunner, requests: list
) -> None:
    widget = ReferralListView(list_ctx, gui_runner)
    qtbot.addWidget(widget)
    qtbot.wait(50)
    assert requests == [] and widget.model.rowCount() == 0
    with qtbot.waitSignal(widget.sig_loaded, timeout=10000):
        widget.show()
    assert len(requests) == 1


def test_export_what_the_list_shows(qtbot, view: ReferralListView, list_ctx: AppContext, monkeypatch, tmp_path) -> None:
    """The export holds every referral the filtered list matches, not only the rows in view."""
    import csv

    from PySide6.QtCore import QPoint

    from diversion_desktop.ui import export_action

    monkeypatch.setattr(export_action, "ask_export_path", lambda _p, name, fmt: str(tmp_path / f"{name}.{fmt}"))
    status = "completed"
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.status_filter.setCurrentIndex(view.status_filter.findData(status))
    expected = sorted(row.reference for row in ReferralListService(list_ctx).iterate(view.model.filters))
    assert len(expected) > PAGE  # more than one page: the export is not what happens to be loaded

    qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    dialog = view.export_dialog
    qtbot.waitUntil(lambda: f"{len(expected)} row(s)" in dialog.intro.text(), timeout=10000)
    assert "status completed" in dialog.intro.text()
    qtbot.mouseClick(dialog.protect, Qt.MouseButton.LeftButton, pos=QPoint(8, dialog.protect.height() // 2))
    dialog.format.setCurrentIndex(dialog.format.findData("csv"))
    with qtbot.waitSignal(dialog.sig_exported, timeout=10000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    with (tmp_path / f"referrals-{list_ctx.today():%Y-%m-%d}.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(row["reference"] for row in rows) == expected
    assert {row["status"] for row in rows} == {status}
    dialog.close()
