"""a version number on every record a person edits

Issue 14. Two people saving one record at once each overwrote the other's work
without a word ("lost updates"), and on PostgreSQL both could record one
appointment. ``people``, ``referrals`` and ``appointments`` gain ``version``, an
integer the ORM raises on every change (``version_id_col``, store/models.py):
an UPDATE made from a stale copy matches no row and is refused
(services/concurrency.py). Existing rows start at 1.

Batch mode, but no table is copied: adding a column with a constant default
(a string, not an SQL expression, or Alembic would copy the table) and dropping
one are plain ALTER TABLE on SQLite (3.35 or newer) as on PostgreSQL, so the
triggers on ``people`` and ``referrals`` (revision 0006) stay.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("people", "referrals", "appointments")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column("version")
