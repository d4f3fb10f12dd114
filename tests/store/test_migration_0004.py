"""Revision 0004 adds exactly the indexes the evaluation asks for."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from diversion_desktop.services.evaluation import SUGGESTED_INDEXES
from diversion_desktop.store.database import make_engine
from diversion_desktop.store.migrate import alembic_config, current_revision, head_revision, upgrade
from diversion_desktop.store.models import Base


def _index_columns(path: Path) -> dict[str, tuple[str, ...]]:
    with sqlite3.connect(path) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
        return {name: tuple(row[2] for row in connection.execute(f'PRAGMA index_info("{name}")')) for name in names}


def test_the_evaluation_indexes_are_in_the_models_as_suggested() -> None:
    tables = Base.metadata.tables
    for spec in SUGGESTED_INDEXES:
        found = {index.name: tuple(c.name for c in index.columns) for index in tables[spec.table].indexes}
        assert found.get(spec.name) == tuple(spec.columns), spec.name


def test_upgrade_adds_them_and_downgrade_removes_them(tmp_path: Path) -> None:
    path = tmp_path / "eval.sqlite3"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        command.upgrade(alembic_config(engine), "0003")
        assert not {spec.name for spec in SUGGESTED_INDEXES} & set(_index_columns(path))
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        columns = _index_columns(path)
        for spec in SUGGESTED_INDEXES:
            assert columns[spec.name] == tuple(spec.columns)
        assert "ix_referrals_person_id" in columns  # kept: the referral list names it
        command.downgrade(alembic_config(engine), "0003")
        assert not {spec.name for spec in SUGGESTED_INDEXES} & set(_index_columns(path))
    finally:
        engine.dispose()
