"""The consequence paragraph, in plain words for the person's scheme and age.

Which consequence applies is never decided here: the domain's single table
(``next_step_for_non_attendance``) picks the :class:`NextStep`, and this module
only says that step in words, in the young person's wording on the youth
pathway. Changing the rules is changing the domain table; the letters follow.
"""

from __future__ import annotations

from datetime import date

from diversion_desktop.documents.dates import full_date
from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import NextStep, next_step_for_completion, next_step_for_non_attendance
from diversion_desktop.domain.schemes import SchemeKind

# Said before the deadline: what will happen if the person does not attend.
_IF_NOT_ATTENDED: dict[tuple[NextStep, Pathway], str] = {
    (NextStep.REPORT_FOR_PROSECUTION, Pathway.ADULT): (
        "If you do not attend and complete the programme by {due}, the police will report you "
        "for the original offence of possessing drugs. This means you are likely to receive a "
        "summons to go to court. You would also not be offered a drugs diversion again."
    ),
    (NextStep.REPORT_FOR_PROSECUTION, Pathway.YOUTH): (
        "If you do not go to all your meetings by {due}, the police will report you for having "
        "drugs. You may have to go to court. You will not get this chance again."
    ),
    (NextStep.FUTURE_DIVERSION_BARRED, Pathway.ADULT): (
        "If you do not attend and complete the programme by {due}, you will not be offered a "
        "drugs diversion again. You will not be taken to court for this offence. But if the "
        "police find you in possession of drugs in future, it will be dealt with through the "
        "normal criminal justice process, which can mean going to court."
    ),
    (NextStep.FUTURE_DIVERSION_BARRED, Pathway.YOUTH): (
        "If you do not go to all your meetings by {due}, you will not be offered this help again. "
        "You will not go to court for this. But if the police find you with drugs again, they "
        "will deal with it in the usual way. That could mean going to court."
    ),
}

# Said once the next step is confirmed: what happens now.
_NOW: dict[tuple[NextStep, Pathway], str] = {
    (NextStep.REPORT_FOR_PROSECUTION, Pathway.ADULT): (
        "The police will now report you for the original offence of possessing drugs on "
        "{incident}. You are likely to receive a summons to go to court. You will not be offered "
        "a drugs diversion again."
    ),
    (NextStep.REPORT_FOR_PROSECUTION, Pathway.YOUTH): (
        "The police will now report you for having drugs on {incident}. You may have to go to "
        "court. You will not be offered this help again."
    ),
    (NextStep.FUTURE_DIVERSION_BARRED, Pathway.ADULT): (
        "You will not be taken to court for the offence on {incident}. But you will not be "
        "offered a drugs diversion again. If the police find you in possession of drugs in "
        "future, it will be dealt with through the normal criminal justice process, which can "
        "mean going to court."
    ),
    (NextStep.FUTURE_DIVERSION_BARRED, Pathway.YOUTH): (
        "You will not go to court for what happened on {incident}. But you will not be offered "
        "this help again. If the police find you with drugs again, they will deal with it in "
        "the usual way. That could mean going to court."
    ),
    (NextStep.NO_FURTHER_ACTION, Pathway.ADULT): (
        "No further action will be taken against you for the offence on {incident}. You will not be prosecuted for it."
    ),
    (NextStep.NO_FURTHER_ACTION, Pathway.YOUTH): (
        "The police will take no further action about what happened on {incident}. You will not go to court for it."
    ),
}


def non_attendance_step(kind: SchemeKind, pathway: Pathway) -> NextStep:
    """The step that follows non-attendance: asked of the domain, never decided here."""
    return next_step_for_non_attendance(kind, pathway)


def if_not_attended(kind: SchemeKind, pathway: Pathway, due: date) -> str:
    """The warning for letters sent while the person can still attend (plain text)."""
    step = non_attendance_step(kind, pathway)
    return _IF_NOT_ATTENDED[(step, pathway)].format(due=full_date(due))


def what_happens_now(step: NextStep, pathway: Pathway, incident_on: date) -> str:
    """The confirmed step said to the person, for the notice that follows it (plain text)."""
    return _NOW[(step, pathway)].format(incident=full_date(incident_on))


def on_completion(pathway: Pathway, incident_on: date) -> str:
    """What completing the programme means for the offence (plain text)."""
    return what_happens_now(next_step_for_completion(), pathway, incident_on)


def for_professionals(kind: SchemeKind, pathway: Pathway) -> str:
    """One line for the YOT and the case file: the step's own label."""
    return non_attendance_step(kind, pathway).label
