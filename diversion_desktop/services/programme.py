"""Booking appointments, recording attendance, and the next step that follows.

After every change the referral's state is recomputed by the domain's lifecycle
(domain/lifecycle.py, over ``assess``: the one place that knows what attendance
means) and applied by ``services.lifecycle.apply_transition``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.lifecycle import (
    TimelineEvent,
    after_attendance,
    after_confirmation,
    attendance_event,
    booked_event,
    rebooked_event,
)
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import (
    BOOKABLE_STATUSES,
    CLOSE_BOOKINGS,
    SESSION_NOTES_LIMIT,
    Attendance,
    BookingCheck,
    SessionType,
    Status,
    can_rebook,
    check_booking,
    holds_its_time,
)
from diversion_desktop.domain.schemes import Scheme
from diversion_desktop.services.audit import changes_between, created, log
from diversion_desktop.services.concurrency import check_version, lock, lock_appointment
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import AppointmentRow
from diversion_desktop.services.errors import ConflictError, NeedsConfirmation, NotFound, ValidationError
from diversion_desktop.services.lifecycle import apply_transition, standing
from diversion_desktop.services.lookup import scheme_of
from diversion_desktop.services.scope import check_referral, redact_appointment, referral_condition
from diversion_desktop.store.models import Appointment, Person, Referral

# An appointment's centre that history imported from the pilots' spreadsheets did not record.
CENTRE_NOT_RECORDED = "not recorded"
# A referral's fields that the programme changes: each change is in the audit trail, from → to.
_STATE_FIELDS = (
    "status",
    "outcome",
    "outcome_date",
    "proposed_step",
    "next_step",
    "sessions_attended",
    "misses",
    "for_case_file",
    "legal_hold",
)


def _state(referral: Referral) -> dict[str, object]:
    return {name: getattr(referral, name) for name in _STATE_FIELDS}


class ProgrammeService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # -- booking -----------------------------------------------------------------
    def book(
        self,
        referral_id: int,
        when: datetime,
        centre_code: str = "",
        session_type: SessionType = SessionType.ASSESSMENT,
        worker: str = "",
        confirmed: bool = False,
        expected_version: int | None = None,
    ) -> AppointmentRow:
        """Book an appointment. The domain's booking rules (``check_booking``) refuse a time in
        the past or one that overlaps another of the person's appointments; a time close to
        another of theirs raises NeedsConfirmation unless ``confirmed``. ``expected_version``:
        the referral's version the screen showed (StaleRecord if it changed since)."""
        principal = self.ctx.require(Permission.BOOK_APPOINTMENTS)
        with self.ctx.unit_of_work() as session:
            referral = _referral(session, referral_id, locked=True)
            check_version(session, referral, expected_version)
            check_referral(principal, referral.provider, referral.reference)
            before = _state(referral)
            scheme = self._scheme(referral)
            if referral.status not in BOOKABLE_STATUSES:
                raise ConflictError(
                    f"{referral.reference} is {referral.status.replace('_', ' ')}: no appointment can be booked."
                )
            centre_code = centre_code or referral.centre_code
            errors = self._booking_errors(scheme, referral, when, centre_code)
            check = self._booking_check(session, referral, when)
            if check.refusals and "scheduled_at" not in errors:
                errors["scheduled_at"] = " ".join(check.refusals)
            if errors:
                raise ValidationError(errors)
            if check.warnings and not confirmed:
                raise NeedsConfirmation(check.warnings)
            appointment = self._add(session, referral, when, centre_code, session_type, worker)
            self._refresh(
                session, referral, scheme, after=(booked_event(session_type, when, _centre_name(scheme, centre_code)),)
            )
            log(
                session,
                self.ctx,
                "appointment_booked",
                entity="appointment",
                record_id=appointment.id,
                reference=referral.reference,
                person_id=referral.person_id,
                changes=created(
                    {
                        "scheduled_at": when,
                        "centre_code": centre_code,
                        "session_type": session_type.value,
                        "worker": appointment.worker,
                    }
                )
                + changes_between(before, _state(referral)),
            )
            return appointment_row(appointment, referral, scheme)

    def _booking_errors(self, scheme: Scheme, referral: Referral, when: datetime, centre_code: str) -> dict[str, str]:
        errors: dict[str, str] = {}
        if scheme.centre(centre_code) is None:
            errors["centre_code"] = f"'{centre_code}' is not a centre of the {scheme.area} scheme."
        if when.date() < referral.referral_date:
            errors["scheduled_at"] = "The appointment cannot be before the referral was made."
        elif referral.due_date is not None and when.date() > referral.due_date:
            errors["scheduled_at"] = (
                f"The appointment is after the deadline ({referral.due_date:%d/%m/%Y}): choose an earlier date."
            )
        return errors

    def _booking_check(
        self, session: Session, referral: Referral, when: datetime, replacing: int | None = None
    ) -> BookingCheck:
        """The booking rules for ``when`` against the person's appointments near it, in any of
        their referrals (``replacing``: the appointment a rebooking moves, whose slot it frees)."""
        near = session.execute(
            select(Appointment.id, Appointment.scheduled_at, Appointment.attendance)
            .join(Referral, Appointment.referral_id == Referral.id)
            .where(
                Referral.person_id == referral.person_id,
                Appointment.scheduled_at > when - CLOSE_BOOKINGS,
                Appointment.scheduled_at < when + CLOSE_BOOKINGS,
            )
        ).all()
        others = [
            at
            for id_, at, attendance in near
            if id_ != replacing and holds_its_time(Attendance(attendance) if attendance else None)
        ]
        return check_booking(when, self.ctx.now(), others)

    def _add(
        self,
        session: Session,
        referral: Referral,
        when: datetime,
        centre_code: str | None,
        session_type: SessionType,
        worker: str,
    ) -> Appointment:
        appointment = Appointment(
            referral_id=referral.id,
            scheduled_at=when,
            centre_code=centre_code,
            session_type=session_type.value,
            worker=worker.strip(),
            attendance=None,
            rebook_reason="",
            recorded_by="",
            created_at=self.ctx.now(),
        )
        session.add(appointment)
        session.flush()
        referral.appointments.append(appointment)
        return appointment

    # -- attendance --------------------------------------------------------------
    def record(
        self,
        appointment_id: int,
        attendance: Attendance,
        reason: str = "",
        new_time: datetime | None = None,
        expected_version: int | None = None,
    ) -> AppointmentRow | None:
        """Record what happened; a rebooking returns the new appointment. ``expected_version``:
        the appointment's version the screen showed (StaleRecord if it changed since)."""
        principal = self.ctx.require(Permission.RECORD_ATTENDANCE)
        with self.ctx.unit_of_work() as session:
            appointment = lock_appointment(session, appointment_id)
            referral = appointment.referral
            check_referral(principal, referral.provider, referral.reference)
            check_version(session, appointment, expected_version)
            before = _state(referral)
            scheme = self._scheme(referral)
            if appointment.attendance is not None:
                raise ConflictError(
                    "Attendance is already recorded for this appointment "
                    f"({Attendance(appointment.attendance).label.lower()})."
                )
            if referral.status not in BOOKABLE_STATUSES:
                raise ConflictError(
                    f"{referral.reference} is {referral.status.replace('_', ' ')}: "
                    "attendance can no longer be recorded."
                )
            now = self.ctx.now()
            errors: dict[str, str] = {}
            if (
                attendance in (Attendance.ATTENDED, Attendance.NOT_ATTENDED)
                and appointment.scheduled_at.date() > now.date()
            ):
                errors["attendance"] = "This appointment is in the future: attendance can be recorded on the day."
            if attendance is Attendance.REBOOKED:
                if not reason.strip():
                    errors["rebook_reason"] = "Give the reason for rebooking."
                if new_time is None:
                    errors["new_time"] = "Choose the new date and time."
                elif new_time.date() < referral.referral_date:
                    errors["new_time"] = "The new appointment cannot be before the referral was made."
                elif referral.due_date is not None and new_time.date() > referral.due_date:
                    errors["new_time"] = (
                        f"The new appointment is after the deadline ({referral.due_date:%d/%m/%Y}): "
                        "choose an earlier date."
                    )
                else:  # the booking rules' refusals; a rebooking asks nothing (the dialog has no question)
                    refusals = self._booking_check(session, referral, new_time, replacing=appointment.id).refusals
                    if refusals:
                        errors["new_time"] = " ".join(refusals)
                if not can_rebook(scheme, [_att(a) for a in referral.appointments]):
                    errors["attendance"] = (
                        f"No rebookings left ({scheme.rebookings_allowed} allowed): "
                        "record the appointment as not attended instead."
                    )
            if errors:
                raise ValidationError(errors)
            appointment.attendance = attendance
            appointment.rebook_reason = reason.strip()
            appointment.recorded_by = self.ctx.user
            appointment.recorded_at = now
            recorded = [
                attendance_event(
                    appointment.scheduled_at, SessionType(appointment.session_type), attendance, reason.strip()
                )
            ]
            new_row = None
            if attendance is Attendance.REBOOKED and new_time is not None:
                new = self._add(
                    session,
                    referral,
                    new_time,
                    appointment.centre_code,
                    SessionType(appointment.session_type),
                    appointment.worker,
                )
                recorded.append(rebooked_event(new_time))
                new_row = appointment_row(new, referral, scheme)
            self._refresh(session, referral, scheme, before=recorded)
            log(
                session,
                self.ctx,
                "attendance_recorded",
                entity="appointment",
                record_id=appointment.id,
                reference=referral.reference,
                person_id=referral.person_id,
                changes=[("attendance", None, attendance.value)]
                + ([("rebook_reason", None, appointment.rebook_reason)] if appointment.rebook_reason else [])
                + ([("rebooked_for", None, new_time)] if new_row is not None else [])
                + changes_between(before, _state(referral)),
            )
            return new_row

    def record_session_notes(
        self, appointment_id: int, notes: str, expected_version: int | None = None
    ) -> AppointmentRow:
        """The support worker's notes of a session (clinical: police roles never see them).
        ``expected_version``: the appointment's version the notes were written against; notes
        saved meanwhile by someone else are never overwritten (StaleRecord)."""
        principal = self.ctx.require(Permission.RECORD_SESSION_NOTES)
        notes = notes.strip()
        if len(notes) > SESSION_NOTES_LIMIT:
            raise ValidationError({"session_notes": f"Session notes are at most {SESSION_NOTES_LIMIT:,} characters."})
        with self.ctx.unit_of_work() as session:
            appointment = lock(session, Appointment, appointment_id)
            if appointment is None:
                raise NotFound(f"No appointment with id {appointment_id}.")
            referral = appointment.referral
            check_referral(principal, referral.provider, referral.reference)
            check_version(session, appointment, expected_version)
            if appointment.session_notes != notes:
                # The audit row says that the notes changed, not what they say: clinical text stays
                # in the one place the police cannot read.
                log(
                    session,
                    self.ctx,
                    "session_notes_recorded",
                    entity="appointment",
                    record_id=appointment.id,
                    reference=referral.reference,
                    person_id=referral.person_id,
                    changes=[
                        ("session_notes", f"{len(appointment.session_notes)} characters", f"{len(notes)} characters")
                    ],
                )
                appointment.session_notes = notes
            return appointment_row(appointment, referral, self._scheme(referral))

    # -- state -------------------------------------------------------------------
    def _refresh(
        self,
        session: Session,
        referral: Referral,
        scheme: Scheme,
        before: Sequence[TimelineEvent] = (),
        after: Sequence[TimelineEvent] = (),
    ) -> None:
        """Recompute the referral's state from its appointments, via the domain's lifecycle;
        ``before``/``after``: the timeline events of the action, around the lifecycle's own."""
        assert referral.due_date is not None
        transition = after_attendance(
            scheme,
            Pathway(referral.pathway),
            standing(referral),
            [_att(a) for a in referral.appointments],
            referral.due_date,
            self.ctx.today(),
        )
        apply_transition(session, referral, transition.with_events(before, after), self.ctx.user, self.ctx.now())

    def _scheme(self, referral: Referral) -> Scheme:
        return scheme_of(self.ctx.schemes, referral)

    # -- next step ---------------------------------------------------------------
    def propose_overdue(self, referral_id: int, expected_version: int | None = None) -> str:
        """Propose the non-attendance step for a referral whose deadline has passed."""
        self.ctx.require(Permission.WORK_QUEUES)
        with self.ctx.unit_of_work() as session:
            referral = _referral(session, referral_id, locked=True)
            check_version(session, referral, expected_version)
            before = _state(referral)
            if referral.status not in BOOKABLE_STATUSES or referral.due_date is None:
                raise ConflictError(f"{referral.reference} is not open for attendance.")
            if referral.due_date >= self.ctx.today():
                raise ConflictError(f"{referral.reference} is not overdue (deadline {referral.due_date:%d/%m/%Y}).")
            self._refresh(session, referral, self._scheme(referral))
            if not referral.proposed_step:
                raise ConflictError(
                    f"{referral.reference} has a booked appointment still to be recorded: "
                    "the next step is proposed once its attendance is recorded."
                )
            log(
                session,
                self.ctx,
                "next_step_proposed",
                entity="referral",
                record_id=referral.id,
                reference=referral.reference,
                person_id=referral.person_id,
                changes=changes_between(before, _state(referral)),
            )
            return referral.proposed_step

    def confirm_next_step(self, referral_id: int, note: str = "", expected_version: int | None = None) -> str:
        """A coordinator confirms the proposed step; only then does it take effect.
        ``expected_version``: the referral's version the screen showed."""
        self.ctx.require(Permission.CONFIRM_NEXT_STEP)
        with self.ctx.unit_of_work() as session:
            referral = _referral(session, referral_id, locked=True)
            check_version(session, referral, expected_version)
            lock(session, Person, referral.person_id)  # a step may bar the person
            before = _state(referral)
            barred_before = referral.person.barred
            if referral.status in BOOKABLE_STATUSES and referral.due_date and referral.due_date < self.ctx.today():
                self._refresh(session, referral, self._scheme(referral))  # overdue: propose first
            if referral.status != Status.AWAITING_CONFIRMATION.value or not referral.proposed_step:
                raise ConflictError(f"{referral.reference} has no next step awaiting confirmation.")
            transition = after_confirmation(standing(referral), note.strip())
            apply_transition(session, referral, transition, self.ctx.user, self.ctx.now())
            step = transition.to.next_step
            assert step is not None
            if step.for_case_file:
                hold_for_prosecution(session, self.ctx, referral)  # kept from retention until released
            changes = changes_between(before, _state(referral))
            if referral.person.barred != barred_before:
                changes.append(("person.barred", barred_before, True))
            log(
                session,
                self.ctx,
                "next_step_confirmed",
                entity="referral",
                record_id=referral.id,
                reference=referral.reference,
                person_id=referral.person_id,
                changes=changes,
                detail=note.strip()[:2000],
            )
            return step.value

    def list_for_centre_day(self, centre_code: str, day: date) -> list[AppointmentRow]:
        principal = self.ctx.require(Permission.VIEW_APPOINTMENTS)
        start = datetime.combine(day, datetime.min.time())
        end = datetime.combine(day, datetime.max.time())
        with self.ctx.reading() as session:
            rows = session.execute(
                select(Appointment, Referral, Person)
                .join(Referral, Appointment.referral_id == Referral.id)
                .join(Person, Referral.person_id == Person.id)
                .where(
                    Appointment.centre_code == centre_code,
                    Appointment.scheduled_at >= start,
                    Appointment.scheduled_at <= end,
                    referral_condition(principal),
                )
                .order_by(Appointment.scheduled_at, Appointment.id)
            ).all()
            result = []
            for appointment, referral, person in rows:
                scheme = self.ctx.schemes.find(referral.scheme_code)
                result.append(redact_appointment(appointment_row(appointment, referral, scheme, person), principal))
            return result


