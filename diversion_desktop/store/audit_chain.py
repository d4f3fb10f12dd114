"""The audit chain's hashes, and the secret that keys them (kept outside the database).

Version 1 rows (before revision 0007) hash their values, version 2 rows a salted digest of them,
both with plain SHA-256: anyone with the file and a SQLite tool could rewrite the chain and
recompute every hash. Version 3 rows (revision 0010 on) are hashed with HMAC-SHA-256 under a
secret key that is not in the database, so a rewritten chain no longer verifies without the key.

The key is a file of 64 hex digits, readable by its owner only: DIVERSION_AUDIT_KEY_FILE names
it; else ``audit-key`` in the machine-wide configuration folder if an administrator put one
there; else ``audit-key`` in the user's configuration folder, created on first use. Everyone who
writes to the same database must have the same key (for a PostgreSQL server: copy the file to
every workstation, or point DIVERSION_AUDIT_KEY_FILE at one copy); a missing or different key
makes ``audit verify`` report every keyed row. Keep a copy of the key apart from the backups.

Revision 0010 appends a *marker* row (action ``audit_keyed_hashing_began``, keyed) to a chain
that already has rows: the rows before it were written before keyed hashing and verify as such;
every row after it must be keyed. A chain begun at revision 0010 or later is keyed from row 1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from functools import cache
from pathlib import Path
from typing import Any

KEY_ENV = "DIVERSION_AUDIT_KEY_FILE"
KEY_NAME = "audit-key"
KEYED_VERSION = 3
MARKER_ACTION = "audit_keyed_hashing_began"
GENESIS = "0" * 64


class AuditKeyError(OSError):
    """The key file cannot be read or is not a key."""


def key_path() -> Path:
    import platformdirs

    from diversion_desktop.store.database import APP_AUTHOR, APP_NAME

    chosen = os.environ.get(KEY_ENV)
    if chosen:
        return Path(chosen)
    site = Path(platformdirs.site_config_dir(APP_NAME, APP_AUTHOR)) / KEY_NAME
    if site.is_file():
        return site
    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)) / KEY_NAME


@cache
def _key_at(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            with open_private_new(path) as handle:
                handle.write(secrets.token_hex(32).encode("ascii") + b"\n")
        except FileExistsError:
            pass  # another process made it meanwhile: use theirs
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AuditKeyError(f"The audit key {path} cannot be read: {exc}") from exc
    if len(key) < 32:
        raise AuditKeyError(f"The audit key {path} is too short (it must be 64 hex digits).")
    return key


def open_private_new(path: Path) -> Any:  # noqa: ANN401 - a binary file
    """``path`` created (never replaced) for writing, readable by its owner only."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return os.fdopen(handle, "wb")


def audit_key() -> bytes:
    return _key_at(key_path().resolve())


def forget_key() -> None:
    """Read the key file again next time (after DIVERSION_AUDIT_KEY_FILE changed)."""
    _key_at.cache_clear()


def sha256_of(parts: list) -> str:
    content = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def content_digest(salt: str, changes: str, detail: str) -> str:
    return sha256_of([salt, changes, detail])


def row_hash(row: Any, key: bytes | None = None) -> str:  # noqa: ANN401 - a row with the columns
    """Version 1 hashes the values themselves, version 2 their digest, version 3 their digest
    under the key (``audit_key()`` unless given)."""
    values = [row.changes, row.detail] if row.hash_version == 1 else [row.content_digest]
    parts = [
        row.id,
        row.at.isoformat(),
        row.username,
        row.action,
        row.entity,
        row.record_id,
        row.record_reference,
        row.person_id,
        *values,
        row.prev_hash,
    ] + ([] if row.hash_version == 1 else [row.hash_version])
    if row.hash_version != KEYED_VERSION:
        return sha256_of(parts)
    content = json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(key if key is not None else audit_key(), content, hashlib.sha256).hexdigest()
