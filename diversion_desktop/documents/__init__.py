"""Letters and notices as PDF: plain data in, PDF bytes out.

No Qt and no database here: the services gather the data into the frozen
classes of :mod:`.data`, and :func:`render` / :func:`render_batch` lay it out
with reportlab. One module per document says what that document says.
"""

from __future__ import annotations

from diversion_desktop.documents.data import (
    AppointmentDetails,
    AppointmentLetter,
    CompletionLetter,
    ConfirmedStep,
    DocumentData,
    DocumentKind,
    FutureIneligibilityNotice,
    MissedAppointmentNotice,
    Party,
    ProsecutionFileNote,
    ReferralFacts,
    ReferralLetter,
    SchemeDetails,
    SubstanceFound,
    TimelineItem,
    YotNotice,
)
from diversion_desktop.documents.render import RenderedDocument, compose, render, render_batch
from diversion_desktop.documents.template import MARKING

__all__ = [
    "MARKING",
    "AppointmentDetails",
    "AppointmentLetter",
    "CompletionLetter",
    "ConfirmedStep",
    "DocumentData",
    "DocumentKind",
    "FutureIneligibilityNotice",
    "MissedAppointmentNotice",
    "Party",
    "ProsecutionFileNote",
    "ReferralFacts",
    "ReferralLetter",
    "RenderedDocument",
    "SchemeDetails",
    "SubstanceFound",
    "TimelineItem",
    "YotNotice",
    "compose",
    "render",
    "render_batch",
]
