"""Batches of letters as one merged PDF: a progress bar while they are made, then the preview to print.

``run_batch`` runs a ``DocumentService`` batch (``appointment_batch`` or
``missed_batch``) on the worker. Its progress callback is called on the worker
thread and reaches the progress bar through a queued signal; the merged PDF
then opens in ``PdfPreviewDialog``, whose Print… sends it to the printer in
one go. Every letter of a batch is issued and kept (a letter issued before is
reused, not issued twice), and the preview says so.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from diversion_desktop.services.documents import IssuedInfo, Pdf, Progress
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.pdf_preview import PdfPreviewDialog
from diversion_desktop.ui.tasks import TaskRunner, show_error

BatchJob = Callable[[Progress], tuple[list[IssuedInfo], Pdf]]


def run_batch(
    parent: QWidget,
    runner: TaskRunner,
    job: BatchJob,
    label: str,
    on_done: Callable[[PdfPreviewDialog | None], None] | None = None,
) -> None:
    """Make a batch on the worker with a progress bar, then show the merged PDF ready to print.

    ``on_done`` gets the open preview dialog, or None if the batch failed (the
    error is shown in a message box, for example "Nothing to print"). ``parent`` is busy
    meanwhile (ui/operations.py ``is_busy``).
    """
    progress = QProgressDialog(label, "", 0, 0, parent)
    progress.setObjectName("batchProgress")
    progress.setWindowTitle("Print letters")
    progress.setCancelButton(None)  # issuing is one unit of work: it completes or changes nothing
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    progress.setValue(0)

    def show(done: int, total: int) -> None:
        progress.setMaximum(max(total, 1))
        progress.setValue(min(done, total))

    def finish() -> None:
        progress.close()
        progress.deleteLater()

    def done(result: tuple[list[IssuedInfo], Pdf]) -> None:
        finish()
        issued, pdf = result
        people = len({info.referral_id for info in issued})
        note = (
            f"{len(issued)} document(s) for {people} referral(s), {pdf.page_count} page(s). Each one is "
            "issued and kept on its referral (one issued before is reused, not issued again). "
            "Print them in one go, or save them as one PDF."
        )
        dialog = PdfPreviewDialog(pdf.content, pdf.title, pdf.file_name, parent, note=note)
        dialog.setObjectName("batchPreviewDialog")
        dialog.finished.connect(lambda _result: dialog.deleteLater())
        dialog.open()
        if on_done is not None:
            on_done(dialog)

    def failed(error: BaseException) -> bool:
        finish()
        show_error(parent, error, "Print letters")
        if on_done is not None:
            on_done(None)
        return True

    Op(parent, job).with_progress(show).busy().changes(Changed.DOCUMENTS).success(done).failure(failed).run_in(runner)
