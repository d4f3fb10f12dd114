"""The bulk sample data: consistent with the rules, repeatable, and usable by the services afterwards.

A small run (a couple of thousand referrals) covers every story; the checks read the rows back
with plain SQL and hold them against the domain's rules.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from diversion_desktop.cli import main
from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import IntakeFacts, Offence, PriorHistory, SubstanceFind, decide
from diversion_desktop.domain.names import normalise
from diversion_desktop.domain.next_step import NextStep, next_step_for_non_attendance
from diversion_desktop.domain.programme import Status, deadlines
from diversion_desktop.domain.schemes import SchemeKind
from diversion_desktop.sample_data import bulk as bulk_demo
from diversion_desktop.sample_data.bulk import BulkNotPossible, BulkResult, fill_bulk
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.store.models import OPEN_STATUSES
from tests.conftest import FakeClock

PEOPLE, REFERRALS = 1500, 2000
NOW = datetime(2026, 3, 2, 10, 0)


@pytest.fixture(scope="module")
def bulk(open_copy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, BulkResult, Path]]:
    folder = tmp_path_factory.mktemp("bulk")
    ctx = open_copy(folder, clock=FakeClock(NOW))
    result = fill_bulk(ctx, people=PEOPLE, referrals=REFERRALS, seed=7, workers=0)
    yield ctx, result, folder / "diversion.sqlite3"
    ctx.engine.dispose()


def rows(path: Path, sql: str, *params: object) -> list[sqlite3.Row]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def test_counts(bulk) -> None:
    _ctx, result, path = bulk
    assert rows(path, "SELECT count(*) FROM people")[0][0] == PEOPLE == result.people
    assert rows(path, "SELECT count(*) FROM referrals")[0][0] == REFERRALS == result.referrals
    appointments = rows(path, "SELECT count(*) FROM appointments")[0][0]
    assert appointments == result.appointments
    assert 2.7 * REFERRALS <= appointments <= 3.3 * REFERRALS  # about three a referral, as asked
    assert rows(path, "SELECT count(*) FROM referral_substances")[0][0] == REFERRALS
    assert sum(result.by_status.values()) == REFERRALS
    statuses = {r[0]: r[1] for r in rows(path, "SELECT status, count(*) FROM referrals GROUP BY status")}
    assert statuses == result.by_status
    assert set(statuses) == {s.value for s in Status}  # every status


def test_variety(bulk) -> None:
    _ctx, _result, path = bulk
    names = [f"{r['forenames']} {r['surname']}" for r in rows(path, "SELECT forenames, surname FROM people")]
    assert any("-" in n for n in names) and any("'" in n for n in names)
    assert any(not n.isascii() for n in names)
    assert {r[0] for r in rows(path, "SELECT DISTINCT area FROM referrals")} == {
        "West Berkshire",
        "Windsor and Maidenhead",
    }
    per_person = Counter(r[0] for r in rows(path, "SELECT person_id FROM referrals"))
    assert max(per_person.values()) >= 2  # repeat people
    assert sum(1 for n in per_person.values() if n > 1) >= REFERRALS * 0.05
    attendance = {r[0] for r in rows(path, "SELECT DISTINCT attendance FROM appointments")}
    assert attendance == {None, "attended", "not_attended", "rebooked", "cancelled"}
    assert {r[0] for r in rows(path, "SELECT DISTINCT pathway FROM referrals")} == {"adult", "youth"}
    assert rows(path, "SELECT count(*) FROM referrals WHERE override_reason <> ''")[0][0] > 0
    for r in rows(path, "SELECT surname, forenames, surname_norm, forenames_norm FROM people"):
        assert (r["surname_norm"], r["forenames_norm"]) == (normalise(r["surname"]), normalise(r["forenames"]))


def _facts(referral: sqlite3.Row, person: sqlite3.Row, substance: sqlite3.Row, prior: PriorHistory) -> IntakeFacts:
    return IntakeFacts(
        incident_date=datetime.fromisoformat(referral["incident_at"]).date(),
        date_of_birth=date.fromisoformat(person["date_of_birth"]),
        offence=Offence(referral["offence"]),
        substances=(SubstanceFind(substance["substance"], Decimal(str(substance["quantity"])), substance["unit"]),),
        suspected_supply=bool(referral["suspected_supply"]),
        consent=bool(referral["consent"]),
        prior=prior,
    )


def test_every_decision_is_the_rules_decision_at_the_time(bulk) -> None:
    """Reasons, pathway and age come from decide() on the facts and the person's history then."""
    ctx, _result, path = bulk
    people = {r["id"]: r for r in rows(path, "SELECT * FROM people")}
    substances = {r["referral_id"]: r for r in rows(path, "SELECT * FROM referral_substances")}
    history: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for referral in rows(path, "SELECT * FROM referrals ORDER BY referral_date, id"):
        taken = date.fromisoformat(referral["referral_date"])
        earlier = history[referral["person_id"]]
        # What an intake on that day would have found: outcomes settled before it.
        completed = sum(1 for e in earlier if e["outcome"] == "completed" and day(e["outcome_date"]) < taken)
        barred = any(e["status"] == "closed" and day(e["outcome_date"]) < taken for e in earlier)
        scheme = ctx.schemes.get(referral["scheme_code"])
        result = decide(
            scheme,
            _facts(
                referral,
                people[referral["person_id"]],
                substances[referral["id"]],
                PriorHistory(barred=barred, completed_diversions=completed),
            ),
        )
        assert referral["decision"] == result.decision.value, referral["reference"]
        assert json.loads(referral["reasons"]) == list(result.reasons)
        assert (referral["pathway"], referral["age_at_incident"]) == (result.pathway.value, result.age)
        assert referral["settings_hash"] == scheme.settings_hash
        diverted = result.eligible or bool(referral["override_reason"])
        assert (referral["status"] not in ("not_eligible", "declined")) == diverted
        if referral["status"] == "declined":
            assert result.declined_only
        earlier.append(referral)


