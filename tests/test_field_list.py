"""The field lists (domain/fields.py) against what they describe: the database columns, the
records that carry the values, and the consumers that read them."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import Date, String, Text

from diversion_desktop.documents.subject_access import label
from diversion_desktop.domain.fields import (
    APPOINTMENT_FIELDS,
    PERSON_FIELDS,
    REFERRAL_FIELDS,
    Field,
    Kind,
    Retention,
)
from diversion_desktop.domain.intake import (
    NAME_FIELDS,
    SEVERAL_LINES,
    TEXT_LIMITS,
    IntakeDraft,
)
from diversion_desktop.services import retention, scope
from diversion_desktop.services.dto import PersonRecord
from diversion_desktop.services.exporter import PEOPLE_COLUMNS
from diversion_desktop.spreadsheets import import_format
from diversion_desktop.store.models import Appointment, Person, Referral

LISTS = [(Person, PERSON_FIELDS), (Referral, REFERRAL_FIELDS), (Appointment, APPOINTMENT_FIELDS)]
EVERY = [(model, f) for model, fields in LISTS for f in fields]


@pytest.mark.parametrize(("model", "f"), EVERY, ids=[f"{m.__tablename__}.{f.name}" for m, f in EVERY])
def test_each_field_is_a_column_and_its_length_is_the_columns(model: type, f: Field) -> None:
    column = model.__table__.columns[f.name]
    if isinstance(column.type, String) and not isinstance(column.type, Text):
        assert f.max_length == column.type.length
    elif isinstance(column.type, Date):
        assert f.max_length is None and f.kind is Kind.DATE
    else:  # a Text column has no length of its own: the list's limit (if any) is what is refused
        assert isinstance(column.type, Text)


def test_names_are_unique_across_the_lists() -> None:
    names = [f.name for _, fields in LISTS for f in fields]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("carrier", [IntakeDraft, PersonRecord])
def test_the_records_carrying_a_person_carry_every_person_field_and_no_other_detail(carrier: type) -> None:
    """The typed records the form and the screens pass around declare exactly the listed fields
    (and the ones that are not a person's detail): a field added to the list and not to them, or
    the other way round, fails here."""
    declared = {f.name for f in dataclasses.fields(carrier)}
    listed = {f.name for f in PERSON_FIELDS}
    assert listed <= declared
    others = {
        "person_id",
        "person_version",
        "scheme_code",
        "substances",
        "offence",
        "suspected_supply",
        "consent",
        "incident_at",
        *(f.name for f in REFERRAL_FIELDS),  # the draft's referral
        "id",
        "reference",
        "barred",
        "aliases",
        "referrals",
        "withheld",
        "version",
    }  # the record's
    assert declared - listed <= others


def test_the_intake_checks_are_the_lists() -> None:
    typed = [f for f in (*PERSON_FIELDS, *REFERRAL_FIELDS) if f.group]
    assert TEXT_LIMITS == {f.name: f.max_length for f in typed if f.max_length is not None}
    assert NAME_FIELDS == {f.name for f in typed if f.kind is Kind.NAME}
    assert SEVERAL_LINES == {f.name for f in typed if f.kind is Kind.LINES}


@pytest.mark.parametrize(
    ("fields", "cleared"),
    [
        (PERSON_FIELDS, retention.PERSON_TEXT),
        (REFERRAL_FIELDS, retention.REFERRAL_TEXT),
        (APPOINTMENT_FIELDS, retention.APPOINTMENT_TEXT),
    ],
)
def test_retention_empties_the_fields_declared_blank(fields: tuple[Field, ...], cleared: tuple[str, ...]) -> None:
    assert cleared == tuple(f.name for f in fields if f.retention is Retention.BLANK)
    # and nothing kept for the statistics is cleared
    assert {"sex", "ethnicity_self", "ethnicity_observed"}.isdisjoint(cleared)


def test_who_may_see_a_field_is_what_scope_withholds() -> None:
    assert scope.POLICE_PERSON_FIELDS == {"pnc_reference"}
    assert scope.POLICE_REFERRAL_FIELDS == {
        "crime_reference",
        "officer_name",
        "officer_collar_number",
        "station",
        "officer_notes",
    }


def test_the_people_export_has_the_exported_fields_in_order() -> None:
    names = [c.name for c in PEOPLE_COLUMNS]
    assert names[1:-4] == [f.export or f.name for f in PERSON_FIELDS if f.export is not None]
    assert names[-4:] == ["aliases", "barred", "barred_on", "referrals"]


@pytest.mark.parametrize("f", [*PERSON_FIELDS, *REFERRAL_FIELDS, *APPOINTMENT_FIELDS], ids=lambda f: f.name)
def test_subject_access_labels_come_from_the_list(f: Field) -> None:
    assert label(f.name) == f.shown_as


def test_the_import_template_checks_its_field_columns_by_the_list() -> None:
    columns = {f.import_column: f for f in (*PERSON_FIELDS, *REFERRAL_FIELDS) if f.import_column}
    assert set(columns) <= set(import_format.REFERRAL_COLUMNS)
    assert import_format.NAME_COLUMNS == {c for c, f in columns.items() if f.kind is Kind.NAME}
    for column, f in columns.items():
        if f.max_length is not None and f.kind is not Kind.CHOICE:
            assert import_format.MAX_LENGTH[column] == f.max_length
