"""Each referral's copy of its person's sex and self-defined ethnicity (revision 0006) stays equal to
the person's, whichever way the data is written: the evaluation's fairness counts read the copies."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import insert, update

from diversion_desktop.services.evaluation import EvaluationRequest, EvaluationService
from diversion_desktop.services.merge import MergeService
from diversion_desktop.store.migrate import alembic_config, upgrade
from diversion_desktop.store.models import Person, Referral
from tests.person_groups import OTHER, assert_in_step, copies


def test_a_new_referral_copies_its_person(ctx, intake, make_draft) -> None:
    intake.save(make_draft())
    intake.save(make_draft(surname="Other", sex="Female", ethnicity_self=OTHER))
    found = copies(ctx)
    assert found["WB-2026-00001"][:2] == ("Male", "White: English, Welsh, Scottish, Northern Irish or British")
    assert found["WB-2026-00002"][:2] == ("Female", OTHER)


def test_a_change_to_the_person_reaches_every_referral(ctx, intake, make_draft) -> None:
    first = intake.save(make_draft())
    # The same person again, their self-defined ethnicity now recorded differently at intake.
    intake.save(make_draft(person_id=first.person_id, ethnicity_self=OTHER))
    found = copies(ctx)
    assert found["WB-2026-00001"][1] == found["WB-2026-00002"][1] == OTHER
    with ctx.session_factory.begin() as session:  # any other writer: a script, an import
        session.execute(update(Person).where(Person.id == first.person_id).values(sex="Female"))
    assert {row[0] for row in copies(ctx).values()} == {"Female"}
    assert_in_step(ctx)


def test_a_copy_written_directly_is_put_back(ctx, intake, make_draft) -> None:
    intake.save(make_draft())
    with ctx.session_factory.begin() as session:
        session.execute(update(Referral.__table__).values(person_sex="Other", person_ethnicity_self="Made up"))
    assert_in_step(ctx)


def test_merge_and_undo_move_the_copies_with_the_referrals(ctx, intake, make_draft) -> None:
    kept = intake.save(make_draft())
    other = intake.save(make_draft(surname="Smyth", forenames="Jon", sex="Female", ethnicity_self=OTHER))
    merges = MergeService(ctx)
    result = merges.merge(kept.person_id, other.person_id, "Same person: same date of birth and address.")
    assert copies(ctx)["WB-2026-00002"][:2] == copies(ctx)["WB-2026-00001"][:2]
    assert_in_step(ctx)
    merges.undo(result.merge_id, "Not the same person after all.")
    assert copies(ctx)["WB-2026-00002"][:2] == ("Female", OTHER)
    assert_in_step(ctx)


def test_core_bulk_inserts_are_copied_too(ctx) -> None:
    from tests.evaluation_data import build

    build(ctx)
    assert_in_step(ctx)


def test_the_fairness_counts_follow_a_change_to_a_person(ctx, intake, make_draft) -> None:
    saved = intake.save(make_draft())
    request = EvaluationRequest(date(2026, 1, 1), date(2026, 12, 31))
    before = {row.group for row in EvaluationService(ctx).compute(request).fairness[1].rows}
    assert "Male" in before
    with ctx.session_factory.begin() as session:
        session.execute(update(Person).where(Person.id == saved.person_id).values(sex="Female"))
    after = {row.group for row in EvaluationService(ctx).compute(request).fairness[1].rows}
    assert "Female" in after and "Male" not in after


def test_the_upgrade_fills_the_copies_of_existing_referrals(ctx, intake, make_draft, tmp_path: Path) -> None:
    intake.save(make_draft())
    intake.save(make_draft(surname="Other", sex="Female", ethnicity_self=OTHER))
    config = alembic_config(ctx.engine)
    command.downgrade(config, "0005")
    with ctx.engine.connect() as connection:
        columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(referrals)")}
        triggers = {row[0] for row in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert "person_sex" not in columns and not {t for t in triggers if "person_groups" in t}
    upgrade(ctx.engine)
    found = copies(ctx)
    assert found["WB-2026-00002"][:2] == ("Female", OTHER)
    assert_in_step(ctx)
    with ctx.session_factory.begin() as session:  # and the triggers are back
        person = session.execute(
            insert(Person).values(
                reference="P999999",
                surname="New",
                forenames="Person",
                surname_norm="new",
                forenames_norm="person",
                date_of_birth=date(1990, 1, 1),
                sex="Other",
                ethnicity_self="",
                created_at=datetime(2026, 1, 1),
            )
        ).inserted_primary_key[0]
        session.execute(
            update(Referral.__table__).where(Referral.reference == "WB-2026-00001").values(person_id=person)
        )
    assert copies(ctx)["WB-2026-00001"][:2] == ("Other", "")
