"""The schema: Alembic migrations against the models, backups and idempotent upgrades."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from diversion_desktop.store import migrate
from diversion_desktop.store.database import describe, make_engine, make_session_factory, sqlite_file
from diversion_desktop.store.migrate import (
    alembic_config,
    backup_sqlite,
    current_revision,
    head_revision,
    upgrade,
)
from diversion_desktop.store.models import Base, Person, Referral

EXTRA_REVISION = '''"""test-only revision: one more table

Revision ID: 9999
Revises: {down}
"""

from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("test_extra", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("test_extra")
'''


@pytest.fixture
def fresh_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'fresh.sqlite3').as_posix()}")
    yield engine
    engine.dispose()


def _differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, Base.metadata)


def test_migrations_reach_head_on_a_fresh_file(fresh_engine: Engine, tmp_path: Path) -> None:
    assert current_revision(fresh_engine) is None
    backup = upgrade(fresh_engine)
    assert backup is None  # nothing existed to back up
    assert current_revision(fresh_engine) == head_revision(fresh_engine)
    assert (tmp_path / "fresh.sqlite3").exists()
    assert list(tmp_path.glob("*.before-*")) == []


def test_migrated_schema_matches_the_models(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    assert _differences(fresh_engine) == []
    tables = set(inspect(fresh_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_an_empty_database_differs_from_the_models(fresh_engine: Engine) -> None:
    """The comparison itself notices a missing schema (so the test above means something)."""
    assert any(diff[0] == "add_table" for diff in _differences(fresh_engine))


def test_upgrade_is_idempotent(fresh_engine: Engine, tmp_path: Path) -> None:
    upgrade(fresh_engine)
    head = current_revision(fresh_engine)
    with fresh_engine.begin() as connection:
        connection.execute(text("CREATE TABLE keep_me (x INTEGER)"))
        connection.execute(text("INSERT INTO keep_me VALUES (42)"))
    assert upgrade(fresh_engine) is None  # nothing pending: no backup, no change
    assert upgrade(fresh_engine) is None
    assert current_revision(fresh_engine) == head
    with fresh_engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM keep_me")).scalar() == 42
    diffs = _differences(fresh_engine)  # only the table added by hand, which the models don't know
    assert [(d[0], d[1].name) for d in diffs] == [("remove_table", "keep_me")]
    assert list(tmp_path.glob("*.before-*")) == []


def test_backup_sqlite_copies_a_live_database(tmp_path: Path) -> None:
    source = tmp_path / "live.sqlite3"
    live = sqlite3.connect(source)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("CREATE TABLE t (x INTEGER)")
    live.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    live.commit()
    try:
        destination = backup_sqlite(source, tmp_path / "backups" / "nested" / "copy.sqlite3")
    finally:
        live.close()
    assert destination == tmp_path / "backups" / "nested" / "copy.sqlite3"
    copy = sqlite3.connect(destination)
    try:
        assert copy.execute("SELECT count(*), sum(x) FROM t").fetchone() == (100, 4950)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        copy.close()


def test_upgrade_backs_up_an_existing_file_when_a_revision_is_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a test-only second revision, an existing file is copied before it is changed."""
    scripts = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "existing.sqlite3"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        upgrade(engine)  # the real head
        first_head = current_revision(engine)
        (scripts / "versions" / "9999_test_extra.py").write_text(
            EXTRA_REVISION.format(down=first_head), encoding="utf-8"
        )
        monkeypatch.setattr(migrate, "MIGRATIONS_DIR", scripts)
        assert head_revision(engine) == "9999"

        backup = upgrade(engine)

        assert backup is not None and backup.exists()
        assert backup.parent == path.parent
        assert backup.name.startswith("existing.before-9999.") and backup.suffix == ".sqlite3"
        assert current_revision(engine) == "9999"
        assert "test_extra" in inspect(engine).get_table_names()
        old = sqlite3.connect(backup)
        try:
            assert old.execute("SELECT version_num FROM alembic_version").fetchone() == (first_head,)
            tables = {r[0] for r in old.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            assert "test_extra" not in tables and "people" in tables
        finally:
            old.close()
        assert upgrade(engine) is None  # and now nothing is pending
        command.downgrade(alembic_config(engine), first_head)
        assert current_revision(engine) == first_head
    finally:
        engine.dispose()


def test_engine_pragmas(fresh_engine: Engine) -> None:
    with fresh_engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000


def test_foreign_keys_are_enforced(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    factory = make_session_factory(fresh_engine)
    with pytest.raises(IntegrityError):
        with factory.begin() as session:
            session.add(
                Referral(
                    reference="WB-2026-00001",
                    person_id=999,
                    scheme_code="west-berkshire",
                    area="West Berkshire",
                    scheme_kind="voluntary_attendance",
                    referral_date=date(2026, 3, 2),
                    incident_at=datetime(2026, 3, 1),
                    offence="possession",
                    pathway="adult",
                    age_at_incident=30,
                    decision="eligible",
                    reasons=[],
                    rule_version="x",
                    settings_hash="x",
                    scheme_settings={},
                    status="awaiting_appointment",
                    created_at=datetime(2026, 3, 2),
                )
            )


def test_unique_person_reference(fresh_engine: Engine) -> None:
    upgrade(fresh_engine)
    factory = make_session_factory(fresh_engine)

    def person() -> Person:
        return Person(
            reference="P000001",
            surname="A",
            forenames="B",
            surname_norm="a",
            forenames_norm="b",
            date_of_birth=date(1990, 1, 1),
            created_at=datetime(2026, 1, 1),
        )

    with factory.begin() as session:
        session.add(person())
    with pytest.raises(IntegrityError):
        with factory.begin() as session:
            session.add(person())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///relative/dir/db.sqlite3", Path("relative/dir/db.sqlite3")),
        ("sqlite:////abs/db.sqlite3", Path("/abs/db.sqlite3")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("postgresql+psycopg://user:secret@server/diversion", None),
    ],
)
def test_sqlite_file(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected


def test_describe_hides_passwords() -> None:
    assert describe("sqlite:////abs/db.sqlite3") == str(Path("/abs/db.sqlite3"))
    label = describe("postgresql+psycopg://user:secret@server/diversion")
    assert "secret" not in label and "server" in label


def test_make_engine_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "db.sqlite3"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        assert path.parent.is_dir()
        upgrade(engine)
        assert path.exists()
    finally:
        engine.dispose()
