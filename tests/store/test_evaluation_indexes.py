"""The indexes the evaluation reads: revision 0004 made the first two (and one on people, for a
join), revision 0006 the one on the copies of the person's groups (and dropped the people one)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from diversion_desktop.services.evaluation import EVALUATION_INDEXES
from diversion_desktop.store.database import make_engine
from diversion_desktop.store.migrate import alembic_config, current_revision, head_revision, upgrade
from diversion_desktop.store.models import Base

BY_REVISION_0004 = {"ix_referrals_evaluation_by_day", "ix_referrals_person_history", "ix_people_sex_ethnicity"}


def _index_columns(path: Path) -> dict[str, tuple[str, ...]]:
    with sqlite3.connect(path) as connection:
        names = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        ]
        return {name: tuple(row[2] for row in connection.execute(f'PRAGMA index_info("{name}")')) for name in names}


def test_the_evaluation_indexes_are_in_the_models() -> None:
    tables = Base.metadata.tables
    for spec in EVALUATION_INDEXES:
        found = {index.name: tuple(c.name for c in index.columns) for index in tables[spec.table].indexes}
        assert found.get(spec.name) == tuple(spec.columns), spec.name


def test_each_revision_adds_its_indexes_and_its_downgrade_removes_them(tmp_path: Path) -> None:
    path = tmp_path / "eval.sqlite3"
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    try:
        command.upgrade(alembic_config(engine), "0003")
        assert not BY_REVISION_0004 & set(_index_columns(path))
        command.upgrade(alembic_config(engine), "0005")
        assert BY_REVISION_0004 <= set(_index_columns(path))
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        columns = _index_columns(path)
        for spec in EVALUATION_INDEXES:
            assert columns[spec.name] == tuple(spec.columns)
        assert "ix_people_sex_ethnicity" not in columns  # the fairness counts no longer join people
        assert "ix_referrals_scheme_code_status" not in columns  # revision 0006 dropped it too
        assert "ix_referrals_person_id" in columns  # kept: the referral list names it
        command.downgrade(alembic_config(engine), "0005")
        columns = _index_columns(path)
        assert BY_REVISION_0004 <= set(columns) and "ix_referrals_person_groups" not in columns
        assert columns["ix_referrals_scheme_code_status"] == ("scheme_code", "status")
        command.downgrade(alembic_config(engine), "0003")
        assert not BY_REVISION_0004 & set(_index_columns(path))
    finally:
        engine.dispose()
