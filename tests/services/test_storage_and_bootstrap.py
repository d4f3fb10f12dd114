"""Real database failures become a StorageError with nothing written; opening the application."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from diversion_desktop.domain.permissions import Role
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.domain.schemes import SchemeConfigError
from diversion_desktop.services import bootstrap
from diversion_desktop.services.bootstrap import open_context, resolve_database_url
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ServiceError, StorageError
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.store.database import make_session_factory
from diversion_desktop.store.migrate import current_revision, head_revision
from tests.conftest import EVERY_ROLE, as_role

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "schemes"


def raw_counts(path: Path) -> dict[str, int]:
    """Counted outside the application, straight from the file."""
    connection = sqlite3.connect(path)
    try:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "people",
                "referrals",
                "referral_substances",
                "timeline_events",
                "reference_counters",
                "appointments",
            )
        }
    finally:
        connection.close()


def on_connect(ctx: AppContext, *statements: str) -> None:
    """Run these PRAGMAs on every new connection (after the application's own)."""

    def apply(dbapi_connection, _record) -> None:
        for statement in statements:
            dbapi_connection.execute(statement)

    ctx.engine.dispose()
    event.listen(ctx.engine, "connect", apply)


@pytest.fixture
def read_only_ctx(db_path: Path, registry: SchemeRegistry, clock) -> Iterator[AppContext]:
    """The same database file opened read-only by SQLite itself (works even for root)."""
    engine = create_engine(f"sqlite:///file:{db_path.as_posix()}?mode=ro&uri=true")
    yield AppContext(
        engine=engine,
        session_factory=make_session_factory(engine),
        schemes=registry,
        clock=clock,
        user="tester",
        principal=EVERY_ROLE,
    )
    engine.dispose()


def test_read_only_database_file(read_only_ctx, ctx, db_path, make_draft) -> None:
    IntakeService(ctx).save(make_draft(surname="Before"))
    ctx.engine.dispose()
    before = raw_counts(db_path)
    with pytest.raises(StorageError) as caught:
        IntakeService(read_only_ctx).save(make_draft())
    assert "read-only" in str(caught.value)
    assert "not saved" in str(caught.value)
    assert isinstance(caught.value, ServiceError)
    assert raw_counts(db_path) == before
    # Reading still works.
    assert [p.surname for p in PeopleService(read_only_ctx).search("before")] == ["Before"]


def test_disk_full(ctx, db_path, intake, make_draft) -> None:
    ctx.engine.dispose()
    connection = sqlite3.connect(db_path)  # free pages (a migration dropped an index) would be reused
    connection.execute("VACUUM")
    connection.close()
    before = raw_counts(db_path)
    # No page may be added to the file: SQLite reports "database or disk is full".
    on_connect(ctx, "PRAGMA journal_mode=DELETE")
    with ctx.engine.connect() as connection:
        pages = connection.execute(text("PRAGMA page_count")).scalar()
    on_connect(ctx, f"PRAGMA max_page_count={pages}")
    with pytest.raises(StorageError, match="disk is full"):
        intake.save(make_draft(officer_notes="x" * 5000))  # needs overflow pages
    ctx.engine.dispose()
    assert raw_counts(db_path) == before


def test_database_locked_by_another_workstation(ctx, db_path, intake, make_draft) -> None:
    on_connect(ctx, "PRAGMA busy_timeout=50")  # don't wait the application's 10 s in a test
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with pytest.raises(StorageError, match="busy in another window"):
            intake.save(make_draft())
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert intake.save(make_draft()).reference == "WB-2026-00001"  # and once it is free, the save works


def test_duplicate_reference_is_refused_whole(ctx, db_path, intake, make_draft) -> None:
    intake.save(make_draft(surname="First"))
    with ctx.engine.begin() as connection:  # a counter set back, as by a bad restore
        connection.execute(text("UPDATE reference_counters SET last_value = 0 WHERE series = 'WB-2026'"))
    before = raw_counts(db_path)
    with pytest.raises(StorageError, match="already exists"):
        intake.save(make_draft(surname="Second"))
    ctx.engine.dispose()
    assert raw_counts(db_path) == before  # not even the new person was kept


def test_unreadable_database(ctx, db_path) -> None:
    ctx.engine.dispose()
    connection = sqlite3.connect(db_path)
    connection.execute("DROP TABLE person_aliases")
    connection.close()
    with pytest.raises(StorageError, match="could not be read"):
        PeopleService(ctx).search("smith")


# -- opening the application -----------------------------------------------------------
def test_open_context_migrates_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.sqlite3"
    ctx = open_context(
        f"sqlite:///{path.as_posix()}",
        clock=lambda: datetime(2026, 3, 2, 10, 0, 0, 123),
        user="coordinator",
        principal=as_role(*Role, username="coordinator"),
    )
    try:
        assert path.exists()
        assert current_revision(ctx.engine) == head_revision(ctx.engine)
        assert ctx.user == "coordinator"
        assert ctx.now() == datetime(2026, 3, 2, 10, 0)  # no microseconds in records
        assert ctx.today().isoformat() == "2026-03-02"
        assert ctx.database_label == str(path)
        assert ctx.schemes.codes() == ["west-berkshire", "windsor-and-maidenhead"]
    finally:
        ctx.engine.dispose()


def test_open_context_without_migrating_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "untouched.sqlite3"
    ctx = open_context(f"sqlite:///{path.as_posix()}", migrate=False)
    try:
        assert current_revision(ctx.engine) is None
    finally:
        ctx.engine.dispose()


def test_a_broken_scheme_stops_start_up_before_the_database_is_touched(tmp_path: Path) -> None:
    folder = tmp_path / "schemes"
    folder.mkdir()
    (folder / "broken.toml").write_text(
        (SHIPPED / "west-berkshire.toml")
        .read_text(encoding="utf-8")
        .replace("sessions_for_completion = 2", "sessions_for_completion = -2"),
        encoding="utf-8",
    )
    database = tmp_path / "never.sqlite3"
    with pytest.raises(SchemeConfigError, match="sessions_for_completion"):
        open_context(f"sqlite:///{database.as_posix()}", schemes_folder=folder)
    assert not database.exists()


def test_a_third_area_works_end_to_end(tmp_path: Path, template_db: Path, make_draft) -> None:
    folder = tmp_path / "schemes"
    folder.mkdir()
    for source in SHIPPED.glob("*.toml"):
        shutil.copy(source, folder)
    text_ = (SHIPPED / "windsor-and-maidenhead.toml").read_text(encoding="utf-8")
    for old, new in (
        ('code = "windsor-and-maidenhead"', 'code = "reading"'),
        ('area = "Windsor and Maidenhead"', 'area = "Reading"'),
        ('reference_prefix = "WM"', 'reference_prefix = "RDG"'),
        ('code = "maidenhead"', 'code = "reading-central"'),
        ('code = "windsor"', 'code = "reading-west"'),
        ("completed_diversions_allowed = 0", "completed_diversions_allowed = 1"),
    ):
        text_ = text_.replace(old, new, 1)
    (folder / "reading.toml").write_text(text_, encoding="utf-8")
    path = tmp_path / "db.sqlite3"
    shutil.copyfile(template_db, path)
    ctx = open_context(
        f"sqlite:///{path.as_posix()}",
        schemes_folder=folder,
        clock=lambda: datetime(2026, 3, 2, 10),
        user="tester",
        principal=EVERY_ROLE,
    )
    try:
        saved = IntakeService(ctx).save(make_draft(scheme_code="reading"))
        assert saved.reference == "RDG-2026-00001"
        assert saved.centre_code == "reading-central"
        # The search box knows the new prefix too.
        assert [p.reference for p in PeopleService(ctx).search("RDG-2026-00001")] == [saved.person_reference]
    finally:
        ctx.engine.dispose()


def test_resolve_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(bootstrap.DATABASE_ENV, "sqlite:////env/db.sqlite3")
    assert resolve_database_url("sqlite:////option/db.sqlite3") == "sqlite:////option/db.sqlite3"
    assert resolve_database_url(None) == "sqlite:////env/db.sqlite3"
    monkeypatch.delenv(bootstrap.DATABASE_ENV)
    assert resolve_database_url(None).startswith("sqlite:///")
    assert resolve_database_url(None).endswith("diversion.sqlite3")
