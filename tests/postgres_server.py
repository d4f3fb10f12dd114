"""A throwaway PostgreSQL server for the tests that need the real thing (triggers, SQL that differs).

The server is Debian's (``packaging/install-system-deps.sh --test`` installs it), started once per test
run in a temporary folder, listening on a Unix socket only, with durability off (a test database
needs no crash safety). ``initdb`` refuses to run as root, so as root it runs as the ``postgres``
user that the package creates. Each test gets a database of its own.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_names = itertools.count(1)


def server_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on the PATH, or Debian's versioned folder (newest first)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        # Not pytest's tmp_path: its folders are private to the user running the tests, and the
        # server may run as another user.
        self.base = Path(tempfile.mkdtemp(prefix="diversion-postgres-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.sockets.mkdir()
        self.port = _free_port()
        self.as_user: list[str] = []
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            for path in (self.base, self.sockets):
                shutil.chown(path, "postgres", "postgres")

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.as_user, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self._run(
            str(self.binaries / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        )
        options = (
            f"-k {self.sockets} -p {self.port} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.binaries / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.sockets}&port={self.port}"

    def create_database(self) -> str:
        import psycopg

        name = f"diversion_test_{next(_names)}"
        with psycopg.connect(
            host=str(self.sockets), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.sockets), port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if sys.platform == "win32":
        pytest.skip("the test server is started the Debian way; on Windows, test against a server of your own")
    binaries = server_binaries()
    if binaries is None:
        pytest.fail("No PostgreSQL server found (initdb, pg_ctl): run packaging/install-system-deps.sh --test")
    server = PostgresServer(binaries)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on the test server."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
