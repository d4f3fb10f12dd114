"""File → Import: choose a CSV or XLSX file, check it (a dry run), read the report, then import.

Choosing a file checks it at once: every row is decided as the import would,
and the report (created / matched to person / decision and reasons / refused
with the column and the reason) fills the table; nothing is written. "Import"
is offered only when the check found something to import and either nothing
was refused or "Skip refused rows" is ticked (then the refused rows are saved
beside the file, with a ``problem`` column, for fixing and importing again).
All the work runs on the ``TaskRunner``'s worker; its progress reaches the bar
by a queued signal, so the window never freezes, even on a 20 MB file. The
table shows the report ``PAGE_ROWS`` rows at a time (*Previous*/*Next*): a large
file's report is read from its private file a page at a time, never held whole.
The report's file is deleted when another report replaces it or the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.services.context import AppContext
from diversion_desktop.services.importer import CREATED, REFUSED, ImportReport, ImportService, RowResult
from diversion_desktop.ui import file_dialogs
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.table_models import Column, RowsModel, sorting_proxy
from diversion_desktop.ui.tasks import TaskRunner, error_text

_SPREADSHEETS = "Spreadsheets (*.xlsx *.csv);;Excel workbooks (*.xlsx);;CSV files (*.csv)"
_RESULT_COLOURS = {REFUSED: QColor("#b00020"), CREATED: QColor("#1b5e20")}
PAGE_ROWS = 1000  # report rows in the table at a time


def ask_import_file(parent: QWidget | None) -> str:
    """The system "Open" dialog for a spreadsheet; the chosen path, or "" if cancelled."""
    return file_dialogs.open_path(parent, "Import referrals", _SPREADSHEETS)


def ask_template_path(parent: QWidget | None) -> str:
    """The system "Save as" dialog for the empty template; the chosen path, or "" if cancelled."""
    return file_dialogs.save_path(
        parent, "Save the import template", "import-template.xlsx", "Excel workbook (*.xlsx);;CSV files (*.csv)"
    )


def _details(row: RowResult) -> str:
    return row.details()


REPORT_COLUMNS: tuple[Column, ...] = (
    Column("Sheet", lambda r: r.sheet),
    Column("Row", lambda r: str(r.row), sort=lambda r: r.row),
    Column("Reference", lambda r: r.reference),
    Column("Result", lambda r: r.result, colour=lambda r: _RESULT_COLOURS.get(r.result)),
    Column("Details", _details),
)


class ImportDialog(QDialog):
    sig_checked = Signal(object)  # ImportReport of a dry run
    sig_imported = Signal(object)  # ImportReport after importing (look at .written)
    sig_failed = Signal(str)  # the file could not be read, or the import failed: the message shown

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.runner = runner
        self.service = ImportService(ctx)
        self.path = ""
        self.report: ImportReport | None = None  # the latest check or import
        self.checked = False  # the report is a dry run of the file as it is now chosen
        self.setObjectName("importDialog")
        self.setWindowTitle("Import referrals")
        self._build()
        self.resize(1000, 640)
        self._update()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        intro = QLabel(
            "Import a pilot's records from an Excel workbook (.xlsx) or CSV file made from the "
            "template. The file is checked first and nothing is written until you press Import. "
            "Each row is decided by the same rules as the intake form, in incident date order; "
            "rows with an outcome become history."
        )
        intro.setWordWrap(True)
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("importFile")
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("No file chosen")
        self.file_edit.setAccessibleName("File to import")
        file_caption = QLabel("&File")
        file_caption.setBuddy(self.file_edit)
        self.choose_button = QPushButton("&Choose file…")
        self.choose_button.setObjectName("chooseFileButton")
        self.choose_button.clicked.connect(self.choose_file)
        self.template_button = QPushButton("Save &template…")
        self.template_button.setObjectName("templateButton")
        self.template_button.clicked.connect(self.save_template)
        file_row = QHBoxLayout()
        file_row.addWidget(file_caption)
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.choose_button)
        file_row.addWidget(self.template_button)

        self.skip_check = QCheckBox(
            "&Skip refused rows: import the others, and save the refused rows beside the file to fix and import again"
        )
        self.skip_check.setObjectName("skipInvalid")
        self.skip_check.toggled.connect(lambda _on: self._update())

        self.check_button = QPushButton("C&heck again")
        self.check_button.setObjectName("checkButton")
        self.check_button.clicked.connect(self.check)
        self.import_button = QPushButton("&Import")
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("closeButton")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        self.progress = QProgressBar()
        self.progress.setObjectName("importProgress")
        self.progress.setVisible(False)
        self.summary = QLabel()
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.problems_only = QCheckBox("Show only refused rows and rows to &check by hand")
        self.problems_only.setObjectName("problemsOnly")
        self.problems_only.toggled.connect(lambda _on: self._show_rows(page=0))
        self.page = 0
        self.page_label = QLabel()
        self.page_label.setObjectName("importPage")
        self.previous_button = QPushButton("&Previous")
        self.previous_button.setObjectName("previousPageButton")
        self.previous_button.clicked.connect(lambda: self._show_rows(page=self.page - 1))
        self.next_button = QPushButton("&Next")
        self.next_button.setObjectName("nextPageButton")
        self.next_button.clicked.connect(lambda: self._show_rows(page=self.page + 1))
        pages = QHBoxLayout()
        pages.addWidget(self.problems_only)
        pages.addStretch(1)
        pages.addWidget(self.page_label)
        pages.addWidget(self.previous_button)
        pages.addWidget(self.next_button)
        self.model = RowsModel(REPORT_COLUMNS, self)
        self.table = QTableView()
        self.table.setObjectName("importReport")
        self.table.setAccessibleName("Import report")
        self.table.setModel(sorting_proxy(self.model))
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(len(REPORT_COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(REPORT_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(file_row)
        layout.addWidget(self.skip_check)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addLayout(pages)
        layout.addWidget(self.table, 1)
        self._show_rows(page=0)

    # -- state -------------------------------------------------------------------------------
    def _update(self) -> None:
        report = self.report
        ready = (
            self.checked and report is not None and report.referrals > 0 and (report.ok or self.skip_check.isChecked())
        )
        self.import_button.setEnabled(ready and not self.busy)
        self.check_button.setEnabled(bool(self.path) and not self.busy)
        self.choose_button.setEnabled(not self.busy)
        self.template_button.setEnabled(not self.busy)
        self.skip_check.setEnabled(not self.busy)
        self.close_button.setEnabled(not self.busy)
        if self.checked and report is not None and not self.busy:
            if report.referrals == 0:
                self.import_button.setToolTip("Nothing new to import.")
            elif not ready:
                self.import_button.setToolTip(
                    "Some rows are refused: fix them in the file and check again, or tick 'Skip refused rows'."
                )
            else:
                self.import_button.setToolTip("")

    @property
    def busy(self) -> bool:
        return is_busy(self)

    def _op(self, work: Callable[[Callable[[int, int], None]], ImportReport], message: str) -> Op[ImportReport]:
        """A run of the import service, with the progress bar (busy until its first report)."""
        self.progress.setRange(0, 0)
        self.summary.setStyleSheet("")
        self.summary.setText(message)
        return Op(self, work).with_progress(self.progress).busy(self._busy_changed).failure(self._show_failure)

    def _busy_changed(self) -> None:
        self.progress.setVisible(self.busy)
        self._update()

    def _show_rows(self, page: int) -> None:
        """One page of the report's rows (of the refused rows and those to check, if ticked)."""
        rows = self.report.rows if self.report is not None else None
        if rows is not None and self.problems_only.isChecked():
            rows = rows.flagged()
        total = len(rows) if rows is not None else 0
        self.page = max(0, min(page, (total - 1) // PAGE_ROWS)) if total else 0
        start = self.page * PAGE_ROWS
        self.model.set_rows(rows[start : start + PAGE_ROWS] if rows is not None else [])
        self.table.resizeRowsToContents()
        several = total > PAGE_ROWS
        for widget in (self.page_label, self.previous_button, self.next_button):
            widget.setVisible(several)
        self.page_label.setText(f"Rows {start + 1:,}–{min(start + PAGE_ROWS, total):,} of {total:,}")
        self.previous_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(start + PAGE_ROWS < total)

    def _show_report(self, report: ImportReport | None) -> None:
        """Show this report (None: no report), letting the previous one's file go."""
        if self.report is not None and self.report is not report:
            self.report.close()
        self.report = report
        if report is not None:
            self.summary.setStyleSheet("color: #b00020;" if not report.ok else "")
            self.summary.setText(report.summary())
        self._show_rows(page=0)

    def _show_failure(self, error: BaseException) -> bool:
        self._show_report(None)
        self.checked = False
        message = error_text(error)
        self.summary.setStyleSheet("color: #b00020;")
        self.summary.setText(message)
        self._update()
        self.sig_failed.emit(message)
        return True  # (said in the summary line)

    # -- actions -----------------------------------------------------------------------------
    def choose_file(self) -> None:
        if self.busy:
            return
        path = ask_import_file(self)
        if not path:
            return
        self.path = path
        self.file_edit.setText(path)
        self.check()

    def set_file(self, path: str) -> None:
        """Choose ``path`` without the file dialog (drag and drop, or the caller knows it) and check it."""
        self.path = path
        self.file_edit.setText(path)
        self.check()

    def check(self) -> None:
        """The dry run: every row decided, nothing written."""
        if self.busy or not self.path:
            return
        path, service = self.path, self.service
        self.checked = False

        def done(report: ImportReport) -> None:
            self.checked = True
            self._show_report(report)
            self._update()
            self.sig_checked.emit(report)

        self._op(
            lambda report: service.run(path, dry_run=True, progress=report), f"Checking {Path(path).name}…"
        ).success(done).run_in(self.runner)

    def start_import(self) -> None:
        if self.busy or not self.import_button.isEnabled():
            return
        path, skip, service = self.path, self.skip_check.isChecked(), self.service

        def done(report: ImportReport) -> None:
            self.checked = False  # imported: checking again would show it all "already imported"
            self._show_report(report)
            self._update()
            self.sig_imported.emit(report)

        self._op(
            lambda report: service.run(path, skip_invalid=skip, progress=report), f"Importing {Path(path).name}…"
        ).changes(Changed.PEOPLE | Changed.REFERRALS, when=lambda report: bool(report.written)).success(done).run_in(
            self.runner
        )

    def save_template(self) -> None:
        if self.busy:
            return
        path = ask_template_path(self)
        if not path:
            return

        def done(written: list[Path]) -> None:
            self.summary.setStyleSheet("")
            self.summary.setText(
                "Template saved: " + ", ".join(str(p) for p in written) + ". Fill it in, then choose it here."
            )

        Op(self, lambda: ImportService.write_template(Path(path))).success(done).failure(self._show_failure).run_in(
            self.runner
        )

    # -- QDialog -----------------------------------------------------------------------------
    def reject(self) -> None:
        if not self.busy:  # never close while the import is being written
            self._show_report(None)  # its rows' file goes now
            super().reject()


def open_import_dialog(ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> ImportDialog:
    """File → Import: show the dialog (not modal: the window stays usable while it works)."""
    dialog = ImportDialog(ctx, runner, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
