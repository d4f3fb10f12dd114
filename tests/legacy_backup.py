"""The writer of encrypted backups in format 1 (``DDBACKUP``: AES-256-GCM in chunks), as the
application had it before backups moved to the age format. The application only reads that
format now; tests make old backups with this copy of the old writer to show they still restore."""

from __future__ import annotations

import json
import os
from pathlib import Path

from diversion_desktop.store.encrypted_backup import (
    _CHECK_INDEX,
    _FRAME,
    _PREAMBLE,
    _PREFIX_BYTES,
    _SALT_BYTES,
    CIPHER,
    FORMAT_VERSION,
    KDF,
    MAGIC,
    Progress,
    _check_data,
    _chunk_data,
    _key,
    _nonce,
)
from diversion_desktop.store.private_files import open_private

CHUNK_SIZE = 1 << 20
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1


def encrypt_legacy(
    plain: Path,
    out: Path,
    password: str,
    *,
    revision: str | None,
    created: str,
    progress: Progress | None = None,
    chunk_size: int | None = None,
    scrypt: tuple[int, int, int] | None = None,
) -> int:
    """Write ``plain`` encrypted to ``out`` (replaced if present), chunk by chunk; returns the bytes
    written. ``progress(done, total)`` counts bytes of ``plain``. The caller renames ``out`` into
    place: an interrupted write leaves a file the reader refuses as cut short."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    n, r, p = scrypt or (SCRYPT_N, SCRYPT_R, SCRYPT_P)
    chunk_size = chunk_size or CHUNK_SIZE
    salt, prefix = os.urandom(_SALT_BYTES), os.urandom(_PREFIX_BYTES)
    total = plain.stat().st_size
    fields = {
        "cipher": CIPHER,
        "kdf": KDF,
        "n": n,
        "r": r,
        "p": p,
        "salt": salt.hex(),
        "nonce_prefix": prefix.hex(),
        "chunk_size": chunk_size,
        "size": total,
        "revision": revision,
        "created": created,
    }
    body = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")
    header = _PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(body)) + body
    aead = AESGCM(_key(password, salt, n, r, p))
    done = 0
    with plain.open("rb") as source, open_private(out) as target:
        target.write(header)
        target.write(aead.encrypt(_nonce(prefix, _CHECK_INDEX), b"", _check_data(header)))
        index, chunk = 0, source.read(chunk_size)
        while True:
            following = source.read(chunk_size)  # read ahead: the last chunk must be flagged as such
            last = not following
            sealed = aead.encrypt(_nonce(prefix, index), chunk, _chunk_data(header, index, last))
            target.write(_FRAME.pack(int(last), len(sealed)))
            target.write(sealed)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
            if last:
                break
            index, chunk = index + 1, following
        if done != total:
            raise OSError(f"{plain} changed size while it was being encrypted")
        target.flush()
        os.fsync(target.fileno())
        return target.tell()
