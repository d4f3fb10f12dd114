"""The subject-access export as a readable PDF: everything held about one person.

Made from the same plain values the service writes to the JSON file (``SubjectAccessReport.content``:
dicts, lists, text, numbers, dates), so the two always say the same. Every field is printed with
a label, including empty ones, so the reader sees what is recorded and what is not; only internal
row numbers are left out. All text is drawn as given (``Text``/``TextTable``): nothing typed is
read as markup, and a very long entry runs on over as many pages as it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from diversion_desktop.documents import blocks as b
from diversion_desktop.documents import fonts
from diversion_desktop.documents.dates import clock_time, date_and_time, full_date, short_date
from diversion_desktop.documents.styles import ADULT
from diversion_desktop.documents.template import Composition, build_pdf
from diversion_desktop.domain.fields import APPOINTMENT_FIELDS, PERSON_FIELDS, REFERRAL_FIELDS

AUTHOR = "Diversion Desktop"

# The small headings inside a referral, kept with what follows them (never alone at a page's foot).
_MINOR_HEADING = ParagraphStyle("sar-minor-heading", parent=ADULT.body_bold, keepWithNext=1)
_ITEM_HEADING = ParagraphStyle("sar-item-heading", parent=ADULT.body, keepWithNext=1)

# Internal row numbers mean nothing to the reader (the JSON file keeps them).
_HIDDEN = frozenset(
    {
        "id",
        "person_id",
        "referral_id",
        "appointment_id",
        "merged_into_id",
        "barred_by_referral_id",
        "kept_person_id",
        "merged_person_id",
    }
)

# The fields' own labels are in domain/fields.py (``record_label``); these are the other columns'.
_LABELS = {
    "reference": "Reference",
    "barred": "Barred from further diversion",
    "barred_at": "Barred on",
    "barred_by_referral": "Barred by referral",
    "created_at": "Record created",
    "merged_into": "Merged into",
    "anonymised_at": "Anonymised on",
    "incident_at": "Incident date and time",
    "suspected_supply": "Suspected of supplying",
    "age_at_incident": "Age at the incident",
    "reasons": "Reasons for the decision",
    "rule_version": "Rules version",
    "settings_hash": "Scheme settings fingerprint",
    "scheme_settings": "Scheme settings at the decision",
    "centre_code": "Centre",
    "first_attendance_due": "First attendance due by",
    "due_date": "Programme due by",
    "proposed_step": "Proposed next step",
    "next_step_confirmed_by": "Next step confirmed by",
    "next_step_confirmed_at": "Next step confirmed on",
    "for_case_file": "For the police case file",
    "legal_hold": "Legal hold",
    "scheduled_at": "Date and time",
    "document_reference": "Document reference",
    "issued_at": "Issued on",
    "page_count": "Pages",
    "sha256": "SHA-256 of the PDF",
    "pdf_bytes": "Size of the PDF (bytes)",
    "pdf_included": "PDF included in this export",
    "undone_at": "Undone on",
    "record_reference": "Record",
}


@dataclass(frozen=True)
class SubjectAccessReport:
    """What the PDF is made from: plain values only (no database objects)."""

    reference: str  # the export's own reference, in every page's footer
    made_at: datetime
    made_by: str
    person_reference: str
    person_name: str
    json_file_name: str
    content: Mapping[str, Any]  # the same values the JSON file holds


_FIELD_LABELS = {f.name: f.shown_as for f in (*PERSON_FIELDS, *REFERRAL_FIELDS, *APPOINTMENT_FIELDS)}


def label(key: str) -> str:
    return _FIELD_LABELS.get(key) or _LABELS.get(key) or key.replace("_", " ").capitalize()


def value_text(value: Any) -> str:  # noqa: ANN401 - any plain value
    """A value as a reader expects it: dates in words, yes/no, lists one per line."""
    if value is None or value == "" or value == [] or value == {}:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return date_and_time(value)
    if isinstance(value, date):
        return full_date(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Mapping):
        return "\n".join(f"{label(str(k))}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(value_text(v) for v in value)
    return str(value)


def _details(record: Mapping[str, Any], skip: Iterable[str] = ()) -> Flowable:
    skipped = _HIDDEN | set(skip)
    rows = [
        (label(key), value_text(value)) for key, value in record.items() if key not in skipped and not _is_table(value)
    ]
    return b.details(rows, ADULT, label_width=55 * mm)


def _is_table(value: object) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], Mapping)


def _grid(
    header: Sequence[str], keys: Sequence[str], rows: Iterable[Mapping[str, Any]], widths: Sequence[float]
) -> Flowable:
    return b.grid(header, ([value_text(row.get(k)) for k in keys] for row in rows), widths, ADULT)


def _when(moment: object) -> str:
    """Date over time, for a narrow first column."""
    if isinstance(moment, datetime):
        return f"{short_date(moment.date())}\n{clock_time(moment)}"
    return value_text(moment)


def _titled(*parts: object) -> str:
    """``Referral WB-2026-00001 (1 of 2)``: a title of its parts, leaving out one not recorded."""
    return " ".join(str(part) for part in parts if part not in (None, ""))


def _none(text: str) -> Flowable:
    return b.para(text, ADULT.body)


def _referral(referral: Mapping[str, Any], index: int, total: int) -> list[Flowable]:
    st = ADULT
    story: list[Flowable] = [
        *b.section(_titled("Referral", referral.get("reference"), f"({index} of {total})"), st),
        _details(referral, skip={"scheme_settings"}),
        b.para("The scheme settings the decision was made under are in the JSON file (scheme_settings).", st.body),
    ]
    substances = referral.get("substances") or []
    story.append(b.para("Substances found", _MINOR_HEADING))
    story.append(
        _grid(
            ("Substance", "Quantity", "Unit"),
            ("substance", "quantity", "unit"),
            substances,
            (70 * mm, 50 * mm, 50 * mm),
        )
        if substances
        else _none("None recorded.")
    )
    appointments = referral.get("appointments") or []
    story.append(b.para("Appointments", _MINOR_HEADING))
    if not appointments:
        story.append(_none("None booked."))
    for number, appointment in enumerate(appointments, start=1):
        story.append(b.para(f"Appointment {number} of {len(appointments)}", _ITEM_HEADING))
        story.append(_details(appointment))
    timeline = referral.get("timeline") or []
    story.append(b.para("Timeline", _MINOR_HEADING))
    story.append(
        _grid(
            ("Date and time", "Event", "What happened", "Recorded by"),
            ("at", "kind", "text", "actor"),
            ({**t, "at": _when(t.get("at"))} for t in timeline),
            (32 * mm, 28 * mm, 80 * mm, 30 * mm),
        )
        if timeline
        else _none("No events.")
    )
    documents = referral.get("issued_documents") or []
    story.append(b.para("Letters and notices issued", _MINOR_HEADING))
    story.append(
        _grid(
            ("Document", "Title", "To", "Issued on", "By"),
            ("document_reference", "title", "recipient", "issued_at", "issued_by"),
            documents,
            (32 * mm, 45 * mm, 38 * mm, 30 * mm, 25 * mm),
        )
        if documents
        else _none("None issued.")
    )
    return story


def compose(report: SubjectAccessReport) -> Composition:
    st = ADULT
    content = report.content
    story: list[Flowable] = [
        b.heading("Subject access: the information held about one person", st),
        b.para(
            f"{report.person_name or 'Name not recorded'} ({report.person_reference}). "
            f"Prepared on {date_and_time(report.made_at)} "
            f"by {report.made_by}; export reference {report.reference}.",
            st.body,
        ),
        b.para(
            "This is everything the Diversion Desktop database holds about this person: their record, "
            "any other record found to be the same person and merged into it, every referral with its "
            "appointments, timeline and the letters issued, and the audit trail of who opened or changed "
            f"the record. The same information is in the file {report.json_file_name} (JSON), for a "
            "computer to read. Letters and notices are listed by their details: the letters themselves "
            "(PDF files) are not part of this export and can be provided on request.",
            st.body,
        ),
        Spacer(1, 2 * mm),
        *b.section("The person", st),
        _details(content.get("person") or {}),
    ]
    aliases = content.get("aliases") or []
    story += b.section("Other names", st)
    story.append(
        _grid(("Surname", "Forenames"), ("surname", "forenames"), aliases, (85 * mm, 85 * mm))
        if aliases
        else _none("No other names recorded.")
    )
    merged = content.get("merged_records") or []
    story += b.section("Other records of this person (merged into this one)", st)
    if not merged:
        story.append(_none("None."))
    for record in merged:
        story.append(b.para(_titled("Record", record.get("reference")), _MINOR_HEADING))
        story.append(_details(record))
    merges = content.get("merges") or []
    story += b.section("Merges of records", st)
    if not merges:
        story.append(_none("None."))
    for merge in merges:
        story.append(_details(merge))
    referrals = content.get("referrals") or []
    if not referrals:
        story += [*b.section("Referrals", st), _none("No referrals.")]
    for index, referral in enumerate(referrals, start=1):
        story += _referral(referral, index, len(referrals))
    events = content.get("audit_events") or []
    story += b.section("Audit trail: who opened or changed the record", st)
    story.append(
        _grid(
            ("Date and time", "User", "Action", "Record", "Details"),
            ("at", "username", "action", "record_reference", "details"),
            (
                {
                    **e,
                    "at": _when(e.get("at")),
                    "action": str(e.get("action", "")).replace("_", " "),
                    "details": _audit_details(e),
                }
                for e in events
            ),
            (30 * mm, 25 * mm, 35 * mm, 25 * mm, 55 * mm),
        )
        if events
        else _none("No audit entries.")
    )
    return Composition(
        title=f"Subject access export {report.person_reference}",
        author=AUTHOR,
        reference=report.reference,
        issued_on=report.made_at.date(),
        story=story,
        subject="Subject access request",
    )


def _change_text(value: object) -> str:
    return "—" if value is None or value == "" else value_text(value)


def _audit_details(event: Mapping[str, Any]) -> str:
    parts = [f"{name}: {_change_text(old)} → {_change_text(new)}" for name, old, new in event.get("changes") or []]
    if event.get("detail"):
        parts.append(str(event["detail"]))
    return "\n".join(parts)


def render(report: SubjectAccessReport, *, invariant: bool = False) -> bytes:
    """The export as PDF bytes."""
    fonts.register_fonts()
    composition = compose(report)
    return build_pdf(
        [composition], title=composition.title, author=AUTHOR, subject=composition.subject, invariant=invariant
    ).content
