"""The appointment letter, sent by the provider when an appointment is booked or rebooked.

Says: the date, time and place; what to bring; how to rebook; the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reportlab.platypus import Flowable

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import wording as w
from diversion_desktop.documents.consequences import if_not_attended
from diversion_desktop.documents.data import AppointmentDetails, Document, DocumentKind
from diversion_desktop.documents.dates import full_date
from diversion_desktop.documents.styles import styles_for
from diversion_desktop.documents.template import Composition

ADULT_WHAT_TO_BRING = (
    "This letter.",
    "A list of any medicines you take.",
    "Your glasses, if you need them for reading.",
)
YOUTH_WHAT_TO_BRING = (
    "This letter.",
    "A list of any medicines you take.",
    "Your parent or carer, if you would like them to come with you.",
)


@dataclass(frozen=True)
class AppointmentLetter(Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.APPOINTMENT_LETTER
    appointment: AppointmentDetails
    rebooked: bool = False
    # Empty: the usual list for the person's age.
    what_to_bring: tuple[str, ...] = ()

    def compose(self) -> Composition:
        return lay_out(self)


def lay_out(letter: AppointmentLetter) -> Composition:
    facts = letter.facts
    youth = facts.youth
    st = styles_for(youth)
    appointment = letter.appointment
    centre = appointment.centre or facts.centre  # the sender; a place not recorded is not printed
    sender = b.provider_letterhead(centre)
    scheme = facts.scheme
    sessions = scheme.sessions_for_completion
    bring = letter.what_to_bring or (YOUTH_WHAT_TO_BRING if youth else ADULT_WHAT_TO_BRING)
    thing = "meeting" if youth else "appointment"

    story: list[Flowable] = b.opening(sender, facts.person, letter.reference, letter.issued_on, st)
    if youth:
        story += [
            b.heading("Your meeting has changed" if letter.rebooked else "Your meeting", st),
            b.para(f"Dear {facts.forenames or facts.full_name},", st.body),
            b.para(
                "Your meeting has been changed. The new time is below."
                if letter.rebooked
                else f"{centre.provider} has booked a meeting for you. It is part of your drugs diversion.",
                st.body,
            ),
        ]
    else:
        story += [
            b.heading("Your appointment has changed" if letter.rebooked else "Your appointment", st),
            b.para(f"Dear {facts.full_name},", st.body),
            b.para(
                "Your appointment has been changed. Your new appointment is below. Please ignore the "
                "time in any earlier letter."
                if letter.rebooked
                else f"{centre.provider} has booked an appointment for you as part of the {scheme.area} "
                "drugs diversion scheme.",
                st.body,
            ),
        ]
    story += [
        b.details(b.appointment_rows(appointment, youth), st),
        *b.section("What to bring", st),
        *b.bullets(bring, st),
        *b.section(f"If you cannot {'go' if youth else 'come'}", st),
        b.para(_rebooking(centre.phone, scheme.rebookings_allowed, youth), st.body),
        *b.section("When you must go" if youth else "Your deadline", st),
        b.para(
            f"{'Go to' if youth else 'You must attend'} {w.all_of(sessions, thing if youth else 'session')} "
            f"by {full_date(facts.due_date)}.",
            st.body,
        ),
        b.para(if_not_attended(scheme.kind, facts.pathway, facts.due_date), st.body),
        b.sign_off(appointment.worker or f"The team at {centre.name}", centre.provider, st),
    ]
    if youth:
        story += b.copies([w.guardian_name(facts.guardian)], st)
    return Composition(
        title=f"Appointment letter {facts.reference}",
        author=centre.provider,
        reference=letter.reference,
        issued_on=letter.issued_on,
        story=story,
        subject=f"{scheme.area} drugs diversion",
    )


def _rebooking(phone: str, allowed: int, youth: bool) -> str:
    if youth:
        first = f"Phone {w.tel(phone)} before the meeting. They can change it."
        if allowed == 0:
            return f"Phone {w.tel(phone)} before the meeting. Meetings cannot be changed, so please try hard to go."
        return f"{first} But a meeting can only be changed {w.times(allowed)} in total."
    if allowed == 0:
        return (
            f"Please phone {w.tel(phone)} before the appointment. Appointments cannot be rebooked, so "
            "please make sure you come."
        )
    return (
        f"Please phone {w.tel(phone)} before the appointment to rebook it. Appointments can be rebooked "
        f"only {w.times(allowed)} in total."
    )
