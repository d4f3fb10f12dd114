"""Correcting a recorded attendance (issue 13 §4), from the referral page or the day's appointments:
whether to offer it, and the dialog and operation both views run, so that they cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QWidget

from diversion_desktop.domain.corrections import Corrector, Recorded, correction_refusal
from diversion_desktop.domain.permissions import Permission, Principal
from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.corrections import CorrectionService
from diversion_desktop.services.dto import AppointmentRow
from diversion_desktop.ui.changes import Changed
from diversion_desktop.ui.correction_dialogs import CorrectAttendanceDialog, CorrectionRequest
from diversion_desktop.ui.operations import Op
from diversion_desktop.ui.tasks import TaskRunner


def refusal(principal: Principal | None, appointment: AppointmentRow, today: date, step_confirmed: bool) -> str | None:
    """Why ``principal`` may not correct this appointment's attendance today (None: they may), by the
    domain's rule. ``step_confirmed``: whether the referral's next step is confirmed."""
    if principal is None or not principal.may(Permission.CORRECT_ATTENDANCE):
        return "You may not correct attendance."
    who = Corrector(principal.username, True, principal.may(Permission.CORRECT_ANY_ATTENDANCE))
    current = Attendance(appointment.attendance) if appointment.attendance else None
    recorded = Recorded(current, appointment.recorded_by, appointment.recorded_at, step_confirmed)
    return correction_refusal(who, recorded, today)


def correct_attendance_dialog(
    view: QWidget,
    ctx: AppContext,
    runner: TaskRunner,
    appointment: AppointmentRow,
    *,
    update: Callable[[], None],
    reload: Callable[[], None],
    done: Callable[[AppointmentRow, CorrectionRequest], None],
    say: Callable[[str], None],
) -> CorrectAttendanceDialog:
    """The dialog for correcting ``appointment``, for the caller to open. Submitted, the correction
    runs as a busy operation of ``view`` (``update``: its buttons); the dialog stays open with the
    service's refusal at its field, a record changed meanwhile offers ``reload``, and once corrected
    ``done(row, request)`` is called and the change announced. ``say``: the view's status line."""
    dialog = CorrectAttendanceDialog(appointment, parent=view)
    service = CorrectionService(ctx)

    def submit(request: CorrectionRequest) -> None:
        say("Correcting…")
        Op(
            view,
            lambda: service.correct_attendance(appointment.id, request.attendance, request.reason, appointment.version),
        ).busy(update).in_form(dialog).reload_on_stale(reload).changes(
            Changed.APPOINTMENTS | Changed.REFERRALS, appointment.referral_id
        ).success(lambda row: done(row, request)).failure(
            lambda _error: say("Not corrected: see the message in the dialog.")
        ).run_in(runner)

    dialog.sig_submitted.connect(submit)
    return dialog
