"""Letters and notices in the GUI: preview, issue and print, save, reprint, and the day's batches.

The system print and save dialogs are replaced (there is no print server here):
the fake print dialog hands back a QPrinter writing a PDF file in tmp_path, so
what was "printed" can be counted page by page.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re
import shutil
import stat
import subprocess
import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.ui import dialogs, pdf_output, progress
from diversion_desktop.ui.appointments_view import AppointmentsView
from diversion_desktop.ui.pdf_preview import PdfPreviewDialog
from diversion_desktop.ui.referral_page import ReferralPage
from tests.ui.conftest_views import (  # noqa: F401 - fixtures are used by name
    FIXED_NOW,
    TODAY,
    WINDSOR,
    book,
    click,
    column_texts,
    missed_twice,
    open_message_boxes,
    page,
    record,
    refer,
    views_ctx,
    views_runner,
    views_settings,
    wait_idle,
)

DOCUMENT, STATE = 0, 1  # due documents
ISSUED, ISSUED_DOCUMENT, ISSUED_TO = 0, 1, 2  # issued documents


# -- stand-ins for the system dialogs -----------------------------------------------------------
class FakePrintDialog:
    """Answers the print dialog: a printer writing a PDF file, or None (cancelled)."""

    def __init__(
        self, folder: Path, answer: bool = True, mode: QPrinter.PrinterMode = QPrinter.PrinterMode.ScreenResolution
    ) -> None:
        self.folder = folder
        self.answer = answer
        self.mode = mode
        self.asked: list[QWidget | None] = []
        self.outputs: list[Path] = []

    def __call__(self, parent: QWidget | None) -> QPrinter | None:
        self.asked.append(parent)
        if not self.answer:
            return None
        path = self.folder / f"printed-{len(self.asked)}.pdf"
        printer = QPrinter(self.mode)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        self.outputs.append(path)
        return printer


class FakeSaveDialog:
    def __init__(self, *paths: Path | str) -> None:
        self.paths = [str(p) for p in paths]
        self.suggested: list[str] = []

    def __call__(self, _parent: QWidget | None, suggested_name: str) -> str:
        self.suggested.append(suggested_name)
        return self.paths.pop(0) if self.paths else ""


def pdf_pages(path: Path) -> int:
    """Pages of a PDF file, by pdfinfo when installed, else by counting its page objects."""
    assert path.exists() and path.stat().st_size > 0, f"{path} was not written"
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes()))


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture
def printer_dialog(monkeypatch, tmp_path):
    fake = FakePrintDialog(tmp_path)
    monkeypatch.setattr(pdf_output, "ask_printer", fake)
    return fake


def show(qtbot, page: ReferralPage, referral_id: int) -> None:
    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        page.show_referral(referral_id)


def open_preview(qtbot, page: ReferralPage) -> PdfPreviewDialog:
    with qtbot.waitSignal(page.documents.sig_preview_shown, timeout=10000) as shown:
        click(qtbot, page.documents.preview_button)
    dialog = shown.args[0]
    assert dialog.isVisible()
    return dialog


def due_texts(page: ReferralPage, column: int) -> list[str]:
    return column_texts(page.documents.due_table, column)


# -- the referral page -----------------------------------------------------------------------
def test_a_saved_referral_offers_its_letter_and_preview_stores_nothing(qtbot, page, views_ctx):
    saved = refer(views_ctx, surname="Preview", forenames="Pat")
    service = DocumentService(views_ctx)
    show(qtbot, page, saved.id)
    panel = page.documents
    assert panel.isVisible() and not panel.visibleRegion().isEmpty()  # in view, first on the left
    assert panel.title() == "Documents — 1 to issue"
    assert due_texts(page, DOCUMENT) == ["Referral letter\nto Pat Preview"]
    assert due_texts(page, STATE) == ["Not yet issued"]
    assert panel.selected_due().due.kind == "referral_letter"
    assert panel.nothing_issued.isVisible()
    assert not panel.reprint_button.isEnabled()
    assert panel.due_table.accessibleName() == "Due documents"
    timeline_before = column_texts(page.timeline_table, 1)

    dialog = open_preview(qtbot, page)
    expected = service.preview(saved.id, "referral_letter")
    assert dialog.page_count() == expected.page_count >= 1
    assert dialog.page_label.text() == f"Page 1 of {expected.page_count}"
    assert dialog.windowTitle() == f"{expected.title} — preview"
    assert "nothing has been kept" in dialog.note.text()
    assert dialog.print_button.text() == "Issue and &print…"

    # Paging through with the buttons.
    if expected.page_count > 1:
        click(qtbot, dialog.next_button)
        assert dialog.page_label.text() == f"Page 2 of {expected.page_count}"
        click(qtbot, dialog.previous_button)
        assert dialog.page_label.text() == f"Page 1 of {expected.page_count}"

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: panel.preview_dialog is None)
    assert service.issued_for(saved.id) == []  # a preview keeps nothing
    assert ReferralService(views_ctx).detail(saved.id).timeline[-1].kind == "decision"
    assert column_texts(page.timeline_table, 1) == timeline_before
    assert "was not issued" in panel.status.text()


def test_issue_and_print_asks_for_the_printer_prints_every_page_and_shows_it_issued(
    qtbot,
    page,
    views_ctx,
    views_runner,
    monkeypatch,
    tmp_path,
) -> None:
    fake = FakePrintDialog(tmp_path, mode=QPrinter.PrinterMode.HighResolution)  # as the real dialog gives
    monkeypatch.setattr(pdf_output, "ask_printer", fake)
    saved = refer(views_ctx, surname="Printer", forenames="Pia")
    service = DocumentService(views_ctx)
    show(qtbot, page, saved.id)

    with qtbot.waitSignal(page.sig_loaded, timeout=20000):
        click(qtbot, page.documents.issue_print_button)
    assert fake.asked == [page.documents]
    [issued] = service.issued_for(saved.id)
    assert issued.kind == "referral_letter" and issued.issued_by == "tester"
    assert pdf_pages(fake.outputs[0]) == issued.page_count
    assert due_texts(page, STATE) == ["Issued 10/03/2026 12:00\nby tester"]
    assert page.documents.title() == "Documents"
    assert column_texts(page.documents.issued_table, ISSUED_DOCUMENT) == [
        f"Referral letter\n{issued.document_reference}"
    ]
    assert column_texts(page.documents.issued_table, ISSUED_TO) == ["Pia Printer"]
    assert column_texts(page.timeline_table, 1)[-1] == "Document"
    assert "sent it to the printer" in page.message.text()
    wait_idle(qtbot, views_runner)


def _answer_the_question(qtbot, button_text: str) -> list[str]:
    """Click ``button_text`` in the question when it opens (it is modal); what it said is returned."""
    said: list[str] = []
    tries = iter(range(250))  # five seconds, then give up (the test then fails on what it sees)

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            if next(tries, None) is not None:
                QTimer.singleShot(20, answer)
            return
        said.append(f"{box.windowTitle()}\n{box.text()}")
        button = next(b for b in box.buttons() if b.text().replace("&", "") == button_text)
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, answer)
    return said


@pytest.mark.parametrize("answer", ["Do not issue", "Issue anyway"])
def test_a_letter_to_a_person_with_no_postal_address_asks_issue_anyway_first(
    qtbot,
    page,
    views_ctx,
    views_runner,
    printer_dialog,
    answer,
) -> None:
    saved = refer(views_ctx, surname="Nofixed", forenames="Nia", address="")
    service = DocumentService(views_ctx)
    show(qtbot, page, saved.id)
    assert due_texts(page, STATE) == ["Not yet issued (no postal address)"]

    said = _answer_the_question(qtbot, answer)
    if answer == "Do not issue":
        click(qtbot, page.documents.issue_print_button)
        qtbot.waitUntil(lambda: bool(said))
        assert printer_dialog.asked == [], "nothing asked or issued after No"
        assert service.issued_for(saved.id) == []
        assert "Not issued" in page.documents.status.text()
    else:
        with qtbot.waitSignal(page.sig_loaded, timeout=20000):
            click(qtbot, page.documents.issue_print_button)
        assert len(printer_dialog.asked) == 1
        assert [i.kind for i in service.issued_for(saved.id)] == ["referral_letter"]
    assert said[0].startswith("Issue anyway?\nNia Nofixed has no postal address recorded")
    assert said[0].endswith("Issue the referral letter anyway?")
    wait_idle(qtbot, views_runner)


def test_a_letter_to_a_person_with_an_address_asks_no_question(
    qtbot, page, views_ctx, views_runner, printer_dialog
) -> None:
    saved = refer(views_ctx, surname="Housed")
    show(qtbot, page, saved.id)
    assert due_texts(page, STATE) == ["Not yet issued"]
    with qtbot.waitSignal(page.sig_loaded, timeout=20000):
        click(qtbot, page.documents.issue_print_button)
    assert len(printer_dialog.asked) == 1 and open_message_boxes(page) == []
    wait_idle(qtbot, views_runner)


def test_issue_and_print_from_the_preview(qtbot, page, views_ctx, printer_dialog):
    saved = refer(views_ctx, surname="Fromview")
    show(qtbot, page, saved.id)
    dialog = open_preview(qtbot, page)
    with qtbot.waitSignal(page.sig_loaded, timeout=20000):
        qtbot.keyClick(dialog, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Ctrl+P
    assert printer_dialog.asked == [dialog]
    qtbot.waitUntil(lambda: page.documents.preview_dialog is None)
    [issued] = DocumentService(views_ctx).issued_for(saved.id)
    assert pdf_pages(printer_dialog.outputs[0]) == issued.page_count


def test_cancelling_the_print_dialog_issues_nothing(qtbot, page, views_ctx, monkeypatch, tmp_path):
    fake = FakePrintDialog(tmp_path, answer=False)
    monkeypatch.setattr(pdf_output, "ask_printer", fake)
    saved = refer(views_ctx, surname="Cancel")
    show(qtbot, page, saved.id)
    click(qtbot, page.documents.issue_print_button)
    assert len(fake.asked) == 1
    assert DocumentService(views_ctx).issued_for(saved.id) == []
    assert page.documents.status.text() == "Not issued: printing the referral letter was cancelled."
    assert due_texts(page, STATE) == ["Not yet issued"]


def test_issue_and_save_then_reprint_and_save_again_give_the_identical_pdf(
    qtbot,
    page,
    views_ctx,
    views_runner,
    monkeypatch,
    printer_dialog,
    tmp_path,
) -> None:
    saved = refer(views_ctx, surname="Copy", forenames="Cas")
    service = DocumentService(views_ctx)
    show(qtbot, page, saved.id)
    save = FakeSaveDialog(tmp_path / "issued", tmp_path / "again.pdf")  # ".pdf" is added when not typed
    monkeypatch.setattr(pdf_output, "ask_save_path", save)

    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        click(qtbot, page.documents.issue_save_button)
    assert save.suggested == [f"{saved.reference}-RL.pdf"]  # the reference printed on the letter
    [issued] = service.issued_for(saved.id)
    first = (tmp_path / "issued.pdf").read_bytes()
    info, stored = service.stored(issued.id)
    assert first == stored.content  # what was saved is what was kept
    assert info.sha256 == issued.sha256
    assert f"saved it as {tmp_path / 'issued.pdf'}" in page.message.text()
    if os.name == "posix":  # OFFICIAL-SENSITIVE: readable by its owner only (Windows: the folder's access list)
        assert stat.S_IMODE((tmp_path / "issued.pdf").stat().st_mode) == 0o600
    # Issued once: it cannot be issued again as a new document, only copied from Issued documents.
    panel = page.documents
    assert panel.select_due("referral_letter")
    assert panel.preview_button.isEnabled()
    assert not panel.issue_save_button.isEnabled() and not panel.issue_print_button.isEnabled()
    assert "Reprint" in panel.issue_save_button.toolTip()
    panel.issue_and_save()  # (as the preview's own Issue button would ask)
    assert len(service.issued_for(saved.id)) == 1 and "issued already" in panel.status.text()
    panel.issued_table.selectRow(0)

    # Save as PDF… from the issued list: a reprint is byte-identical and issues nothing new.
    assert panel.selected_issued().id == issued.id
    click(qtbot, panel.save_copy_button)
    wait_idle(qtbot, views_runner)
    assert save.suggested[-1] == f"{issued.document_reference}.pdf"
    assert (tmp_path / "again.pdf").read_bytes() == first
    assert panel.status.text() == f"Saved {issued.document_reference} as {tmp_path / 'again.pdf'}."

    # Reprint…: the print dialog, then every page of the stored PDF.
    click(qtbot, panel.reprint_button)
    wait_idle(qtbot, views_runner)
    assert pdf_pages(printer_dialog.outputs[-1]) == issued.page_count
    assert panel.status.text().startswith(f"Reprinted {issued.document_reference}")

    # Open: the issued document in the preview, exactly as issued, with Reprint….
    with qtbot.waitSignal(panel.sig_preview_shown, timeout=10000) as shown:
        click(qtbot, panel.open_issued_button)
    dialog = shown.args[0]
    assert dialog.content == first
    assert dialog.print_button.text() == "&Reprint…"
    assert dialog.page_label.text() == f"Page 1 of {issued.page_count}"
    with qtbot.waitSignal(dialog.sig_printed, timeout=10000):
        click(qtbot, dialog.print_button)
    assert pdf_pages(printer_dialog.outputs[-1]) == issued.page_count
    dialog.close()
    assert len(service.issued_for(saved.id)) == 1


def test_a_file_that_cannot_be_written_is_said_plainly(
    qtbot, page, views_ctx, views_runner, monkeypatch, tmp_path
) -> None:
    saved = refer(views_ctx, surname="Nowhere")
    DocumentService(views_ctx).issue(saved.id, "referral_letter")
    show(qtbot, page, saved.id)
    monkeypatch.setattr(pdf_output, "ask_save_path", FakeSaveDialog(tmp_path / "no such folder" / "x.pdf"))
    click(qtbot, page.documents.save_copy_button)
    wait_idle(qtbot, views_runner)
    boxes = [b for b in page.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    assert "could not be saved" in boxes[0].text() and "Choose another folder" in boxes[0].text()
    assert page.documents.status.text().endswith("was not saved.")


def test_a_youth_referral_offers_the_yot_notice_and_a_booking_its_appointment_letter(
    qtbot,
    page,
    views_ctx,
    views_runner,
) -> None:
    saved = refer(views_ctx, surname="Young", forenames="Yan", date_of_birth=date(2010, 1, 1))
    show(qtbot, page, saved.id)
    assert page.documents.title() == "Documents — 2 to issue"
    assert [t.split("\n")[0] for t in due_texts(page, DOCUMENT)] == [
        "Referral letter",
        "Notice to the Youth Offending Team",
    ]
    assert due_texts(page, DOCUMENT)[0] == "Referral letter\nto Yan Young (copy to Pat Guardian)"

    # Booking through the page's dialog: the appointment letter is offered at once.
    click(qtbot, page.book_button)
    dialog = page.book_dialog
    qtbot.keyClicks(dialog.when, "12/03/2026 10:30")
    with qtbot.waitSignal(page.sig_loaded, timeout=10000):
        click(qtbot, dialog.ok_button)
    wait_idle(qtbot, views_runner)
    assert page.documents.title() == "Documents — 3 to issue"
    assert "Appointment letter, 12/03/2026 10:30\nto Yan Young (copy to Pat Guardian)" in due_texts(page, DOCUMENT)


def test_issued_documents_go_below_those_still_to_issue(qtbot, page, views_ctx, printer_dialog):
    saved = refer(views_ctx, surname="Order", date_of_birth=date(2010, 1, 1))
    show(qtbot, page, saved.id)
    with qtbot.waitSignal(page.sig_loaded, timeout=20000):
        click(qtbot, page.documents.issue_print_button)  # the referral letter, selected first
    assert due_texts(page, STATE) == ["Not yet issued", "Issued 10/03/2026 12:00\nby tester"]
    assert due_texts(page, DOCUMENT)[0].startswith("Notice to the Youth Offending Team")
    assert page.documents.selected_due().due.kind == "yot_notice"  # the next one to issue


def test_confirming_a_next_step_offers_the_file_note_and_ineligibility_notice(
    qtbot,
    page,
    views_ctx,
    monkeypatch,
) -> None:
    saved = missed_twice(views_ctx, WINDSOR, surname="Absent")  # adult, deferred prosecution
    show(qtbot, page, saved.id)
    assert "Missed appointment notice" not in " ".join(due_texts(page, DOCUMENT))  # closed by the second miss
    monkeypatch.setattr(dialogs, "ask_confirmation", lambda *_args: True)
    with qtbot.waitSignal(page.sig_changed, timeout=10000):
        click(qtbot, page.confirm_button)
    qtbot.waitUntil(lambda: "Prosecution file note" in " ".join(due_texts(page, DOCUMENT)), timeout=10000)
    titles = [t.split("\n")[0] for t in due_texts(page, DOCUMENT)]
    assert titles[:3] == ["Referral letter", "Prosecution file note", "Future ineligibility notice"]
    assert due_texts(page, DOCUMENT)[1] == "Prosecution file note\nto Police case file"


def test_the_preview_and_the_panel_suggest_the_same_file_name(qtbot, page, views_ctx, monkeypatch) -> None:
    """Saving from the preview or straight from the panel suggests one name: the document's
    reference, as printed on it."""
    saved = refer(views_ctx, surname="Named")
    when = datetime.combine(TODAY + timedelta(days=2), time(10))
    appointment = book(views_ctx, saved.id, when)
    save = FakeSaveDialog()  # cancels each time: nothing is issued
    monkeypatch.setattr(pdf_output, "ask_save_path", save)
    show(qtbot, page, saved.id)
    panel = page.documents
    for kind, appointment_id, name in (
        ("referral_letter", None, f"{saved.reference}-RL.pdf"),
        ("appointment_letter", appointment, f"{saved.reference}-AP{appointment}.pdf"),
    ):
        assert panel.select_due(kind, appointment_id)
        preview = open_preview(qtbot, page)
        click(qtbot, preview.save_button)
        preview.reject()
        click(qtbot, panel.issue_save_button)
        assert save.suggested == [name, name] and "cancelled" in panel.status.text()
        save.suggested.clear()
    assert DocumentService(views_ctx).issued_for(saved.id) == []


def test_a_missed_appointment_offers_its_notice(qtbot, page, views_ctx):
    saved = refer(views_ctx, surname="Once", taken=FIXED_NOW - timedelta(days=3))
    when = datetime.combine(TODAY - timedelta(days=1), time(10))
    appointment = book(views_ctx, saved.id, when, booked_at=when - timedelta(hours=5))
    record(views_ctx, appointment, Attendance.NOT_ATTENDED, when + timedelta(hours=1))
    show(qtbot, page, saved.id)
    assert any(t.startswith("Missed appointment notice") for t in due_texts(page, DOCUMENT))


# -- the preview dialog on its own ----------------------------------------------------------------
def test_the_preview_dialog_prints_and_saves_what_it_shows(
    qtbot, views_ctx, printer_dialog, monkeypatch, tmp_path
) -> None:
    saved = refer(views_ctx, surname="Dialog")
    pdf = DocumentService(views_ctx).preview(saved.id, "referral_letter")
    dialog = PdfPreviewDialog(pdf.content, pdf.title, pdf.file_name)
    qtbot.addWidget(dialog)
    requested = []
    dialog.sig_print_requested.connect(lambda: requested.append("print"))
    dialog.show()
    assert dialog.page_label.text() == f"Page 1 of {pdf.page_count}"
    assert dialog.close_button.text() == "&Close"
    with qtbot.waitSignal(dialog.sig_printed, timeout=10000):
        click(qtbot, dialog.print_button)
    assert requested == ["print"]
    assert pdf_pages(printer_dialog.outputs[0]) == pdf.page_count

    save = FakeSaveDialog(tmp_path / "letter.pdf")
    monkeypatch.setattr(pdf_output, "ask_save_path", save)
    with qtbot.waitSignal(dialog.sig_saved, timeout=10000) as saved_signal:
        click(qtbot, dialog.save_button)
    assert save.suggested == [pdf.file_name]
    assert saved_signal.args == [str(tmp_path / "letter.pdf")]
    assert (tmp_path / "letter.pdf").read_bytes() == pdf.content

    # Copies chosen in the print dialog are made here when the printer cannot make them.
    printer = printer_dialog(None)
    printer.setCopyCount(2)
    assert pdf_output.print_to_printer(printer, pdf.content, pdf.title) == 2 * pdf.page_count
    assert pdf_pages(printer_dialog.outputs[-1]) == 2 * pdf.page_count


def test_a_rendered_page_is_on_white(qtbot, views_ctx):
    saved = refer(views_ctx, surname="White")
    pdf = DocumentService(views_ctx).preview(saved.id, "referral_letter")
    document, _buffer = pdf_output.load_document(pdf.content)
    image = pdf_output.render_page(document, 0, QSize(120, 170))
    assert not image.hasAlphaChannel()
    assert image.pixelColor(2, 2).name() == "#ffffff"


def three_pages() -> bytes:
    from io import BytesIO

    from reportlab.pdfgen import canvas

    out = BytesIO()
    pdf = canvas.Canvas(out)
    for number in (1, 2, 3):
        pdf.drawString(100, 700, f"Page {number}")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def test_a_longer_print_job_shows_its_progress_and_can_be_stopped(qtbot, printer_dialog, monkeypatch):
    parent = QWidget()
    qtbot.addWidget(parent)
    seen: list[int] = []
    original = QProgressDialog.setValue
    monkeypatch.setattr(QProgressDialog, "setValue", lambda self, value: (seen.append(value), original(self, value)))
    assert pdf_output.print_on(parent, printer_dialog(parent), three_pages(), "Three pages")
    assert seen == [0, 1, 2, 3]
    assert pdf_pages(printer_dialog.outputs[-1]) == 3

    monkeypatch.setattr(QProgressDialog, "wasCanceled", lambda self: True)  # "Stop printing"
    assert not pdf_output.print_on(parent, printer_dialog(parent), three_pages(), "Three pages")
    assert not [b for b in parent.findChildren(QMessageBox) if b.isVisible()]  # stopping is no failure


# -- batches from the appointments view -----------------------------------------------------------
@pytest.fixture
def view(qtbot, views_ctx, views_runner, views_settings):
    views_settings.last_centre = "newbury"
    widget = AppointmentsView(views_ctx, views_runner, views_settings)
    qtbot.addWidget(widget)
    widget.resize(1100, 600)
    with qtbot.waitActive(widget):
        widget.show()
    wait_idle(qtbot, views_runner)
    return widget


def test_print_letters_for_this_day_issues_them_and_prints_one_merged_pdf(
    qtbot,
    view,
    views_ctx,
    views_runner,
    printer_dialog,
    monkeypatch,
) -> None:
    tomorrow = TODAY + timedelta(days=1)
    people = [refer(views_ctx, surname=name) for name in ("Ash", "Birch")]
    for hour, saved in zip((10, 11), people, strict=True):
        book(views_ctx, saved.id, datetime.combine(tomorrow, time(hour)), "newbury")
    elsewhere = refer(views_ctx, surname="Elm")
    book(views_ctx, elsewhere.id, datetime.combine(tomorrow, time(10)), "thatcham")

    threads: list[bool] = []
    original = progress.ProgressRelay._show  # (the one relay of progress: ui/progress.py)

    def spy(relay, done: int, total: int) -> None:
        threads.append(threading.current_thread() is threading.main_thread())
        original(relay, done, total)

    monkeypatch.setattr(progress.ProgressRelay, "_show", spy)
    click(qtbot, view.next_button)
    wait_idle(qtbot, views_runner)
    with qtbot.waitSignal(view.sig_batch_shown, timeout=20000) as shown:
        click(qtbot, view.letters_button)
    dialog = shown.args[0]
    assert dialog is not None and dialog.isVisible()
    assert threads and all(threads)  # progress reached the bar on the GUI thread

    service = DocumentService(views_ctx)
    letters = [service.issued_for(p.id) for p in people]
    assert [[i.kind for i in issued] for issued in letters] == [["appointment_letter"]] * 2
    assert service.issued_for(elsewhere.id) == []  # another centre
    pages = sum(issued[0].page_count for issued in letters)
    assert dialog.page_count() == pages
    assert dialog.page_label.text() == f"Page 1 of {pages}"
    assert "2 document(s) for 2 referral(s)" in dialog.note.text()

    with qtbot.waitSignal(dialog.sig_printed, timeout=20000):
        click(qtbot, dialog.print_button)
    assert pdf_pages(printer_dialog.outputs[0]) == pages
    dialog.close()

    # Again: the same letters, reused rather than issued twice.
    with qtbot.waitSignal(view.sig_batch_shown, timeout=20000) as again:
        click(qtbot, view.letters_button)
    again.args[0].close()
    assert [len(service.issued_for(p.id)) for p in people] == [1, 1]


def test_a_day_with_no_letters_says_so(qtbot, view, views_runner):
    with qtbot.waitSignal(view.sig_batch_shown, timeout=10000) as shown:
        click(qtbot, view.letters_button)
    assert shown.args == [None]
    boxes = [b for b in view.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1 and boxes[0].text().startswith("Nothing to print")
    assert view.letters_button.isEnabled()


def test_missed_appointment_notices_of_the_day(qtbot, view, views_ctx, views_runner):
    saved = refer(views_ctx, surname="Missed", taken=FIXED_NOW.replace(hour=8))
    appointment = book(views_ctx, saved.id, FIXED_NOW.replace(hour=9), "newbury", booked_at=FIXED_NOW.replace(hour=8))
    record(views_ctx, appointment, Attendance.NOT_ATTENDED, FIXED_NOW.replace(hour=10))
    with qtbot.waitSignal(view.sig_batch_shown, timeout=20000) as shown:
        view.print_missed_notices(TODAY)
    dialog = shown.args[0]
    [issued] = DocumentService(views_ctx).issued_for(saved.id)
    assert issued.kind == "missed_appointment_notice"
    assert dialog.page_count() == issued.page_count
    assert dialog.windowTitle().startswith("Missed appointment notices, 10/03/2026")
    dialog.close()
