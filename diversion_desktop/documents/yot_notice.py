"""The notice to the area's Youth Offending Team, sent at intake for every under-18.

Says: the young person's and the guardian's details, the incident, the
decision, the provider and appointment, and the police contact. Addressed to
the YOT named in the scheme settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reportlab.platypus import Flowable

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import wording as w
from diversion_desktop.documents.consequences import for_professionals
from diversion_desktop.documents.data import AppointmentDetails, Document, DocumentKind
from diversion_desktop.documents.dates import date_and_time, full_date
from diversion_desktop.documents.styles import ADULT
from diversion_desktop.documents.template import Composition


@dataclass(frozen=True)
class YotNotice(Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.YOT_NOTICE
    first_appointment: AppointmentDetails | None = None

    def compose(self) -> Composition:
        return lay_out(self)


def lay_out(notice: YotNotice) -> Composition:
    facts = notice.facts
    st = ADULT
    scheme = facts.scheme
    police = scheme.police
    centre = facts.centre
    guardian = facts.guardian
    first = notice.first_appointment

    story: list[Flowable] = b.opening(police, scheme.yot, notice.reference, notice.issued_on, st)
    story += [
        b.heading("Young person referred to drugs diversion", st),
        b.para(
            f"The young person named below was under 18 on the date of the incident and has been "
            f"referred to the {scheme.area} drugs diversion scheme. This notice is sent to the Youth "
            "Offending Team for every young person referred. Please contact the police using the "
            "details at the end if you need more information.",
            st.body,
        ),
        *b.section("Young person", st),
        b.details(
            [
                ("Name", facts.full_name),
                ("Date of birth", full_date(facts.date_of_birth)),
                ("Age at the incident", str(facts.age_at_incident)),
                ("Address", w.one_line(facts.address)),
                ("Referral reference", facts.reference),
            ],
            st,
        ),
        *b.section("Parent or guardian", st),
    ]
    if guardian is not None and guardian.name:
        story.append(
            b.details(
                [
                    ("Name", guardian.name),
                    ("Relationship", guardian.relationship or "Not recorded"),
                    ("Telephone", guardian.phone or "Not recorded"),
                    ("Address", _guardian_address(guardian.address, facts.address)),
                ],
                st,
            )
        )
    else:
        story.append(b.para("No parent or guardian has been recorded.", st.body))

    incident: list[tuple[str, b.Value]] = [
        ("Date and time", date_and_time(facts.incident_at)),
        ("Place", facts.incident_place),
        ("Found", w.substances_text(facts.substances)),
    ]
    if facts.crime_reference:
        incident.append(("Crime reference", facts.crime_reference))
    if facts.officer:
        incident.append(("Officer", facts.officer))
    if facts.station:
        incident.append(("Station", facts.station))
    decision: list[tuple[str, b.Value]] = [
        ("Decision", facts.decision),
        ("Referral date", full_date(facts.referral_date)),
        ("Scheme", f"{scheme.area} ({scheme.kind.label.lower()})"),
        ("If not attended", for_professionals(scheme.kind, facts.pathway)),
    ]
    if facts.decided_by:
        decision.insert(1, ("Decided by", facts.decided_by))
    story += [
        *b.section("Incident", st),
        b.details(incident, st),
        *b.section("Decision", st),
        b.details(decision, st),
        *b.section("Provider and appointment", st),
        b.details(
            [
                ("Provider", facts.provider),
                ("Centre", w.centre_line(centre)),
                ("Telephone", centre.phone),
                ("First appointment", date_and_time(first.at) if first is not None else "Not booked yet"),
                ("First session by", full_date(facts.first_attendance_due)),
                ("All sessions by", full_date(facts.due_date)),
            ],
            st,
        ),
        *b.section("Police contact", st),
        b.details(
            [
                ("Contact", police.name),
                *([("Address", w.one_line(police.address))] if police.address else []),
                *([("Telephone", police.phone)] if police.phone else []),
                *([("E-mail", police.email)] if police.email else []),
            ],
            st,
        ),
        b.sign_off(police.signatory, police.name, st),
    ]
    return Composition(
        title=f"Notice to the Youth Offending Team {facts.reference}",
        author=police.name,
        reference=notice.reference,
        issued_on=notice.issued_on,
        story=story,
        subject=f"{scheme.area} drugs diversion",
    )


def _guardian_address(guardian: tuple[str, ...], young_person: tuple[str, ...]) -> str:
    """The guardian's address as recorded: never guessed from the young person's."""
    if not guardian:
        return "Not recorded"
    if young_person and _key(guardian) == _key(young_person):
        return "Same as the young person"
    return w.one_line(guardian)


def _key(address: tuple[str, ...]) -> str:
    return "".join(ch for ch in " ".join(address).casefold() if ch.isalnum())
