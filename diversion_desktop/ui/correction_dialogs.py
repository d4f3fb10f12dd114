"""The two questions of a correction (issue 13 §4): what the attendance should have been and why,
and why a confirmed next step is withdrawn. Each stays open until the service has accepted it,
and shows the service's refusal at its field."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QPlainTextEdit, QWidget

from diversion_desktop.domain.corrections import CORRECTED_TO, REASON_LIMIT
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import Attendance, SessionType
from diversion_desktop.services.dto import AppointmentRow
from diversion_desktop.ui.dialogs import _SubmitDialog


@dataclass(frozen=True)
class CorrectionRequest:
    attendance: Attendance
    reason: str


def _reason_edit() -> QPlainTextEdit:
    edit = QPlainTextEdit()
    edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
    edit.setFixedHeight(80)
    return edit


def _reason_problem(text: str, missing: str) -> str:
    if not text:
        return missing
    if len(text) > REASON_LIMIT:
        return f"The reason is at most {REASON_LIMIT:,} characters."
    return ""


class CorrectAttendanceDialog(_SubmitDialog):
    """The corrected attendance (any but the recorded one) and the reason, both required."""

    def __init__(self, appointment: AppointmentRow, parent: QWidget | None = None) -> None:
        super().__init__("Correct attendance", "Correct", parent)
        self.setObjectName("correctAttendanceDialog")
        current = Attendance(appointment.attendance) if appointment.attendance else None
        recorded = f", recorded as {current.label.lower()}" if current else ""
        self.intro.setText(
            f"Correct the attendance of {appointment.person_name} ({appointment.referral_reference}) at the "
            f"{SessionType(appointment.session_type).label.lower()} on {appointment.scheduled_at:%d/%m/%Y at %H:%M}"
            f"{recorded}. The correction and its reason are kept in the audit trail, and the next step is "
            "worked out again from the corrected record."
        )
        self.attendance = QComboBox()
        for choice in CORRECTED_TO:
            if choice is not current:
                self.attendance.addItem(choice.label, choice.value)
        self._add("attendance", "It should be", self.attendance, required=True)
        self.reason = self._add("reason", "Reason for the correction", _reason_edit(), required=True)
        self.attendance.setFocus()

    def _read(self) -> tuple[CorrectionRequest | None, dict[str, str]]:
        reason = self.reason.toPlainText().strip()
        problem = _reason_problem(reason, "Give the reason for the correction.")
        if problem:
            return None, {"reason": problem}
        return CorrectionRequest(Attendance(self.attendance.currentData()), reason), {}


class WithdrawConfirmationDialog(_SubmitDialog):
    """Why a confirmed next step is withdrawn; says first what withdrawing does."""

    def __init__(self, reference: str, person_name: str, step: str, parent: QWidget | None = None) -> None:
        super().__init__("Withdraw confirmation", "Withdraw", parent)
        self.setObjectName("withdrawConfirmationDialog")
        label = NextStep(step).label
        undone = (
            " The bar it placed on the person is lifted, and a legal hold it set is released."
            if NextStep(step).bars_person
            else ""
        )
        self.intro.setText(
            f"Withdraw the confirmed next step of {reference} ({person_name}): {label}.{undone} Documents "
            "already issued under it are marked withdrawn (never deleted). The step then waits for a "
            "coordinator again: correct the attendance, or confirm it again. The reason is kept in the "
            "audit trail."
        )
        self.reason = self._add("reason", "Reason for withdrawing", _reason_edit(), required=True)
        self.reason.setFocus()

    def _read(self) -> tuple[str | None, dict[str, str]]:
        reason = self.reason.toPlainText().strip()
        problem = _reason_problem(reason, "Give the reason for withdrawing the confirmation.")
        if problem:
            return None, {"reason": problem}
        return reason, {}
