"""Backing up the SQLite database, optionally encrypted, and restoring a backup into a new file.

``backup`` copies the live database with SQLite's online backup and checks the copy. A plain
backup is that copy, written as ``<out>.part`` beside the output, sealed (a SHA-256 of its
content inside it, store/sqlite_files.py) and renamed into place. An encrypted backup makes its
copy in a private workspace in the user's own cache folder (store/private_files.py), never beside
the output, encrypts it into ``<out>.part`` and renames that; the workspace is deleted afterwards,
on failure too, and by the next start if the process was killed. ``restore`` never replaces a
file: it decrypts or copies into ``<new file>.part``, checks that it is a sound database of this
application and not from a newer version (and a plain backup's seal), and only then renames it
to the new file. Whatever fails, the ``.part`` and the temporary copy are removed and nothing else
has changed. Every file written here is readable by its owner only.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from diversion_desktop.domain.permissions import Permission
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ServiceError
from diversion_desktop.spreadsheets.encrypted import MIN_PASSWORD_LENGTH as EXPORT_MIN_PASSWORD_LENGTH
from diversion_desktop.store import encrypted_backup, private_files, sqlite_files
from diversion_desktop.store.database import describe, sqlite_file
from diversion_desktop.store.migrate import head_revision, known_revisions

Progress = Callable[[int, int], None]

# A backup holds every record at once, so it asks for a longer password than an export (8).
MIN_PASSWORD_LENGTH = max(EXPORT_MIN_PASSWORD_LENGTH, 12)
PASSWORD_ENV = "DIVERSION_BACKUP_PASSWORD"
ENCRYPTED_SUFFIX = ".ddbackup"
# Tables every version of the schema has: an Alembic database of another application has neither.
_OWN_TABLES = frozenset({"people", "referrals"})
_COPY_BLOCK = 1 << 20


class BackupError(ServiceError):
    """A backup or restore was refused or failed; nothing was changed."""


class BackupPasswordError(BackupError):
    """The password is missing, too short, or not the backup's."""


class DamagedBackup(BackupError):
    """The backup was cut short, changed or corrupted after it was made."""


class NotABackup(BackupError):
    """The file is neither a backup nor a database of this application."""


class UnsealedBackup(BackupError):
    """A plain database copy without a seal: restored only when asked to on purpose."""


class NewerBackup(BackupError):
    """The backup was made by a newer version of the application."""


@dataclass(frozen=True)
class BackupResult:
    source: Path
    out: Path
    encrypted: bool
    database_bytes: int  # of the database copied
    file_bytes: int  # of the backup file
    revision: str | None

    def summary(self) -> str:
        text = f"Backup of {self.source} written to {self.out} ({self.file_bytes:,} bytes"
        if self.encrypted:
            return (
                text + ", encrypted with a password in the standard age format). Diversion Desktop's "
                "restore (File → Restore a backup…, or `diversion-desktop restore`) opens it, and so does "
                "the ordinary `age -d` tool, only with its password: keep the password somewhere safe, "
                "apart from the backup."
            )
        return text + ", not encrypted: it holds personal data, so keep it somewhere safe)."


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    encrypted: bool
    revision: str | None  # for an encrypted backup made before age: as its header says; None for age
    created: str  # when an encrypted backup made before age was made (ISO 8601); "" otherwise
    database_bytes: int
    newer: bool  # made by a newer version: restore will refuse it

    def describe(self) -> str:
        kind = "An encrypted backup" if self.encrypted else "A plain (not encrypted) database copy"
        made = f", made {self.created.replace('T', ' ')}" if self.created else ""
        if self.encrypted and self.revision is None:  # age: the revision is inside, checked when restored
            text = f"{kind}{made}, {self.database_bytes:,} bytes; its schema revision is checked when it is restored."
        else:
            text = f"{kind}{made}, {self.database_bytes:,} bytes, schema revision {self.revision or 'unknown'}."
        if self.newer:
            text += " It was made by a newer version of Diversion Desktop, which is needed to restore it."
        return text


