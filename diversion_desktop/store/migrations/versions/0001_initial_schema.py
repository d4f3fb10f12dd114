"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 20:04:56.856816
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("forenames", sa.String(length=150), nullable=False),
        sa.Column("surname_norm", sa.String(length=100), nullable=False),
        sa.Column("forenames_norm", sa.String(length=150), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=False),
        sa.Column("ethnicity_self", sa.String(length=80), nullable=False),
        sa.Column("ethnicity_observed", sa.String(length=80), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=60), nullable=False),
        sa.Column("needs", sa.String(length=200), nullable=False),
        sa.Column("guardian_name", sa.String(length=200), nullable=False),
        sa.Column("guardian_relationship", sa.String(length=60), nullable=False),
        sa.Column("guardian_phone", sa.String(length=40), nullable=False),
        sa.Column("guardian_address", sa.Text(), nullable=False),
        sa.Column("pnc_reference", sa.String(length=20), nullable=False),
        sa.Column("barred", sa.Boolean(), nullable=False),
        sa.Column("barred_at", sa.DateTime(), nullable=True),
        sa.Column("barred_by_referral_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("reference", name=op.f("uq_people_reference")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index("ix_people_date_of_birth", ["date_of_birth"], unique=False)
        batch_op.create_index("ix_people_forenames_norm", ["forenames_norm"], unique=False)
        batch_op.create_index("ix_people_surname_norm_forenames_norm", ["surname_norm", "forenames_norm"], unique=False)

    op.create_table(
        "reference_counters",
        sa.Column("series", sa.String(length=20), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "person_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("forenames", sa.String(length=150), nullable=False),
        sa.Column("surname_norm", sa.String(length=100), nullable=False),
        sa.Column("forenames_norm", sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_aliases_person_id_people"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_aliases")),
    )
    with op.batch_alter_table("person_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_person_aliases_person_id", ["person_id"], unique=False)
        batch_op.create_index("ix_person_aliases_surname_norm", ["surname_norm"], unique=False)

    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(length=60), nullable=False),
        sa.Column("area", sa.String(length=100), nullable=False),
        sa.Column("scheme_kind", sa.String(length=30), nullable=False),
        sa.Column("referral_date", sa.Date(), nullable=False),
        sa.Column("incident_at", sa.DateTime(), nullable=False),
        sa.Column("incident_place", sa.String(length=200), nullable=False),
        sa.Column("crime_reference", sa.String(length=40), nullable=False),
        sa.Column("officer_name", sa.String(length=100), nullable=False),
        sa.Column("officer_collar_number", sa.String(length=20), nullable=False),
        sa.Column("station", sa.String(length=100), nullable=False),
        sa.Column("offence", sa.String(length=30), nullable=False),
        sa.Column("suspected_supply", sa.Boolean(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("pathway", sa.String(length=10), nullable=False),
        sa.Column("age_at_incident", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rule_version", sa.String(length=20), nullable=False),
        sa.Column("settings_hash", sa.String(length=32), nullable=False),
        sa.Column("scheme_settings", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.Column("override_by", sa.String(length=100), nullable=False),
        sa.Column("override_at", sa.DateTime(), nullable=True),
        sa.Column("provider", sa.String(length=150), nullable=False),
        sa.Column("centre_code", sa.String(length=60), nullable=False),
        sa.Column("first_attendance_due", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("outcome_date", sa.Date(), nullable=True),
        sa.Column("proposed_step", sa.String(length=40), nullable=False),
        sa.Column("proposed_reason", sa.Text(), nullable=False),
        sa.Column("next_step", sa.String(length=40), nullable=False),
        sa.Column("next_step_confirmed_by", sa.String(length=100), nullable=False),
        sa.Column("next_step_confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("for_case_file", sa.Boolean(), nullable=False),
        sa.Column("sessions_attended", sa.Integer(), nullable=False),
        sa.Column("misses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_referrals_person_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("reference", name=op.f("uq_referrals_reference")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_person_id", ["person_id"], unique=False)
        batch_op.create_index("ix_referrals_referral_date", ["referral_date"], unique=False)
        batch_op.create_index("ix_referrals_scheme_code_status", ["scheme_code", "status"], unique=False)
        batch_op.create_index("ix_referrals_status_due_date", ["status", "due_date"], unique=False)

    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("centre_code", sa.String(length=60), nullable=False),
        sa.Column("session_type", sa.String(length=30), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("attendance", sa.String(length=20), nullable=True),
        sa.Column("rebook_reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_appointments_referral_id_referrals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_centre_code_scheduled_at", ["centre_code", "scheduled_at"], unique=False)
        batch_op.create_index("ix_appointments_referral_id", ["referral_id"], unique=False)

    op.create_table(
        "referral_substances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("substance", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"],
            ["referrals.id"],
            name=op.f("fk_referral_substances_referral_id_referrals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_substances")),
    )
    with op.batch_alter_table("referral_substances", schema=None) as batch_op:
        batch_op.create_index("ix_referral_substances_referral_id", ["referral_id"], unique=False)

    op.create_table(
        "timeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_timeline_events_referral_id_referrals"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
    )
    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.create_index("ix_timeline_events_referral_id", ["referral_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("timeline_events", schema=None) as batch_op:
        batch_op.drop_index("ix_timeline_events_referral_id")

    op.drop_table("timeline_events")
    with op.batch_alter_table("referral_substances", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_substances_referral_id")

    op.drop_table("referral_substances")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_referral_id")
        batch_op.drop_index("ix_appointments_centre_code_scheduled_at")

    op.drop_table("appointments")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_status_due_date")
        batch_op.drop_index("ix_referrals_scheme_code_status")
        batch_op.drop_index("ix_referrals_referral_date")
        batch_op.drop_index("ix_referrals_person_id")

    op.drop_table("referrals")
    with op.batch_alter_table("person_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_person_aliases_surname_norm")
        batch_op.drop_index("ix_person_aliases_person_id")

    op.drop_table("person_aliases")
    op.drop_table("reference_counters")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_surname_norm_forenames_norm")
        batch_op.drop_index("ix_people_forenames_norm")
        batch_op.drop_index("ix_people_date_of_birth")

    op.drop_table("people")
