"""Putting a PDF on paper or on disk: the system print dialog, and "Save as PDF".

- ``print_pdf(parent, pdf_bytes, title)``: asks for a printer (``ask_printer``,
  the system print dialog: printer, copies and pages are chosen there) and
  prints every page.
- ``print_to_printer(printer, pdf_bytes, title)``: prints on a printer already
  chosen, for flows that ask first and make the document afterwards (issue and
  print: cancelling the dialog must leave nothing issued).
- ``save_pdf(parent, pdf_bytes, suggested_name)``: asks where (``ask_save_path``)
  and writes the exact bytes; ``write_pdf`` writes to a path already chosen.

``ask_printer`` and ``ask_save_path`` are the only places that open system
dialogs; tests replace them with monkeypatch (there is no print server here).
Pages are rasterised with QPdfDocument, painted on white (its images are
transparent) and drawn on the printer's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from diversion_desktop.owner_only import write_private
from diversion_desktop.ui import file_dialogs

# Pages are rendered at the printer's resolution, but never above this: a 1200 dpi
# A4 page would be a 560 MB image, and 300 dpi is print quality for letters.
MAX_RENDER_DPI = 300
# Longer print jobs show their progress (about a third of a second a page) and can be stopped.
PROGRESS_FROM_PAGES = 3

Progress = Callable[[int, int], bool]  # (pages done, pages in all) -> False to stop


# -- the two system dialogs (tests replace these) -----------------------------------------
def ask_printer(parent: QWidget | None) -> QPrinter | None:
    """The system print dialog; the chosen printer (with copies and pages), or None if cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print")
    dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile, True)
    dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
    dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintCollateCopies, True)
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return None
    return printer


def ask_save_path(parent: QWidget | None, suggested_name: str) -> str:
    """The system "Save as" dialog; the chosen path, or "" if cancelled."""
    return file_dialogs.save_path(parent, "Save as PDF", suggested_name, "PDF documents (*.pdf)")


# -- printing ------------------------------------------------------------------------------
def load_document(pdf_bytes: bytes, parent: QWidget | None = None) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument over the bytes; keep the buffer alive as long as the document."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(pdf_bytes))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument(parent)
    document.load(buffer)
    return document, buffer


def render_page(document: QPdfDocument, page: int, size: QSize) -> QImage:
    """One page at ``size`` pixels, on white (QPdfDocument renders onto a transparent image)."""
    rendered = document.render(page, size)
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.drawImage(0, 0, rendered)
    painter.end()
    return image


def _pages_to_print(printer: QPrinter, page_count: int) -> list[int]:
    """Zero-based pages in print order, with the copies and page range chosen in the dialog."""
    first, last = 0, page_count - 1
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first = max(printer.fromPage() - 1, 0)
        last = min(max(printer.toPage(), printer.fromPage()) - 1, page_count - 1)
    pages = list(range(first, last + 1))
    # A printer that makes copies itself gets each page once; otherwise copies are made here.
    copies = 1 if printer.supportsMultipleCopies() else max(printer.copyCount(), 1)
    if printer.collateCopies():
        return pages * copies
    return [page for page in pages for _copy in range(copies)]


def print_to_printer(printer: QPrinter, pdf_bytes: bytes, title: str, progress: Progress | None = None) -> int:
    """Print on a chosen printer; the number of pages sent (0 if the printer refused or it was stopped).

    ``progress(done, total)`` is called before each page; returning False stops the job.
    """
    document, buffer = load_document(pdf_bytes)
    try:
        if document.status() != QPdfDocument.Status.Ready or document.pageCount() == 0:
            return 0
        pages = _pages_to_print(printer, document.pageCount())
        if not pages:
            return 0
        printer.setDocName(title)
        printer.setFullPage(True)  # the PDF carries its own margins
        painter = QPainter()
        if not painter.begin(printer):
            return 0
        dpi = min(printer.resolution(), MAX_RENDER_DPI)
        try:
            for index, page in enumerate(pages):
                if progress is not None and not progress(index, len(pages)):
                    printer.abort()
                    return 0
                if index and not printer.newPage():
                    return index
                target = printer.pageLayout().fullRectPixels(printer.resolution())
                points = document.pagePointSize(page)
                size = QSize(max(round(points.width() * dpi / 72), 1), max(round(points.height() * dpi / 72), 1))
                image = render_page(document, page, size)
                painter.drawImage(_fit(size, target), image)
            if progress is not None:
                progress(len(pages), len(pages))
            return len(pages)
        finally:
            painter.end()
    finally:
        document.close()
        buffer.close()


