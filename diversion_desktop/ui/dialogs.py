"""Dialogs the appointments view, the referral page and the queues share.

- ``ask_confirmation``: the one yes/no question; tests replace it with monkeypatch.
- ``confirm_next_step``: asks a coordinator to confirm a proposed next step,
  stating its consequence in words (a consequence never takes effect by itself).
- ``BookAppointmentDialog`` and ``RebookDialog``: forms that never call a
  service themselves. They check what they can, emit ``sig_submitted`` with a
  request, and stay open; the view runs the service on the worker and then
  calls ``accept()`` or ``show_failure(error)``, which puts each message at its
  field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import SESSION_NOTES_LIMIT, SessionType
from diversion_desktop.domain.schemes import Centre, SchemeKind
from diversion_desktop.services.errors import ValidationError
from diversion_desktop.ui.tasks import error_text
from diversion_desktop.ui.widgets import DateTimeEdit, ErrorLabel, Field, add_field

if TYPE_CHECKING:  # named in annotations only: the DTOs take a tenth of the sign-in dialog's start
    from diversion_desktop.services.dto import AppointmentRow


# -- questions ---------------------------------------------------------------------------
def ask_confirmation(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question; "No" is the default so Enter never confirms by accident."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    box.setObjectName("confirmationDialog")
    yes = box.addButton("Confirm", QMessageBox.ButtonRole.YesRole)
    no = box.addButton("Cancel", QMessageBox.ButtonRole.NoRole)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is yes


def consequence_text(step: NextStep, person_name: str, reference: str, scheme_kind: str = "", pathway: str = "") -> str:
    """What confirming ``step`` does, in words, for the confirmation question and the page."""
    if step is NextStep.REPORT_FOR_PROSECUTION:
        return (
            f"{person_name} will be reported for the original offence: {reference} is marked for the "
            "case file (prosecution file note; a summons is likely). They will also be barred from any "
            "future diversion, in every area."
        )
    if step is NextStep.FUTURE_DIVERSION_BARRED:
        text = f"{person_name} will be barred from any future diversion, in every area."
        if scheme_kind == SchemeKind.DEFERRED_PROSECUTION and pathway == Pathway.YOUTH:
            text += " As an under-18, they will not be prosecuted for this offence."
        return text
    return f"{reference} will close with no further action."


def next_step_question(
    reference: str, person_name: str, proposed_step: str, reason: str, scheme_kind: str = "", pathway: str = ""
) -> str:
    step = NextStep(proposed_step)
    lines = [f"Proposed next step for {reference} ({person_name}): {step.label}."]
    if reason.strip():
        lines.append(f"Why: {reason.strip()}")
    lines.append("")
    lines.append("If you confirm: " + consequence_text(step, person_name, reference, scheme_kind, pathway))
    if step is not NextStep.NO_FURTHER_ACTION:
        lines.append(f"{reference} will be closed as not attended.")
    lines.append("Your name and the time are recorded with the confirmation, and it cannot be undone here.")
    lines.append("")
    lines.append("Confirm this next step?")
    return "\n".join(lines)


def confirm_next_step(
    parent: QWidget | None,
    reference: str,
    person_name: str,
    proposed_step: str,
    reason: str,
    scheme_kind: str = "",
    pathway: str = "",
) -> bool:
    """The question before ``ProgrammeService.confirm_next_step``; True to go ahead."""
    text = next_step_question(reference, person_name, proposed_step, reason, scheme_kind, pathway)
    return ask_confirmation(parent, "Confirm next step", text)


# -- forms -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BookingRequest:
    when: datetime
    centre_code: str
    session_type: SessionType
    worker: str
    confirmed: bool = False  # the user said "book anyway" to the booking rules' warnings


def confirm_close_booking(parent: QWidget | None, warnings: Sequence[str]) -> bool:
    """The question when the booking rules warn (domain/programme.py check_booking)."""
    return ask_confirmation(parent, "Book anyway?", "\n\n".join((*warnings, "Book this appointment anyway?")))


@dataclass(frozen=True)
class RebookRequest:
    reason: str
    new_time: datetime


class _SubmitDialog(QDialog):
    """A form with its fields, a general error line and OK/Cancel; it stays open until accepted."""

    sig_submitted = Signal(object)

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.fields: dict[str, Field] = {}
        self.busy = False
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.general_error = ErrorLabel()
        self.general_error.setObjectName("dialogError")
        self.general_error.setAccessibleName("Error")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.cancel_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.general_error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)

    def _add(self, name: str, label: str, widget: QWidget, required: bool = False) -> QWidget:
        widget.setObjectName(name)
        self.fields[name] = add_field(self.form, label, widget, required)
        return widget

    # -- what the owner calls ------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.buttons.setEnabled(not busy)
        if busy:
            self.general_error.show_message("")

    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message at its field; messages for no field go under the form."""
        general: list[str] = []
        for name, field in self.fields.items():
            field.set_error(errors.get(name, ""))
        for name, message in errors.items():
            if name not in self.fields:
                general.append(message)
        self.general_error.show_message("\n".join(general))
        for name, field in self.fields.items():
            if name in errors:
                field.widget.setFocus()
                break
        self._fit()

    def _fit(self) -> None:
        """Grow to show every message in full (error lines wrap)."""
        layout = self.layout()
        layout.activate()
        height = max(layout.totalHeightForWidth(self.width()), layout.totalMinimumSize().height())
        if height > self.height():
            self.resize(self.width(), height)

    def show_failure(self, error: BaseException) -> None:
        self.set_busy(False)
        if isinstance(error, ValidationError):
            self.show_errors(error.errors)
        else:
            self.show_errors({})
            self.general_error.show_message(error_text(error))
            self._fit()

    # -- QDialog --------------------------------------------------------------------------
    def submit(self) -> None:
        if self.busy:
            return
        request, errors = self._read()
        self.show_errors(errors)
        if request is not None and not errors:
            self.set_busy(True)
            self.sig_submitted.emit(request)

    def reject(self) -> None:
        if not self.busy:  # never close while the change is being saved
            super().reject()

    def _read(self) -> tuple[object | None, dict[str, str]]:
        raise NotImplementedError