def test_statuses_outcomes_and_next_steps_agree(bulk) -> None:
    ctx, _result, path = bulk
    appointments: dict[int, list[sqlite3.Row]] = defaultdict(list)
    for a in rows(path, "SELECT * FROM appointments ORDER BY referral_id, id"):
        appointments[a["referral_id"]].append(a)
    now = NOW
    for r in rows(path, "SELECT * FROM referrals"):
        status, mine = r["status"], appointments[r["id"]]
        scheme = ctx.schemes.get(r["scheme_code"])
        consequence = next_step_for_non_attendance(SchemeKind(r["scheme_kind"]), Pathway(r["pathway"])).value
        assert datetime.fromisoformat(r["created_at"]) <= now
        if status in ("not_eligible", "declined"):
            assert r["outcome"] == status and r["outcome_date"] == r["referral_date"]
            assert r["due_date"] is None and r["centre_code"] == "" and not mine
            assert r["next_step"] == r["proposed_step"] == ""
            continue
        first_due, due = deadlines(scheme, date.fromisoformat(r["referral_date"]))
        assert (day(r["first_attendance_due"]), day(r["due_date"])) == (first_due, due)
        assert r["centre_code"] == scheme.default_centre(r["pathway"] == "youth").code
        attended = sum(1 for a in mine if a["attendance"] == "attended")
        misses = sum(1 for a in mine if a["attendance"] in ("not_attended", "rebooked"))
        pending = [a for a in mine if a["attendance"] is None]
        assert (r["sessions_attended"], r["misses"]) == (attended, misses)
        assert len(pending) == (1 if status == "booked" else 0)
        for a in mine:
            scheduled = datetime.fromisoformat(a["scheduled_at"])
            assert r["referral_date"] <= a["scheduled_at"][:10] <= r["due_date"]
            assert datetime.fromisoformat(a["created_at"]) <= min(scheduled, now)
            if a["attendance"] is not None:
                assert datetime.fromisoformat(a["recorded_at"]) <= now and a["recorded_by"]
            assert (a["rebook_reason"] != "") == (a["attendance"] == "rebooked")
        if status == "completed":
            assert attended >= scheme.sessions_for_completion and r["outcome"] == "completed"
            assert r["next_step"] == r["proposed_step"] == NextStep.NO_FURTHER_ACTION.value
            assert r["next_step_confirmed_at"] and r["outcome_date"]
        elif status == "closed":
            assert r["outcome"] == "not_attended" and r["next_step"] == r["proposed_step"] == consequence
            assert r["next_step_confirmed_by"] and r["next_step_confirmed_at"]
            assert bool(r["for_case_file"]) == (consequence == NextStep.REPORT_FOR_PROSECUTION.value)
        elif status == "awaiting_confirmation":
            assert r["proposed_step"] == consequence and r["next_step"] == "" and r["outcome"] == ""
            assert misses > scheme.rebookings_allowed or day(r["due_date"]) < now.date()
        else:
            assert status in OPEN_STATUSES and r["outcome"] == "" and r["next_step"] == ""
            assert attended < scheme.sessions_for_completion and misses <= scheme.rebookings_allowed


