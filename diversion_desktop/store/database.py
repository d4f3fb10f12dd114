"""Engine, sessions and the database location.

The embedded default is a SQLite file in the user's data directory. SQLite is
opened in WAL mode with a busy timeout so that a second instance on the same
file waits for the lock instead of failing or corrupting anything.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Alias

APP_NAME = "DiversionDesktop"
APP_AUTHOR = "DiversionDesktop"


def default_database_path() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)) / "diversion.sqlite3"


def default_database_url() -> str:
    return f"sqlite:///{default_database_path().as_posix()}"


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return None  # a SQLite URI ("file:...?mode=ro"): not a plain path to create or back up
    return Path(parsed.database)


def describe(url: str) -> str:
    """What to show in a title bar: the file, or the server without its password."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MB of pages (the default is 2 MB): the pages of a list or a search being browsed stay
    # in memory between pages at a million referrals.
    cursor.execute("PRAGMA cache_size=-65536")
    # What anonymisation removes is overwritten in the file, not left in free space (Debian's
    # SQLite does this by default, the one bundled with Python on Windows does not).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


# Execution option a writing unit of work sets so SQLite takes the write lock at
# BEGIN: a deferred transaction that reads and then writes can fail at once with
# "database is locked" when another instance wrote in between, busy timeout or not.
WRITE_INTENT = "diversion_write"


def _sqlite_connect(dbapi_connection: sqlite3.Connection, record: object) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's begin event issues BEGIN itself
    _sqlite_pragmas(dbapi_connection, record)


def _sqlite_begin(connection) -> None:  # noqa: ANN001 - sqlalchemy Connection
    immediate = connection.get_execution_options().get(WRITE_INTENT, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _with_index_hint(element: Table | Alias, text: str, kw: dict) -> str:
    """Render ``select(...).with_hint(table, "INDEXED BY ix_name", "sqlite")`` as SQLite's
    ``FROM table INDEXED BY ix_name`` (SQLAlchemy renders table hints only for databases that
    have them; SQLite's is this one). Other databases never see the hint."""
    hints = kw.get("fromhints")
    if kw.get("asfrom") and isinstance(hints, dict) and element in hints:
        text += " " + hints[element]
    return text


@compiles(Table, "sqlite")
def _table_with_index_hint(table: Table, compiler: SQLCompiler, **kw: object) -> str:
    return _with_index_hint(table, compiler.visit_table(table, **kw), kw)


@compiles(Alias, "sqlite")
def _alias_with_index_hint(alias: Alias, compiler: SQLCompiler, **kw: object) -> str:
    """A table under another name: ``FROM referrals AS r INDEXED BY ix_name``."""
    return _with_index_hint(alias, compiler.visit_alias(alias, **kw), kw)


def make_engine(url: str) -> Engine:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # a new database file is readable by its owner only (SQLite keeps the mode)
            from diversion_desktop.store.private_files import create_private

            create_private(path)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services hand back plain data built inside the
    # transaction, so nothing should lazily reload afterwards.
    return sessionmaker(engine, expire_on_commit=False)
