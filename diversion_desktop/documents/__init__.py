"""Letters and notices as PDF: plain data in, PDF bytes out.

No Qt and no database here: the services gather the data into each document's
frozen class (in its module, built on :mod:`.data`), and :func:`render` / :func:`render_batch` lay it out
with reportlab. One module per document says what that document says.
"""

from __future__ import annotations

from diversion_desktop.documents.appointment_letter import AppointmentLetter
from diversion_desktop.documents.completion_letter import CompletionLetter
from diversion_desktop.documents.data import (
    AppointmentDetails,
    ConfirmedStep,
    Document,
    DocumentKind,
    Party,
    ReferralFacts,
    SchemeDetails,
    SubstanceFound,
    TimelineItem,
)
from diversion_desktop.documents.future_ineligibility_notice import FutureIneligibilityNotice
from diversion_desktop.documents.missed_appointment_notice import MissedAppointmentNotice
from diversion_desktop.documents.prosecution_file_note import ProsecutionFileNote
from diversion_desktop.documents.referral_letter import ReferralLetter
from diversion_desktop.documents.render import RenderedDocument, compose, render, render_batch
from diversion_desktop.documents.template import MARKING
from diversion_desktop.documents.yot_notice import YotNotice
from diversion_desktop.domain.document_kinds import SentTo

__all__ = [
    "MARKING",
    "AppointmentDetails",
    "AppointmentLetter",
    "CompletionLetter",
    "ConfirmedStep",
    "Document",
    "DocumentKind",
    "FutureIneligibilityNotice",
    "MissedAppointmentNotice",
    "Party",
    "ProsecutionFileNote",
    "ReferralFacts",
    "ReferralLetter",
    "RenderedDocument",
    "SchemeDetails",
    "SentTo",
    "SubstanceFound",
    "TimelineItem",
    "YotNotice",
    "compose",
    "render",
    "render_batch",
]
