"""Bring a database to the newest schema, backing up a SQLite file first.

At every start the revision in the database is compared with Alembic's head; the
database opens behind the sign-in dialog (ui/opening.py), so loading Alembic's
revision scripts costs no one a wait.
"""

from __future__ import annotations

import glob
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from diversion_desktop.store.database import sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The options are an .ini file's, where "%" starts an interpolation: a server URL with an escaped
    # character (a password with "@", a socket folder) would be refused.
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()  # noqa: S608 - a constant table name


def head_revision(engine: Engine) -> str | None:
    """The newest schema revision this version of the application knows."""
    return _scripts(engine).get_current_head()


def known_revisions() -> set[str]:
    """Every schema revision this version of the application has a migration for."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return {script.revision for script in _script_directory(config).walk_revisions()}


def _scripts(engine: Engine):  # noqa: ANN202 - alembic's ScriptDirectory
    return _script_directory(alembic_config(engine))


def _script_directory(config: Config) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config)


def backup_sqlite(source: Path, destination: Path) -> Path:
    """A consistent copy of a live SQLite database (the online backup API), readable by its owner
    only and sealed like a plain backup (so ``restore`` checks it)."""
    from diversion_desktop.store.private_files import create_private
    from diversion_desktop.store.sqlite_files import make_self_contained, seal

    destination.parent.mkdir(parents=True, exist_ok=True)
    create_private(destination)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(destination))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    make_self_contained(destination)
    seal(destination, datetime.now().isoformat(timespec="seconds"))
    return destination


BEFORE_COPY_DAYS = 30  # how long a copy kept before an upgrade stays (the newest is always kept)


def before_copies(path: Path) -> list[Path]:
    """The copies kept beside the database file ``path`` before its upgrades, oldest first."""
    return sorted(
        path.parent.glob(f"{glob.escape(path.stem)}.before-*{glob.escape(path.suffix)}"),
        key=lambda p: p.stat().st_mtime,
    )


def prune_before_copies(
    path: Path, now: datetime | None = None, days: int = BEFORE_COPY_DAYS, keep_newest: bool = True
) -> list[Path]:
    """Delete the copies kept before upgrades that are older than ``days`` days (each holds the
    plaintext of every record as it was, anonymised people included); with ``keep_newest`` the
    newest stays whatever its age (an upgrade keeps the copy it just made). The copies deleted."""
    copies = before_copies(path)
    limit = (now or datetime.now()).timestamp() - days * 86400
    old = [p for p in (copies[:-1] if keep_newest else copies) if p.stat().st_mtime < limit]
    for copy in old:
        copy.unlink(missing_ok=True)
    return old


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
        prune_before_copies(path)
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    return backup
