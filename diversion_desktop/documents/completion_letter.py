"""The completion letter: the programme is completed and no further action follows.

Sent to the person (with a copy to the guardian and the YOT for under-18s).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from reportlab.platypus import Flowable

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import wording as w
from diversion_desktop.documents.consequences import on_completion
from diversion_desktop.documents.data import Document, DocumentKind
from diversion_desktop.documents.dates import full_date
from diversion_desktop.documents.styles import styles_for
from diversion_desktop.documents.template import Composition


@dataclass(frozen=True)
class CompletionLetter(Document):
    KIND: ClassVar[DocumentKind] = DocumentKind.COMPLETION_LETTER
    completed_on: date
    sessions_attended: int

    def compose(self) -> Composition:
        return lay_out(self)


def lay_out(letter: CompletionLetter) -> Composition:
    facts = letter.facts
    youth = facts.youth
    st = styles_for(youth)
    scheme = facts.scheme
    police = scheme.police
    centre = facts.centre
    incident_on = facts.incident_at.date()
    outcome = on_completion(facts.pathway, incident_on)

    story: list[Flowable] = b.opening(police, facts.person, letter.reference, letter.issued_on, st)
    if youth:
        story += [
            b.heading("You have finished your drugs diversion", st),
            b.para(f"Dear {facts.forenames or facts.full_name},", st.body),
            b.para(
                f"Well done. You finished your drugs diversion on {full_date(letter.completed_on)}. "
                f"You went to {w.count(letter.sessions_attended, 'meeting')} with {facts.provider}.",
                st.body,
            ),
            *b.section("What this means", st),
            b.para(outcome, st.body),
            *b.section("More help", st),
            b.para(
                f"If you want more help or advice about drugs, you can still phone {facts.provider} "
                f"on {w.tel(centre.phone)}.",
                st.body,
            ),
        ]
    else:
        story += [
            b.heading("You have completed your drugs diversion", st),
            b.para(f"Dear {facts.full_name},", st.body),
            b.para(
                f"You completed the {scheme.area} drugs diversion programme with {facts.provider} on "
                f"{full_date(letter.completed_on)}, attending "
                f"{w.count(letter.sessions_attended, 'session')}. Thank you for taking part.",
                st.body,
            ),
            *b.section("What this means", st),
            b.para(outcome, st.body),
            *b.section("More help", st),
            b.para(
                f"If you would like more advice or support about drugs, {facts.provider} can still "
                f"help: phone {centre.name} on {w.tel(centre.phone)}.",
                st.body,
            ),
        ]
    story.append(b.sign_off(police.signatory, police.name, st))
    if youth:
        story += b.copies([w.guardian_name(facts.guardian), scheme.yot.name], st)
    return Composition(
        title=f"Completion letter {facts.reference}",
        author=police.name,
        reference=letter.reference,
        issued_on=letter.issued_on,
        story=story,
        subject=f"{scheme.area} drugs diversion",
    )
