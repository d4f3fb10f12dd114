"""Who may do what: the roles, the permissions, and the one table that joins them.

Every service asks ``AppContext.require(Permission.X)`` before it acts; the GUI asks
``Principal.may`` only to hide what a role cannot do. The table below is the only place a
role's rights are written (tests/services/test_permission_matrix.py holds every service to it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    STATION_STAFF = "station_staff"
    SUPPORT_WORKER = "support_worker"
    COORDINATOR = "coordinator"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Permission(StrEnum):
    # case work
    SEARCH_PEOPLE = "search_people"
    VIEW_PERSON = "view_person"
    VIEW_REFERRALS = "view_referrals"
    TAKE_REFERRAL = "take_referral"
    VIEW_POLICE_FIELDS = "view_police_fields"  # crime reference, officer, station, PNC, full history
    VIEW_SESSION_NOTES = "view_session_notes"
    RECORD_SESSION_NOTES = "record_session_notes"
    BOOK_APPOINTMENTS = "book_appointments"
    RECORD_ATTENDANCE = "record_attendance"
    # Correcting a mistaken attendance (domain/corrections.py): a support worker their own entry on
    # the day; a coordinator (CORRECT_ANY_ATTENDANCE besides) any entry before the step is confirmed.
    CORRECT_ATTENDANCE = "correct_attendance"
    CORRECT_ANY_ATTENDANCE = "correct_any_attendance"
    WITHDRAW_NEXT_STEP = "withdraw_next_step"  # undo a confirmation, with a reason
    VIEW_APPOINTMENTS = "view_appointments"
    ISSUE_INTAKE_DOCUMENTS = "issue_intake_documents"  # referral letter, YOT notice, ineligibility notice
    ISSUE_PROVIDER_DOCUMENTS = "issue_provider_documents"  # appointment and completion letters
    ISSUE_NEXT_STEP_DOCUMENTS = "issue_next_step_documents"  # missed notice, prosecution file note
    WORK_QUEUES = "work_queues"
    # The referrals awaiting a first appointment (a support worker: their own provider's only).
    VIEW_BOOKING_QUEUE = "view_booking_queue"
    CONFIRM_NEXT_STEP = "confirm_next_step"
    OVERRIDE_ELIGIBILITY = "override_eligibility"
    MERGE_PEOPLE = "merge_people"
    SET_LEGAL_HOLD = "set_legal_hold"
    RUN_REPORTS = "run_reports"
    EXPORT_PERSONAL_DATA = "export_personal_data"
    IMPORT_RECORDS = "import_records"
    SUBJECT_ACCESS = "subject_access"
    # administration
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"
    RETENTION = "retention"
    BACKUP = "backup"
    VIEW_AUDIT = "view_audit"
    LOAD_SAMPLE_DATA = "load_sample_data"


P = Permission
_STATION = frozenset(
    {
        P.SEARCH_PEOPLE,
        P.VIEW_PERSON,
        P.VIEW_REFERRALS,
        P.TAKE_REFERRAL,
        P.VIEW_POLICE_FIELDS,
        P.ISSUE_INTAKE_DOCUMENTS,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.STATION_STAFF: _STATION,
    # Scoped besides: only referrals sent to their own provider's centres (services/scope.py).
    Role.SUPPORT_WORKER: frozenset(
        {
            P.SEARCH_PEOPLE,
            P.VIEW_PERSON,
            P.VIEW_REFERRALS,
            P.VIEW_APPOINTMENTS,
            P.BOOK_APPOINTMENTS,
            P.RECORD_ATTENDANCE,
            P.CORRECT_ATTENDANCE,
            P.VIEW_SESSION_NOTES,
            P.RECORD_SESSION_NOTES,
            P.ISSUE_PROVIDER_DOCUMENTS,
            P.VIEW_BOOKING_QUEUE,
        }
    ),
    Role.COORDINATOR: _STATION
    | frozenset(
        {
            P.VIEW_APPOINTMENTS,
            P.ISSUE_NEXT_STEP_DOCUMENTS,
            P.WORK_QUEUES,
            P.VIEW_BOOKING_QUEUE,
            P.CONFIRM_NEXT_STEP,
            P.CORRECT_ATTENDANCE,
            P.CORRECT_ANY_ATTENDANCE,
            P.WITHDRAW_NEXT_STEP,
            P.OVERRIDE_ELIGIBILITY,
            P.MERGE_PEOPLE,
            P.SET_LEGAL_HOLD,
            P.RUN_REPORTS,
            P.EXPORT_PERSONAL_DATA,
            P.IMPORT_RECORDS,
            P.SUBJECT_ACCESS,
        }
    ),
    # No case work unless also given a case role.
    Role.ADMINISTRATOR: frozenset(
        {
            P.MANAGE_USERS,
            P.MANAGE_SETTINGS,
            P.RETENTION,
            P.BACKUP,
            P.VIEW_AUDIT,
            P.LOAD_SAMPLE_DATA,
            P.IMPORT_RECORDS,
            P.SUBJECT_ACCESS,
        }
    ),
}

# Organisations: each role belongs to one side. Administrators are police (the data controller):
# they manage users, backups, the audit trail and subject-access exports, all of which hold police
# data (crime references, officers, stations) that a provider's staff may not see.
POLICE = "police"
ROLE_ORGANISATION: dict[Role, str] = {
    Role.STATION_STAFF: POLICE,
    Role.COORDINATOR: POLICE,
    Role.SUPPORT_WORKER: "provider",
    Role.ADMINISTRATOR: POLICE,
}


def is_police(organisation: str) -> bool:
    return organisation.strip().lower() == POLICE


def permissions_of(roles: frozenset[Role] | set[Role], organisation: str = POLICE) -> frozenset[Permission]:
    """What ``roles`` grant to a user of ``organisation``. A police role held by someone outside
    the police (an account made before that was refused) grants nothing."""
    granted: frozenset[Permission] = frozenset()
    for role in roles:
        if ROLE_ORGANISATION[role] == POLICE and not is_police(organisation):
            continue
        granted |= ROLE_PERMISSIONS[role]
    return granted


def parse_role(text: str) -> Role:
    """A role from its value or label ("station staff", "support-worker"); ValueError names them all."""
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Role(key)
    except ValueError:
        raise ValueError(f"'{text}' is not a role; the roles are: " + ", ".join(r.value for r in Role)) from None


@dataclass(frozen=True)
class Principal:
    """The signed-in user, as every service sees them."""

    username: str
    roles: frozenset[Role]
    organisation: str = POLICE  # for a support worker: their provider's name, as in the scheme files
    user_id: int | None = None
    display_name: str = ""
    permissions: frozenset[Permission] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", permissions_of(self.roles, self.organisation))

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def provider_scoped(self) -> bool:
        """A support worker (and not also police): sees only their provider's referrals."""
        return Role.SUPPORT_WORKER in self.roles and not (self.roles & {Role.COORDINATOR, Role.STATION_STAFF})

    @property
    def label(self) -> str:
        roles = ", ".join(sorted(r.label for r in self.roles))
        return f"{self.display_name or self.username} ({roles})"


def setup_principal(name: str) -> Principal:
    """Before the first administrator exists (a new database, or one made before users): the
    installation's own commands run with every role, so an installation can be scripted."""
    return Principal(username=name, roles=frozenset(Role), organisation=POLICE, display_name=f"{name} (no users yet)")