def test_barred_exactly_when_a_barring_step_was_confirmed(bulk) -> None:
    _ctx, _result, path = bulk
    closing = defaultdict(list)
    for r in rows(
        path,
        "SELECT id, person_id, next_step_confirmed_at FROM referrals WHERE status = 'closed' "
        "ORDER BY next_step_confirmed_at",
    ):
        closing[r["person_id"]].append(r)
    people = rows(path, "SELECT id, barred, barred_at, barred_by_referral_id FROM people")
    assert sum(p["barred"] for p in people) == len(closing) > 0
    for p in people:
        if p["barred"]:
            first = closing[p["id"]][0]
            assert (p["barred_by_referral_id"], p["barred_at"]) == (first["id"], first["next_step_confirmed_at"])
        else:
            assert p["id"] not in closing and p["barred_at"] is None


def test_timeline_has_the_decision_and_the_outcome(bulk) -> None:
    _ctx, _result, path = bulk
    kinds = defaultdict(set)
    for e in rows(path, "SELECT referral_id, kind FROM timeline_events"):
        kinds[e["referral_id"]].add(e["kind"])
    for r in rows(path, "SELECT id, status FROM referrals"):
        assert "decision" in kinds[r["id"]]
        expected = {
            "completed": {"completed"},
            "closed": {"proposed", "confirmed"},
            "awaiting_confirmation": {"proposed"},
        }.get(r["status"], set())
        assert expected <= kinds[r["id"]]


def small_load(open_copy, folder: Path, workers: int) -> list[tuple]:
    """Every row of a small bulk load into a fresh database in ``folder``."""
    folder.mkdir()
    ctx = open_copy(folder, clock=FakeClock(NOW))
    fill_bulk(ctx, people=300, referrals=400, seed=11, workers=workers)
    ctx.engine.dispose()
    path = folder / "diversion.sqlite3"
    return [
        tuple(r)
        for table in ("people", "referrals", "appointments", "timeline_events")
        for r in rows(path, f"SELECT * FROM {table} ORDER BY id")
    ]


def test_repeatable_with_a_seed(open_copy, tmp_path: Path) -> None:
    # In this process, then in two worker processes.
    assert small_load(open_copy, tmp_path / "0", workers=0) == small_load(open_copy, tmp_path / "2", workers=2)


def test_the_workers_run_when_started_by_spawn_as_on_windows(open_copy, tmp_path: Path) -> None:
    """Windows starts worker processes only by "spawn" (a fresh interpreter that imports the module and is
    sent its work, all of which must pickle); Linux does the same while another thread runs, as the GUI's do."""
    in_process = small_load(open_copy, tmp_path / "0", workers=0)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # another thread, as in the application
    other.start()
    try:
        assert bulk_demo.start_method() == "spawn"
        spawned = small_load(open_copy, tmp_path / "spawn", workers=2)
    finally:
        stop.set()
        other.join()
    assert spawned == in_process


