"""withdrawn documents, and appointments whose centre was not recorded

Issue 13 §4. A confirmed next step may be withdrawn by a coordinator (a mistaken
attendance); the documents issued under it are then marked withdrawn, never
deleted: ``issued_documents`` gains ``withdrawn_at``, ``withdrawn_by`` and
``withdrawn_reason`` (empty until withdrawn).

The pilots' spreadsheets rarely recorded where an old appointment took place:
``appointments.centre_code`` may now be NULL, meaning "not recorded".

Batch mode, so SQLite copies the two tables (neither has triggers) and
PostgreSQL alters them in place.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("withdrawn_by", sa.String(length=100), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=False, server_default=sa.text("''")))
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.alter_column("centre_code", existing_type=sa.String(length=60), nullable=True)


def downgrade() -> None:
    # An appointment whose centre was not recorded cannot go back under NOT NULL: it keeps ''.
    op.execute("UPDATE appointments SET centre_code = '' WHERE centre_code IS NULL")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.alter_column("centre_code", existing_type=sa.String(length=60), nullable=False)
    with op.batch_alter_table("issued_documents", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_reason")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
