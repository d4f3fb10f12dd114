"""Files that hold personal data, created readable by their owner only, and private folders for
the working files that hold it for a while: an encrypted backup's plaintext copy, an import's
sorted rows and report.

Every file the application writes with personal data (backups, restored databases, copies kept
before a schema upgrade, exports, the audit export) is created with mode 0600 and every folder
of its own with 0700, whatever the umask. On Windows ``os.chmod`` only sets or clears the
read-only flag: there a file's readers are decided by the folder's access list (the user's own
profile folders are private to them), so place backups and exports in a folder only the right
people can open.

An encrypted backup first copies the live database with SQLite's online backup (it needs a
file), then encrypts that copy. The copy is made in ``work_root()``, a folder in the user's own
cache folder, never beside the output: a backup killed midway leaves its plaintext only there,
and ``clean_leftovers()`` (run whenever the application or a command opens a database, and
before every backup) deletes every workspace whose backup is no longer running. A running
backup holds an exclusive SQLite lock on a file in its workspace; the operating system drops
the lock when the process ends however it ends, so a workspace without a held lock is a leftover.
An import's workspace (``Workspace("import-")``, services/import_work.py) is kept and cleaned
the same way; it lives as long as the import's report.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path

from diversion_desktop.owner_only import FILE_MODE, create_private, make_private, open_private  # noqa: F401 - re-exported

FOLDER_MODE = 0o700
WORK_ENV = "DIVERSION_BACKUP_WORK_DIR"
_LOCK_NAME = "in-use.lock"
_YOUNG_SECONDS = 60  # a workspace this new may not have taken its lock yet


def private_folder(path: Path) -> Path:
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    os.chmod(path, FOLDER_MODE)
    return path


def work_root() -> Path:
    """Where encrypted backups make their plaintext copy and imports their working files
    (DIVERSION_BACKUP_WORK_DIR, else the user's cache folder)."""
    import platformdirs

    from diversion_desktop.store.database import APP_AUTHOR, APP_NAME

    chosen = os.environ.get(WORK_ENV)
    return Path(chosen) if chosen else Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)) / "backup-work"


PREFIXES = ("backup-", "import-")  # the workspaces ``clean_leftovers`` knows


class Workspace:
    """A private folder for one backup's plaintext copy (or one import's working files), deleted
    on leaving (also on failure) or by ``close()``; if the process is killed, the next
    ``clean_leftovers`` deletes it."""

    def __init__(self, prefix: str = "backup-") -> None:
        assert prefix in PREFIXES
        self.prefix = prefix
        self.folder: Path | None = None
        self._lock: sqlite3.Connection | None = None

    def open(self) -> Workspace:
        clean_leftovers()
        self.folder = Path(tempfile.mkdtemp(prefix=self.prefix, dir=private_folder(work_root())))  # 0700
        try:
            # Closed from whichever thread lets the workspace go (an import's report is read on the GUI thread).
            self._lock = sqlite3.connect(
                str(create_private(self.folder / _LOCK_NAME)), isolation_level=None, check_same_thread=False
            )
            self._lock.execute("BEGIN EXCLUSIVE")
        except BaseException:
            self.close()
            raise
        return self

    def file(self, name: str) -> Path:
        assert self.folder is not None
        return create_private(self.folder / name)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def __enter__(self) -> Workspace:
        return self.open()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _in_use(folder: Path) -> bool:
    lock = folder / _LOCK_NAME
    if not lock.exists():
        try:
            return time.time() - folder.stat().st_mtime < _YOUNG_SECONDS
        except OSError:
            return False
    try:
        with closing(sqlite3.connect(str(lock), isolation_level=None, timeout=0)) as probe:
            probe.execute("BEGIN EXCLUSIVE")
            probe.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return True  # locked: its backup is running
    except sqlite3.DatabaseError:
        return False
    return False


def clean_leftovers() -> list[Path]:
    """Delete the workspaces of backups and imports that stopped without cleaning up (killed,
    power cut); the folders deleted."""
    root = work_root()
    if not root.is_dir():
        return []
    removed = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and folder.name.startswith(PREFIXES) and not _in_use(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
