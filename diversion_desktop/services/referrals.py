"""A referral's page: its details and timeline, and the coordinator's queues."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from diversion_desktop.domain.next_step import next_step_for_non_attendance
from diversion_desktop.domain.permissions import Permission, Principal
from diversion_desktop.domain.programme import Queue, Status
from diversion_desktop.services.audit import log
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import QueueRow, ReferralDetail, SubstanceRow, TimelineEntry
from diversion_desktop.services.errors import NotFound
from diversion_desktop.services.people import records
from diversion_desktop.services.programme import appointment_row
from diversion_desktop.services.scope import check_referral, redact_referral, referral_condition
from diversion_desktop.store.models import OPEN_STATUSES, Person, Referral

# Open with nothing booked: past the deadline these await a proposal. A booked
# referral waits for its appointment's attendance first (it may have been kept).
_ATTENDING = (Status.AWAITING_APPOINTMENT,)
QUEUE_LIMIT = 200  # the nearest deadlines; the whole list is All referrals (paged)
QUEUE_NAMES = tuple(Queue)


def open_referrals() -> ColumnElement[bool]:
    """Open referrals, written with the values in the SQL: exactly the condition of the partial
    index ``ix_referrals_open``, which SQLite uses only when it can see the values (not with
    bound parameters). Every queue is a subset of the open referrals."""
    return Referral.status.in_(bindparam("open_statuses", list(OPEN_STATUSES), expanding=True, literal_execute=True))


class ReferralService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def detail(self, referral_id: int) -> ReferralDetail:
        """The referral page's content; opening it is audited (who saw whose record)."""
        principal = self.ctx.require(Permission.VIEW_REFERRALS)
        with self.ctx.unit_of_work() as session:
            referral = session.get(Referral, referral_id)
            if referral is None:
                raise NotFound(f"No referral with id {referral_id}.")
            check_referral(principal, referral.provider, referral.reference)
            return self._opened(session, referral, principal)

    def find(self, reference: str) -> ReferralDetail:
        principal = self.ctx.require(Permission.VIEW_REFERRALS)
        wanted = reference.strip().upper()
        with self.ctx.unit_of_work() as session:
            referral = session.scalar(select(Referral).where(Referral.reference == wanted))
            if referral is None:
                raise NotFound(f"No referral {wanted[:40]} that you may see.")
            check_referral(principal, referral.provider, wanted)
            return self._opened(session, referral, principal)

    def _opened(self, session: Session, referral: Referral, principal: Principal) -> ReferralDetail:
        detail = redact_referral(self._detail(session, referral), principal)
        log(
            session,
            self.ctx,
            "referral_opened",
            entity="referral",
            record_id=referral.id,
            reference=referral.reference,
            person_id=referral.person_id,
        )
        return detail

    def _detail(self, session: Session, r: Referral) -> ReferralDetail:
        scheme = self.ctx.schemes.find(r.scheme_code)
        person = records(session, [r.person])[0]
        centre = scheme.centre(r.centre_code) if scheme else None
        appointments = tuple(appointment_row(a, r, scheme, r.person) for a in r.appointments)
        timeline = tuple(TimelineEntry(at=e.at, kind=e.kind, text=e.text, actor=e.actor) for e in r.events)
        proposed, reason = r.proposed_step, r.proposed_reason
        if not proposed and r.status in _ATTENDING and r.due_date and r.due_date < self.ctx.today():
            # Overdue but not yet proposed: show what would be proposed.
            proposed = next_step_for_non_attendance(r.scheme_kind, r.pathway)
            reason = f"Deadline {r.due_date:%d/%m/%Y} passed without completing the programme."
        required = scheme.sessions_for_completion if scheme else 0
        allowed = scheme.rebookings_allowed if scheme else 0
        return ReferralDetail(
            id=r.id,
            reference=r.reference,
            person=person,
            scheme_code=r.scheme_code,
            area=r.area,
            scheme_kind=r.scheme_kind,
            pathway=r.pathway,
            age_at_incident=r.age_at_incident,
            referral_date=r.referral_date,
            incident_at=r.incident_at,
            incident_place=r.incident_place,
            crime_reference=r.crime_reference,
            officer_name=r.officer_name,
            officer_collar_number=r.officer_collar_number,
            station=r.station,
            offence=r.offence,
            suspected_supply=r.suspected_supply,
            consent=r.consent,
            decision=r.decision,
            reasons=tuple(r.reasons),
            rule_version=r.rule_version,
            settings_hash=r.settings_hash,
            decided_by=r.decided_by,
            override_reason=r.override_reason,
            override_by=r.override_by,
            provider=r.provider,
            centre_code=r.centre_code,
            centre_name=centre.name if centre else r.centre_code,
            first_attendance_due=r.first_attendance_due,
            due_date=r.due_date,
            status=r.status,
            outcome=r.outcome,
            outcome_date=r.outcome_date,
            proposed_step=proposed,
            proposed_reason=reason,
            next_step=r.next_step,
            next_step_confirmed_by=r.next_step_confirmed_by,
            next_step_confirmed_at=r.next_step_confirmed_at,
            for_case_file=r.for_case_file,
            sessions_attended=r.sessions_attended,
            sessions_required=required,
            rebookings_left=max(allowed - r.misses, 0),
            substances=tuple(
                SubstanceRow(
                    s.substance, scheme.substance_label(s.substance) if scheme else s.substance, s.quantity, s.unit
                )
                for s in r.substances
            ),
            appointments=appointments,
            timeline=timeline,
            officer_notes=r.officer_notes,
            legal_hold=r.legal_hold,
            legal_hold_reason=r.legal_hold_reason,
            version=r.version,
        )

    # -- queues ------------------------------------------------------------------
    def _queue_conditions(self, queue: Queue, today: date) -> ColumnElement[bool]:
        if queue == Queue.AWAITING_APPOINTMENT:
            # Awaiting a *first* appointment: nothing booked and nothing attended yet. A referral
            # part-way through its programme ("1 of 2 attended") waits for its next session, not
            # its first; one whose first was missed or cancelled waits for its first again.
            return and_(
                open_referrals(), Referral.status == Status.AWAITING_APPOINTMENT, Referral.sessions_attended == 0
            )
        if queue == Queue.OVERDUE:
            return and_(
                open_referrals(),
                or_(
                    Referral.due_date < today,
                    and_(Referral.first_attendance_due < today, Referral.sessions_attended == 0),
                ),
            )
        if queue == Queue.AWAITING_CONFIRMATION:
            return and_(
                open_referrals(),
                or_(
                    Referral.status == Status.AWAITING_CONFIRMATION,
                    and_(Referral.status.in_(_ATTENDING), Referral.due_date < today),
                ),
            )
        raise ValueError(f"unknown queue '{queue}'")

    def queue(self, queue: Queue, limit: int = QUEUE_LIMIT) -> list[QueueRow]:
        """A queue's referrals, soonest due first. The booking queue (awaiting a first appointment)
        is a support worker's too, scoped to their own provider's referrals; the others are the
        coordinators'."""
        principal = self.ctx.require(queue_permission(queue))
        today = self.ctx.today()
        with self.ctx.reading() as session:
            rows = session.execute(
                select(Referral, Person)
                .join(Person, Referral.person_id == Person.id)
                .where(self._queue_conditions(queue, today), referral_condition(principal))
                .order_by(Referral.due_date, Referral.id)
                .limit(limit)
            ).all()
            result = []
            for r, p in rows:
                proposed = r.proposed_step
                note = r.proposed_reason
                if queue != Queue.AWAITING_APPOINTMENT and not proposed and r.due_date and r.due_date < today:
                    if r.status in _ATTENDING:
                        proposed = next_step_for_non_attendance(r.scheme_kind, r.pathway)
                        note = f"Deadline {r.due_date:%d/%m/%Y} passed."
                    else:
                        # Said, not asked: whoever reads the queue may not be the one who records attendance.
                        note = (
                            f"Deadline {r.due_date:%d/%m/%Y} passed: the booked appointment's attendance "
                            "is not yet recorded."
                        )
                elif (
                    queue == Queue.OVERDUE
                    and r.sessions_attended == 0
                    and r.first_attendance_due
                    and r.first_attendance_due < today
                    and not note
                ):
                    note = f"No attendance by {r.first_attendance_due:%d/%m/%Y}."
                result.append(
                    QueueRow(
                        referral_id=r.id,
                        reference=r.reference,
                        person_name=f"{p.surname.upper()}, {p.forenames}",
                        area=r.area,
                        pathway=r.pathway,
                        status=r.status,
                        referral_date=r.referral_date,
                        first_attendance_due=r.first_attendance_due,
                        due_date=r.due_date,
                        proposed_step=proposed,
                        note=note,
                    )
                )
            return result

    def queue_counts(self) -> dict[str, int]:  # by Queue
        """How many referrals each queue the user may work holds (see ``queue``)."""
        principal = self.ctx.require(Permission.VIEW_BOOKING_QUEUE)  # (every role with WORK_QUEUES has it)
        today = self.ctx.today()
        with self.ctx.reading() as session:
            return {
                name: session.scalar(
                    select(func.count())
                    .select_from(Referral)
                    .where(self._queue_conditions(name, today), referral_condition(principal))
                )
                or 0
                for name in queues_for(principal)
            }


def queue_permission(queue: Queue) -> Permission:
    """The permission a queue needs: the booking queue is a support worker's too."""
    return Permission.VIEW_BOOKING_QUEUE if queue == Queue.AWAITING_APPOINTMENT else Permission.WORK_QUEUES


def queues_for(principal: Principal) -> tuple[Queue, ...]:
    """The queues ``principal`` may work, in their order on screen."""
    return tuple(name for name in QUEUE_NAMES if principal.may(queue_permission(name)))