@dataclass(frozen=True)
class RestoreResult:
    source: Path
    out: Path
    encrypted: bool
    revision: str
    upgrade_needed: bool  # an older schema: upgraded when the file is first opened

    @property
    def url(self) -> str:
        return f"sqlite:///{self.out.resolve().as_posix()}"

    def summary(self) -> str:
        text = f"Restored {self.source} to {self.out} (schema revision {self.revision}). "
        if self.upgrade_needed:
            text += "Its schema is older: it is upgraded when first opened, after a copy is kept beside it. "
        return (
            text + "The database in use has not changed. To open the restored copy:\n"
            f"    diversion-desktop --database {self.url}"
        )


def backup_source(url: str) -> Path:
    """The SQLite file behind ``url``; BackupError when it is not one or does not exist. Callers
    ask before opening the database (opening would create a missing file)."""
    source = sqlite_file(url)
    if source is None:
        raise BackupError(
            f"Backups here copy SQLite database files only; {describe(url)} is not one. Use "
            "the database server's own backup tools (for PostgreSQL: pg_dump)."
        )
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    return source


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BackupPasswordError(f"The backup password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if password != password.strip():
        raise BackupPasswordError("The backup password must not start or end with a space.")


def _part(path: Path) -> Path:
    return path.with_name(path.name + ".part")


class BackupService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    # -- backup ----------------------------------------------------------------------
    def backup(
        self, out: Path, password: str | None = None, progress: Progress | None = None, force: bool = False
    ) -> BackupResult:
        """Copy the database to ``out``, encrypted when ``password`` is given. ``progress(done,
        total)`` counts bytes of work: the copy, then (encrypted) the encryption."""
        self.ctx.require(Permission.BACKUP)
        source = backup_source(self.ctx.engine.url.render_as_string(hide_password=False))
        out = Path(out)
        if password is not None:
            check_password(password)
        if out.resolve() in {source.resolve().with_name(source.name + s) for s in ("", "-wal", "-shm", "-journal")}:
            raise BackupError("The backup cannot be written over the database itself: choose another file.")
        if out.is_dir():
            raise BackupError(f"{out} is a folder: choose a file name for the backup.")
        if out.exists() and not force:
            raise BackupError(f"{out} already exists: choose another file, or replace it on purpose.")
        out.parent.mkdir(parents=True, exist_ok=True)
        part = _part(out)
        made = self.ctx.now().isoformat()
        try:
            sqlite_files.remove(part)
            if password is None:  # a plain backup: the checked, sealed copy is the backup
                size = self._copy_and_check(source, part, progress, 1)
                revision = sqlite_files.revision(part)
                sqlite_files.seal(part, made)
            else:  # the plaintext copy only in the private workspace, never beside ``out``
                with private_files.Workspace() as workspace:
                    copy = workspace.file("copy.sqlite3")
                    size = self._copy_and_check(source, copy, progress, 2)
                    revision = sqlite_files.revision(copy)
                    encrypted_backup.encrypt(
                        copy,
                        part,
                        password,
                        progress=None if progress is None else (lambda done, _total: progress(size + done, 2 * size)),
                    )
            part.replace(out)
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"The backup could not be made: {exc}. Nothing was written.") from exc
        finally:
            sqlite_files.remove(part)  # gone already on success; on any failure it goes here
        result = BackupResult(
            source=source,
            out=out,
            encrypted=password is not None,
            database_bytes=size,
            file_bytes=out.stat().st_size,
            revision=revision,
        )
        self._audit(
            "backup_made",
            f"{'encrypted' if result.encrypted else 'NOT encrypted'} backup to {out} "
            f"({result.file_bytes:,} bytes, revision {revision})",
        )
        return result

    def _audit(self, action: str, detail: str) -> None:
        """Backups and restores in the audit trail of the database in use (after the file is
        written: the copy itself must not hold the row that says it was made)."""
        from diversion_desktop.services.audit import log

        with self.ctx.unit_of_work() as session:
            log(session, self.ctx, action, entity="database", detail=detail)

    @staticmethod
    def _copy_and_check(source: Path, copy: Path, progress: Progress | None, passes: int) -> int:
        def copied(done: int, total: int) -> None:
            if progress is not None:
                progress(done, passes * total)

        size = sqlite_files.snapshot_copy(source, copy, copied)
        problems = sqlite_files.check(copy, thorough=False)
        if problems:
            raise BackupError(
                f"The copy failed SQLite's check ({'; '.join(problems[:3])}); nothing was written. "
                "The database itself may be damaged: run `diversion-desktop migrate` or ask support."
            )
        sqlite_files.make_self_contained(copy)
        return size

    # -- inspect and restore -----------------------------------------------------------
    def inspect(self, source: Path) -> BackupInfo:
        """What a backup file is, without a password: encrypted or not, and its schema revision."""
        self.ctx.require(Permission.BACKUP)
        source = Path(source)
        kind = self._kind(source)
        if kind == "encrypted":
            try:
                header = encrypted_backup.describe(source)
            except encrypted_backup.EncryptedBackupError as exc:
                raise self._refusal(exc, "") from exc
            except OSError as exc:
                raise BackupError(f"{source} cannot be read: {exc}") from exc
            return BackupInfo(
                path=source,
                encrypted=True,
                revision=header.revision,
                created=header.created,
                database_bytes=header.size,
                newer=self._newer(header.revision),
            )
        try:
            revision = sqlite_files.revision(source)
        except sqlite3.Error as exc:
            raise DamagedBackup(f"{source} is a damaged database file: {exc}.") from exc
        return BackupInfo(
            path=source,
            encrypted=False,
            revision=revision,
            created="",
            database_bytes=source.stat().st_size,
            newer=self._newer(revision),
        )

    def restore(
        self, source: Path, out: Path, password: str | None, progress: Progress | None = None, unsealed: bool = False
    ) -> RestoreResult:
        """Bring the backup ``source`` back as the new file ``out``. ``progress(done, total)``
        counts bytes of ``source`` read. A plain backup must carry a sound seal; one without any
        (made by an older version, or a database file that is not a backup) is restored only with
        ``unsealed``, and the audit trail says so."""
        self.ctx.require(Permission.BACKUP)
        source, out = Path(source), Path(out)
        if out.exists() or out.is_symlink():
            raise BackupError(
                f"{out} already exists. A backup is restored into a new file only: choose a "
                "name that is not in use (nothing was changed)."
            )
        if not out.parent.is_dir():
            raise BackupError(f"The folder {out.parent} does not exist: choose a new file in an existing folder.")
        kind = self._kind(source)
        if kind == "encrypted" and not password:
            raise BackupPasswordError("This backup is encrypted: give its password to restore it.")
        part = _part(out)
        try:
            sqlite_files.remove(part)
            if kind == "encrypted":
                assert password is not None
                encrypted_backup.decrypt(source, part, password, progress)
            else:
                self._copy_file(source, part, progress)
            revision = self._check_restored(part, sealed=kind == "sqlite" and not unsealed)
            self._move_to_new_file(part, out)
        except encrypted_backup.EncryptedBackupError as exc:
            raise self._refusal(exc, " Nothing was restored.") from exc
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(f"The backup could not be restored: {exc}. Nothing was restored.") from exc
        finally:
            sqlite_files.remove(part)
        result = RestoreResult(
            source=source,
            out=out,
            encrypted=kind == "encrypted",
            revision=revision,
            upgrade_needed=revision != head_revision(self.ctx.engine),
        )
        unchecked = (
            " WITHOUT checking a seal (restored as unsealed on purpose)" if kind == "sqlite" and unsealed else ""
        )
        self._audit("backup_restored", f"{source} restored into the new file {out} (revision {revision}){unchecked}")
        return result

    @staticmethod
    def _kind(source: Path) -> str:
        try:
            kind = encrypted_backup.file_kind(source)
        except FileNotFoundError:
            raise BackupError(f"There is no file at {source}.") from None
        except OSError as exc:
            raise BackupError(f"{source} cannot be read: {exc}") from exc
        if kind is None:
            raise NotABackup(
                f"{source} is not a Diversion Desktop backup: it is neither an encrypted backup nor "
                "a database file. Nothing was restored."
            )
        return kind

    @staticmethod
    def _refusal(exc: encrypted_backup.EncryptedBackupError, tail: str) -> BackupError:
        if isinstance(exc, encrypted_backup.BackupPasswordWrong):
            return BackupPasswordError(f"{exc}{tail}")
        if isinstance(exc, encrypted_backup.UnsupportedBackupFormat):
            return NewerBackup(f"{exc}{tail}")
        if isinstance(exc, encrypted_backup.NotAnEncryptedBackup):
            return NotABackup(f"{exc}{tail}")
        return DamagedBackup(f"{exc}{tail}")

    def _newer(self, revision: str | None) -> bool:
        return revision is not None and revision not in known_revisions()

    @staticmethod
    def _copy_file(source: Path, target: Path, progress: Progress | None) -> None:
        total = source.stat().st_size
        done = 0
        with source.open("rb") as reader, private_files.open_private(target) as writer:
            while block := reader.read(_COPY_BLOCK):
                writer.write(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
            writer.flush()
            os.fsync(writer.fileno())

    def _check_restored(self, part: Path, sealed: bool) -> str:
        """The restored file's schema revision, once it has passed every check (``sealed``: a
        plain backup's seal too)."""
        try:
            problems = sqlite_files.check(part, thorough=True)
        except sqlite3.DatabaseError as exc:
            raise DamagedBackup(f"The backup does not hold a readable database ({exc}). Nothing was restored.") from exc
        if problems:
            raise DamagedBackup(
                f"The database in the backup is damaged ({'; '.join(problems[:3])}). Nothing was restored."
            )
        sqlite_files.make_self_contained(part)
        revision = sqlite_files.revision(part)
        if revision is None or not _OWN_TABLES <= sqlite_files.tables(part):
            raise NotABackup("The file holds a database, but not one of Diversion Desktop's. Nothing was restored.")
        if self._newer(revision):
            head = head_revision(self.ctx.engine)
            raise NewerBackup(
                f"This backup was made by a newer version of Diversion Desktop (its schema is "
                f"revision {revision}; this version knows revisions up to {head}). Restore it "
                "with that version or a newer one. Nothing was restored."
            )
        if sealed:
            state = sqlite_files.seal_state(part)
            if state == "broken":
                raise DamagedBackup(
                    "The plain backup was changed after it was made: its content does not match "
                    "the checksum sealed in it. Nothing was restored."
                )
            if state == "missing":
                raise UnsealedBackup(
                    "This database copy carries no checksum (a plain backup made by an older "
                    "version, or a database file that is not a backup), so changes to it cannot "
                    "be found. Restore it only if you know where it came from, with "
                    "`diversion-desktop restore --unsealed`. Nothing was restored."
                )
        sqlite_files.remove_seal(part)
        return revision

    @staticmethod
    def _move_to_new_file(part: Path, out: Path) -> None:
        """Rename ``part`` to ``out`` without ever replacing a file that appeared there meanwhile."""
        try:
            os.link(part, out)  # fails if ``out`` exists, atomically
        except FileExistsError:
            raise BackupError(
                f"{out} appeared while the backup was being restored; it was left as it is. Nothing was restored."
            ) from None
        except OSError:  # a file system without hard links (FAT, some network shares)
            if out.exists():
                raise BackupError(f"{out} already exists; it was left as it is. Nothing was restored.") from None
            part.rename(out)  # same folder: a rename, never a copy
        private_files.make_private(out)
