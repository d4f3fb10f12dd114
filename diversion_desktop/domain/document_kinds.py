"""The kinds of document the scheme issues, and what the application must know of each besides
its wording and layout: its name, its reference code, who may issue it, where it goes.

Here, in the domain, so that the services can check permissions and decide what is due without
loading the PDF machinery; the layouts are in ``diversion_desktop/documents/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from diversion_desktop.domain.permissions import Permission


class DocumentKind(StrEnum):
    REFERRAL_LETTER = "referral_letter"
    YOT_NOTICE = "yot_notice"
    APPOINTMENT_LETTER = "appointment_letter"
    MISSED_APPOINTMENT_NOTICE = "missed_appointment_notice"
    PROSECUTION_FILE_NOTE = "prosecution_file_note"
    FUTURE_INELIGIBILITY_NOTICE = "future_ineligibility_notice"
    COMPLETION_LETTER = "completion_letter"

    @property
    def details(self) -> KindDetails:
        return _KIND_DETAILS[self]

    @property
    def label(self) -> str:
        return self.details.label

    def reference(self, referral_reference: str, appointment_id: int | None = None) -> str:
        """The reference printed on a document of this kind: the referral's with the kind's code and,
        for a letter about one appointment, that appointment's number ("WB-2026-00001-AP12")."""
        return f"{referral_reference}-{self.code}{'' if appointment_id is None else appointment_id}"

    @property
    def code(self) -> str:
        """Short suffix that turns a referral reference into a document reference."""
        return self.details.code


class SentTo(StrEnum):
    PERSON = "person"  # by post to the person (a copy to the guardian for an under-18)
    YOT = "yot"  # to the Youth Offending Team, at the address in the scheme settings
    CASE_FILE = "case_file"  # kept on the police case file, not posted


@dataclass(frozen=True)
class KindDetails:
    """What the application needs to know of a kind of document besides its layout."""

    label: str
    code: str
    permission: Permission  # who may issue it, and so preview or reprint it
    sent_to: SentTo
    # Issued under a confirmed next step, and withdrawn with it when that step is withdrawn.
    withdrawn_with_next_step: bool = False


# One row a kind of document. A new letter is a row here, its module in documents/ (its data
# and layout), and services/documents.py's rule for when it is due and what fills it.
_KIND_DETAILS: dict[DocumentKind, KindDetails] = {
    DocumentKind.REFERRAL_LETTER: KindDetails(
        "Referral letter", "RL", Permission.ISSUE_INTAKE_DOCUMENTS, SentTo.PERSON
    ),
    DocumentKind.YOT_NOTICE: KindDetails(
        "Notice to the Youth Offending Team", "YOT", Permission.ISSUE_INTAKE_DOCUMENTS, SentTo.YOT
    ),
    DocumentKind.APPOINTMENT_LETTER: KindDetails(
        "Appointment letter", "AP", Permission.ISSUE_PROVIDER_DOCUMENTS, SentTo.PERSON
    ),
    DocumentKind.MISSED_APPOINTMENT_NOTICE: KindDetails(
        "Missed appointment notice", "MA", Permission.ISSUE_NEXT_STEP_DOCUMENTS, SentTo.PERSON
    ),
    DocumentKind.PROSECUTION_FILE_NOTE: KindDetails(
        "Prosecution file note",
        "PF",
        Permission.ISSUE_NEXT_STEP_DOCUMENTS,
        SentTo.CASE_FILE,
        withdrawn_with_next_step=True,
    ),
    DocumentKind.FUTURE_INELIGIBILITY_NOTICE: KindDetails(
        "Future ineligibility notice",
        "FI",
        Permission.ISSUE_NEXT_STEP_DOCUMENTS,
        SentTo.PERSON,
        withdrawn_with_next_step=True,
    ),
    DocumentKind.COMPLETION_LETTER: KindDetails(
        "Completion letter", "CL", Permission.ISSUE_PROVIDER_DOCUMENTS, SentTo.PERSON, withdrawn_with_next_step=True
    ),
}
