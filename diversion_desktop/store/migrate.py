"""Bring a database to the newest schema, backing up a SQLite file first.

Alembic is loaded only when there is something to upgrade: at every start the
revision in the database is compared with the newest revision file, which is
read as text (loading Alembic and its revision scripts costs a tenth of a second
of start-up, for nothing on every start but the first after an update).
"""

from __future__ import annotations

import glob
import re
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from diversion_desktop.store.database import sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"

_REVISION = re.compile(r"""^revision\s*(?::[^=]+)?=\s*['"]([^'"]+)['"]""", re.MULTILINE)
_DOWN_REVISION = re.compile(r"""^down_revision\s*(?::[^=]+)?=\s*(.+)$""", re.MULTILINE)


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
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def head_revision(engine: Engine) -> str | None:
    """The newest revision, from the revision files' ``revision`` and ``down_revision`` lines
    (Alembic itself decides only if they do not make one plain line of revisions)."""
    revisions: set[str] = set()
    earlier: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return _alembic_head(engine)
        revisions.add(revision.group(1))
        earlier.update(re.findall(r"""['"]([^'"]+)['"]""", down.group(1)))
    heads = revisions - earlier
    return heads.pop() if len(heads) == 1 else _alembic_head(engine)


def known_revisions() -> set[str]:
    """Every schema revision this version of the application has a migration file for."""
    found: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        revision = _REVISION.search(path.read_text(encoding="utf-8"))
        if revision is not None:
            found.add(revision.group(1))
    return found


def _alembic_head(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


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
    return sorted(path.parent.glob(f"{glob.escape(path.stem)}.before-*{glob.escape(path.suffix)}"),
                  key=lambda p: p.stat().st_mtime)


def prune_before_copies(path: Path, now: datetime | None = None, days: int = BEFORE_COPY_DAYS,
                        keep_newest: bool = True) -> list[Path]:
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
