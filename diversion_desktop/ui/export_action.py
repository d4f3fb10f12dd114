"""Export what a list shows: one call from any view, with the rows (or filters) it shows.

A view calls, for example from the queues::

    export_action.export_list(self, self.ctx, self.runner,
                              ExportQuery(kind="referrals", ids=tuple(r.referral_id for r in rows),
                                          description="Overdue queue"),
                              title="the overdue queue", suggested_name="overdue")

or from a centre's day of appointments::

    ExportQuery(kind="appointments", centre_code=centre, date_from=day, date_to=day,
                description=f"Appointments at {centre} on {day:%d/%m/%Y}")

The dialog asks for the format and, because lists hold personal data, offers a
password (on by default): the file then goes into an AES-encrypted ZIP, which
7-Zip or WinZip open (Windows Explorer cannot). The export runs on the
``TaskRunner``'s worker with a progress bar fed by a queued signal.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.services.context import AppContext
from diversion_desktop.services.exporter import ExportQuery, ExportResult, ExportService
from diversion_desktop.ui import file_dialogs
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.password_fields import PASSWORD_NOTE, PasswordFields
from diversion_desktop.ui.tasks import TaskRunner
from diversion_desktop.ui.widgets import ErrorLabel

_FILTERS = {"xlsx": "Excel workbook (*.xlsx)", "csv": "CSV file (*.csv)"}


def ask_export_path(parent: QWidget | None, suggested_name: str, file_format: str) -> str:
    """The system "Save as" dialog; the chosen path, or "" if cancelled."""
    return file_dialogs.save_path(parent, "Export", f"{suggested_name}.{file_format}", _FILTERS[file_format])


class ExportDialog(QDialog):
    sig_exported = Signal(object)  # ExportResult
    sig_counted = Signal(int)  # rows the export will hold

    def __init__(
        self,
        ctx: AppContext,
        runner: TaskRunner,
        query: ExportQuery,
        title: str = "",
        suggested_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.query = query
        self.title = title or query.describe()
        self.suggested_name = suggested_name or f"{query.kind}-{ctx.today():%Y-%m-%d}"
        self.service = ExportService(ctx)
        self.result: ExportResult | None = None
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export")
        self._build()
        service = self.service
        Op(self, lambda: service.count(query)).success(self._counted).failure(lambda _error: True).run_in(
            self.runner
        )  # (the count is a courtesy: without it the export still works)

    def _build(self) -> None:
        self.intro = QLabel(f"Export {self.title}.")
        self.intro.setObjectName("exportIntro")
        self.intro.setWordWrap(True)
        self.format = QComboBox()
        self.format.setObjectName("exportFormat")
        self.format.addItem("Excel workbook (.xlsx)", "xlsx")
        self.format.addItem("CSV file (.csv)", "csv")
        self.secret = PasswordFields("export", self)
        self.protect, self.password, self.confirm = self.secret.protect, self.secret.password, self.secret.confirm
        note = QLabel(f"The list holds personal data. {PASSWORD_NOTE}")
        note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Format", self.format)
        self.secret.add_rows(form)
        self.form = form
        self.error = ErrorLabel()
        self.error.setObjectName("exportError")
        self.progress = QProgressBar()
        self.progress.setObjectName("exportProgress")
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setObjectName("exportStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.export_button: QPushButton = self.buttons.addButton("&Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        self.close_button: QPushButton = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _counted(self, count: int) -> None:
        self.intro.setText(f"Export {self.title}: {count} row(s).")
        self.sig_counted.emit(count)

    def export(self) -> None:
        if self.busy:
            return
        go_on, password = self.secret.check(self.error)
        if not go_on:
            return
        file_format = self.format.currentData()
        path = ask_export_path(self, self.suggested_name, file_format)
        if not path:
            return
        self.status.setText("Exporting…")
        query, service = self.query, self.service

        def done(result: ExportResult) -> None:
            self.result = result
            self.status.setText(result.summary())
            self.export_button.setEnabled(False)
            self.close_button.setFocus()
            self.sig_exported.emit(result)

        Op(
            self, lambda report: service.export(query, Path(path), file_format, password=password, progress=report)
        ).with_progress(self.progress).busy(self._busy_changed).success(done).failure(
            lambda _error: self.status.setText("")
        ).errors_in(self.error.show_message).run_in(self.runner)

    def _busy_changed(self) -> None:
        busy = self.busy
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)
        self.buttons.setEnabled(not busy)
        self.format.setEnabled(not busy)
        self.protect.setEnabled(not busy)

    def reject(self) -> None:
        if not self.busy:
            super().reject()


def export_list(
    parent: QWidget | None,
    ctx: AppContext,
    runner: TaskRunner,
    query: ExportQuery,
    title: str = "",
    suggested_name: str = "",
) -> ExportDialog:
    """Export what a list shows: ``query`` carries its rows (``ids``) or its filters. Shows the
    export dialog (not modal) and returns it."""
    dialog = ExportDialog(ctx, runner, query, title, suggested_name, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def export_rows(
    parent: QWidget | None,
    ctx: AppContext,
    runner: TaskRunner,
    kind: str,
    ids: list[int] | tuple[int, ...],
    description: str,
    suggested_name: str = "",
) -> ExportDialog:
    """The common case: export exactly the rows a list shows (their ids), e.g. a queue or search results."""
    query = ExportQuery(kind=kind, ids=tuple(ids), description=description)
    return export_list(parent, ctx, runner, query, description[:1].lower() + description[1:], suggested_name)
