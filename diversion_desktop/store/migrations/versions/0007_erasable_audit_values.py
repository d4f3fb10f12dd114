"""audit values that anonymisation can erase

An audit row records a change's values (a name from → to, an address, a reason):
once retention anonymises the person, those values must go too, but the trail is
append-only and each row's hash covered them. From this revision a row
(``hash_version`` 2) carries ``content_digest``, SHA-256 over a random ``salt``,
its ``changes`` and its ``detail``, and its hash covers the digest instead of the
values. Anonymisation empties ``changes``, ``detail`` and ``salt`` and sets
``erased_at``: the chain still verifies, and without the salt the digest cannot
be used to test a guess of what was erased.

The database allows that one UPDATE and no other: the append-only triggers are
replaced by ones that let through exactly an erasure of a version-2 row (every
other column unchanged). Rows written before this revision keep their values
(their hash covers them).

``ix_audit_events_record_reference`` finds a referral's rows (and its
appointments' and documents') when that referral is anonymised.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only"
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


def _erasing(same: str) -> str:
    """The condition of the one UPDATE allowed; ``same`` is the null-safe equality operator."""
    kept = " AND ".join(f"NEW.{c} {same} OLD.{c}" for c in _KEPT)
    return (
        f"OLD.hash_version = 2 AND OLD.erased_at IS NULL AND NEW.erased_at IS NOT NULL "
        f"AND NEW.changes = '' AND NEW.detail = '' AND NEW.salt = '' AND {kept}"
    )


SQLITE_UPDATE_TRIGGER = (
    f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    f"WHEN NOT ({_erasing('IS')}) BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
)
POSTGRESQL_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'UPDATE' AND ({_erasing('IS NOT DISTINCT FROM')}) THEN RETURN NEW; END IF; "
    f"RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
)
POSTGRESQL_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
)


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("hash_version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("audit_events", sa.Column("salt", sa.String(length=32), nullable=False, server_default=sa.text("''")))
    op.add_column(
        "audit_events", sa.Column("content_digest", sa.String(length=64), nullable=False, server_default=sa.text("''"))
    )
    op.add_column("audit_events", sa.Column("erased_at", sa.DateTime(), nullable=True))
    op.create_index("ix_audit_events_record_reference", "audit_events", ["record_reference"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute(SQLITE_UPDATE_TRIGGER)
    elif dialect == "postgresql":
        op.execute(POSTGRESQL_FUNCTION)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
    elif dialect == "postgresql":
        op.execute(POSTGRESQL_FUNCTION_BEFORE)
    op.drop_index("ix_audit_events_record_reference", table_name="audit_events")
    # DROP COLUMN on a table with triggers: SQLite 3.35+ and PostgreSQL do it in place.
    for column in ("erased_at", "content_digest", "salt", "hash_version"):
        op.execute(f"ALTER TABLE audit_events DROP COLUMN {column}")
