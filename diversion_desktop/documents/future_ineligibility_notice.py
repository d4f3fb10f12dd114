"""The future ineligibility notice: the diversion has ended and will not be offered again.

Sent to the person (with a copy to the guardian and the YOT for under-18s)
once a coordinator has confirmed a next step that bars further diversion.
What happens for the offence itself is the confirmed step, said in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reportlab.platypus import Flowable

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import wording as w
from diversion_desktop.documents.consequences import what_happens_now
from diversion_desktop.documents.data import AppointmentDetails, ConfirmedStep, Document, DocumentKind
from diversion_desktop.documents.dates import date_and_time, full_date
from diversion_desktop.documents.styles import styles_for
from diversion_desktop.documents.template import Composition


@dataclass(frozen=True)
class FutureIneligibilityNotice(Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.FUTURE_INELIGIBILITY_NOTICE
    decision: ConfirmedStep
    # What ended the diversion, said in the notice with its dates: the appointments not
    # attended, and those rebooked at the person's request (both count as misses).
    missed: tuple[AppointmentDetails, ...] = ()
    rebooked: tuple[AppointmentDetails, ...] = ()

    def compose(self) -> Composition:
        return lay_out(self)


def lay_out(notice: FutureIneligibilityNotice) -> Composition:
    facts = notice.facts
    decision = notice.decision
    if not decision.step.bars_person:
        raise ValueError(
            f"A future ineligibility notice follows a step that bars further diversion, not '{decision.step.label}'."
        )
    youth = facts.youth
    st = styles_for(youth)
    scheme = facts.scheme
    police = scheme.police
    incident_on = facts.incident_at.date()
    now = what_happens_now(decision.step, facts.pathway, incident_on)

    story: list[Flowable] = b.opening(police, facts.person, notice.reference, notice.issued_on, st)
    if youth:
        story += [
            b.heading("Your drugs diversion has ended", st),
            b.para(f"Dear {facts.forenames or facts.full_name},", st.body),
            b.para(_what_happened(notice, youth=True), st.body),
            *b.section("What happens now", st),
            b.para(now, st.body),
            b.para("A drugs diversion will not be offered to you again.", st.body),
            *b.section("If you think this is wrong", st),
            b.para(
                f"Maybe you did go, or something stopped you. {w.phone_or_contact(police, capital=True)} "
                f"and tell them your reference: {facts.reference}. Your parent or carer can help you.",
                st.body,
            ),
        ]
    else:
        story += [
            b.heading("Your drugs diversion has ended", st),
            b.para(f"Dear {facts.full_name},", st.body),
            b.para(
                f"You were referred to the {scheme.area} drugs diversion scheme on "
                f"{full_date(facts.referral_date)}, after police found you in possession of "
                f"{w.substance_names(facts.substances)} on {full_date(incident_on)}.",
                st.body,
            ),
            b.para(_what_happened(notice, youth=False), st.body),
            *b.section("What happens now", st),
            b.para(now, st.body),
            b.para("Further drugs diversion will not be offered to you, in this or any other area scheme.", st.body),
            b.para(f"This decision was confirmed on {full_date(decision.confirmed_at.date())}.", st.body),
            *b.section("If you think this is wrong", st),
            b.para(
                f"If you think this is wrong, for example because you did attend, "
                f"{w.phone_or_contact(police)} and give your reference, {facts.reference}.",
                st.body,
            ),
        ]
    story.append(b.sign_off(police.signatory, police.name, st))
    if youth:
        story += b.copies([w.guardian_name(facts.guardian), scheme.yot.name], st)
    return Composition(
        title=f"Future ineligibility notice {facts.reference}",
        author=police.name,
        reference=notice.reference,
        issued_on=notice.issued_on,
        story=story,
        subject=f"{scheme.area} drugs diversion",
    )


def _what_happened(notice: FutureIneligibilityNotice, youth: bool) -> str:
    """Why the diversion ended, in words that are true on the day the notice is issued.

    A notice can follow missed appointments well before the deadline, so the deadline is
    named only once it has passed; otherwise the missed appointments are, with their dates.
    """
    facts = notice.facts
    allowed = facts.scheme.rebookings_allowed
    thing = "meeting" if youth else "appointment"
    said: list[str] = []
    if notice.missed:
        went = "go to" if youth else "attend"
        said.append(f"You did not {went} your {_plural(thing, notice.missed)} on {_when(notice.missed)}.")
    if notice.rebooked:
        said.append(
            f"You asked to change your {_plural(thing, notice.rebooked)} on {_when(notice.rebooked)}."
            if youth
            else f"You asked to rebook your {_plural(thing, notice.rebooked)} on {_when(notice.rebooked)}."
        )
    misses = len(notice.missed) + len(notice.rebooked)
    ended = "So your drugs diversion has ended." if youth else "So this diversion has ended."
    if misses > allowed:
        if allowed == 0:
            rule = (
                f"A {thing} cannot be missed or changed."
                if youth
                else f"The scheme does not allow an {thing} to be missed or rebooked."
            )
        else:
            rule = (
                f"A {thing} can only be missed or changed {w.times(allowed)}."
                if youth
                else f"The scheme allows an {thing} to be missed or rebooked only {w.times(allowed)}."
            )
        said += [rule, ended]
    elif facts.due_date < notice.issued_on:
        said.append(
            f"You did not go to all your meetings by {full_date(facts.due_date)}."
            if youth
            else f"You did not complete the programme by the deadline, {full_date(facts.due_date)}."
        )
        said.append(ended)
    else:
        said.append(
            "You did not go to your meetings as the drugs diversion needs."
            if youth
            else "You did not attend the programme as the scheme requires."
        )
        said.append(ended)
    return " ".join(said)


def _plural(thing: str, appointments: tuple[AppointmentDetails, ...]) -> str:
    return thing if len(appointments) == 1 else f"{thing}s"


def _when(appointments: tuple[AppointmentDetails, ...]) -> str:
    return w.and_list([date_and_time(a.at) for a in sorted(appointments, key=lambda a: a.at)])
