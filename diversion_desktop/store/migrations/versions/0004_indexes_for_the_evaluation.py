"""indexes for the evaluation

The evaluation (services/evaluation.py) adds up a million referrals in SQL. These
indexes cover every column it reads, so the database adds up from the index alone
instead of reading every row of the table (measured: the whole report over a
million referrals goes from several seconds to under two):

* ``ix_referrals_evaluation_by_day``: the period's referrals, in date order;
* ``ix_referrals_person_history``: each person's referrals in order, for repeat
  possession within 12 months;
* ``ix_people_sex_ethnicity``: the fairness groups.

The names and columns were services/evaluation.py's suggested indexes then
(revision 0006 replaced the one on people). Only indexes change.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_referrals_evaluation_by_day",
        "referrals",
        [
            "referral_date",
            "scheme_code",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
            "age_at_incident",
            "outcome_date",
            "person_id",
        ],
    )
    op.create_index(
        "ix_referrals_person_history",
        "referrals",
        [
            "person_id",
            "referral_date",
            "scheme_code",
            "age_at_incident",
            "status",
            "outcome",
            "next_step",
            "sessions_attended",
        ],
    )
    op.create_index("ix_people_sex_ethnicity", "people", ["sex", "ethnicity_self"])


def downgrade() -> None:
    op.drop_index("ix_people_sex_ethnicity", table_name="people")
    op.drop_index("ix_referrals_person_history", table_name="referrals")
    op.drop_index("ix_referrals_evaluation_by_day", table_name="referrals")
