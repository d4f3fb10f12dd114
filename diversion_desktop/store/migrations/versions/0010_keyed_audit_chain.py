"""audit rows hashed under a key kept outside the database

Rows from now on (``hash_version`` 3) are hashed with HMAC-SHA-256 under the audit key
(store/audit_chain.py: a file in the configuration folder, or DIVERSION_AUDIT_KEY_FILE), so a
chain rewritten after dropping the triggers no longer verifies. A trail that already has rows
gets a marker row here, itself keyed: the rows before it verify as written before keyed hashing,
every row after it must be keyed. The triggers let version 3 rows be erased like version 2.

The hash is computed here as store/audit_chain.py computed it at this revision.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only"
MARKER_ACTION = "audit_keyed_hashing_began"
_KEPT = (
    "id",
    "at",
    "username",
    "action",
    "entity",
    "record_id",
    "record_reference",
    "person_id",
    "prev_hash",
    "hash",
    "hash_version",
    "content_digest",
)


def _erasing(same: str, versions: str) -> str:
    """The condition of the one UPDATE allowed (as revision 0007's, for more hash versions)."""
    kept = " AND ".join(f"NEW.{c} {same} OLD.{c}" for c in _KEPT)
    return (
        f"OLD.hash_version IN ({versions}) AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL "
        f"AND NEW.changes = '' AND NEW.detail = '' AND NEW.salt = '' AND {kept}"
    )


def _triggers(versions: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            f"WHEN NOT ({_erasing('IS', versions)}) BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND ({_erasing('IS NOT DISTINCT FROM', versions)}) THEN RETURN NEW; END IF; "
            f"RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )


def _json(parts: list) -> bytes:
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _write_marker() -> None:
    from diversion_desktop.store.audit_chain import audit_key

    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(7270501)"))  # services/audit.py's chain lock
    last = connection.execute(sa.text("SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")).first()
    if last is None:
        return  # a new trail: keyed from its first row
    row_id, prev_hash = last[0] + 1, last[1]
    at = datetime.now().replace(microsecond=0)
    detail = (
        f"Keyed hashing begins: rows 1 to {last[0]} were hashed without the audit key; every row from "
        "this one on is hashed with it."
    )
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(_json([salt, "", detail])).hexdigest()
    parts = [row_id, at.isoformat(), "installation", MARKER_ACTION, "audit", None, "", None, digest, prev_hash, 3]
    row_hash = hmac.new(audit_key(), _json(parts), hashlib.sha256).hexdigest()
    connection.execute(
        sa.text(
            "INSERT INTO audit_events (id, at, username, action, entity, record_id, record_reference, person_id, "
            "changes, detail, prev_hash, hash, hash_version, salt, content_digest) VALUES (:id, :at, "
            "'installation', :action, 'audit', NULL, '', NULL, '', :detail, :prev, :hash, 3, :salt, :digest)"
        ),
        {
            "id": row_id,
            "at": at,
            "action": MARKER_ACTION,
            "detail": detail,
            "prev": prev_hash,
            "hash": row_hash,
            "salt": salt,
            "digest": digest,
        },
    )


def upgrade() -> None:
    _triggers("2, 3")
    _write_marker()


def downgrade() -> None:
    # The keyed rows stay (an older version reports them as of an unknown hash version).
    _triggers("2")
