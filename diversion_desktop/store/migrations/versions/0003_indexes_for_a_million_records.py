"""indexes for a million records

Search, the referral list and the queue counts at force scale (issue 5):

* people: the name indexes carry the other name and the date of birth, in the
  order search results are shown, so a prefix search reads the index alone;
  aliases get a forenames index like their surnames.
* referrals: one index per sortable column of the referral list, each with the
  list's filters (status, area) inside it, so a page at any offset is read from
  the index; ``ix_referrals_list_date`` replaces ``ix_referrals_referral_date``
  (its first column). ``ix_referrals_open`` is a partial index of the open
  referrals only, for the coordinator's queues and their counts; it replaces
  ``ix_referrals_status_due_date`` (the queues were its only users; a status
  alone is found through ``ix_referrals_list_status``).

Only indexes change: no table is copied and no row is touched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 21:20:30.798665
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The same condition as the model's (store/models.py OPEN_STATUSES_SQL), written out: a
# revision must not change when the models do.
OPEN = "status IN ('awaiting_appointment', 'booked', 'awaiting_confirmation')"


def upgrade() -> None:
    op.drop_index("ix_people_forenames_norm", table_name="people")
    op.drop_index("ix_people_surname_norm_forenames_norm", table_name="people")
    op.create_index("ix_people_surname_key", "people", ["surname_norm", "forenames_norm", "date_of_birth"])
    op.create_index("ix_people_forenames_key", "people", ["forenames_norm", "surname_norm", "date_of_birth"])

    op.create_index("ix_person_aliases_forenames_norm", "person_aliases", ["forenames_norm"])

    op.drop_index("ix_referrals_referral_date", table_name="referrals")
    op.drop_index("ix_referrals_status_due_date", table_name="referrals")
    op.create_index("ix_referrals_list_date", "referrals", ["referral_date", "status", "area"])
    op.create_index("ix_referrals_list_due", "referrals", ["due_date", "status", "area"])
    op.create_index("ix_referrals_list_reference", "referrals", ["reference", "status", "area"])
    op.create_index("ix_referrals_list_status", "referrals", ["status", "area", "referral_date"])
    op.create_index("ix_referrals_list_area", "referrals", ["area", "status", "referral_date"])
    op.create_index(
        "ix_referrals_open",
        "referrals",
        ["status", "due_date", "first_attendance_due", "sessions_attended"],
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_open", table_name="referrals")
    op.drop_index("ix_referrals_list_area", table_name="referrals")
    op.drop_index("ix_referrals_list_status", table_name="referrals")
    op.drop_index("ix_referrals_list_reference", table_name="referrals")
    op.drop_index("ix_referrals_list_due", table_name="referrals")
    op.drop_index("ix_referrals_list_date", table_name="referrals")
    op.create_index("ix_referrals_status_due_date", "referrals", ["status", "due_date"])
    op.create_index("ix_referrals_referral_date", "referrals", ["referral_date"])

    op.drop_index("ix_person_aliases_forenames_norm", table_name="person_aliases")

    op.drop_index("ix_people_forenames_key", table_name="people")
    op.drop_index("ix_people_surname_key", table_name="people")
    op.create_index("ix_people_surname_norm_forenames_norm", "people", ["surname_norm", "forenames_norm"])
    op.create_index("ix_people_forenames_norm", "people", ["forenames_norm"])