def _moment_problem(edit: DateTimeEdit, missing: str) -> str:
    if not edit.text().strip():
        return missing
    return edit.problem()


class BookAppointmentDialog(_SubmitDialog):
    """Date and time, centre, session type and worker for a new appointment."""

    def __init__(
        self,
        reference: str,
        person_name: str,
        centres: Sequence[Centre],
        default_centre: str = "",
        session_type: SessionType = SessionType.ASSESSMENT,
        earliest: date | None = None,
        deadline: date | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Book appointment", "Book", parent)
        self.setObjectName("bookAppointmentDialog")
        window = []
        if earliest is not None:
            window.append(f"from {earliest:%d/%m/%Y}")
        if deadline is not None:
            window.append(f"by the deadline, {deadline:%d/%m/%Y}")
        self.intro.setText(
            f"Book an appointment for {person_name} ({reference})" + (f", {' and '.join(window)}." if window else ".")
        )
        self.when = self._add("scheduled_at", "Date and time", DateTimeEdit(), required=True)
        self.centre = QComboBox()
        for centre in centres:
            self.centre.addItem(centre.name + (" (youth)" if centre.youth else ""), centre.code)
        self.centre.setCurrentIndex(max(self.centre.findData(default_centre), 0))
        self._add("centre_code", "Centre", self.centre, required=True)
        self.session_type = QComboBox()
        for item in SessionType:
            self.session_type.addItem(item.label, item.value)
        self.session_type.setCurrentIndex(max(self.session_type.findData(session_type.value), 0))
        self._add("session_type", "Session type", self.session_type, required=True)
        self.worker = self._add("worker", "Worker", QLineEdit())
        self.when.setFocus()

    def _read(self) -> tuple[BookingRequest | None, dict[str, str]]:
        errors: dict[str, str] = {}
        problem = _moment_problem(self.when, "Enter the date and time of the appointment.")
        if problem:
            errors["scheduled_at"] = problem
        if not self.centre.currentData():
            errors["centre_code"] = "Choose the centre."
        when = self.when.value()
        if errors or when is None:
            return None, errors
        return BookingRequest(
            when=when,
            centre_code=self.centre.currentData(),
            session_type=SessionType(self.session_type.currentData()),
            worker=self.worker.text().strip(),
        ), errors


class RebookDialog(_SubmitDialog):
    """The reason for rebooking and the new date and time; both required."""

    def __init__(self, appointment: AppointmentRow, rebookings_note: str = "", parent: QWidget | None = None) -> None:
        super().__init__("Rebook appointment", "Rebook", parent)
        self.setObjectName("rebookDialog")
        self.appointment = appointment
        self.intro.setText(
            f"Rebook the appointment of {appointment.person_name} ({appointment.referral_reference}) "
            f"on {appointment.scheduled_at:%d/%m/%Y at %H:%M}." + (f" {rebookings_note}" if rebookings_note else "")
        )
        self.reason = self._add("rebook_reason", "Reason for rebooking", QLineEdit(), required=True)
        self.new_time = self._add("new_time", "New date and time", DateTimeEdit(), required=True)
        self.reason.setFocus()

    def _read(self) -> tuple[RebookRequest | None, dict[str, str]]:
        errors: dict[str, str] = {}
        if not self.reason.text().strip():
            errors["rebook_reason"] = "Give the reason for rebooking."
        problem = _moment_problem(self.new_time, "Choose the new date and time.")
        if problem:
            errors["new_time"] = problem
        new_time = self.new_time.value()
        if errors or new_time is None:
            return None, errors
        return RebookRequest(reason=self.reason.text().strip(), new_time=new_time), errors


class SessionNotesDialog(_SubmitDialog):
    """The support worker's notes of one session (clinical: never shown to police roles)."""

    def __init__(self, appointment: AppointmentRow, parent: QWidget | None = None) -> None:
        super().__init__("Session notes", "Save notes", parent)
        self.setObjectName("sessionNotesDialog")
        self.appointment = appointment
        self.intro.setText(
            f"Notes of the session of {appointment.person_name} ({appointment.referral_reference}) "
            f"on {appointment.scheduled_at:%d/%m/%Y at %H:%M}. Police users cannot read them."
        )
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)  # Tab moves on to the buttons, as in every other form
        self.notes.setPlainText(appointment.session_notes)
        self._add("session_notes", "Notes", self.notes)
        self.notes.setFocus()

    def _read(self) -> tuple[str | None, dict[str, str]]:
        text = self.notes.toPlainText().strip()
        if len(text) > SESSION_NOTES_LIMIT:
            return None, {
                "session_notes": f"Session notes are at most {SESSION_NOTES_LIMIT:,} characters ({len(text):,} typed)."
            }
        return text, {}
