"""Revision 0003 (indexes for a million records) on a database already in use at 0002."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command

from diversion_desktop.sample_data.bulk import fill_bulk
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.store.database import make_engine
from diversion_desktop.store.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.conftest import EVERY_ROLE, FakeClock

TABLES = ("people", "referrals", "referral_substances", "appointments", "timeline_events", "reference_counters")


def dump(path: Path) -> dict[str, list[dict]]:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return {t: [dict(r) for r in connection.execute(f"SELECT * FROM {t} ORDER BY 1")] for t in TABLES}
    finally:
        connection.close()


def same_rows(now: dict[str, list[dict]], before: dict[str, list[dict]]) -> bool:
    """Every row kept with every value; later revisions may have added columns (and revision 0012
    moved two of people's to the end on SQLite), so the columns are compared by name."""
    return all(
        [{k: row[k] for k in old} for row, old in zip(now[t], before[t], strict=True)] == before[t] for t in TABLES
    )


def indexes(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    finally:
        connection.close()


def test_upgrade_from_0002_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "in-use.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    ctx = open_context(url, clock=FakeClock(datetime(2026, 3, 2, 10, 0)), principal=EVERY_ROLE)
    fill_bulk(ctx, people=150, referrals=200, seed=1, workers=0)  # the generator writes today's schema
    ctx.engine.dispose()
    engine = make_engine(url)
    command.downgrade(alembic_config(engine), "0002")  # a database in use at 0002
    engine.dispose()
    before = dump(path)
    assert "ix_referrals_status_due_date" in indexes(path) and "ix_referrals_open" not in indexes(path)

    engine = make_engine(url)
    try:
        backup = upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
    finally:
        engine.dispose()

    assert backup is not None and dump(backup) == before  # the copy made before the change
    assert same_rows(dump(path), before)
    now = indexes(path)
    assert {
        "ix_people_surname_key",
        "ix_people_forenames_key",
        "ix_person_aliases_forenames_norm",
        "ix_referrals_list_date",
        "ix_referrals_list_due",
        "ix_referrals_list_reference",
        "ix_referrals_list_status",
        "ix_referrals_list_area",
        "ix_referrals_open",
    } <= now
    assert (
        not {
            "ix_referrals_referral_date",
            "ix_referrals_status_due_date",
            "ix_people_forenames_norm",
            "ix_people_surname_norm_forenames_norm",
        }
        & now
    )
    ctx = open_context(url, clock=FakeClock(datetime(2026, 3, 2, 10, 0)), principal=EVERY_ROLE)
    try:
        assert sum(ReferralService(ctx).queue_counts().values()) > 0
        surname = before["people"][0]["surname"]
        assert PeopleService(ctx).search(surname)
    finally:
        ctx.engine.dispose()

    engine = make_engine(url)
    try:
        command.downgrade(alembic_config(engine), "0002")
        assert current_revision(engine) == "0002"
    finally:
        engine.dispose()
    assert same_rows(dump(path), before)
    assert "ix_referrals_status_due_date" in indexes(path) and "ix_referrals_open" not in indexes(path)


def test_the_head_is_the_newest_revision_file(tmp_path: Path) -> None:
    from diversion_desktop.store.migrate import MIGRATIONS_DIR, head_revision, known_revisions

    engine = make_engine(f"sqlite:///{(tmp_path / 'x.sqlite3').as_posix()}")
    try:
        files = sorted(p.name[:4] for p in (MIGRATIONS_DIR / "versions").glob("0*.py"))
        assert head_revision(engine) == files[-1]
        assert known_revisions() == set(files)
    finally:
        engine.dispose()
