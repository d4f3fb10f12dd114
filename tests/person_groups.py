"""Reading back each referral's copy of its person's groups (revision 0006), for the tests on
SQLite (tests/services/test_person_groups_copy.py) and on PostgreSQL (tests/store/test_postgresql.py)."""

from __future__ import annotations

from sqlalchemy import text

from diversion_desktop.services.context import AppContext

OTHER = "Asian or Asian British: Indian"


def copies(ctx: AppContext) -> dict[str, tuple[str, str, str, str]]:
    """reference -> (copied sex, copied ethnicity, person's sex, person's ethnicity)."""
    with ctx.session_factory() as session:
        rows = session.execute(
            text(
                "SELECT r.reference, r.person_sex, r.person_ethnicity_self, p.sex, p.ethnicity_self "
                "FROM referrals r JOIN people p ON p.id = r.person_id ORDER BY r.reference"
            )
        )
        return {reference: tuple(rest) for reference, *rest in rows}


def assert_in_step(ctx: AppContext) -> None:
    found = copies(ctx)
    assert found
    for reference, (sex, ethnicity, person_sex, person_ethnicity) in found.items():
        assert (sex, ethnicity) == (person_sex, person_ethnicity), reference
