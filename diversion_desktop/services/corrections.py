"""Correcting a mistaken attendance, and withdrawing a confirmed next step (issue 13 §4).

Who may correct when is the domain's rule (domain/corrections.py). A correction
changes the appointment, and the referral's state is worked out again from the
corrected record by the domain's lifecycle (``after_correction``, over the same
``assess``): a next step that was proposed is proposed again, or no longer. A withdrawal undoes
a confirmation (the bar, the case-file flag and the automatic legal hold it set)
and marks the documents issued under it withdrawn; the step waits again for a
coordinator. Every correction, withdrawal and withdrawn document is audited.
"""

from __future__ import annotations

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.corrections import (
    Corrector,
    Recorded,
    correction_problems,
    correction_refusal,
    withdrawal_problems,
)
from diversion_desktop.domain.lifecycle import after_correction, after_withdrawal
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Attendance, SessionType
from diversion_desktop.services.audit import changes_between, log
from diversion_desktop.services.concurrency import check_version, lock, lock_appointment
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.documents import UNDER_NEXT_STEP, withdraw_documents
from diversion_desktop.services.dto import AppointmentRow
from diversion_desktop.services.errors import ConflictError, ValidationError
from diversion_desktop.services.lifecycle import apply_transition, standing
from diversion_desktop.services.lookup import scheme_of
from diversion_desktop.services.programme import (
    PROSECUTION_HOLD_REASON,
    _referral,
    _state,
    appointment_row,
)
from diversion_desktop.services.scope import check_referral
from diversion_desktop.store.models import Person, Referral