def _fit(size: QSize, target: QRect) -> QRect:
    """``size`` scaled to fit ``target`` and centred in it, keeping its proportions."""
    scaled = size.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
    return QRect(
        target.x() + (target.width() - scaled.width()) // 2,
        target.y() + (target.height() - scaled.height()) // 2,
        scaled.width(),
        scaled.height(),
    )


def print_pdf(parent: QWidget | None, pdf_bytes: bytes, title: str) -> bool:
    """Open the print dialog and print; True once printed, False if cancelled or failed."""
    printer = ask_printer(parent)
    if printer is None:
        return False
    return print_on(parent, printer, pdf_bytes, title)


def print_on(parent: QWidget | None, printer: QPrinter, pdf_bytes: bytes, title: str) -> bool:
    """``print_to_printer`` with a wait cursor, a progress bar for longer jobs, and a message on failure."""
    dialog: QProgressDialog | None = None
    stopped = False

    def progress(done: int, total: int) -> bool:
        nonlocal dialog, stopped
        if dialog is None and total >= PROGRESS_FROM_PAGES:
            dialog = QProgressDialog(f"Printing {title}…", "&Stop printing", 0, total, parent)
            dialog.setObjectName("printProgress")
            dialog.setWindowTitle("Print")
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(0)
        if dialog is not None:
            dialog.setLabelText(f"Printing {title}: page {min(done + 1, total)} of {total}…")
            dialog.setValue(done)  # a modal progress dialog keeps the window painted
            stopped = dialog.wasCanceled()
        return not stopped

    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        printed = print_to_printer(printer, pdf_bytes, title, progress)
    finally:
        QGuiApplication.restoreOverrideCursor()
        if dialog is not None:
            dialog.close()
            dialog.deleteLater()
    if stopped:
        return False
    if not printed:
        _warn(
            parent,
            "Print",
            f"{title} could not be printed: the printer did not accept it. "
            "Check the printer and try again, or save it as a PDF.",
        )
    return bool(printed)


# -- saving ------------------------------------------------------------------------------
def save_pdf(parent: QWidget | None, pdf_bytes: bytes, suggested_name: str) -> Path | None:
    """Ask where, then write the exact bytes; the path written, or None if cancelled or failed."""
    chosen = ask_save_path(parent, suggested_name)
    if not chosen:
        return None
    return write_pdf(parent, chosen, pdf_bytes)


def pdf_path(chosen: str) -> Path:
    """The chosen path, with ".pdf" added when no extension was typed."""
    path = Path(chosen)
    return path if path.suffix else path.with_suffix(".pdf")


def write_pdf(parent: QWidget | None, chosen: str, pdf_bytes: bytes) -> Path | None:
    path = pdf_path(chosen)
    try:
        write_private(path, pdf_bytes)  # (OFFICIAL-SENSITIVE: owner only)
    except OSError as error:
        reason = error.strerror or str(error)
        _warn(
            parent,
            "Save as PDF",
            f"The PDF could not be saved to {path}: {reason}. "
            "Choose another folder (one you can write to) and try again.",
        )
        return None
    return path


def _warn(parent: QWidget | None, title: str, text: str) -> None:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
