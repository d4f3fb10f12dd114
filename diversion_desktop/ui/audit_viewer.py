"""Administration → Audit trail: who did what, filtered, checked and exported.

Filters (user name, person reference, action, from/to dates) are applied with Show (Enter);
the rows come newest first, 500 at a time from the service (More, or scrolling to the end,
fetches the next 500). Verify chain recomputes every row's hash and says whether anything was
changed or deleted; Export writes what the filters select to CSV. Every call goes through
``AuditTrailService`` on the worker, which checks the permission itself; verifying and
exporting are themselves audited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.services.audit_trail import PAGE, AuditFilters, AuditRow, AuditTrailService
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.ui import file_dialogs
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.tasks import TaskRunner, error_text
from diversion_desktop.ui.widgets import DateEdit, ErrorLabel, Field, add_field

COLUMNS = ("Time", "User", "Action", "Record", "Person", "Changes", "Detail")
_BAD_STYLE = "color: #b00020; font-weight: bold;"
_GOOD_STYLE = "color: #1b5e20;"


def ask_audit_export_path(parent: QWidget | None, suggested_name: str) -> str:
    """The file to export to ("" when cancelled); a function so tests can replace it."""
    return file_dialogs.save_path(parent, "Export the audit trail", suggested_name, "CSV files (*.csv)")


def record_text(row: AuditRow) -> str:
    what = row.reference or (str(row.record_id) if row.record_id is not None else "")
    return f"{row.entity} {what}".strip()


class AuditModel(QAbstractTableModel):
    """The rows fetched so far; asks for more (``sig_fetch_more``) when the view reaches the end."""

    sig_fetch_more = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[AuditRow] = []
        self.total = 0
        self.loading = False

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self.rows[index.row()]
        column = index.column()
        if column == 0:
            return f"{row.at:%d/%m/%Y %H:%M:%S}"
        if column == 1:
            return row.username
        if column == 2:
            return row.action
        if column == 3:
            return record_text(row)
        if column == 4:
            return row.person_reference or (str(row.person_id) if row.person_id is not None else "")
        if column == 5:
            return row.changes_text()
        return row.detail

    def reset(self, total: int, rows: list[AuditRow]) -> None:
        self.beginResetModel()
        self.rows, self.total = list(rows), total
        self.endResetModel()

    def append(self, total: int, rows: list[AuditRow]) -> None:
        self.total = total
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and not self.loading and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if self.canFetchMore(parent):
            self.sig_fetch_more.emit()


class AuditViewer(QDialog):
    sig_loaded = Signal(int, int)  # (rows shown, rows matching)
    sig_verified = Signal(object)  # VerifyResult
    sig_exported = Signal(int)  # rows written

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditViewer")
        self.setWindowTitle("Audit trail — Diversion Desktop")
        self.ctx = ctx
        self.runner = runner
        self.service = AuditTrailService(ctx)
        self.filters = AuditFilters()
        self.fields: dict[str, Field] = {}
        self._token = 0

        left, right = QFormLayout(), QFormLayout()
        self.username = QLineEdit()
        self.username.setObjectName("auditUser")
        self.username.setPlaceholderText("any user")
        self.fields["username"] = add_field(left, "&User", self.username)
        self.person = QLineEdit()
        self.person.setObjectName("auditPerson")
        self.person.setPlaceholderText("a person's reference, for example P-000123")
        self.fields["person"] = add_field(left, "&Person", self.person)
        self.action = QComboBox()
        self.action.setObjectName("auditAction")
        self.action.addItem("(any action)", "")
        self.fields["action"] = add_field(left, "&Action", self.action)
        self.date_from = DateEdit()
        self.date_from.setObjectName("auditFrom")
        self.fields["date_from"] = add_field(right, "&From", self.date_from)
        self.date_to = DateEdit()
        self.date_to.setObjectName("auditTo")
        self.fields["date_to"] = add_field(right, "&To", self.date_to)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("auditShow")
        self.show_button.setDefault(True)  # Enter in any filter applies the filters
        self.show_button.clicked.connect(self.apply_filters)
        show_row = QHBoxLayout()
        show_row.addStretch(1)
        show_row.addWidget(self.show_button)
        right.addRow("", show_row)
        filters = QHBoxLayout()
        filters.addLayout(left, 3)
        filters.addLayout(right, 2)

        self.model = AuditModel(self)
        self.model.sig_fetch_more.connect(self.load_more)
        self.table = QTableView()
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName("Audit events")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column, width in enumerate((140, 90, 130, 160, 90, 320, 200)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        caption = QLabel("Events, &newest first")
        caption.setBuddy(self.table)

        self.count = QLabel()
        self.count.setObjectName("auditCount")
        self.more_button = QPushButton("&More…")
        self.more_button.setObjectName("auditMore")
        self.more_button.setAutoDefault(False)
        self.more_button.clicked.connect(self.load_more)
        paging = QHBoxLayout()
        paging.addWidget(self.count, 1)
        paging.addWidget(self.more_button)

        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.setObjectName("auditVerify")
        self.export_button = QPushButton("&Export…")
        self.export_button.setObjectName("auditExport")
        for button in (self.verify_button, self.export_button):
            button.setAutoDefault(False)
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(self.export)
        self.verify_result = QLabel()
        self.verify_result.setObjectName("auditVerifyResult")
        self.verify_result.setWordWrap(True)
        self.verify_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verify_result.setVisible(False)
        self.message = ErrorLabel()
        self.message.setObjectName("auditMessage")
        self.message.setAccessibleName("Message")
        self.status = QLabel()
        self.status.setObjectName("auditStatus")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        buttons.addButton(self.verify_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(caption)
        layout.addWidget(self.table, 1)
        layout.addLayout(paging)
        layout.addWidget(self.verify_result)
        layout.addWidget(self.message)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(1180, 680)
        self.username.setFocus()
        Op(self, self.service.actions).success(self._show_actions).errors_in(self.message.show_message).run_in(
            self.runner
        )
        self.load()

    # -- filters -------------------------------------------------------------------------------------
    def _show_actions(self, actions: list[str]) -> None:
        chosen = self.action.currentData()
        self.action.blockSignals(True)
        self.action.clear()
        self.action.addItem("(any action)", "")
        for action in actions:
            self.action.addItem(action.replace("_", " "), action)
        index = self.action.findData(chosen)
        self.action.setCurrentIndex(max(index, 0))
        self.action.blockSignals(False)

    def _read_filters(self) -> tuple[AuditFilters | None, dict[str, str]]:
        errors: dict[str, str] = {}
        for name, edit in (("date_from", self.date_from), ("date_to", self.date_to)):
            if edit.problem():
                errors[name] = edit.problem()
        start, end = self.date_from.value(), self.date_to.value()
        if start and end and end < start:
            errors["date_to"] = "The end of the period is before its start."
        filters = AuditFilters(
            username=self.username.text().strip(),
            person_reference=self.person.text().strip(),
            action=self.action.currentData() or "",
            date_from=start,
            date_to=end,
        )
        return (None if errors else filters), errors

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, field in self.fields.items():
            field.set_error(errors.get(name, ""))
        first = next((self.fields[name].widget for name in self.fields if name in errors), None)
        if first is not None:
            first.setFocus()

    def apply_filters(self) -> None:
        filters, errors = self._read_filters()
        self.show_errors(errors)
        if filters is not None:
            self.filters = filters
            self.load()

    # -- rows ----------------------------------------------------------------------------------------
    def load(self) -> None:
        """The first page for the filters applied."""
        self._token += 1
        token, filters = self._token, self.filters
        self.model.loading = True
        self.message.show_message("")
        Op(self, lambda: self.service.events(filters, PAGE, 0)).success(
            lambda result: self._first_page(token, *result)
        ).failure(self._load_failed).run_in(self.runner)

    def _first_page(self, token: int, total: int, rows: list[AuditRow]) -> None:
        if token != self._token:
            return  # filters changed meanwhile: a newer load follows
        self.model.loading = False
        self.model.reset(total, rows)
        self._shown()

    def load_more(self) -> None:
        if self.model.loading or len(self.model.rows) >= self.model.total:
            return
        token, filters, offset = self._token, self.filters, len(self.model.rows)
        self.model.loading = True
        self.more_button.setEnabled(False)
        Op(self, lambda: self.service.events(filters, PAGE, offset)).success(
            lambda result: self._next_page(token, *result)
        ).failure(self._load_failed).run_in(self.runner)

    def _next_page(self, token: int, total: int, rows: list[AuditRow]) -> None:
        if token != self._token:
            return
        self.model.loading = False
        self.model.append(total, rows)
        self._shown()

    def _shown(self) -> None:
        shown, total = len(self.model.rows), self.model.total
        self.count.setText(f"Showing {shown:,} of {total:,} event(s)" if total else "No events match these filters.")
        self.more_button.setEnabled(shown < total)
        self.sig_loaded.emit(shown, total)

    def _load_failed(self, error: BaseException) -> bool:
        self.model.loading = False
        self.more_button.setEnabled(len(self.model.rows) < self.model.total)
        if isinstance(error, ValidationError):
            self.show_errors(error.errors)
        else:
            self.message.show_message(error_text(error))
        return True

    # -- verify and export -----------------------------------------------------------------------------
    def verify(self) -> None:
        def done(result: Any) -> None:
            self.verify_result.setText(result.summary())
            self.verify_result.setStyleSheet(_GOOD_STYLE if result.ok else _BAD_STYLE)
            self.verify_result.setAccessibleName("Chain intact" if result.ok else "Chain changed")
            self.verify_result.setVisible(True)
            self.sig_verified.emit(result)

        Op(self, self.service.verify).wait_cursor().disabling(self.verify_button).success(done).errors_in(
            self.message.show_message
        ).run_in(self.runner)

    def export(self) -> None:
        path = ask_audit_export_path(self, f"audit-trail-{self.ctx.today():%Y-%m-%d}.csv")
        if not path:
            return
        out = Path(path)
        filters = self.filters

        def done(written: int) -> None:
            self.status.setText(f"Exported {written:,} event(s) to {out}.")
            self.sig_exported.emit(written)

        Op(self, lambda: self.service.export(filters, out)).wait_cursor().disabling(self.export_button).success(
            done
        ).errors_in(self.message.show_message).run_in(self.runner)