PROSECUTION_HOLD_REASON = "Reported for prosecution: the case file must be kept until the case is closed."


def hold_for_prosecution(session: Session, ctx: AppContext, referral: Referral) -> None:
    """Set the legal hold as a referral is reported for prosecution, in the same transaction:
    the case may come to court after the retention period."""
    if referral.legal_hold:
        return
    referral.legal_hold = True
    referral.legal_hold_reason = PROSECUTION_HOLD_REASON
    log(
        session,
        ctx,
        "legal_hold_set",
        entity="referral",
        record_id=referral.id,
        reference=referral.reference,
        person_id=referral.person_id,
        changes=[("legal_hold", False, True)],
        detail="Set automatically when the next step 'report for prosecution' was confirmed.",
    )


def _att(appointment: Appointment) -> Attendance | None:
    return Attendance(appointment.attendance) if appointment.attendance else None


def _referral(session: Session, referral_id: int, locked: bool = False) -> Referral:
    """The referral; ``locked``: for a read, check and write (services/concurrency.py)."""
    referral = lock(session, Referral, referral_id) if locked else session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"No referral with id {referral_id}.")
    return referral


def _centre_name(scheme: Scheme | None, code: str | None) -> str:
    if code is None:
        return CENTRE_NOT_RECORDED
    centre = scheme.centre(code) if scheme else None
    return centre.name if centre else code


def appointment_row(
    appointment: Appointment, referral: Referral, scheme: Scheme | None, person: Person | None = None
) -> AppointmentRow:
    person = person or referral.person
    return AppointmentRow(
        id=appointment.id,
        referral_id=referral.id,
        referral_reference=referral.reference,
        person_name=f"{person.surname.upper()}, {person.forenames}",
        scheduled_at=appointment.scheduled_at,
        centre_code=appointment.centre_code,
        centre_name=_centre_name(scheme, appointment.centre_code),
        session_type=appointment.session_type,
        worker=appointment.worker,
        attendance=appointment.attendance,
        rebook_reason=appointment.rebook_reason,
        session_notes=appointment.session_notes,
        recorded_by=appointment.recorded_by,
        recorded_at=appointment.recorded_at,
        version=appointment.version,
    )
