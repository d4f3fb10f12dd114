"""The referral page's Documents group: what is due, what was issued, and one action per button.

Due documents come first, those not yet issued at the top, each with:
Preview (made fresh, nothing kept), Issue and print… and Issue and save as
PDF…. Issued documents (newest first) can be opened, reprinted or saved again:
a reprint is the exact bytes that were issued.

Nothing is issued silently. "Issue and print…" asks for the printer first and
"Issue and save as PDF…" for the file first; cancelling either leaves nothing
issued. A document the service warns about (a letter to a person with no postal
address) first asks "Issue anyway?", and the answer No issues nothing. The
services run on the worker (``TaskRunner``); printing and writing the file happen
back on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.services.context import AppContext
from diversion_desktop.services.documents import DocumentService, DueDocument, IssuedInfo, Pdf, WarningKind
from diversion_desktop.services.dto import ReferralDetail
from diversion_desktop.ui import pdf_output
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.operations import Op, is_busy
from diversion_desktop.ui.pdf_preview import PdfPreviewDialog
from diversion_desktop.ui.table_models import ROW_ROLE, Column, RowsModel, moment_text
from diversion_desktop.ui.tasks import TaskRunner, error_text

T = TypeVar("T")

_NOT_ISSUED = QColor("#8a4b00")
_WITHDRAWN = QColor("#b00020")
_MAX_ROWS = 6  # taller lists scroll inside their table


@dataclass(frozen=True)
class DueRow:
    """A due document as the page shows it: which one, and its latest issue if any."""

    referral_id: int
    due: DueDocument
    title: str  # "Appointment letter, 12/03/2026 10:00"
    issued: IssuedInfo | None

    @property
    def state(self) -> str:
        if self.issued is None:
            return "Not yet issued" + (" (no postal address)" if self.warned(WarningKind.NO_POSTAL_ADDRESS) else "")
        return f"Issued {moment_text(self.issued.issued_at)} by {self.issued.issued_by}"

    def warned(self, kind: WarningKind) -> bool:
        return any(warning.kind is kind for warning in self.due.warnings)


def ask_issue_anyway(parent: QWidget | None, row: DueRow) -> bool:
    """The question before issuing a document the service warns about; "No" is the default."""
    warnings = "\n\n".join(warning.text for warning in row.due.warnings)
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Issue anyway?",
        f"{warnings}\n\nIssue the {row.title.lower()} anyway?",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    box.setObjectName("issueAnywayQuestion")
    yes = box.addButton("&Issue anyway", QMessageBox.ButtonRole.YesRole)
    no = box.addButton("&Do not issue", QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


# Two lines a row, so each list fits the page's left column without scrolling sideways.
DUE_DOCUMENTS: tuple[Column, ...] = (
    Column(
        "Document", lambda r: f"{r.title}\nto {r.due.recipient}", tooltip=lambda r: f"{r.title} to {r.due.recipient}"
    ),
    Column(
        "State",
        lambda r: r.state.replace(" by ", "\nby "),
        tooltip=lambda r: r.state,
        colour=lambda r: _NOT_ISSUED if r.issued is None else None,
    ),
)


def withdrawn_text(info: IssuedInfo) -> str:
    """ "Withdrawn 12/03/2026 14:05 by cora: reason", or "" for a document that stands."""
    if info.withdrawn_at is None:
        return ""
    return f"Withdrawn {moment_text(info.withdrawn_at)} by {info.withdrawn_by}: {info.withdrawn_reason}"


def _issued_tip(info: IssuedInfo) -> str:
    tip = (
        f"{info.title}, issued {moment_text(info.issued_at)} by {info.issued_by} to {info.recipient}; "
        f"{info.page_count} page(s), template {info.template_version}"
    )
    return tip + (f". {withdrawn_text(info)}" if info.withdrawn else "")


# A withdrawn document stays in the list (never deleted), marked so in words and in colour.
ISSUED_DOCUMENTS: tuple[Column, ...] = (
    Column("Issued", lambda i: f"{moment_text(i.issued_at)}\nby {i.issued_by}", tooltip=_issued_tip),
    Column(
        "Document",
        lambda i: f"{i.label}\n{i.document_reference}" + (" — WITHDRAWN" if i.withdrawn else ""),
        tooltip=_issued_tip,
        colour=lambda i: _WITHDRAWN if i.withdrawn else None,
    ),
    Column("To", lambda i: i.recipient, tooltip=_issued_tip),
)


def due_rows(detail: ReferralDetail, due: list[DueDocument], issued: list[IssuedInfo]) -> list[DueRow]:
    """The due documents, those not yet issued first (otherwise in the services' order)."""
    by_id = {info.id: info for info in issued}
    appointments = {a.id: a for a in detail.appointments}
    rows = []
    for item in due:
        title = item.label
        appointment = appointments.get(item.appointment_id) if item.appointment_id is not None else None
        if appointment is not None:
            title += f", {moment_text(appointment.scheduled_at)}"
        rows.append(DueRow(detail.id, item, title, by_id.get(item.issued_id) if item.issued_id is not None else None))
    return sorted(rows, key=lambda r: r.issued is not None)


class _StatusLabel(QLabel):
    """A message line that takes no room while it has nothing to say."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))


class DocumentsPanel(QGroupBox):
    sig_issued = Signal(int, str)  # referral id, what was done (the page reloads the referral)
    sig_preview_shown = Signal(object)  # the PdfPreviewDialog, once open

    def __init__(self, ctx: AppContext, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Documents", parent)
        self.setObjectName("documentsGroup")
        self.ctx = ctx
        self.runner = runner
        self.service = DocumentService(ctx)
        self.detail: ReferralDetail | None = None
        self.preview_dialog: PdfPreviewDialog | None = None
        self._build()
        self.clear()

    @property
    def busy(self) -> bool:
        return is_busy(self)

    # -- layout ------------------------------------------------------------------------
    def _table(self, model: RowsModel, name: str, caption_text: str, stretch: int) -> tuple[QLabel, QTableView]:
        """A compact list; column ``stretch`` takes the room left (long text elided, in full as a tooltip)."""
        table = QTableView()
        table.setObjectName(name)
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)
        table.setAlternatingRowColors(True)
        table.setWordWrap(True)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        caption = QLabel(caption_text)
        caption.setBuddy(table)
        table.setAccessibleName(caption_text.replace("&", ""))
        return caption, table

    def _button(self, text: str, name: str, slot: Callable[[], None], tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.setProperty("issueTip", tip)
        button.clicked.connect(slot)
        return button

    def _build(self) -> None:
        self.due_model = RowsModel(DUE_DOCUMENTS, self)
        self.due_caption, self.due_table = self._table(self.due_model, "dueDocumentsTable", "D&ue documents", 0)
        self.due_table.activated.connect(lambda _index: self.preview_selected())
        self.preview_button = self._button(
            "Previe&w",
            "previewDocumentButton",
            self.preview_selected,
            "Show the document as it would be issued now. Nothing is kept.",
        )
        self.issue_print_button = self._button(
            "Issue and pr&int…",
            "issuePrintButton",
            self.issue_and_print,
            "Choose the printer, then issue the document (it is kept exactly as printed) and print it.",
        )
        self.issue_save_button = self._button(
            "Issue and &save as PDF…",
            "issueSaveButton",
            self.issue_and_save,
            "Choose the file, then issue the document (it is kept exactly as saved) and save it as a PDF.",
        )
        due_buttons = QHBoxLayout()
        for button in (self.preview_button, self.issue_print_button, self.issue_save_button):
            due_buttons.addWidget(button)
        due_buttons.addStretch(1)
        self.nothing_due = QLabel("No documents are due for this referral in its present state.")
        self.nothing_due.setObjectName("nothingDue")
        self.nothing_due.setWordWrap(True)

        self.issued_model = RowsModel(ISSUED_DOCUMENTS, self)
        self.issued_caption, self.issued_table = self._table(
            self.issued_model, "issuedDocumentsTable", "Issued docu&ments", 2
        )
        self.issued_table.activated.connect(lambda _index: self.open_issued())
        self.open_issued_button = self._button(
            "Ope&n", "openIssuedButton", self.open_issued, "Show the issued document exactly as it was issued."
        )
        self.reprint_button = self._button(
            "Reprin&t…", "reprintButton", self.reprint, "Print the issued document again: the identical PDF."
        )
        self.save_copy_button = self._button(
            "Save as P&DF…", "saveCopyButton", self.save_copy, "Save the issued document (the identical PDF) to a file."
        )
        issued_buttons = QHBoxLayout()
        for button in (self.open_issued_button, self.reprint_button, self.save_copy_button):
            issued_buttons.addWidget(button)
        issued_buttons.addStretch(1)
        self.nothing_issued = QLabel("Nothing has been issued for this referral yet.")
        self.nothing_issued.setObjectName("nothingIssued")

        self.status = _StatusLabel()
        self.status.setObjectName("documentsStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        layout = QVBoxLayout(self)
        layout.addWidget(self.due_caption)
        layout.addWidget(self.due_table)
        layout.addWidget(self.nothing_due)
        layout.addLayout(due_buttons)
        layout.addSpacing(6)
        layout.addWidget(self.issued_caption)
        layout.addWidget(self.issued_table)
        layout.addWidget(self.nothing_issued)
        layout.addLayout(issued_buttons)
        layout.addWidget(self.status)

    @staticmethod
    def _fit_height(table: QTableView) -> None:
        """As tall as its rows (up to ``_MAX_ROWS``), so the group needs no inner scrolling."""
        table.resizeRowsToContents()
        rows = min(table.model().rowCount(), _MAX_ROWS)
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        height += sum(table.rowHeight(r) for r in range(rows))
        table.setFixedHeight(height + 2)

    # -- showing -----------------------------------------------------------------------
    def clear(self) -> None:
        self.detail = None
        self.due_model.set_rows([])
        self.issued_model.set_rows([])
        self.status.setText("")
        self._show_lists()

    def show_documents(
        self, detail: ReferralDetail, due: list[DueDocument] | None, issued: list[IssuedInfo] | None, problem: str = ""
    ) -> None:
        """Fill the lists; ``problem`` says why the documents could not be worked out."""
        changed = self.detail is None or self.detail.id != detail.id
        self.detail = detail
        keep = self.selected_due()
        rows = due_rows(detail, due or [], issued or [])
        self.due_model.set_rows(rows)
        self.issued_model.set_rows(sorted(issued or [], key=lambda i: (i.issued_at, i.id), reverse=True))
        if changed:
            self.status.setText("")
        if problem:
            self.status.setText(f"The documents could not be worked out: {problem}")
        pending = sum(1 for r in rows if r.issued is None)
        self.setTitle(f"Documents — {pending} to issue" if pending else "Documents")
        self._show_lists()
        self._select_due(keep if keep is not None and not changed else None)
        if self.issued_model.rowCount():
            self.issued_table.selectRow(0)

    def _show_lists(self) -> None:
        has_due, has_issued = self.due_model.rowCount() > 0, self.issued_model.rowCount() > 0
        self.due_table.setVisible(has_due)
        self.nothing_due.setVisible(not has_due)
        self.issued_table.setVisible(has_issued)
        self.nothing_issued.setVisible(not has_issued)
        for table in (self.due_table, self.issued_table):
            self._fit_height(table)
        self._update_buttons()

    def _select_due(self, keep: DueRow | None) -> None:
        """The same document again after a reload while it is still to issue; otherwise the first
        row, which is the next one to issue if any."""
        for row, item in enumerate(self.due_model.rows):
            same = keep is not None and (item.due.kind, item.due.appointment_id) == (
                keep.due.kind,
                keep.due.appointment_id,
            )
            if same and item.issued is None:
                self.due_table.selectRow(row)
                return
        if self.due_model.rowCount():
            self.due_table.selectRow(0)

    # -- the selection -----------------------------------------------------------------
    def selected_due(self) -> DueRow | None:
        rows = self.due_table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def selected_issued(self) -> IssuedInfo | None:
        rows = self.issued_table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def select_due(self, kind: str, appointment_id: int | None = None) -> bool:
        """Select a due document by kind (and appointment); False if it is not due."""
        for row, item in enumerate(self.due_model.rows):
            if item.due.kind == kind and (appointment_id is None or item.due.appointment_id == appointment_id):
                self.due_table.selectRow(row)
                return True
        return False

    def pending(self) -> list[DueRow]:
        """Due documents not yet issued."""
        return [r for r in self.due_model.rows if r.issued is None]

    def _update_buttons(self) -> None:
        row = self.selected_due()
        self.preview_button.setEnabled(row is not None and not self.busy)
        # Issued once: a second copy is a reprint (identical bytes, same record), never a new issue.
        issuable = row is not None and row.issued is None and not self.busy
        for button in (self.issue_print_button, self.issue_save_button):
            button.setEnabled(issuable)
            button.setToolTip(
                button.property("issueTip")
                if issuable or row is None
                else "Already issued: use Reprint… or Save as PDF… under Issued documents for a copy."
            )
        issued = self.selected_issued() is not None and not self.busy
        for button in (self.open_issued_button, self.reprint_button, self.save_copy_button):
            button.setEnabled(issued)

    def _op(self, work: Callable[[], T], message: str, failed: str) -> Op[T]:
        """Work that keeps the panel busy; refused, ``failed: why`` shows in its status line (and in a dialog)."""
        self.status.setText(message)
        return (
            Op(self, work)
            .busy(self._update_buttons)
            .failure(lambda error: self.status.setText(f"{failed}: {error_text(error)}"))
        )

    # -- due documents -------------------------------------------------------------------
    def preview_selected(self) -> None:
        """Make the selected document now and show it; nothing is kept."""
        row = self.selected_due()
        if row is None or self.busy:
            return
        self._op(
            lambda: self.service.preview(row.referral_id, row.due.kind, row.due.appointment_id),
            f"Making a preview of the {row.title.lower()}…",
            "No preview",
        ).success(lambda pdf: self._show_preview(row, pdf)).run_in(self.runner)

    def _show_preview(self, row: DueRow, pdf: Pdf) -> None:
        self.status.setText(f"Preview of the {row.title.lower()}: not issued, nothing kept.")
        note = (
            "Preview only: this document has not been issued and nothing has been kept. "
            "To send it, issue it: it is then kept exactly as printed or saved."
        )
        if row.issued is not None:
            note += f" (Last issued {moment_text(row.issued.issued_at)} by {row.issued.issued_by}.)"
        for warning in pdf.warnings:
            note += f" Warning: {warning.text}"
        dialog = PdfPreviewDialog(
            pdf.content,
            pdf.title,
            pdf.file_name,
            self,
            note=note,
            handle_output=False,
            print_text="Issue and &print…",
            save_text="Issue and save as P&DF…",
        )
        dialog.sig_print_requested.connect(lambda: self.issue_and_print(row, dialog))
        dialog.sig_save_requested.connect(lambda: self.issue_and_save(row, dialog))
        dialog.rejected.connect(lambda: self.status.setText(f"Preview closed: the {row.title.lower()} was not issued."))
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: PdfPreviewDialog) -> None:
        if self.preview_dialog is not None:
            self.preview_dialog.close()
        self.preview_dialog = dialog
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        dialog.open()
        self.sig_preview_shown.emit(dialog)

    def _dialog_closed(self, dialog: PdfPreviewDialog) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None
        dialog.deleteLater()

    def issue_and_print(self, row: DueRow | None = None, dialog: PdfPreviewDialog | None = None) -> None:
        """Ask for the printer; then issue the document and print exactly what was kept."""
        row = row or self.selected_due()
        if row is None or self.busy or not self._go_ahead(row, dialog):
            return
        printer = pdf_output.ask_printer(dialog or self)
        if printer is None:
            self.status.setText(f"Not issued: printing the {row.title.lower()} was cancelled.")
            return

        def then(info: IssuedInfo, pdf: Pdf) -> str:
            return self._printed(printer, info, pdf)

        self._issue(row, dialog, then)

    def _printed(self, printer: QPrinter, info: IssuedInfo, pdf: Pdf) -> str:
        issued = f"Issued the {info.label.lower()} {info.document_reference} to {info.recipient}"
        if pdf_output.print_on(self, printer, pdf.content, pdf.title):
            return f"{issued} and sent it to the printer ({info.page_count} page(s))."
        return f"{issued}; it was NOT printed. Use Reprint… in Issued documents to print it."

    def issue_and_save(self, row: DueRow | None = None, dialog: PdfPreviewDialog | None = None) -> None:
        """Ask for the file (named as the preview names it); then issue the document and save exactly what was kept."""
        row = row or self.selected_due()
        if row is None or self.busy or not self._go_ahead(row, dialog):
            return
        chosen = pdf_output.ask_save_path(dialog or self, row.due.file_name)
        if not chosen:
            self.status.setText(f"Not issued: saving the {row.title.lower()} was cancelled.")
            return

        def then(info: IssuedInfo, pdf: Pdf) -> str:
            issued = f"Issued the {info.label.lower()} {info.document_reference} to {info.recipient}"
            path = pdf_output.write_pdf(self, chosen, pdf.content)
            if path is None:
                return f"{issued}; it was NOT saved. Use Save as PDF… in Issued documents to try again."
            return f"{issued} and saved it as {path}."

        self._issue(row, dialog, then)

    def _go_ahead(self, row: DueRow, dialog: PdfPreviewDialog | None) -> bool:
        """Whether to issue: not if it is issued already (a copy is a reprint); yes unless the service
        warned about it and the user says not to."""
        if row.issued is not None:
            self.status.setText(
                f"The {row.title.lower()} is issued already: use Reprint… or Save as PDF… "
                "under Issued documents for an identical copy."
            )
            return False
        if not row.due.warnings or ask_issue_anyway(dialog or self, row):
            return True
        self.status.setText(f"Not issued: the {row.title.lower()} was left to issue later.")
        return False

    def _issue(self, row: DueRow, dialog: PdfPreviewDialog | None, then: Callable[[IssuedInfo, Pdf], str]) -> None:
        op = self._op(
            lambda: self.service.issue(row.referral_id, row.due.kind, row.due.appointment_id),
            f"Issuing the {row.title.lower()}…",
            "Not issued",
        )
        if dialog is not None:
            dialog.set_busy(True, "Issuing…")

        def done(result: tuple[IssuedInfo, Pdf]) -> None:
            info, pdf = result
            if dialog is not None:
                dialog.accept()  # the preview was of a document not yet issued
            message = then(info, pdf)
            self.status.setText(message)
            self.sig_issued.emit(row.referral_id, message)

        def failed(error: BaseException) -> None:
            if dialog is not None:
                dialog.set_busy(False, f"Not issued: {error_text(error)}")
            self.status.setText(f"Not issued: {error_text(error)}")

        op.changes(Changed.DOCUMENTS | Changed.REFERRALS, row.referral_id).success(done).failure(failed).run_in(
            self.runner
        )

    # -- issued documents ----------------------------------------------------------------
    def _stored(self, info: IssuedInfo, what: str, then: Callable[[Pdf], None]) -> None:
        self._op(lambda: self.service.stored(info.id), f"Fetching {info.document_reference}…", what).success(
            lambda result: then(result[1])
        ).run_in(self.runner)

    def open_issued(self) -> None:
        """Show an issued document exactly as it was issued, with Reprint… and Save as PDF…."""
        info = self.selected_issued()
        if info is None or self.busy:
            return

        def show(pdf: Pdf) -> None:
            self.status.setText(f"{info.document_reference}: as issued {moment_text(info.issued_at)}.")
            note = (
                f"Issued {moment_text(info.issued_at)} by {info.issued_by} to {info.recipient}; "
                f"reference {info.document_reference}, template {info.template_version}. "
                "This is the document exactly as it was issued."
            )
            if info.withdrawn:
                note = f"{withdrawn_text(info)}. " + note
            dialog = PdfPreviewDialog(pdf.content, pdf.title, pdf.file_name, self, note=note, print_text="&Reprint…")
            dialog.sig_printed.connect(lambda: self.status.setText(f"Reprinted {info.document_reference}."))
            dialog.sig_saved.connect(lambda path: self.status.setText(f"Saved {info.document_reference} as {path}."))
            self._open_dialog(dialog)

        self._stored(info, "Not opened", show)

    def reprint(self) -> None:
        """Ask for the printer, then print the identical PDF that was issued."""
        info = self.selected_issued()
        if info is None or self.busy:
            return
        printer = pdf_output.ask_printer(self)
        if printer is None:
            self.status.setText("Reprint cancelled.")
            return

        def print_it(pdf: Pdf) -> None:
            if pdf_output.print_on(self, printer, pdf.content, pdf.title):
                self.status.setText(f"Reprinted {info.document_reference} ({info.page_count} page(s)).")
            else:
                self.status.setText(f"{info.document_reference} was not reprinted.")

        self._stored(info, "Not reprinted", print_it)

    def save_copy(self) -> None:
        """Ask for the file, then save the identical PDF that was issued."""
        info = self.selected_issued()
        if info is None or self.busy:
            return
        chosen = pdf_output.ask_save_path(self, info.file_name)
        if not chosen:
            self.status.setText("Not saved: cancelled.")
            return

        def save(pdf: Pdf) -> None:
            path = pdf_output.write_pdf(self, chosen, pdf.content)
            self.status.setText(
                f"Saved {info.document_reference} as {path}."
                if path is not None
                else f"{info.document_reference} was not saved."
            )

        self._stored(info, "Not saved", save)