def test_the_services_carry_on_after_a_bulk_load(bulk, make_draft) -> None:
    """References continue from the loaded ones; search finds loaded people."""
    ctx, _result, path = bulk
    saved = IntakeService(ctx).save(make_draft(surname="Newcomer", forenames="Nia"))
    last = rows(path, "SELECT last_value FROM reference_counters WHERE series = 'WB-2026'")[0][0]
    assert saved.reference == f"WB-2026-{last:05d}"
    assert saved.person_reference == f"P{PEOPLE + 1:06d}"
    someone = rows(path, "SELECT surname, date_of_birth FROM people WHERE id = 42")[0]
    found = PeopleService(ctx).search(f"{someone['surname']} {date.fromisoformat(someone['date_of_birth']):%d/%m/%Y}")
    assert 42 in [p.id for p in found]
    # A double-barrelled surname is found by its second part, as one saved on the form is.
    double = rows(path, "SELECT id, surname, date_of_birth FROM people WHERE surname LIKE '%-%' ORDER BY id")
    assert double
    second = double[0]["surname"].split("-")[-1]
    found = PeopleService(ctx).search(f"{second} {date.fromisoformat(double[0]['date_of_birth']):%d/%m/%Y}")
    assert double[0]["id"] in [p.id for p in found]
    parted = rows(path, "SELECT count(*) FROM people WHERE surname LIKE '%-%' OR surname LIKE '% %'")[0][0]
    assert rows(path, "SELECT count(DISTINCT person_id) FROM person_name_keys")[0][0] == parted  # ("Van der Berg")
    assert rows(path, "PRAGMA journal_mode")[0][0] == "wal"
    assert rows(path, "PRAGMA integrity_check")[0][0] == "ok"
    assert rows(path, "PRAGMA foreign_key_check") == []


def test_each_referral_carries_its_persons_groups_and_the_triggers_are_back(bulk) -> None:
    """The copies the evaluation's fairness counts read (revision 0006) are written with the rows;
    the triggers that keep them, dropped for the load, are made again."""
    _ctx, _result, path = bulk
    differ = rows(
        path,
        "SELECT count(*) FROM referrals r JOIN people p ON p.id = r.person_id "
        "WHERE r.person_sex <> p.sex OR r.person_ethnicity_self <> p.ethnicity_self",
    )[0][0]
    assert differ == 0
    assert len({r[0] for r in rows(path, "SELECT DISTINCT person_sex FROM referrals")}) == 3
    triggers = {r[0] for r in rows(path, "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {
        "referrals_person_groups_on_insert",
        "referrals_person_groups_on_update",
        "people_groups_to_referrals",
        "audit_events_no_update",
        "audit_events_no_delete",
    } <= triggers


def test_refuses_a_database_with_people(bulk) -> None:
    ctx, _result, _path = bulk
    with pytest.raises(BulkNotPossible):
        fill_bulk(ctx, people=10, referrals=10, workers=0)


def test_refuses_too_few_people(ctx: AppContext) -> None:
    with pytest.raises(BulkNotPossible):
        fill_bulk(ctx, people=10, referrals=100, workers=0)


def test_command_line_bulk(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["demo", "--database", db_url, "--people", "200", "--referrals", "250", "--bulk", "--workers", "0"]) == 0
    )
    assert "250 referrals" in capsys.readouterr().out
    assert main(["demo", "--database", db_url, "--bulk", "--people", "10", "--referrals", "10"]) == 1
    assert main(["demo", "--database", db_url, "--appointments", "5"]) == 1


def test_a_load_that_stops_part_way_keeps_the_schemas_triggers_and_indexes(ctx: AppContext, monkeypatch) -> None:
    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    schema = "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
    with ctx.engine.connect() as connection:
        before = set(connection.exec_driver_sql(schema).all())
    monkeypatch.setattr(bulk_demo, "_load", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fill_bulk(ctx, people=20, referrals=20, workers=0)
    with ctx.engine.connect() as connection:
        assert set(connection.exec_driver_sql(schema).all()) == before
    assert ("trigger", "referrals_person_groups_on_insert") in before
