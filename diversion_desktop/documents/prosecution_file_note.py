"""The prosecution file note, for the police case file (deferred prosecution, adult, not attended).

Says: the facts; the full timeline of the referral, the appointments and the
attendance; the decision and who confirmed it. The timeline can be long: its
tables run onto further pages with their header rows repeated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import wording as w
from diversion_desktop.documents.data import AppointmentDetails, ConfirmedStep, Document, DocumentKind, TimelineItem
from diversion_desktop.documents.dates import clock_time, date_and_time, full_date, short_date
from diversion_desktop.documents.styles import ADULT
from diversion_desktop.documents.template import Composition

_APPOINTMENT_WIDTHS = (37 * mm, 42 * mm, 28 * mm, 28 * mm, 35 * mm)
_TIMELINE_WIDTHS = (37 * mm, 98 * mm, 35 * mm)


def _when(moment: datetime) -> str:
    """Date over time, for the narrow first column: ``21 January 2020`` / ``2:30 pm``."""
    return f"{short_date(moment.date())}\n{clock_time(moment)}"


@dataclass(frozen=True)
class ProsecutionFileNote(Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.PROSECUTION_FILE_NOTE
    decision: ConfirmedStep
    appointments: tuple[AppointmentDetails, ...] = ()
    timeline: tuple[TimelineItem, ...] = ()

    def compose(self) -> Composition:
        return lay_out(self)


def lay_out(note: ProsecutionFileNote) -> Composition:
    facts = note.facts
    st = ADULT
    scheme = facts.scheme
    police = scheme.police
    decision = note.decision

    summary: list[tuple[str, b.Value]] = [
        ("Referral reference", facts.reference),
        ("Crime reference", facts.crime_reference or "Not recorded"),
        ("Name", facts.full_name),
        ("Date of birth", full_date(facts.date_of_birth)),
        ("Age at the incident", str(facts.age_at_incident)),
        ("Address", w.one_line(facts.address)),
        ("Scheme", f"{scheme.area} ({scheme.kind.label.lower()})"),
    ]
    incident: list[tuple[str, b.Value]] = [
        ("Date and time", date_and_time(facts.incident_at)),
        ("Place", facts.incident_place),
        ("Found", w.substances_text(facts.substances)),
        ("Officer", facts.officer or "Not recorded"),
        ("Station", facts.station or "Not recorded"),
    ]
    referral: list[tuple[str, b.Value]] = [
        ("Referral date", full_date(facts.referral_date)),
        ("Eligibility decision", facts.decision),
        ("Decided by", facts.decided_by or "Not recorded"),
        ("Provider", facts.provider),
        ("Centre", w.centre_line(facts.centre)),
        ("First session by", full_date(facts.first_attendance_due)),
        ("All sessions by", full_date(facts.due_date)),
        ("Sessions required", str(scheme.sessions_for_completion)),
    ]
    outcome: list[tuple[str, b.Value]] = [
        ("Next step", decision.step.label),
        ("Confirmed by", decision.confirmed_by),
        ("Confirmed on", date_and_time(decision.confirmed_at)),
    ]
    if decision.reason:
        outcome.insert(1, ("Reason", decision.reason))

    story: list[Flowable] = [
        b.letterhead(police, st),
        Spacer(1, 6 * mm),
        b.heading("Prosecution file note", st),
        b.para(
            f"Drugs diversion not completed. For the police case file: this note is not sent to the "
            f"person. Prepared on {full_date(note.issued_on)}; our reference {note.reference}.",
            st.body,
        ),
        *b.section("The person", st),
        b.details(summary, st),
        *b.section("The offence", st),
        b.details(incident, st),
        *b.section("The referral", st),
        b.details(referral, st),
        *b.section("Appointments and attendance", st),
    ]
    if note.appointments:
        story.append(
            b.grid(
                ("Date and time", "Centre", "Session", "Attendance", "Note"),
                (
                    (_when(a.at), a.centre.name if a.centre else "", a.session, a.attendance or "Booked", a.note)
                    for a in sorted(note.appointments, key=lambda a: a.at)
                ),
                _APPOINTMENT_WIDTHS,
                st,
            )
        )
    else:
        story.append(b.para("No appointment was booked.", st.body))
    story += b.section("Timeline", st)
    if note.timeline:
        story.append(
            b.grid(
                ("Date and time", "Event", "Recorded by"),
                ((_when(t.at), t.event, t.by) for t in sorted(note.timeline, key=lambda t: t.at)),
                _TIMELINE_WIDTHS,
                st,
            )
        )
    else:
        story.append(b.para("No events recorded.", st.body))
    story += [
        *b.section("Decision", st),
        b.details(outcome, st),
    ]
    return Composition(
        title=f"Prosecution file note {facts.reference}",
        author=police.name,
        reference=note.reference,
        issued_on=note.issued_on,
        story=story,
        subject=f"{scheme.area} drugs diversion",
    )
