"""the person's fairness groups kept on each referral

The evaluation's fairness tables count referrals per sex and self-defined
ethnicity. Joining a million referrals to their people took 1.7 s of the 2 s the
whole report may take (one index seek per person). Each referral now carries a
copy of its person's ``sex`` and ``ethnicity_self`` (``person_sex``,
``person_ethnicity_self``), and ``ix_referrals_person_groups`` holds them in
group order with every column the fairness query reads: the count is one pass
over one index (0.5 s at a million referrals).

The copies are the person's *current* values (the figures are the same as
with the join), kept so by the database itself so that no way of writing can
forget them: a new referral, a referral moved to another person (a merge or its
undoing) and a change to a person's sex or ethnicity all update them. SQLite
does it with AFTER triggers, PostgreSQL with trigger functions. The ORM does not
map the copies (``store/models.py``). On PostgreSQL the person is read FOR
SHARE: otherwise a change to the person committed while the referral's
transaction is still open would update only the referrals it can see, and the
new referral would keep the old value for good (SQLite's writers take turns).

``ix_people_sex_ethnicity`` (revision 0004, for the join) is dropped: nothing
else reads it. So is ``ix_referrals_scheme_code_status`` (revision 0001): two
areas by seven states does not narrow a search, and where a query also gives
a period (an export of one area's referrals, say) SQLite preferred it to the
date index, reading half the referrals. Every insert and change kept it up to
date for nothing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEX_COLUMNS = [
    "person_sex",
    "person_ethnicity_self",
    "referral_date",
    "scheme_code",
    "age_at_incident",
    "status",
    "outcome",
    "next_step",
    "sessions_attended",
]

# SQLite: "IS NOT" compares NULLs as values. A trigger's own UPDATE fires the other referral
# trigger, whose WHEN is then false: no loop (and SQLite's recursive triggers are off).
_PERSON_DIFFERS = (
    "NEW.person_sex IS NOT (SELECT sex FROM people WHERE id = NEW.person_id) "
    "OR NEW.person_ethnicity_self IS NOT (SELECT ethnicity_self FROM people WHERE id = NEW.person_id)"
)
_COPY_FROM_PERSON = (
    "UPDATE referrals SET person_sex = (SELECT sex FROM people WHERE id = NEW.person_id), "
    "person_ethnicity_self = (SELECT ethnicity_self FROM people WHERE id = NEW.person_id) "
    "WHERE id = NEW.id;"
)
SQLITE_TRIGGERS = {
    "referrals_person_groups_on_insert": f"CREATE TRIGGER referrals_person_groups_on_insert AFTER INSERT ON referrals "
    f"FOR EACH ROW WHEN {_PERSON_DIFFERS} BEGIN {_COPY_FROM_PERSON} END",
    "referrals_person_groups_on_update": f"CREATE TRIGGER referrals_person_groups_on_update "
    f"AFTER UPDATE OF person_id, person_sex, person_ethnicity_self ON referrals "
    f"FOR EACH ROW WHEN {_PERSON_DIFFERS} BEGIN {_COPY_FROM_PERSON} END",
    "people_groups_to_referrals": "CREATE TRIGGER people_groups_to_referrals "
    "AFTER UPDATE OF sex, ethnicity_self ON people "
    "FOR EACH ROW WHEN NEW.sex IS NOT OLD.sex OR NEW.ethnicity_self IS NOT OLD.ethnicity_self "
    "BEGIN UPDATE referrals SET person_sex = NEW.sex, person_ethnicity_self = NEW.ethnicity_self "
    "WHERE person_id = NEW.id; END",
}

POSTGRESQL_DDL = (
    "CREATE FUNCTION referrals_copy_person_groups() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "SELECT sex, ethnicity_self INTO NEW.person_sex, NEW.person_ethnicity_self FROM people WHERE id = NEW.person_id "
    "FOR SHARE; "
    "RETURN NEW; END $$",
    "CREATE TRIGGER referrals_copy_person_groups "
    "BEFORE INSERT OR UPDATE OF person_id, person_sex, person_ethnicity_self ON referrals "
    "FOR EACH ROW EXECUTE FUNCTION referrals_copy_person_groups()",
    "CREATE FUNCTION people_groups_to_referrals() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "UPDATE referrals SET person_sex = NEW.sex, person_ethnicity_self = NEW.ethnicity_self "
    "WHERE person_id = NEW.id; RETURN NULL; END $$",
    "CREATE TRIGGER people_groups_to_referrals AFTER UPDATE OF sex, ethnicity_self ON people FOR EACH ROW "
    "WHEN (OLD.sex IS DISTINCT FROM NEW.sex OR OLD.ethnicity_self IS DISTINCT FROM NEW.ethnicity_self) "
    "EXECUTE FUNCTION people_groups_to_referrals()",
)


def upgrade() -> None:
    op.add_column("referrals", sa.Column("person_sex", sa.String(length=20), nullable=False, server_default=""))
    op.add_column(
        "referrals", sa.Column("person_ethnicity_self", sa.String(length=80), nullable=False, server_default="")
    )
    op.execute(
        "UPDATE referrals SET "
        "person_sex = COALESCE((SELECT sex FROM people WHERE people.id = referrals.person_id), ''), "
        "person_ethnicity_self = COALESCE((SELECT ethnicity_self FROM people "
        "WHERE people.id = referrals.person_id), '')"
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for ddl in SQLITE_TRIGGERS.values():
            op.execute(ddl)
    elif dialect == "postgresql":
        for ddl in POSTGRESQL_DDL:
            op.execute(ddl)
    op.create_index("ix_referrals_person_groups", "referrals", INDEX_COLUMNS)
    op.drop_index("ix_people_sex_ethnicity", table_name="people")
    op.drop_index("ix_referrals_scheme_code_status", table_name="referrals")


def downgrade() -> None:
    op.create_index("ix_referrals_scheme_code_status", "referrals", ["scheme_code", "status"])
    op.create_index("ix_people_sex_ethnicity", "people", ["sex", "ethnicity_self"])
    op.drop_index("ix_referrals_person_groups", table_name="referrals")
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS people_groups_to_referrals ON people")
        op.execute("DROP TRIGGER IF EXISTS referrals_copy_person_groups ON referrals")
        op.execute("DROP FUNCTION IF EXISTS people_groups_to_referrals()")
        op.execute("DROP FUNCTION IF EXISTS referrals_copy_person_groups()")
    op.execute("ALTER TABLE referrals DROP COLUMN person_ethnicity_self")
    op.execute("ALTER TABLE referrals DROP COLUMN person_sex")