class CorrectionService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def correct_attendance(
        self, appointment_id: int, attendance: Attendance, reason: str, expected_version: int | None = None
    ) -> AppointmentRow:
        """Correct a recorded attendance, with a reason; the next step is proposed again from it.
        ``expected_version``: the appointment's version the screen showed."""
        principal = self.ctx.require(Permission.CORRECT_ATTENDANCE)
        reason = reason.strip()
        with self.ctx.unit_of_work() as session:
            appointment = lock_appointment(session, appointment_id)
            referral = appointment.referral
            check_referral(principal, referral.provider, referral.reference)
            check_version(session, appointment, expected_version)
            current = Attendance(appointment.attendance) if appointment.attendance else None
            who = Corrector(
                principal.username,
                principal.may(Permission.CORRECT_ATTENDANCE),
                principal.may(Permission.CORRECT_ANY_ATTENDANCE),
            )
            now = self.ctx.now()
            refusal = correction_refusal(
                who,
                Recorded(current, appointment.recorded_by, appointment.recorded_at, bool(referral.next_step)),
                now.date(),
            )
            if refusal is None and not referral.status.is_open:
                refusal = f"{referral.reference} is {referral.status.replace('_', ' ')}: nothing can be corrected."
            if refusal is not None:
                raise ConflictError(refusal)
            errors = correction_problems(current, attendance, reason)
            in_future = appointment.scheduled_at.date() > now.date()
            if attendance in (Attendance.ATTENDED, Attendance.NOT_ATTENDED) and in_future:
                errors.setdefault(
                    "attendance", "This appointment is in the future: it cannot have been attended or missed."
                )
            if errors:
                raise ValidationError(errors)
            assert current is not None  # the refusal says so otherwise
            before = _state(referral)
            was = {
                "attendance": appointment.attendance,
                "rebook_reason": appointment.rebook_reason,
                "recorded_by": appointment.recorded_by,
                "recorded_at": appointment.recorded_at,
            }
            appointment.attendance = attendance
            appointment.rebook_reason = ""  # a reason for rebooking, and it is no longer a rebooking
            appointment.recorded_by, appointment.recorded_at = self.ctx.user, now
            scheme = scheme_of(self.ctx.schemes, referral)
            assert referral.due_date is not None  # only a diversion has appointments
            transition = after_correction(
                scheme,
                Pathway(referral.pathway),
                standing(referral),
                [Attendance(a.attendance) if a.attendance else None for a in referral.appointments],
                referral.due_date,
                self.ctx.today(),
                scheduled_at=appointment.scheduled_at,
                session_type=SessionType(appointment.session_type),
                was=current,
                corrected=attendance,
                reason=reason,
            )
            apply_transition(session, referral, transition, self.ctx.user, now)
            if current is Attendance.NOT_ATTENDED:  # the missed-appointment notice stood on the miss
                withdraw_documents(
                    session,
                    self.ctx,
                    referral,
                    ("missed_appointment_notice",),
                    f"Attendance corrected: {reason}",
                    appointment_id=appointment.id,
                )
            now_is = {
                "attendance": appointment.attendance,
                "rebook_reason": appointment.rebook_reason,
                "recorded_by": appointment.recorded_by,
                "recorded_at": appointment.recorded_at,
            }
            log(
                session,
                self.ctx,
                "attendance_corrected",
                entity="appointment",
                record_id=appointment.id,
                reference=referral.reference,
                person_id=referral.person_id,
                changes=changes_between(was, now_is) + changes_between(before, _state(referral)),
                detail=reason,
            )
            return appointment_row(appointment, referral, scheme)

    def withdraw_next_step(self, referral_id: int, reason: str, expected_version: int | None = None) -> list[str]:
        """A coordinator withdraws a confirmed next step, with a reason, so the record can be corrected.
        Returns the references of the documents marked withdrawn. ``expected_version``: the
        referral's version the screen showed."""
        self.ctx.require(Permission.WITHDRAW_NEXT_STEP)
        reason = reason.strip()
        errors = withdrawal_problems(reason)
        with self.ctx.unit_of_work() as session:
            referral = _referral(session, referral_id, locked=True)
            check_version(session, referral, expected_version)
            lock(session, Person, referral.person_id)  # the step may have barred the person
            if not referral.next_step:
                raise ConflictError(f"{referral.reference} has no confirmed next step to withdraw.")
            if errors:
                raise ValidationError(errors)
            person = referral.person
            now = self.ctx.now()
            unbarred = person.barred and person.barred_by_referral_id == referral.id  # barred by this step only
            if unbarred:
                person.barred, person.barred_at, person.barred_by_referral_id = False, None, None
            if referral.legal_hold and referral.legal_hold_reason == PROSECUTION_HOLD_REASON:
                referral.legal_hold, referral.legal_hold_reason = False, ""  # the hold the step set itself
                log(
                    session,
                    self.ctx,
                    "legal_hold_released",
                    entity="referral",
                    record_id=referral.id,
                    reference=referral.reference,
                    person_id=referral.person_id,
                    changes=[("legal_hold", True, False), ("legal_hold_reason", PROSECUTION_HOLD_REASON, "")],
                    detail="Released automatically: the next step 'report for prosecution' was withdrawn.",
                )
            # The hold's release is audited on its own (above): the step's changes are from here on.
            before = _confirmed(referral)
            documents = withdraw_documents(
                session, self.ctx, referral, UNDER_NEXT_STEP, f"Next step withdrawn: {reason}"
            )
            references = [d.document_reference for d in documents]
            # The step waits again for a coordinator: confirmed again, or proposed anew once corrected.
            apply_transition(
                session, referral, after_withdrawal(standing(referral), reason, references), self.ctx.user, now
            )
            changes = changes_between(before, _confirmed(referral))
            if unbarred:
                changes.append(("person.barred", True, False))
            log(
                session,
                self.ctx,
                "next_step_withdrawn",
                entity="referral",
                record_id=referral.id,
                reference=referral.reference,
                person_id=referral.person_id,
                changes=changes,
                detail=reason,
            )
            return references


def _confirmed(referral: Referral) -> dict[str, object]:
    return _state(referral) | {
        "next_step_confirmed_by": referral.next_step_confirmed_by,
        "next_step_confirmed_at": referral.next_step_confirmed_at,
    }
