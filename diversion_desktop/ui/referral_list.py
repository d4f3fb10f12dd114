"""Every referral in one list: filter by status, area and text, sort by a column, open one.

The list may hold a million referrals, so its table model never has them all: it knows how
many match and keeps a few pages of rows, asking the service (on the worker) for the page
that comes into view. Filtering and sorting happen in the database; a new filter or sort
starts a new list, and pages still on their way for the old one are dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.services.context import AppContext
from diversion_desktop.services.referral_list import (
    PAGE_SIZE,
    ReferralListFilters,
    ReferralListOpened,
    ReferralListPage,
    ReferralListRow,
    ReferralListService,
)
from diversion_desktop.ui.changes import Changed, Changes
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.table_models import ROW_ROLE, day_text, next_step_text, pathway_text, status_text
from diversion_desktop.ui.tasks import TaskRunner, error_text

AnyIndex = QModelIndex | QPersistentModelIndex
DEBOUNCE_MS = 300
LOADING = "…"


@dataclass(frozen=True)
class ListColumn:
    title: str
    text: Callable[[ReferralListRow], str]
    sort: str | None = None  # the service's sort key; None: the column cannot be sorted
    width: int = 110


def _words(value: str) -> str:
    return value.replace("_", " ")


COLUMNS: tuple[ListColumn, ...] = (
    ListColumn("Reference", lambda r: r.reference, "reference", 130),
    ListColumn("Person", lambda r: r.person_name, "person", 220),
    ListColumn("Date of birth", lambda r: day_text(r.date_of_birth), None, 95),
    ListColumn("Area", lambda r: r.area, "area", 170),
    ListColumn("Pathway", lambda r: pathway_text(r.pathway), None, 70),
    ListColumn("Status", lambda r: status_text(r.status), "status", 160),
    ListColumn("Referral date", lambda r: day_text(r.referral_date), "referral_date", 100),
    ListColumn("Deadline", lambda r: day_text(r.due_date), "due_date", 95),
    ListColumn("Outcome", lambda r: _words(r.outcome), None, 110),
    ListColumn("Next step", lambda r: next_step_text(r.next_step) + (" (barred)" if r.barred else ""), None, 260),
)
SORT_COLUMN = {c.sort: i for i, c in enumerate(COLUMNS) if c.sort}


class ReferralListModel(QAbstractTableModel):
    """A table over the referrals that match the filters, fetched a page at a time.

    ``rowCount`` is the number that match; a row not yet fetched shows "…" and asks for its
    page. One page is fetched at a time, the one most recently asked for first; pages asked
    for while the view was scrolled past are forgotten. At most ``max_pages`` are kept.
    """

    sig_loaded = Signal(int)  # number of referrals that match, after a (re)load
    sig_page_loaded = Signal(int)  # offset of a page that arrived
    sig_failed = Signal(str)  # what went wrong, in words

    def __init__(
        self,
        service: ReferralListService,
        runner: TaskRunner,
        parent: Any = None,
        page_size: int = PAGE_SIZE,
        max_pages: int = 40,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.page_size = page_size
        self.max_pages = max_pages
        self._filters = ReferralListFilters()
        self._total = 0
        self._pages: OrderedDict[int, tuple[ReferralListRow, ...]] = OrderedDict()  # least recently used first
        self._wanted: OrderedDict[int, None] = OrderedDict()  # pages asked for, most recent last
        self._generation = 0  # a new load makes every answer for an older one stale
        self._fetching: int | None = None  # the page on its way
        self._opening = False
        self._fetch_scheduled = False
        self.loaded = False

    # -- what the list shows -------------------------------------------------------------------
    @property
    def filters(self) -> ReferralListFilters:
        return self._filters

    @property
    def total(self) -> int:
        return self._total

    @property
    def busy(self) -> bool:
        return self._opening or self._fetching is not None

    def set_filters(self, filters: ReferralListFilters) -> None:
        self._filters = filters
        self.reload()

    def reload(self) -> None:
        """Count and fetch the first page again (after a change of filters, or of the data)."""
        self._generation += 1
        generation = self._generation
        self._opening = True
        self._fetching = None
        self._wanted.clear()
        filters, size = self._filters, self.page_size
        Op(self, lambda: self.service.open(filters, size)).success(
            lambda opened: self._opened(opened, generation)
        ).failure(lambda error: self._failed(error, generation)).run_in(self.runner)

    def _opened(self, opened: ReferralListOpened, generation: int) -> None:
        if generation != self._generation:
            return  # a newer load is on its way
        self._opening = False
        self.beginResetModel()
        self._total = opened.total
        self._pages.clear()
        self._pages[0] = opened.page.rows
        self.endResetModel()
        self.loaded = True
        self.sig_loaded.emit(opened.total)
        self._schedule_fetch()

    def _failed(self, error: BaseException, generation: int) -> bool:
        if generation == self._generation:
            self._opening = False
            self._fetching = None
            self.sig_failed.emit(error_text(error))
        return True  # (the list says it in its summary line)

    # -- pages -------------------------------------------------------------------------------------
    def row_at(self, row: int) -> ReferralListRow | None:
        rows = self._pages.get(row // self.page_size)
        if rows is None:
            return None
        offset = row % self.page_size
        return rows[offset] if offset < len(rows) else None

    def is_loaded(self, row: int) -> bool:
        return row // self.page_size in self._pages

    def _want(self, page: int) -> None:
        self._wanted.pop(page, None)
        self._wanted[page] = None
        while len(self._wanted) > 4:  # only the pages around where the view is now
            self._wanted.popitem(last=False)
        self._schedule_fetch()

    def _schedule_fetch(self) -> None:
        if not self._fetch_scheduled:
            self._fetch_scheduled = True
            QTimer.singleShot(0, self, self._fetch_next)  # (cancelled if the view goes first)

    def _fetch_next(self) -> None:
        self._fetch_scheduled = False
        if self._opening or self._fetching is not None:
            return
        while self._wanted:
            page, _ = self._wanted.popitem(last=True)
            if page not in self._pages and page * self.page_size < self._total:
                break
        else:
            return
        self._fetching = page
        generation, filters, total, size = self._generation, self._filters, self._total, self.page_size
        Op(self, lambda: self.service.page(filters, page * size, size, total)).success(
            lambda result: self._page_arrived(result, page, generation)
        ).failure(lambda error: self._failed(error, generation)).run_in(self.runner)

    def _page_arrived(self, result: ReferralListPage, page: int, generation: int) -> None:
        if generation != self._generation:
            return
        self._fetching = None
        self._pages[page] = result.rows
        while len(self._pages) > self.max_pages:
            self._pages.popitem(last=False)
        first = page * self.page_size
        last = min(first + self.page_size, self._total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.sig_page_loaded.emit(first)
        self._fetch_next()

    # -- QAbstractTableModel ---------------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section].sort is None:
            return "This column cannot be sorted."
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, ROW_ROLE):
            return None
        page = index.row() // self.page_size
        rows = self._pages.get(page)
        if rows is None:
            self._want(page)
            return LOADING if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None
        self._pages.move_to_end(page)
        offset = index.row() % self.page_size
        if offset >= len(rows):
            return None  # the data changed since the count: the view is refreshed on the next load
        row = rows[offset]
        return row if role == ROW_ROLE else COLUMNS[index.column()].text(row)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column].sort if 0 <= column < len(COLUMNS) else None
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) != (self._filters.sort, self._filters.descending):
            self.set_filters(replace(self._filters, sort=key, descending=descending))


class ReferralListView(QWidget):
    """The referral list tab: filters above, the list, and a button to open the chosen referral."""

    sig_open_referral = Signal(int)  # referral id
    sig_loaded = Signal(int)  # number of referrals that match, after each (re)load

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.service = ReferralListService(ctx)
        self.model = ReferralListModel(self.service, runner, self)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.apply_filters)
        self._build()
        self.model.sig_loaded.connect(self._loaded)
        self.model.sig_failed.connect(self._failed)
        runner.data_changed.changed.connect(self._data_changed)

    def _data_changed(self, changes: Changes) -> None:
        # A list never opened stays unread; an opened one follows any change to case work.
        if self.model.loaded and changes.what & ~Changed.USERS:
            self.refresh()

    # -- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.setAccessibleName("Status")
        self.status_filter.addItem("Any status", "")
        for value in self.service.statuses():
            self.status_filter.addItem(status_text(value), value)
        self.area_filter = QComboBox()
        self.area_filter.setObjectName("areaFilter")
        self.area_filter.setAccessibleName("Area")
        self.area_filter.addItem("Any area", "")
        for area in self.service.areas():
            self.area_filter.addItem(area, area)
        self.text_filter = QLineEdit()
        self.text_filter.setObjectName("textFilter")
        self.text_filter.setAccessibleName("Reference or name")
        self.text_filter.setPlaceholderText(
            "Referral reference (or its start), name, date of birth or person reference"
        )
        self.text_filter.setClearButtonEnabled(True)
        status_label, area_label, text_label = QLabel("&Status"), QLabel("A&rea"), QLabel("&Find")
        status_label.setBuddy(self.status_filter)
        area_label.setBuddy(self.area_filter)
        text_label.setBuddy(self.text_filter)
        self.status_filter.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.area_filter.currentIndexChanged.connect(lambda _i: self.apply_filters())
        self.text_filter.textChanged.connect(lambda _t: self._timer.start())
        self.text_filter.returnPressed.connect(self.apply_filters)

        self.table = QTableView()
        self.table.setObjectName("referralListTable")
        self.table.setAccessibleName("Referrals")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # Sizes are fixed: measuring contents would read every row of a million.
        vertical = self.table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, spec in enumerate(COLUMNS):
            self.table.setColumnWidth(column, spec.width)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(SORT_COLUMN[self.model.filters.sort], Qt.SortOrder.DescendingOrder)
        header.sortIndicatorChanged.connect(self._sort_changed)
        header.setSectionsClickable(True)
        self.table.activated.connect(lambda index: self._open_row(index.row()))  # Enter or double-click
        QShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_End), self.table, self.jump_to_last)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())

        self.open_button = QPushButton("&Open referral")
        self.open_button.setObjectName("openReferralButton")
        self.open_button.clicked.connect(self.open_selected)
        self.export_button = QPushButton("E&xport…")
        self.export_button.setObjectName("exportListButton")
        self.export_button.setToolTip("Export every referral the list shows, with its filters, to a spreadsheet")
        self.export_button.clicked.connect(self.export_list)
        self.refresh_button = QPushButton("Refre&sh")
        self.refresh_button.setObjectName("refreshListButton")
        self.refresh_button.clicked.connect(self.refresh)
        self.summary = QLabel("")
        self.summary.setObjectName("referralListSummary")

        filters = QHBoxLayout()
        for label, widget, stretch in (
            (status_label, self.status_filter, 0),
            (area_label, self.area_filter, 0),
            (text_label, self.text_filter, 1),
        ):
            filters.addWidget(label)
            filters.addWidget(widget, stretch)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.table)
        self._update_buttons()

    # -- loading -----------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.model.loaded and not self.model.busy:
            self.refresh()  # the first time the tab is shown: nothing is read before then

    def refresh(self) -> None:
        self.summary.setText("Loading…")
        self.model.reload()

    def current_filters(self) -> dict[str, Any]:
        """What the list shows, as plain values (``ReferralListFilters.from_dict`` reads them back):
        status, area, text, sort and descending."""
        return self.model.filters.as_dict()

    def set_filters(self, values: dict[str, Any]) -> None:
        filters = ReferralListFilters.from_dict({**self.model.filters.as_dict(), **values})
        for combo, value in ((self.status_filter, filters.status), (self.area_filter, filters.area)):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(combo.findData(value), 0))
            combo.blockSignals(False)
        self.text_filter.blockSignals(True)
        self.text_filter.setText(filters.text)
        self.text_filter.blockSignals(False)
        self._show_sort(filters)
        self.summary.setText("Loading…")
        self.model.set_filters(filters)

    def apply_filters(self) -> None:
        self._timer.stop()
        filters = replace(
            self.model.filters,
            status=self.status_filter.currentData() or "",
            area=self.area_filter.currentData() or "",
            text=self.text_filter.text().strip(),
        )
        if filters != self.model.filters or not self.model.loaded:
            self.summary.setText("Loading…")
            self.model.set_filters(filters)

    def _sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if COLUMNS[column].sort is None:
            self._show_sort(self.model.filters)  # not sortable: keep showing the current sort
            return
        self.summary.setText("Loading…")
        self.model.sort(column, order)

    def _show_sort(self, filters: ReferralListFilters) -> None:
        header = self.table.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(
            SORT_COLUMN[filters.sort],
            Qt.SortOrder.DescendingOrder if filters.descending else Qt.SortOrder.AscendingOrder,
        )
        header.blockSignals(False)

    def _loaded(self, total: int) -> None:
        self.summary.setText(
            "No referral matches." if total == 0 else f"{total:,} referral{'s' if total != 1 else ''}."
        )
        if total:
            self.table.selectRow(0)
        self._update_buttons()
        self.sig_loaded.emit(total)

    def _failed(self, message: str) -> None:
        self.summary.setText(f"The list could not be loaded: {message}")

    # -- moving and opening ---------------------------------------------------------------------------
    def jump_to_last(self) -> None:
        """Show and select the last referral (Ctrl+End): its page is read from the end of the list."""
        total = self.model.rowCount()
        if total:
            self.table.scrollToBottom()
            self.table.selectRow(total - 1)

    def selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.selected_row() is not None)
        self.export_button.setEnabled(self.model.loaded and self.model.total > 0)

    def describe_filters(self) -> str:
        """The list's filters in words, for the export dialog and the audit trail."""
        filters = self.model.filters
        parts = ["Referral list"]
        if filters.status:
            parts.append(f"status {status_text(filters.status).lower()}")
        if filters.area:
            parts.append(f"area {filters.area}")
        if filters.text:
            parts.append(f"matching “{filters.text}”")
        return ", ".join(parts)

    def export_list(self) -> None:
        """Export what the list shows: every referral its filters match (not only the rows in view)."""
        from diversion_desktop.services.exporter import ExportQuery
        from diversion_desktop.ui.export_action import export_list

        filters = self.model.filters
        query = ExportQuery(
            kind="referrals", id_query=ReferralListService.id_query(filters), description=self.describe_filters()
        )
        self.export_dialog = export_list(
            self,
            self.ctx,
            self.runner,
            query,
            title=self.describe_filters().lower().replace("referral list", "the referral list", 1),
            suggested_name=f"referrals-{self.ctx.today():%Y-%m-%d}",
        )

    def open_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self._open_row(row)

    def _open_row(self, row: int) -> None:
        referral = self.model.row_at(row)
        if referral is not None:
            self.sig_open_referral.emit(referral.id)
