"""Merging two records of one person, and undoing it, on a real database."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from diversion_desktop.domain.permissions import Role
from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from diversion_desktop.services.merge import MergeService
from diversion_desktop.store.models import AuditEvent, Person, PersonAlias, PersonMerge
from tests.conftest import EVERY_ROLE, as_role

SQL_TEXT = "'; DROP TABLE people; --"


@pytest.fixture
def merges(ctx):
    return MergeService(ctx)


@pytest.fixture
def two_records(intake, make_draft):
    """John Smith twice: P000001 (WB-2026-00001) and, as "Jon Smyth", P000002 (WB-2026-00002)."""
    first = intake.save(make_draft())
    second = intake.save(
        make_draft(surname="Smyth", forenames="Jon", address="2 Other Road, Thatcham", phone="07700 900999")
    )
    assert first.person_id != second.person_id
    return first, second


def _person(ctx, person_id: int) -> Person:
    with ctx.session_factory() as session:
        person = session.get(Person, person_id)
        session.expunge(person)
        return person


def _audit(ctx, action: str) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_merge_moves_the_history_and_the_old_reference_still_finds_the_person(
    ctx, merges, people, referrals, two_records
) -> None:
    first, second = two_records
    result = merges.merge(first.person_id, second.person_id, "Same person: same date of birth and address history.")
    assert result.kept_reference == "P000001" and result.merged_reference == "P000002"
    assert result.referrals_moved == ("WB-2026-00002",)
    assert result.alias_added and not result.became_barred
    assert "P000002 merged into P000001" in result.summary()

    kept = people.get(first.person_id)
    assert [r.reference for r in kept.referrals] == ["WB-2026-00001", "WB-2026-00002"]
    assert "Jon Smyth" in kept.aliases
    assert referrals.detail(second.id).person.reference == "P000001"
    assert _person(ctx, second.person_id).merged_into_id == first.person_id
    # The kept record's own details are not overwritten by the other's.
    assert kept.phone == "07700 900000"

    # The old reference finds the person it was merged into, in every form users type it.
    for typed in ("P000002", "p-000002", "P2"):
        assert [p.reference for p in people.search(typed)] == ["P000001"]
    # A merged record never appears on its own: its name finds the kept person (as an alias).
    assert [p.reference for p in people.search("Smyth")] == ["P000001"]
    assert [p.reference for p in people.search("Smith")] == ["P000001"]
    assert [m.person.reference for m in people.possible_matches("Smyth", "Jon", date(1990, 5, 17))] == ["P000001"]

    merged, away = _audit(ctx, "person_merged"), _audit(ctx, "person_merged_away")
    assert [e.person_id for e in merged] == [first.person_id] and [e.person_id for e in away] == [second.person_id]
    assert "Same person" in merged[0].detail
    assert ["referrals", None, ["WB-2026-00002"]] in json.loads(merged[0].changes)
    assert merges.merges_for(first.person_id)[0].can_undo


def test_undo_puts_back_exactly_what_moved(ctx, merges, people, two_records) -> None:
    first, second = two_records
    result = merges.merge(first.person_id, second.person_id, "Looked the same")
    undone = merges.undo(result.merge_id, "They are twins: not the same person.")
    assert undone.referrals_returned == ("WB-2026-00002",)
    assert [r.reference for r in people.get(first.person_id).referrals] == ["WB-2026-00001"]
    assert [r.reference for r in people.get(second.person_id).referrals] == ["WB-2026-00002"]
    assert people.get(first.person_id).aliases == ()
    assert _person(ctx, second.person_id).merged_into_id is None
    assert [p.reference for p in people.search("Smyth")] == ["P000002"]
    assert [p.reference for p in people.search("P000002")] == ["P000002"]
    record = merges.merges_for(second.person_id)[0]
    assert record.undone and not record.can_undo and "undone on" in record.undo_blocked
    assert len(_audit(ctx, "person_merge_undone")) == 2
    with pytest.raises(ConflictError, match="undone on"):
        merges.undo(result.merge_id, "again")


def test_aliases_move_and_come_back(ctx, intake, merges, make_draft) -> None:
    first = intake.save(make_draft())
    second = intake.save(make_draft(surname="Smyth"))
    with ctx.session_factory.begin() as session:
        session.add(
            PersonAlias(
                person_id=second.person_id,
                surname="Smithers",
                forenames="Jack",
                surname_norm="smithers",
                forenames_norm="jack",
            )
        )
    result = merges.merge(first.person_id, second.person_id, "same")
    assert result.aliases_moved == 1
    with ctx.session_factory() as session:
        assert sorted(
            a.surname for a in session.scalars(select(PersonAlias).where(PersonAlias.person_id == first.person_id))
        ) == ["Smithers", "Smyth"]
    merges.undo(result.merge_id, "not the same")
    with ctx.session_factory() as session:
        assert [
            a.surname for a in session.scalars(select(PersonAlias).where(PersonAlias.person_id == second.person_id))
        ] == ["Smithers"]
        assert session.scalars(select(PersonAlias).where(PersonAlias.person_id == first.person_id)).all() == []


def test_barred_if_either_was_and_undo_restores_the_flags(
    ctx, intake, programme, merges, people, make_draft, attend
) -> None:
    clean = intake.save(make_draft())
    barred = intake.save(make_draft(surname="Smyth"))
    attend(barred.id, Attendance.NOT_ATTENDED)
    attend(barred.id, Attendance.NOT_ATTENDED)
    programme.confirm_next_step(barred.id)
    assert people.get(barred.person_id).barred and not people.get(clean.person_id).barred

    result = merges.merge(clean.person_id, barred.person_id, "One person")
    assert result.became_barred and result.barred
    kept = _person(ctx, clean.person_id)
    assert kept.barred and kept.barred_by_referral_id == barred.id
    assert any(c[0] == "barred" for c in json.loads(_audit(ctx, "person_merged")[0].changes))

    merges.undo(result.merge_id, "Two people after all")
    kept = _person(ctx, clean.person_id)
    assert (kept.barred, kept.barred_at, kept.barred_by_referral_id) == (False, None, None)
    assert _person(ctx, barred.person_id).barred


def test_merged_into_an_earlier_kept_record_follows_in_one_step(ctx, intake, merges, people, make_draft) -> None:
    """C was merged into B; B is then merged into A: C's reference finds A, and undoing in
    order (B from A, then C from B) restores each record."""
    a = intake.save(make_draft())
    b = intake.save(make_draft(surname="Smyth"))
    c = intake.save(make_draft(surname="Smithe"))
    first = merges.merge(b.person_id, c.person_id, "C is B")
    second = merges.merge(a.person_id, b.person_id, "B is A")
    assert second.referrals_moved == ("WB-2026-00002", "WB-2026-00003")
    assert _person(ctx, c.person_id).merged_into_id == a.person_id
    assert [p.reference for p in people.search("P000003")] == ["P000001"]

    # The first merge depends on the second: its records now sit on A.
    blocked = next(m for m in merges.merges_for(b.person_id) if m.id == first.merge_id)
    assert not blocked.can_undo and "later merge depends on it" in blocked.undo_blocked
    with pytest.raises(ConflictError, match="undo that one first"):
        merges.undo(first.merge_id, "wrong order")

    merges.undo(second.merge_id, "B is not A")
    assert _person(ctx, c.person_id).merged_into_id == b.person_id
    assert [r.reference for r in people.get(b.person_id).referrals] == ["WB-2026-00002", "WB-2026-00003"]
    merges.undo(first.merge_id, "C is not B")
    assert [r.reference for r in people.get(c.person_id).referrals] == ["WB-2026-00003"]
    assert _person(ctx, c.person_id).merged_into_id is None


# -- refusals: each with a clear message, and nothing changes ------------------------------------
def test_station_staff_may_not_merge(ctx, merges, two_records, count_rows) -> None:
    first, second = two_records
    before = count_rows()
    ctx.sign_in_as(as_role(Role.STATION_STAFF, username="pc"))
    with pytest.raises(PermissionDenied, match="merge people"):
        merges.merge(first.person_id, second.person_id, "I think they are the same")
    with pytest.raises(PermissionDenied):
        merges.merges_for(first.person_id)
    with pytest.raises(PermissionDenied):
        merges.person_id("P000001")
    assert count_rows() == before
    ctx.sign_in_as(EVERY_ROLE)
    result = merges.merge(first.person_id, second.person_id, "same")
    ctx.sign_in_as(as_role(Role.STATION_STAFF, username="pc"))
    before = count_rows()
    with pytest.raises(PermissionDenied):
        merges.undo(result.merge_id, "undo it")
    assert count_rows() == before


@pytest.mark.parametrize(
    ("case", "error", "words"),
    [
        ("itself", ValidationError, "cannot be merged into itself"),
        ("no-reason", ValidationError, "Give the reason for the merge"),
        ("long-reason", ValidationError, "too long (100,000 characters): at most 2,000"),
        ("nul", ValidationError, "NUL character"),
        ("missing", NotFound, "No person with id 999"),
    ],
)
def test_merge_refused(merges, two_records, count_rows, case: str, error: type, words: str) -> None:
    first, second = two_records
    keep, other, reason = first.person_id, second.person_id, "Same person"
    if case == "itself":
        other = keep
    elif case == "no-reason":
        reason = "   "
    elif case == "long-reason":
        reason = "x" * 100_000
    elif case == "nul":
        reason = "same\x00person"
    elif case == "missing":
        other = 999
    before = count_rows()
    with pytest.raises(error) as caught:
        merges.merge(keep, other, reason)
    assert words in str(caught.value)
    assert count_rows() == before


def test_different_dates_of_birth_need_a_check(merges, intake, people, make_draft, count_rows) -> None:
    first = intake.save(make_draft())
    slip = intake.save(make_draft(date_of_birth=date(1990, 7, 15)))
    before = count_rows()
    with pytest.raises(ConflictError, match=r"dates of birth differ \(P000001: 17/05/1990, P000002: 15/07/1990\)"):
        merges.merge(first.person_id, slip.person_id, "Typing slip")
    assert count_rows() == before
    merges.merge(first.person_id, slip.person_id, "Typing slip in the month", allow_different_birth_dates=True)
    assert people.get(first.person_id).date_of_birth == date(1990, 5, 17)


def test_merging_a_merged_record_or_into_one_is_refused(merges, two_records, intake, make_draft, count_rows) -> None:
    first, second = two_records
    third = intake.save(make_draft(surname="Smithe"))
    merges.merge(first.person_id, second.person_id, "same")
    before = count_rows()
    with pytest.raises(ConflictError, match="P000002 is already merged into P000001"):
        merges.merge(third.person_id, second.person_id, "same")
    with pytest.raises(ConflictError, match="merge into P000001 instead"):
        merges.merge(second.person_id, third.person_id, "same")
    assert count_rows() == before


def test_sql_looking_reason_is_stored_as_plain_text(ctx, merges, two_records) -> None:
    first, second = two_records
    result = merges.merge(first.person_id, second.person_id, SQL_TEXT)
    with ctx.session_factory() as session:
        assert session.get(PersonMerge, result.merge_id).reason == SQL_TEXT
        assert session.get(Person, first.person_id) is not None  # the table is still there
    assert merges.merges_for(first.person_id)[0].reason == SQL_TEXT
    merges.undo(result.merge_id, SQL_TEXT)
    assert SQL_TEXT in _audit(ctx, "person_merge_undone")[0].detail


def test_person_reference_lookup(merges) -> None:
    with pytest.raises(NotFound, match="not a person reference"):
        merges.person_id(SQL_TEXT)
    with pytest.raises(NotFound, match="no person with the reference P000042"):
        merges.person_id("P-42")


def test_an_import_after_a_merge_adds_to_the_kept_record(ctx, merges, people, two_records, tmp_path) -> None:
    from diversion_desktop.services.importer import ImportService
    from tests.import_files import referral, write_import

    first, second = two_records
    merges.merge(first.person_id, second.person_id, "same")
    rows = [
        referral(reference="WB-2026-00301", surname="Smyth", forenames="Jon", incident_date="2026-02-20", consent="no")
    ]
    assert ImportService(ctx).run(write_import(tmp_path, "csv", rows)).written
    assert "WB-2026-00301" in [r.reference for r in people.get(first.person_id).referrals]
    with ctx.session_factory() as session:
        assert session.scalars(select(Person.id).where(Person.merged_into_id.is_(None))).all() == [first.person_id]


@pytest.mark.parametrize("reason", ["", "y" * 100_000])
def test_undo_reason_checked(merges, two_records, count_rows, reason: str) -> None:
    first, second = two_records
    merge_id = merges.merge(first.person_id, second.person_id, "same").merge_id
    before = count_rows()
    with pytest.raises(ValidationError, match="Give the reason|too long"):
        merges.undo(merge_id, reason)
    assert count_rows() == before


def test_very_long_reference_is_refused_briefly(merges) -> None:
    with pytest.raises(NotFound) as caught:
        merges.person_id("P" + "1" * 100_000)
    assert len(str(caught.value)) < 200
