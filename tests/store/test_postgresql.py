"""The shared-server option: the schema, its triggers and the SQL that differs, on a real PostgreSQL.

The server is started by the tests (tests/postgres_server.py). The evaluation, whose queries have
PostgreSQL forms of their own, must give on PostgreSQL exactly what it gives on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text, update
from sqlalchemy.exc import DBAPIError

from diversion_desktop.sample_data.demo import fill
from diversion_desktop.services import audit
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.evaluation import EvaluationRequest, EvaluationService
from diversion_desktop.services.exporter import ExportQuery, ExportService
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.merge import MergeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.referral_list import SORTS, ReferralListFilters, ReferralListService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.services.retention import OWN_ACTIONS, RetentionService
from diversion_desktop.store.migrate import alembic_config, current_revision, head_revision
from diversion_desktop.store.models import AuditEvent, Base, Person
from tests.conftest import EVERY_ROLE, FakeClock
from tests.evaluation_data import PERIOD, build
from tests.person_groups import OTHER, assert_in_step, copies
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401 - fixtures


@pytest.fixture
def pg_ctx(postgres_url: str, clock: FakeClock) -> Iterator[AppContext]:
    context = open_context(postgres_url, clock=clock, user="tester", principal=EVERY_ROLE)
    yield context
    context.engine.dispose()


def test_the_migrations_make_the_models_schema_and_undo_it(pg_ctx: AppContext) -> None:
    engine = pg_ctx.engine
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        triggers = {row[0] for row in connection.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))}
    assert {"audit_events_append_only", "referrals_copy_person_groups", "people_groups_to_referrals"} <= triggers
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(alembic_config(engine), "head")
    assert current_revision(engine) == head_revision(engine)


def test_the_audit_trail_is_append_only(pg_ctx: AppContext, make_draft) -> None:
    saved = IntakeService(pg_ctx).save(make_draft())
    for statement in ("UPDATE audit_events SET username = 'someone else'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), pg_ctx.session_factory.begin() as session:
            session.execute(text(statement))
    with pg_ctx.session_factory() as session:
        assert session.query(AuditEvent).count() > 0
    # The one change allowed: erasing a row's values whole (revision 0007), and only once.
    partial = "UPDATE audit_events SET changes = '', detail = 'kept', salt = '', erased_at = now() WHERE id = 1"
    with pytest.raises(DBAPIError, match="append-only"), pg_ctx.session_factory.begin() as session:
        session.execute(text(partial))
    with pg_ctx.session_factory.begin() as session:
        assert audit.erase(session, datetime(2033, 6, 1), references=[saved.reference]) >= 1
    with pytest.raises(DBAPIError, match="append-only"), pg_ctx.session_factory.begin() as session:
        session.execute(text("UPDATE audit_events SET erased_at = NULL WHERE erased_at IS NOT NULL"))
    with pg_ctx.session_factory() as session:
        result = audit.verify(session)
    # The chain holds; the check names the erasure, made by hand here, not by anonymising the referral.
    assert result.problems and all("does not show its record anonymised" in p for p in result.problems)


def test_each_referral_keeps_a_copy_of_its_persons_groups(pg_ctx: AppContext, make_draft) -> None:
    intake = IntakeService(pg_ctx)
    kept = intake.save(make_draft())
    other = intake.save(make_draft(surname="Smyth", forenames="Jon", sex="Female", ethnicity_self=OTHER))
    assert copies(pg_ctx)["WB-2026-00002"][:2] == ("Female", OTHER)
    merges = MergeService(pg_ctx)
    merged = merges.merge(kept.person_id, other.person_id, "Same person: same date of birth and address.")
    assert copies(pg_ctx)["WB-2026-00002"][:2] == copies(pg_ctx)["WB-2026-00001"][:2]
    merges.undo(merged.merge_id, "Not the same person after all.")
    assert copies(pg_ctx)["WB-2026-00002"][:2] == ("Female", OTHER)
    with pg_ctx.session_factory.begin() as session:
        session.execute(update(Person).where(Person.id == kept.person_id).values(sex="Other"))
        session.execute(text("UPDATE referrals SET person_ethnicity_self = 'made up'"))  # put back at once
    assert_in_step(pg_ctx)
    assert copies(pg_ctx)["WB-2026-00001"][0] == "Other"


def test_the_evaluation_is_the_same_as_on_sqlite(pg_ctx: AppContext, ctx: AppContext) -> None:
    build(pg_ctx)
    build(ctx)
    request = EvaluationRequest(*PERIOD)
    on_postgresql = EvaluationService(pg_ctx).compute(request)
    assert on_postgresql == EvaluationService(ctx).compute(request)
    assert on_postgresql.total_funnel.count(on_postgresql.total_funnel.steps[0].step) == 45
    assert any(row.rate.denominator for row in on_postgresql.repeat)  # the repeat cohort (months_after) is there


def test_a_person_changed_while_their_referral_is_being_saved_reaches_it(pg_ctx: AppContext, make_draft) -> None:
    """Two workstations at once: one saves a referral for a person (not yet committed) while the
    other changes that person's sex. The change waits for the referral (the copy is read FOR
    SHARE), then reaches it too; without that, the new referral would keep the old value."""
    import threading

    saved = IntakeService(pg_ctx).save(make_draft())
    person = saved.person_id
    adding = pg_ctx.engine.connect()
    transaction = adding.begin()
    adding.execute(
        text(
            "INSERT INTO referrals (reference, person_id, scheme_code, area, scheme_kind, referral_date, incident_at, "
            "incident_place, crime_reference, officer_name, officer_collar_number, station, offence, suspected_supply, "
            "consent, pathway, age_at_incident, decision, reasons, rule_version, settings_hash, scheme_settings, "
            "decided_by, override_reason, override_by, provider, centre_code, status, outcome, proposed_step, "
            "proposed_reason, next_step, next_step_confirmed_by, for_case_file, sessions_attended, misses, created_at, "
            "created_by) SELECT 'RACE-1', person_id, scheme_code, area, scheme_kind, referral_date, incident_at, "
            "incident_place, crime_reference, officer_name, officer_collar_number, station, offence, suspected_supply, "
            "consent, pathway, age_at_incident, decision, reasons, rule_version, settings_hash, scheme_settings, "
            "decided_by, override_reason, override_by, provider, centre_code, status, outcome, proposed_step, "
            "proposed_reason, next_step, next_step_confirmed_by, for_case_file, sessions_attended, misses, created_at, "
            "created_by FROM referrals WHERE id = :id"
        ),
        {"id": saved.id},
    )
    changed = threading.Event()

    def change_the_person() -> None:
        with pg_ctx.engine.begin() as other:
            other.execute(text("UPDATE people SET sex = 'Female' WHERE id = :id"), {"id": person})
        changed.set()

    changer = threading.Thread(target=change_the_person)
    changer.start()
    assert not changed.wait(1.0)  # it waits for the referral being saved
    transaction.commit()
    adding.close()
    changer.join(10)
    assert changed.is_set()
    assert {reference: copy[0] for reference, copy in copies(pg_ctx).items()} == {
        saved.reference: "Female",
        "RACE-1": "Female",
    }


def test_each_evaluation_reading_sees_one_state_of_the_data(pg_ctx: AppContext, monkeypatch) -> None:
    """The two readings compare the last audit event each saw, which tells only if each reading
    sees one state throughout: at PostgreSQL's default every statement would see the data anew."""
    build(pg_ctx)
    levels: list[str] = []
    original = EvaluationService._repeats

    def noting_the_level(self, session, request, cutoff):
        levels.append(session.execute(text("SHOW transaction_isolation")).scalar())
        return original(self, session, request, cutoff)

    monkeypatch.setattr(EvaluationService, "_repeats", noting_the_level)
    EvaluationService(pg_ctx).compute(EvaluationRequest(*PERIOD))
    assert levels == ["repeatable read"]
    with pg_ctx.session_factory() as session:  # the application's other sessions keep the default
        assert session.execute(text("SHOW transaction_isolation")).scalar() == "read committed"


