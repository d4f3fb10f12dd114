"""search keys for the later parts of a surname

A search matches the start of a person's normalised surname ("smithjones" for
"Smith-Jones"), so "jones" never found them, nor "obrien" or "smith"
"Wolfeschlegel-Ó'Brien-Śmith". ``person_name_keys`` holds, for each part after
the first (split at hyphens and spaces), the key of the name from that part on
("jones"; "obriensmith" and "smith"), indexed so a search reads one range of it.
People already stored get their keys here; from now on they are written with
the surname (services/people.py write_name_keys).

The splitting is copied from domain/names.py surname_part_keys as it was at this
revision, so a later change there never changes what this revision did.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe", "þ": "th", "ı": "i", "ħ": "h"})
_BATCH = 10_000


def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.casefold().translate(_SPECIAL))
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def _part_keys(surname: str) -> list[str]:
    parts = [key for key in (_normalise(part) for part in re.split(r"[-‐‑‒–—\s]+", surname)) if key]
    return list(dict.fromkeys("".join(parts[start:]) for start in range(1, len(parts))))


def upgrade() -> None:
    keys = op.create_table(
        "person_name_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_name_keys_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_name_keys")),
    )
    # Only names with a separator have later parts: one pass over the people, in batches.
    connection = op.get_bind()
    people = sa.table("people", sa.column("id", sa.Integer), sa.column("surname", sa.String))
    candidates = connection.execute(
        sa.select(people.c.id, people.c.surname)
        .where(sa.or_(*(people.c.surname.contains(sep) for sep in ("-", " ", "\t", "‐", "‑", "‒", "–", "—"))))
        .order_by(people.c.id)
    ).all()
    rows = [
        {"person_id": person_id, "key": key} for person_id, surname in candidates for key in _part_keys(surname or "")
    ]
    for start in range(0, len(rows), _BATCH):
        op.bulk_insert(keys, rows[start : start + _BATCH])
    op.create_index("ix_person_name_keys_key", "person_name_keys", ["key", "person_id"])
    op.create_index("ix_person_name_keys_person_id", "person_name_keys", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_person_name_keys_person_id", table_name="person_name_keys")
    op.drop_index("ix_person_name_keys_key", table_name="person_name_keys")
    op.drop_table("person_name_keys")
