"""Files readable by their owner only: every file the application writes with personal data.

A module of its own (no database, no Qt) so the spreadsheet writer and the store create their
files the same way; see store/private_files.py for why and for Windows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600


def make_private(path: Path) -> None:
    """Owner-only permissions on an existing file (a no-op beyond the read-only flag on Windows)."""
    os.chmod(path, FILE_MODE)


def create_private(path: Path) -> Path:
    """An empty file at ``path`` (emptied if there), readable by its owner only. SQLite writes a
    database into such a file keeping its mode, and gives its journals the same."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    os.close(handle)
    make_private(path)  # the file may have been there already with a wider mode
    return path


def open_private(path: Path) -> IO[bytes]:
    """``path`` opened for writing in binary (created or emptied), readable by its owner only."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        make_private(path)
    except OSError:
        os.close(handle)
        raise
    return os.fdopen(handle, "wb")


def write_private(path: Path, content: bytes) -> None:
    """``content`` written to ``path`` (created or emptied), readable by its owner only."""
    with open_private(path) as handle:
        handle.write(content)
