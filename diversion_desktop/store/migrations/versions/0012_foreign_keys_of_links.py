"""foreign keys on the three links that lacked them

Issue 15 §2. ``people.barred_by_referral_id`` (the referral whose next step barred
the person), ``people.merged_into_id`` (the record a merged record went into) and
``issued_documents.appointment_id`` (the appointment a letter is about) were plain
integers: nothing stopped them naming a row that is not there. Each becomes a
foreign key:

``barred_by_referral_id`` → ``referrals.id``, ``merged_into_id`` → ``people.id``
and ``appointment_id`` → ``appointments.id``, with no action on delete. Nothing
deletes a referral or a person but an import taking back what it wrote, and
what it wrote names neither: a referral that barred someone, or a person kept
by a merge (``person_merges`` refuses that already), is never deleted from
under the link. An appointment goes only with its referral, whose documents go
in the same statement (ON DELETE CASCADE from the referral).

A reference to a row that is not there is cleared first (set NULL), so the
keys can be added to any existing database. Each link gets a partial index of
the rows that have one: deleting a referral, a person or an appointment looks
for the rows naming it, and without an index that reads the whole table for
every row deleted (15 s for 500 people among 200,000 in a trial).

SQLite cannot add a constraint to a column. ``issued_documents`` is copied in
batch mode (it has no triggers, and no table refers to it). ``people`` is not
copied: dropping the old table would first delete its rows, and with foreign keys
on that deletes every alias and name key (ON DELETE CASCADE) or fails on the
referrals; the copy would also drop the trigger of revision 0006. Instead each
column is added again with its key (ALTER TABLE ADD COLUMN ... REFERENCES), the
values copied, the old column dropped and the new one given the old name; a key
declared on its column is dropped with it, so the downgrade works the same way.
PostgreSQL adds and drops the constraints in place.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# (table, column, referred table); the keys are named as the models' naming convention names them.
LINKS = (
    ("people", "barred_by_referral_id", "referrals"),
    ("people", "merged_into_id", "people"),
    ("issued_documents", "appointment_id", "appointments"),
)


def _fk_name(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def _index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}"


def upgrade() -> None:
    for table, column, referred in LINKS:
        op.execute(
            f"UPDATE {table} SET {column} = NULL WHERE {column} IS NOT NULL "
            f"AND {column} NOT IN (SELECT id FROM {referred})"
        )
    if op.get_bind().dialect.name == "sqlite":
        for table, column, referred in LINKS:
            if table == "people":
                _replace_column(
                    table, column, f"CONSTRAINT {_fk_name(table, column, referred)} REFERENCES {referred} (id)"
                )
        with op.batch_alter_table("issued_documents", schema=None) as batch_op:
            batch_op.create_foreign_key(
                _fk_name("issued_documents", "appointment_id", "appointments"),
                "appointments",
                ["appointment_id"],
                ["id"],
            )
    else:
        for table, column, referred in LINKS:
            op.create_foreign_key(_fk_name(table, column, referred), table, referred, [column], ["id"])
    for table, column, _referred in LINKS:
        op.create_index(
            _index_name(table, column),
            table,
            [column],
            sqlite_where=sa.text(f"{column} IS NOT NULL"),
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
        )


def downgrade() -> None:
    for table, column, _referred in LINKS:
        op.drop_index(_index_name(table, column), table_name=table)
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("issued_documents", schema=None) as batch_op:
            batch_op.drop_constraint(_fk_name("issued_documents", "appointment_id", "appointments"), type_="foreignkey")
        for table, column, _referred in LINKS:
            if table == "people":
                _replace_column(table, column, "")
    else:
        for table, column, referred in reversed(LINKS):
            op.drop_constraint(_fk_name(table, column, referred), table, type_="foreignkey")


def _replace_column(table: str, column: str, constraint: str) -> None:
    """SQLite: ``column`` again as ``INTEGER {constraint}``, with its values, in the same table."""
    new = f"{column}_new"
    op.execute(f"ALTER TABLE {table} ADD COLUMN {new} INTEGER {constraint}".rstrip())
    op.execute(f"UPDATE {table} SET {new} = {column} WHERE {column} IS NOT NULL")
    op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.execute(f"ALTER TABLE {table} RENAME COLUMN {new} TO {column}")
