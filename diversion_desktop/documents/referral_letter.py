"""The referral letter handed to the person at intake.

Says: the reference; what happened (date, place, substance); what the
diversion is; the provider, centre address and phone; the first appointment or
how to book it; the deadline; what happens if they do not attend, for their
scheme and age; how their information is used. Under-18s get the young
person's version, addressed to them, with a copy to the parent or guardian.
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
from diversion_desktop.documents.styles import LetterStyles, styles_for
from diversion_desktop.documents.template import Composition


@dataclass(frozen=True)
class ReferralLetter(Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.REFERRAL_LETTER
    first_appointment: AppointmentDetails | None = None

    def compose(self) -> Composition:
        return lay_out(self)


def lay_out(letter: ReferralLetter) -> Composition:
    facts = letter.facts
    styles = styles_for(facts.youth)
    police = facts.scheme.police
    story = b.opening(police, facts.person, letter.reference, letter.issued_on, styles)
    story += _youth(letter, styles) if facts.youth else _adult(letter, styles)
    story.append(b.sign_off(police.signatory, police.name, styles))
    if facts.youth:
        story += b.copies([w.guardian_name(facts.guardian)], styles)
    return Composition(
        title=f"Referral letter {facts.reference}",
        author=police.name,
        reference=letter.reference,
        issued_on=letter.issued_on,
        story=story,
        subject=f"{facts.scheme.area} drugs diversion",
    )


def _appointment_rows(letter: ReferralLetter, youth: bool) -> list[tuple[str, b.Value]]:
    facts = letter.facts
    centre = facts.centre
    first = letter.first_appointment
    booked = (
        date_and_time(first.at)
        if first is not None
        else f"Not booked yet: please phone {w.tel(centre.phone)} to book it."
    )
    if youth:
        return [
            ("Who you will see", facts.provider),
            ("Where", w.centre_line(centre)),
            ("Telephone", centre.phone),
            ("First meeting", booked),
        ]
    return [
        ("Provider", facts.provider),
        ("Centre", w.centre_line(centre)),
        ("Telephone", centre.phone),
        ("First appointment", booked),
    ]


def _adult(letter: ReferralLetter, st: LetterStyles) -> list[Flowable]:
    facts = letter.facts
    centre = facts.centre
    sessions = facts.scheme.sessions_for_completion
    first = letter.first_appointment
    story: list[Flowable] = [
        b.heading("Your referral to the drugs diversion scheme", st),
        b.para(f"Dear {facts.full_name},", st.body),
        b.para(
            f"On {date_and_time(facts.incident_at)}, police found you in possession of "
            f"{w.substance_names(facts.substances)}{w.at_place(facts.incident_place)}. You were offered a "
            f"place on the {facts.scheme.area} drugs diversion scheme and you agreed to take part. "
            "This letter tells you what happens next.",
            st.body,
        ),
        *b.section("What happened", st),
        b.details(
            [
                ("Your reference", facts.reference),
                ("Date and time", date_and_time(facts.incident_at)),
                ("Place", facts.incident_place),
                ("Found", w.substances_text(facts.substances)),
            ],
            st,
        ),
        *b.section("What the diversion is", st),
        b.para(
            f"The diversion is a programme of {w.count(sessions, 'session')} with {facts.provider}, "
            "instead of the usual criminal justice process. At the sessions a trained worker gives "
            "you advice and support about drugs and their risks. The sessions are free and what "
            "you say there is confidential.",
            st.body,
        ),
        *b.section("Your first appointment", st),
    ]
    if first is None:
        story.append(
            b.para(
                f"Please phone {centre.name} on {w.tel(centre.phone)} to book your first "
                "appointment. Please do this as soon as you can.",
                st.body,
            )
        )
    story.append(b.details(_appointment_rows(letter, youth=False), st))
    story += [
        *b.section("Your deadline", st),
        b.para(
            f"You must attend your first appointment by {full_date(facts.first_attendance_due)}, "
            f"and attend {w.all_of(sessions, 'session')} by {full_date(facts.due_date)}. If you "
            f"cannot go to an appointment, phone {w.tel(centre.phone)} before it to rebook.",
            st.body,
        ),
        b.kept_section(
            "If you do not attend",
            [b.para(if_not_attended(facts.scheme.kind, facts.pathway, facts.due_date), st.body)],
            st,
        ),
        *b.section("How your information is used", st),
        b.para(facts.scheme.data_protection_text, st.body),
        *b.section("Questions", st),
        b.para(
            f"If you have a question about this letter, {w.phone_or_contact(facts.scheme.police)} and "
            f"give your reference, {facts.reference}.",
            st.body,
        ),
    ]
    return story


def _youth(letter: ReferralLetter, st: LetterStyles) -> list[Flowable]:
    facts = letter.facts
    centre = facts.centre
    sessions = facts.scheme.sessions_for_completion
    first = letter.first_appointment
    story: list[Flowable] = [
        b.heading("Your drugs diversion", st),
        b.para(f"Dear {facts.forenames or facts.full_name},", st.body),
        b.para(
            f"On {full_date(facts.incident_at.date())}, the police found you with "
            f"{w.substance_names(facts.substances)}. You agreed to take part in a drugs diversion. "
            "This letter tells you what to do next.",
            st.body,
        ),
        *b.section("What happened", st),
        b.details(
            [
                ("Your reference", facts.reference),
                ("When", date_and_time(facts.incident_at)),
                ("Where", facts.incident_place),
                ("What was found", w.substances_text(facts.substances)),
            ],
            st,
        ),
        *b.section("What a drugs diversion is", st),
        b.para(
            f"You will meet a worker from {facts.provider}. There will be "
            f"{w.count(sessions, 'meeting')}. The worker will talk with you about drugs and how to "
            "stay safe. It is free. What you say is private.",
            st.body,
        ),
        *b.section("Your first meeting", st),
    ]
    if first is None:
        story.append(b.para(f"Please phone {w.tel(centre.phone)} to book your first meeting. Do it soon.", st.body))
    story.append(b.details(_appointment_rows(letter, youth=True), st))
    story += [
        *b.section("When you must go", st),
        b.para(
            f"Go to your first meeting by {full_date(facts.first_attendance_due)}. Go to "
            f"{w.all_of(sessions, 'meeting')} by {full_date(facts.due_date)}. If you cannot go to "
            f"a meeting, phone {w.tel(centre.phone)} before it. They can change it.",
            st.body,
        ),
        b.kept_section(
            "If you do not go", [b.para(if_not_attended(facts.scheme.kind, facts.pathway, facts.due_date), st.body)], st
        ),
        *b.section("Your information", st),
        b.para(facts.scheme.data_protection_text, st.body),
        *b.section("Questions", st),
        b.para(
            f"{w.phone_or_contact(facts.scheme.police, capital=True)}. Tell them your reference: {facts.reference}. "
            "Your parent or carer can help you too.",
            st.body,
        ),
    ]
    return story
