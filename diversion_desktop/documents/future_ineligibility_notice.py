"""The future ineligibility notice: the diversion has ended and will not be offered again.

Sent to the person (with a copy to the guardian and the YOT for under-18s)
once a coordinator has confirmed a next step that bars further diversion.
What happens for the offence itself is the confirmed step, said in words.
"""

from __future__ import annotations

from reportlab.platypus import Flowable

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import wording as w
from diversion_desktop.documents.consequences import what_happens_now
from diversion_desktop.documents.data import FutureIneligibilityNotice
from diversion_desktop.documents.dates import full_date
from diversion_desktop.documents.styles import styles_for
from diversion_desktop.documents.template import Composition


def compose(notice: FutureIneligibilityNotice) -> Composition:
    facts = notice.facts
    decision = notice.decision
    if not decision.step.bars_person:
        raise ValueError(f"A future ineligibility notice follows a step that bars further diversion, "
                         f"not '{decision.step.label}'.")
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
            b.para(f"Dear {facts.forenames},", st.body),
            b.para(f"You did not go to all your meetings by {full_date(facts.due_date)}. So your drugs "
                   "diversion has ended.", st.body),
            *b.section("What happens now", st),
            b.para(now, st.body),
            b.para("A drugs diversion will not be offered to you again.", st.body),
            *b.section("If you think this is wrong", st),
            b.para(f"Maybe you did go, or something stopped you. Phone {w.tel(police.phone)} and tell them "
                   f"your reference: {facts.reference}. Your parent or carer can help you.", st.body),
        ]
    else:
        story += [
            b.heading("Your drugs diversion has ended", st),
            b.para(f"Dear {facts.full_name},", st.body),
            b.para(f"You were referred to the {scheme.area} drugs diversion scheme on "
                   f"{full_date(facts.referral_date)}, after police found you in possession of "
                   f"{w.substance_names(facts.substances)} on {full_date(incident_on)}. You did not attend "
                   f"and complete the programme by {full_date(facts.due_date)}, so this diversion has "
                   "ended.", st.body),
            *b.section("What happens now", st),
            b.para(now, st.body),
            b.para("Further drugs diversion will not be offered to you, in this or any other area "
                   "scheme.", st.body),
            b.para(f"This decision was confirmed on {full_date(decision.confirmed_at.date())}.", st.body),
            *b.section("If you think this is wrong", st),
            b.para(f"If you think this is wrong, for example because you did attend, phone {w.tel(police.phone)} "
                   f"and give your reference, {facts.reference}.", st.body),
        ]
    story.append(b.sign_off(police.signatory, police.name, st))
    if youth:
        story += b.copies([w.guardian_name(facts.guardian), scheme.yot.name], st)
    return Composition(title=f"Future ineligibility notice {facts.reference}", author=police.name,
                       reference=notice.reference, issued_on=notice.issued_on, story=story,
                       subject=f"{scheme.area} drugs diversion")
