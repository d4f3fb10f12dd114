"""The bulk generator and the services write the same referrals for the same stories.

The bulk generator writes its rows its own fast way, taking every value from the domain's
lifecycle transitions. Here a small bulk load is made, a few of its stories are picked (an
eligible adult completing; a deferred-prosecution adult missing twice; a youth missing; an
overridden decision; not eligible), and each is played again through the real services on
another SQLite file, at the same times: booking, recording, rebooking, the coordinator's
proposal and confirmation. The referral, appointment and timeline rows must agree (ids and
references aside). The bulk timeline holds the decision and the outcome events only (its
docstring says so), so the services' booking and attendance events are left out of the match.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from diversion_desktop.domain.eligibility import Offence, SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.domain.programme import Attendance, SessionType
from diversion_desktop.sample_data import bulk
from diversion_desktop.sample_data.bulk import fill_bulk
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from tests.conftest import FakeClock

NOW = datetime(2026, 3, 2, 10, 0)
BULK_KINDS = ("decision", "override", "proposed", "confirmed", "completed")
# Every column the bulk generator writes, but for the ids and references (numbered apart in the
# two files), the scheme settings copy (its own serialised form in each) and the person's copied
# sex and ethnicity (tests/services/test_person_groups_copy.py checks those).
REFERRAL_COLUMNS = tuple(
    c
    for c in bulk.REFERRAL_COLUMNS
    if c not in ("id", "reference", "person_id", "scheme_settings", "person_sex", "person_ethnicity_self")
)
APPOINTMENT_COLUMNS = tuple(c for c in bulk.APPOINTMENT_COLUMNS if c not in ("id", "referral_id"))

# The first referral of a person (so the services see the same clean history), by story.
STORIES = {
    "eligible adult completing": "r.pathway = 'adult' AND r.status = 'completed' AND r.override_reason = ''",
    "deferred-prosecution adult missing twice": (
        "r.pathway = 'adult' AND r.scheme_kind = 'deferred_prosecution' AND r.status = 'closed' AND r.misses >= 2"
    ),
    "youth missing": "r.pathway = 'youth' AND r.status = 'closed' AND r.outcome = 'not_attended'",
    "the deadline passed": ("r.proposed_reason LIKE 'Deadline%'"),
    "overridden, then rebooked": (
        "r.override_reason != '' AND EXISTS (SELECT 1 FROM appointments a WHERE a.referral_id = r.id "
        "AND a.attendance = 'rebooked')"
    ),
    "not eligible": "r.status = 'not_eligible'",
}


def connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    return connection


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def bulk_file(open_copy: Callable[..., AppContext], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("bulk-stories")
    ctx = open_copy(folder, clock=FakeClock(NOW))
    fill_bulk(ctx, people=1500, referrals=2000, seed=5, workers=0)
    ctx.engine.dispose()
    yield folder / "diversion.sqlite3"


def story_referral(bulk: sqlite3.Connection, condition: str) -> sqlite3.Row:
    found = bulk.execute(
        "SELECT r.* FROM referrals r WHERE r.id = (SELECT min(id) FROM referrals f WHERE f.person_id = r.person_id) "
        f"AND ({condition}) ORDER BY r.id LIMIT 1"
    ).fetchone()
    assert found is not None, f"the bulk load has no story where {condition}"
    return found


def draft_of(bulk: sqlite3.Connection, referral: sqlite3.Row) -> IntakeDraft:
    person = bulk.execute("SELECT * FROM people WHERE id = ?", (referral["person_id"],)).fetchone()
    substances = bulk.execute(
        "SELECT * FROM referral_substances WHERE referral_id = ? ORDER BY id", (referral["id"],)
    ).fetchall()
    fields = (
        "sex",
        "ethnicity_self",
        "ethnicity_observed",
        "address",
        "postcode",
        "phone",
        "email",
        "language",
        "needs",
        "guardian_name",
        "guardian_relationship",
        "guardian_phone",
        "guardian_address",
        "pnc_reference",
        "surname",
        "forenames",
    )
    return IntakeDraft(
        scheme_code=referral["scheme_code"],
        date_of_birth=date.fromisoformat(person["date_of_birth"]),
        **{name: person[name] for name in fields},
        incident_at=at(referral["incident_at"]),
        incident_place=referral["incident_place"],
        crime_reference=referral["crime_reference"],
        officer_name=referral["officer_name"],
        officer_collar_number=referral["officer_collar_number"],
        station=referral["station"],
        offence=Offence(referral["offence"]),
        substances=[SubstanceFind(s["substance"], Decimal(str(s["quantity"])), s["unit"]) for s in substances],
        suspected_supply=bool(referral["suspected_supply"]),
        consent=bool(referral["consent"]),
        override_reason=referral["override_reason"],
    )


def replay(ctx: AppContext, clock: FakeClock, bulk: sqlite3.Connection, referral: sqlite3.Row) -> int:
    """The story of a bulk referral played through the services at the same times; its new id."""
    clock.set(at(referral["created_at"]))
    referral_id = IntakeService(ctx).save(draft_of(bulk, referral)).id
    programme = ProgrammeService(ctx)
    appointments = bulk.execute(
        "SELECT * FROM appointments WHERE referral_id = ? ORDER BY scheduled_at", (referral["id"],)
    ).fetchall()
    made: int | None = None  # the appointment a rebooking made
    for index, appointment in enumerate(appointments):
        if made is None:
            clock.set(at(appointment["created_at"]))
            made = programme.book(
                referral_id,
                at(appointment["scheduled_at"]),
                appointment["centre_code"],
                SessionType(appointment["session_type"]),
                appointment["worker"],
                confirmed=True,
            ).id
        if appointment["attendance"] is None:
            break
        clock.set(at(appointment["recorded_at"]))
        attendance = Attendance(appointment["attendance"])
        new_time = at(appointments[index + 1]["scheduled_at"]) if attendance is Attendance.REBOOKED else None
        new = programme.record(made, attendance, appointment["rebook_reason"], new_time)
        made = new.id if new is not None else None
    recorded = {
        e["at"]
        for e in bulk.execute(
            "SELECT at FROM appointments a JOIN timeline_events e "
            "ON e.referral_id = a.referral_id AND e.at = a.recorded_at "
            "WHERE a.referral_id = ?",
            (referral["id"],),
        )
    }
    for event in bulk.execute(
        "SELECT * FROM timeline_events WHERE referral_id = ? AND kind IN ('proposed', 'confirmed') ORDER BY at, id",
        (referral["id"],),
    ):
        clock.set(at(event["at"]))
        if event["kind"] == "proposed" and event["at"] not in recorded:  # the deadline passed: a coordinator proposes
            programme.propose_overdue(referral_id)
        elif event["kind"] == "confirmed":
            programme.confirm_next_step(referral_id)
    return referral_id


def written(connection: sqlite3.Connection, referral_id: int) -> dict[str, object]:
    referral = connection.execute("SELECT * FROM referrals WHERE id = ?", (referral_id,)).fetchone()
    person = connection.execute(
        "SELECT barred, barred_at FROM people WHERE id = ?", (referral["person_id"],)
    ).fetchone()
    appointments = connection.execute(
        "SELECT * FROM appointments WHERE referral_id = ? ORDER BY scheduled_at", (referral_id,)
    ).fetchall()
    events = connection.execute(
        f"SELECT at, kind, text, actor FROM timeline_events WHERE referral_id = ? AND kind IN "
        f"({', '.join('?' * len(BULK_KINDS))}) ORDER BY at, id",
        (referral_id, *BULK_KINDS),
    ).fetchall()
    return {
        "referral": {name: referral[name] for name in REFERRAL_COLUMNS},
        "person": (bool(person["barred"]), person["barred_at"]),
        "appointments": [{name: a[name] for name in APPOINTMENT_COLUMNS} for a in appointments],
        "timeline": [tuple(e) for e in events],
    }


@pytest.mark.parametrize("story", list(STORIES))
def test_the_services_write_what_the_bulk_generator_wrote(
    story: str, bulk_file: Path, open_copy: Callable[..., AppContext], tmp_path: Path
) -> None:
    clock = FakeClock(NOW)
    ctx = open_copy(tmp_path, clock=clock)
    bulk = connect(bulk_file)
    try:
        referral = story_referral(bulk, STORIES[story])
        referral_id = replay(ctx, clock, bulk, referral)
        ctx.engine.dispose()
        services = connect(tmp_path / "diversion.sqlite3")
        try:
            played, generated = written(services, referral_id), written(bulk, referral["id"])
            for part in ("referral", "person", "timeline"):
                assert played[part] == generated[part], part
            assert len(played["appointments"]) == len(generated["appointments"])
            for one, other in zip(played["appointments"], generated["appointments"], strict=True):
                assert one == other
        finally:
            services.close()
    finally:
        bulk.close()
        ctx.engine.dispose()
