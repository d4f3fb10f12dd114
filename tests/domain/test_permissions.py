"""A role's permissions depend on the organisation: police roles grant nothing outside the police."""

from __future__ import annotations

import pytest

from diversion_desktop.domain.permissions import ROLE_PERMISSIONS, Permission, Principal, Role

P = Permission


@pytest.mark.parametrize(
    ("roles", "organisation", "granted", "withheld"),
    [
        ({Role.ADMINISTRATOR}, "police", {P.VIEW_AUDIT, P.SUBJECT_ACCESS, P.BACKUP}, set()),
        ({Role.ADMINISTRATOR}, "Police ", {P.VIEW_AUDIT}, set()),
        # An administrator recorded at a provider (allowed before issue 14.7): no police data through them.
        ({Role.ADMINISTRATOR}, "Cranstoun", set(), {P.VIEW_AUDIT, P.SUBJECT_ACCESS, P.BACKUP, P.MANAGE_USERS}),
        (
            {Role.ADMINISTRATOR, Role.SUPPORT_WORKER},
            "Cranstoun",
            ROLE_PERMISSIONS[Role.SUPPORT_WORKER],
            {P.VIEW_AUDIT, P.SUBJECT_ACCESS, P.IMPORT_RECORDS},
        ),
        ({Role.COORDINATOR}, "Cranstoun", set(), {P.VIEW_POLICE_FIELDS, P.EXPORT_PERSONAL_DATA}),
        ({Role.SUPPORT_WORKER}, "Cranstoun", ROLE_PERMISSIONS[Role.SUPPORT_WORKER], {P.VIEW_POLICE_FIELDS}),
        (set(Role), "police", set(Permission), set()),
    ],
)
def test_permissions_by_role_and_organisation(
    roles: set[Role], organisation: str, granted: set[Permission], withheld: set[Permission]
) -> None:
    principal = Principal(username="someone", roles=frozenset(roles), organisation=organisation)
    assert granted <= principal.permissions
    assert not withheld & principal.permissions
    if not granted:
        assert principal.permissions == frozenset()
