"""A PDF shown inside the app, page by page, with Print…, Save as PDF… and Close.

The dialog is generic: it is given the bytes, a title and a file name. By
default Print… and Save as PDF… act on the bytes shown (through
``pdf_output``). A caller whose document is not issued yet passes
``handle_output=False`` and its own button texts ("Issue and print…"): the
buttons then only emit ``sig_print_requested`` / ``sig_save_requested`` and the
caller issues the document first.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.ui import pdf_output

_ZOOM_STEP = 1.25


class PdfPreviewDialog(QDialog):
    sig_print_requested = Signal()
    sig_save_requested = Signal()
    sig_printed = Signal()  # printed by the dialog itself (handle_output=True)
    sig_saved = Signal(str)  # the path written by the dialog itself

    def __init__(
        self,
        content: bytes,
        title: str,
        file_name: str,
        parent: QWidget | None = None,
        *,
        note: str = "",
        handle_output: bool = True,
        print_text: str = "&Print…",
        save_text: str = "Save as P&DF…",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreviewDialog")
        self.setWindowTitle(f"{title} — preview")
        self.content = content
        self.title_text = title
        self.file_name = file_name
        self.handle_output = handle_output
        self.document, self._buffer = pdf_output.load_document(content, self)
        self._build(note, print_text, save_text)
        self._show_page(0)
        self._size_to_screen()

    # -- layout ------------------------------------------------------------------------
    def _build(self, note: str, print_text: str, save_text: str) -> None:
        self.heading = QLabel(self.title_text)
        self.heading.setObjectName("previewTitle")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.heading.setFont(font)
        self.note = QLabel(note)
        self.note.setObjectName("previewNote")
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("QLabel { background: #fff4e0; border: 1px solid #e0b060; padding: 4px; }")
        self.note.setVisible(bool(note))

        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setAccessibleName(f"{self.title_text}, {self.page_count()} page(s)")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        self.view.setStyleSheet("QPdfView { background: #8a8a8a; }")
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.view.pageNavigator().currentPageChanged.connect(self._show_page)

        self.previous_button = QPushButton("Pre&vious page")
        self.previous_button.setObjectName("previousPageButton")
        self.previous_button.setToolTip("Previous page (Page Up)")
        self.previous_button.clicked.connect(lambda: self.go_to_page(self.current_page() - 1))
        self.next_button = QPushButton("&Next page")
        self.next_button.setObjectName("nextPageButton")
        self.next_button.setToolTip("Next page (Page Down)")
        self.next_button.clicked.connect(lambda: self.go_to_page(self.current_page() + 1))
        self.page_label = QLabel()
        self.page_label.setObjectName("pageLabel")
        self.page_label.setAccessibleName("Page")
        self.zoom_label = QLabel("Zoom: Ctrl++ / Ctrl+-, fit the width: Ctrl+0")
        self.zoom_label.setStyleSheet("color: #555;")
        pages = QHBoxLayout()
        pages.addWidget(self.previous_button)
        pages.addWidget(self.next_button)
        pages.addSpacing(12)
        pages.addWidget(self.page_label)
        pages.addStretch(1)
        pages.addWidget(self.zoom_label)

        self.buttons = QDialogButtonBox()
        self.print_button = self.buttons.addButton(print_text, QDialogButtonBox.ButtonRole.ActionRole)
        self.print_button.setObjectName("printButton")
        self.print_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
        self.print_button.setToolTip(f"{print_text.replace('&', '')} (Ctrl+P)")
        self.print_button.clicked.connect(self.request_print)
        self.save_button = self.buttons.addButton(save_text, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(self.request_save)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setObjectName("closeButton")
        self.close_button.setText("&Close")
        self.buttons.rejected.connect(self.reject)

        for keys, slot in (
            ((QKeySequence.StandardKey.ZoomIn, "Ctrl+="), lambda: self.zoom(_ZOOM_STEP)),
            ((QKeySequence.StandardKey.ZoomOut,), lambda: self.zoom(1 / _ZOOM_STEP)),
            (("Ctrl+0",), self.fit_width),
        ):
            for key in keys:
                QShortcut(QKeySequence(key), self, activated=slot)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)
        layout.addLayout(pages)
        layout.addWidget(self.buttons)
        self.view.setFocus()

    def _size_to_screen(self) -> None:
        """A4 proportions at a readable width, within the screen."""
        width, height = 760, 900
        screen = self.screen() or (self.parentWidget().screen() if self.parentWidget() else None)
        if screen is not None:
            room = screen.availableGeometry()
            width, height = min(width, room.width() - 40), min(height, room.height() - 60)
        self.resize(max(width, 480), max(height, 400))

    def add_button(self, text: str, callback: Callable[[], None], name: str = "") -> QPushButton:
        """Another action next to Print… and Save as PDF…."""
        button = self.buttons.addButton(text, QDialogButtonBox.ButtonRole.ActionRole)
        if name:
            button.setObjectName(name)
        button.clicked.connect(callback)
        return button

    # -- pages -------------------------------------------------------------------------
    def page_count(self) -> int:
        return self.document.pageCount() if self.document.status() == QPdfDocument.Status.Ready else 0

    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage()

    def go_to_page(self, page: int) -> None:
        """Show page ``page`` (zero-based) at the top of the view."""
        if self.page_count() == 0:
            return
        page = max(0, min(page, self.page_count() - 1))
        navigator = self.view.pageNavigator()
        navigator.jump(page, QPointF(), navigator.currentZoom())
        self._show_page(page)

    def _show_page(self, page: int) -> None:
        count = self.page_count()
        if count == 0:
            self.page_label.setText("The document could not be shown.")
        else:
            self.page_label.setText(f"Page {min(page, count - 1) + 1} of {count}")
        self.previous_button.setEnabled(page > 0)
        self.next_button.setEnabled(page < count - 1)

    def zoom(self, factor: float) -> None:
        current = self.view.zoomFactor() if self.view.zoomMode() == QPdfView.ZoomMode.Custom else self._fit_factor()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(current * factor, 5.0)))

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def _fit_factor(self) -> float:
        if self.page_count() == 0:
            return 1.0
        points = self.document.pagePointSize(0)
        pixels_per_point = self.view.logicalDpiX() / 72
        return max(self.view.viewport().width() - 20, 50) / (points.width() * pixels_per_point)

    # -- output ------------------------------------------------------------------------
    def request_print(self) -> None:
        self.sig_print_requested.emit()
        if self.handle_output and pdf_output.print_pdf(self, self.content, self.title_text):
            self.sig_printed.emit()

    def request_save(self) -> None:
        self.sig_save_requested.emit()
        if self.handle_output:
            path = pdf_output.save_pdf(self, self.content, self.file_name)
            if path is not None:
                self.sig_saved.emit(str(path))

    def set_busy(self, busy: bool, message: str = "") -> None:
        """While the caller issues the document: the output buttons wait; a message says why."""
        self.print_button.setEnabled(not busy)
        self.save_button.setEnabled(not busy)
        if message:
            self.note.setText(message)
            self.note.setVisible(True)
