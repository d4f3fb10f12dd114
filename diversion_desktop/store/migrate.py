"""Bring a database to the newest schema, backing up a SQLite file first."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from diversion_desktop.store.database import sqlite_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def backup_sqlite(source: Path, destination: Path) -> Path:
    """A consistent copy of a live SQLite database (the online backup API)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(destination))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return destination


def upgrade(engine: Engine) -> Path | None:
    """Upgrade to head; returns the backup made before changing an existing file."""
    current = current_revision(engine)
    head = head_revision(engine)
    if current == head:
        return None
    backup: Path | None = None
    path = sqlite_file(engine.url.render_as_string(hide_password=False))
    if path is not None and current is not None and path.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        backup = backup_sqlite(path, path.with_name(f"{path.stem}.before-{head}.{stamp}{path.suffix}"))
    command.upgrade(alembic_config(engine), "head")
    return backup
