"""The missed appointment notice, sent after a non-attendance while there is still time.

Says: what was missed, the new date or how to rebook, the deadline and the
consequence for the person's scheme and age.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reportlab.platypus import Flowable

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import wording as w
from diversion_desktop.documents.consequences import if_not_attended
from diversion_desktop.documents.data import AppointmentDetails, Document, DocumentKind
from diversion_desktop.documents.dates import date_and_time, full_date
from diversion_desktop.documents.styles import styles_for
from diversion_desktop.documents.template import Composition


@dataclass(frozen=True)
class MissedAppointmentNotice(Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.MISSED_APPOINTMENT_NOTICE
    missed: AppointmentDetails
    next_appointment: AppointmentDetails | None = None
    rebookings_left: int | None = None

    def compose(self) -> Composition:
        return lay_out(self)


def lay_out(notice: MissedAppointmentNotice) -> Composition:
    facts = notice.facts
    youth = facts.youth
    st = styles_for(youth)
    scheme = facts.scheme
    police = scheme.police
    missed = notice.missed
    following = notice.next_appointment
    # Whom to phone; the missed appointment's own place is named only when it was recorded.
    centre = (following.centre if following is not None else missed.centre) or facts.centre
    where_youth = f" at {missed.centre.name}" if missed.centre is not None else ""
    where = f" at {w.centre_line(missed.centre)}" if missed.centre is not None else ""
    sessions = scheme.sessions_for_completion
    thing = "meeting" if youth else "appointment"

    story: list[Flowable] = b.opening(police, facts.person, notice.reference, notice.issued_on, st)
    # "(assessment)" after the appointment, or nothing if the session type is not known.
    session = f" ({missed.session.lower()})" if missed.session.strip() else ""
    if youth:
        story += [
            b.heading("You missed your meeting", st),
            b.para(f"Dear {facts.forenames or facts.full_name},", st.body),
            b.para(
                f"You did not go to your meeting{session} on {date_and_time(missed.at)}"
                f"{where_youth}. You still have time to finish your drugs diversion.",
                st.body,
            ),
        ]
    else:
        story += [
            b.heading("You missed your appointment", st),
            b.para(f"Dear {facts.full_name},", st.body),
            b.para(
                f"You did not attend your appointment{session} on {date_and_time(missed.at)}"
                f"{where}. The appointment was part of the {scheme.area} drugs "
                "diversion scheme. There is still time for you to complete the programme.",
                st.body,
            ),
        ]
    story += b.section(f"Your new {thing}", st)
    if following is not None:
        story.append(b.details(b.appointment_rows(following, youth), st))
    elif youth:
        story.append(b.para(f"Phone {w.tel(centre.phone)} to book a new meeting. Do it soon.", st.body))
    else:
        story.append(
            b.para(
                f"Please phone {centre.name} on {w.tel(centre.phone)} to book a new appointment as soon as you can.",
                st.body,
            )
        )
    deadline = (
        f"{'Go to' if youth else 'You must attend'} {w.all_of(sessions, 'meeting' if youth else 'session')} "
        f"by {full_date(facts.due_date)}."
    )
    left = notice.rebookings_left
    if left is not None:
        if left == 0:
            deadline += (
                " This is your last chance: the meeting cannot be changed again."
                if youth
                else " This is your last chance: the appointment cannot be rebooked again."
            )
        elif youth:
            deadline += f" A meeting can be changed only {w.times(left)} more."
        else:
            deadline += f" An appointment can be rebooked only {w.times(left)} more."
    story += [
        *b.section("When you must go" if youth else "Your deadline", st),
        b.para(deadline, st.body),
        b.kept_section(
            "If you do not go" if youth else "If you do not attend",
            [b.para(if_not_attended(scheme.kind, facts.pathway, facts.due_date), st.body)],
            st,
        ),
        b.para(
            f"Questions? {w.phone_or_contact(police, capital=True)}. Tell them your reference: {facts.reference}."
            if youth
            else f"If you have a question, {w.phone_or_contact(police)} and give your reference, {facts.reference}.",
            st.body,
        ),
        b.sign_off(police.signatory, police.name, st),
    ]
    if youth:
        story += b.copies([w.guardian_name(facts.guardian)], st)
    return Composition(
        title=f"Missed appointment notice {facts.reference}",
        author=police.name,
        reference=notice.reference,
        issued_on=notice.issued_on,
        story=story,
        subject=f"{scheme.area} drugs diversion",
    )