def _answers(ctx: AppContext, tmp_path: Path) -> dict[str, object]:
    """What the users' everyday screens and commands get from the services."""
    people, referrals, lists = PeopleService(ctx), ReferralService(ctx), ReferralListService(ctx)
    counts = referrals.queue_counts()
    out = tmp_path / f"{ctx.engine.dialect.name}.csv"
    ExportService(ctx).export(ExportQuery(kind="referrals"), out, "csv")
    return {
        "queue counts": counts,
        "queues": {name: [row.reference for row in referrals.queue(name)] for name in counts},
        "search": {
            text: [p.reference for p in people.search(text)]
            for text in ("sm", "o'", "ANN", "jo", "P000003", "01/01/1990")
        },
        "lists": {
            (sort, descending, status): [
                r.reference
                for r in lists.page(ReferralListFilters(sort=sort, descending=descending, status=status), 0, 500).rows
            ]
            for sort in SORTS
            for descending in (False, True)
            for status in ("", "completed")
        },
        "export": out.read_text(encoding="utf-8-sig"),
        "retention": RetentionService(ctx).plan(date(2034, 1, 1)).referrals,
    }


def test_the_everyday_services_answer_alike_on_postgresql_and_sqlite(
    pg_ctx: AppContext, ctx: AppContext, tmp_path: Path
) -> None:
    """Sample data made through the real services (intake, booking, attendance, next steps,
    letters) on both databases, then the same questions asked of each."""
    for context in (pg_ctx, ctx):
        fill(context, people=40, referrals=60, seed=7)
    on_postgresql, on_sqlite = _answers(pg_ctx, tmp_path), _answers(ctx, tmp_path)
    assert sum(on_sqlite["queue counts"].values()) > 0 and on_sqlite["retention"] > 0  # type: ignore[union-attr]  # the answers' known shapes
    assert on_postgresql == on_sqlite
    for context in (pg_ctx, ctx):
        with context.reading() as session:
            assert audit.verify(session).ok


def test_retention_anonymises_and_erases_alike_on_postgresql_and_sqlite(
    pg_ctx: AppContext, ctx: AppContext, clock: FakeClock
) -> None:
    for context in (pg_ctx, ctx):
        fill(context, people=40, referrals=60, seed=7)
    clock.set(datetime(2034, 1, 1, 9, 0))
    reports = [RetentionService(context).run() for context in (pg_ctx, ctx)]
    assert reports[0].referrals_anonymised > 0 and reports[0].people_anonymised > 0
    assert (reports[0].referral_references, reports[0].person_references) == (
        reports[1].referral_references,
        reports[1].person_references,
    )
    for context in (pg_ctx, ctx):
        with context.reading() as session:
            assert audit.verify(session).ok  # every erasure is explained by an anonymised record
            gone = {p.id for p in session.query(Person).filter(Person.anonymised_at.is_not(None))}
            about_them = session.query(AuditEvent).filter(AuditEvent.person_id.in_(gone)).all()
        assert gone and about_them
        assert all(e.erased_at is not None or e.action in OWN_ACTIONS for e in about_them)
