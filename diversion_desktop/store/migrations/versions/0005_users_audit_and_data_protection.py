"""users, audit trail and data protection

* ``users``: who signs in (argon2id password hashes, roles, organisation, lockout);
* ``audit_events``: every change and every opening of a record, append-only (the
  database refuses UPDATE and DELETE through triggers) and hash-chained;
* ``person_merges``: what a merge of two records moved, so it can be undone;
* people: ``merged_into_id``, ``anonymised_at``; referrals: ``officer_notes``,
  ``legal_hold``, ``legal_hold_reason``, ``anonymised_at``; appointments:
  ``session_notes``. New columns are added in place (no table is copied).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=150), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("organisation", sa.String(length=150), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("record_reference", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_person_id", "audit_events", ["person_id"])
    op.create_index("ix_audit_events_username_at", "audit_events", ["username", "at"])
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_table(
        "person_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_person_id", sa.Integer(), nullable=False),
        sa.Column("merged_person_id", sa.Integer(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("merged_by", sa.String(length=64), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["kept_person_id"], ["people.id"], name=op.f("fk_person_merges_kept_person_id_people")),
        sa.ForeignKeyConstraint(
            ["merged_person_id"], ["people.id"], name=op.f("fk_person_merges_merged_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merges")),
    )
    op.create_index("ix_person_merges_kept_person_id", "person_merges", ["kept_person_id"])
    op.create_index("ix_person_merges_merged_person_id", "person_merges", ["merged_person_id"])

    # Plain ADD COLUMN (no batch copy): instant even at a million rows.
    op.add_column("people", sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.add_column("people", sa.Column("anonymised_at", sa.DateTime(), nullable=True))
    op.add_column("referrals", sa.Column("officer_notes", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "referrals", sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false())
    )  # 0 on SQLite
    op.add_column("referrals", sa.Column("legal_hold_reason", sa.Text(), nullable=False, server_default=""))
    op.add_column("referrals", sa.Column("anonymised_at", sa.DateTime(), nullable=True))
    op.add_column("appointments", sa.Column("session_notes", sa.Text(), nullable=False, server_default=""))

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of people would trip its foreign keys.
    for table, column in (
        ("appointments", "session_notes"),
        ("referrals", "anonymised_at"),
        ("referrals", "legal_hold_reason"),
        ("referrals", "legal_hold"),
        ("referrals", "officer_notes"),
        ("people", "anonymised_at"),
        ("people", "merged_into_id"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_index("ix_person_merges_merged_person_id", table_name="person_merges")
    op.drop_index("ix_person_merges_kept_person_id", table_name="person_merges")
    op.drop_table("person_merges")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_index("ix_audit_events_username_at", table_name="audit_events")
    op.drop_index("ix_audit_events_person_id", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("users")
