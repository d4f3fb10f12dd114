"""The queues: awaiting a first appointment, overdue, next steps awaiting confirmation.

A coordinator works all three; a support worker sees only the first, holding their own provider's
referrals (services/referrals.py ``queues_for``), and books from the referral page.

Each queue is a tab whose title carries its count. Enter or a double-click
opens the referral; on the awaiting-confirmation queue a coordinator can
confirm the proposed next step after a question that states its consequence.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Queue
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import QueueRow
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referrals import QUEUE_LIMIT, ReferralService, queues_for
from diversion_desktop.ui import dialogs
from diversion_desktop.ui.changes import Changed, Changes
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.table_models import QUEUE, ROW_ROLE, RowsModel, next_step_text, sorting_proxy
from diversion_desktop.ui.tasks import TaskRunner

# (queue, title, what an empty queue means)
QUEUES: tuple[tuple[Queue, str, str], ...] = (
    (Queue.AWAITING_APPOINTMENT, "Awaiting first appointment", "Every diverted referral has an appointment booked."),
    (Queue.OVERDUE, "Overdue", "No referral is past a deadline."),
    (Queue.AWAITING_CONFIRMATION, "Awaiting confirmation", "No next step is waiting for confirmation."),
)
_STEP_COLUMN = len(QUEUE) - 2
_NOTE_COLUMN = len(QUEUE) - 1


class QueuesView(QWidget):
    sig_open_referral = Signal(int)  # referral id
    sig_counts = Signal(dict)  # queue name -> count, after each refresh
    sig_changed = Signal(int)  # referral id, after a next step was confirmed here

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.referrals = ReferralService(ctx)
        self.programme = ProgrammeService(ctx)
        self.counts: dict[str, int] = {}
        self.models: dict[str, RowsModel] = {}
        self.tables: dict[str, QTableView] = {}
        self._latest = 0
        self._notice = ""
        principal = ctx.require()
        self.queues = tuple(q for q in QUEUES if q[0] in queues_for(principal))  # those this user works
        self._build()
        runner.data_changed.changed.connect(self._data_changed)
        self.refresh()

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _data_changed(self, changes: Changes) -> None:
        if changes.what & ~Changed.USERS and not changes.made_by(self):  # (its own change: read again already)
            self.refresh()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.tabs = QTabWidget()
        self.tabs.setObjectName("queueTabs")
        self.tabs.setAccessibleName("Queues")
        for name, title, _empty in self.queues:
            model = RowsModel(QUEUE, self)
            table = QTableView()
            table.setObjectName(f"{name}Table")
            table.setAccessibleName(title)
            table.setModel(sorting_proxy(model))
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setTabKeyNavigation(False)
            table.setAlternatingRowColors(True)
            table.setSortingEnabled(True)
            table.sortByColumn(6, Qt.SortOrder.AscendingOrder)  # deadline, soonest first
            table.verticalHeader().setVisible(False)
            table.verticalHeader().setMinimumSectionSize(table.verticalHeader().defaultSectionSize())
            # One line a row (the whole note is the cell's tooltip): fitting 500 rows' wrapped notes
            # took a quarter of a second of the support worker's first screen.
            table.setWordWrap(False)
            header = table.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setResizeContentsPrecision(50)  # widths from the first 50 rows, not every one of 500
            header.setSectionResizeMode(_STEP_COLUMN, QHeaderView.ResizeMode.Stretch)
            header.setSectionResizeMode(_NOTE_COLUMN, QHeaderView.ResizeMode.Stretch)
            if name == Queue.AWAITING_APPOINTMENT:
                table.setColumnHidden(_STEP_COLUMN, True)  # nothing is proposed before an appointment
            table.activated.connect(self._open_index)  # Enter or double-click
            table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
            self.models[name] = model
            self.tables[name] = table
            self.tabs.addTab(table, title)
        self.tabs.currentChanged.connect(self._tab_changed)

        self.open_button = QPushButton("&Open referral")
        self.open_button.setObjectName("openReferralButton")
        self.open_button.clicked.connect(self.open_selected)
        self.confirm_button = QPushButton("Confir&m next step…", self)
        self.confirm_button.setObjectName("confirmNextStepButton")
        self.confirm_button.clicked.connect(self.confirm_selected)
        self.confirm_button.setVisible(
            self.ctx.principal is not None and self.ctx.principal.may(Permission.CONFIRM_NEXT_STEP)
        )
        self.export_button = QPushButton("E&xport…", self)  # (a parent: setVisible below must not make it a window)
        self.export_button.setObjectName("exportQueueButton")
        self.export_button.setToolTip("Export the referrals this queue shows to a spreadsheet")
        self.export_button.clicked.connect(self.export_queue)
        principal = self.ctx.principal
        self.export_button.setVisible(principal is not None and principal.may(Permission.EXPORT_PERSONAL_DATA))
        self.refresh_button = QPushButton("Refre&sh")
        self.refresh_button.setObjectName("refreshQueuesButton")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.confirm_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.refresh_button)

        self.status = QLabel()
        self.status.setObjectName("queuesStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.setFocusProxy(self.tabs)
        self._update_buttons()

    # -- loading -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the three queues and their counts."""
        self._latest += 1
        token = self._latest
        self.status.setText("Loading…")

        def fetch() -> tuple[dict[str, list[QueueRow]], dict[str, int]]:
            rows: dict[str, list[QueueRow]] = {name: self.referrals.queue(name) for name, _t, _e in self.queues}
            return rows, self.referrals.queue_counts()

        Op(self, fetch).success(lambda result: self._show(*result, token=token)).failure(
            lambda error: self._load_failed(error, token)
        ).run_in(self.runner)

    def _show(self, rows: dict[str, list[QueueRow]], counts: dict[str, int], token: int) -> None:
        if token != self._latest:
            return
        self.counts = dict(counts)
        for index, (name, title, _empty) in enumerate(self.queues):
            table = self.tables[name]
            selected = self._selected_in(name)
            self.models[name].set_rows(rows.get(name, []))
            self.tabs.setTabText(index, f"{title} ({counts.get(name, 0)})")
            self._reselect(table, self.models[name], selected.referral_id if selected else None)
        self._describe_current()
        self._notice = ""
        self._update_buttons()
        self.sig_counts.emit(dict(counts))

    def _load_failed(self, _error: BaseException, token: int) -> bool:
        if token != self._latest:
            return True  # a newer reload is on its way: nothing to say
        self.status.setText("The queues could not be loaded.")
        return False

    @staticmethod
    def _reselect(table: QTableView, model: RowsModel, referral_id: int | None) -> None:
        """Select the referral selected before the reload, if it is still there; else the first row."""
        if model.rowCount() == 0:
            return
        proxy = table.model()
        for row, item in enumerate(model.rows):
            if referral_id is not None and item.referral_id == referral_id:
                table.selectRow(proxy.mapFromSource(model.index(row, 0)).row())
                return
            if referral_id is None:
                break
        table.selectRow(0)

    def _describe_current(self) -> None:
        name, _title, empty = self.queues[self.tabs.currentIndex()]
        shown = self.models[name].rowCount()
        total = self.counts.get(name, shown)
        if total == 0:
            text = empty
        elif total > shown:
            text = f"Showing the {shown} with the nearest deadlines of {total} (at most {QUEUE_LIMIT} are listed)."
        else:
            text = f"{total} referral(s)."
        self.status.setText(f"{self._notice} {text}".strip())

    # -- the selection ---------------------------------------------------------------------------
    def current_queue(self) -> Queue:
        return self.queues[self.tabs.currentIndex()][0]

    def _selected_in(self, name: str) -> QueueRow | None:
        rows = self.tables[name].selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def selected(self) -> QueueRow | None:
        return self._selected_in(self.current_queue())

    def _tab_changed(self, _index: int) -> None:
        current = self.tables[self.current_queue()]
        focus = QApplication.focusWidget()
        if focus is not None and focus is not self.tabs.tabBar() and self.isAncestorOf(focus):
            current.setFocus()  # Ctrl+Tab from one table lands in the next
        self._notice = ""
        self._describe_current()
        self._update_buttons()

    def export_queue(self) -> None:
        """Export what the queue shows: its rows, in a spreadsheet."""
        from diversion_desktop.ui.export_action import export_rows

        name, title, _empty = self.queues[self.tabs.currentIndex()]
        rows = self.models[name].rows
        self.export_dialog = export_rows(
            self,
            self.ctx,
            self.runner,
            "referrals",
            [r.referral_id for r in rows],
            f"{title} queue",
            suggested_name=f"{name.replace('_', '-')}-queue",
        )

    def _update_buttons(self) -> None:
        self.export_button.setEnabled(self.models[self.current_queue()].rowCount() > 0)
        row = self.selected()
        confirming = self.current_queue() == Queue.AWAITING_CONFIRMATION
        self.open_button.setEnabled(row is not None)
        self.confirm_button.setVisible(confirming)
        self.confirm_button.setEnabled(confirming and row is not None and bool(row.proposed_step) and not self.busy)

    def _open_index(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.sig_open_referral.emit(row.referral_id)

    def open_selected(self) -> None:
        row = self.selected()
        if row is not None:
            self.sig_open_referral.emit(row.referral_id)

    # -- confirming ---------------------------------------------------------------------------------
    def confirm_selected(self) -> None:
        row = self.selected()
        if row is None or self.busy or self.current_queue() != Queue.AWAITING_CONFIRMATION or not row.proposed_step:
            return
        scheme = self.ctx.schemes.find(row.area)
        kind = scheme.kind.value if scheme is not None else ""
        if not dialogs.confirm_next_step(
            self, row.reference, row.person_name, row.proposed_step, row.note, kind, row.pathway
        ):
            self.status.setText("Not confirmed: nothing has changed.")
            return
        self.status.setText(f"Confirming the next step for {row.reference}…")

        def done(step: str) -> None:
            self._notice = f"Confirmed for {row.reference}: {next_step_text(step)}."
            self.refresh()
            self.sig_changed.emit(row.referral_id)

        def failed(_error: BaseException) -> None:
            self.status.setText(f"Not confirmed for {row.reference}.")
            self.refresh()  # (and the error is said in a dialog)

        Op(self, lambda: self.programme.confirm_next_step(row.referral_id)).busy(self._update_buttons).changes(
            Changed.REFERRALS | Changed.APPOINTMENTS, row.referral_id
        ).success(done).failure(failed).run_in(self.runner)
