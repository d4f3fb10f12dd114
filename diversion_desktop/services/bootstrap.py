"""Opening the application's data: database URL, migration, schemes."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import configure_mappers

from diversion_desktop.domain.permissions import Principal
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.resources import schemes_dir
from diversion_desktop.services.context import AppContext
from diversion_desktop.store import private_files
from diversion_desktop.store.database import default_database_url, describe, make_engine, make_session_factory
from diversion_desktop.store.migrate import current_revision, upgrade

DATABASE_ENV = "DIVERSION_DATABASE_URL"


def resolve_database_url(option: str | None) -> str:
    """``--database`` wins, then the environment, then the embedded default."""
    return option or os.environ.get(DATABASE_ENV) or default_database_url()


def open_context(
    url: str,
    schemes_folder: Path | None = None,
    clock: Callable[[], datetime] | None = None,
    user: str | None = None,
    migrate: bool = True,
    principal: Principal | None = None,
) -> AppContext:
    """Load schemes (raises SchemeConfigError naming file and key), then open and upgrade the database."""
    schemes = SchemeRegistry.load(schemes_folder or schemes_dir())
    configure_mappers()  # once, up front, rather than inside the first background query
    try:  # the plaintext workspaces of encrypted backups that were killed midway
        private_files.clean_leftovers()
    except OSError:
        pass  # never a reason not to start; the next start tries again
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    ctx = AppContext(
        engine=engine, session_factory=make_session_factory(engine), schemes=schemes, database_label=describe(url)
    )
    if clock is not None:
        ctx.clock = clock
    if user is not None:
        ctx.user = user
    if principal is not None:
        ctx.sign_in_as(principal)
    return ctx


@dataclass(frozen=True)
class Migrated:
    database: str  # the database as people name it (describe)
    before: str | None  # the revision found; None for an empty database
    after: str | None
    backup: Path | None  # the copy of a SQLite file made before upgrading, if one was


def migrate_database(url: str) -> Migrated:
    """Bring the schema at ``url`` to the newest revision (a SQLite file is backed up first)."""
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        backup = upgrade(engine)
        return Migrated(describe(url), before, current_revision(engine), backup)
    finally:
        engine.dispose()
