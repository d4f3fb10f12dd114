"""Every service, called as every role: refused exactly where the role lacks the permission.

The table ``CALLS`` names each public method of each service with the permission(s) it needs
and real arguments; a test checks that the table covers every public method of every
``*Service`` class in diversion_desktop/services, so a new method cannot skip its check.
A refused call must also leave the database exactly as it was (not even an audit row).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import diversion_desktop.services as services_package
from diversion_desktop.domain.eligibility import PriorHistory
from diversion_desktop.domain.permissions import ROLE_PERMISSIONS, Permission, Principal, Role
from diversion_desktop.domain.programme import Attendance
from diversion_desktop.services.audit_trail import AuditFilters, AuditTrailService
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.corrections import CorrectionService
from diversion_desktop.services.documents import DocumentService
from diversion_desktop.services.errors import PermissionDenied, ServiceError
from diversion_desktop.services.evaluation import EvaluationRequest, EvaluationService
from diversion_desktop.services.exporter import ExportQuery, ExportService
from diversion_desktop.services.importer import ImportService
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.people import PeopleService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.services.referral_list import ReferralListFilters, ReferralListService
from diversion_desktop.services.referrals import ReferralService
from diversion_desktop.services.users import UserService
from tests.conftest import EVERY_ROLE, as_role

P = Permission
PASSWORD = "a sound passphrase"


@dataclass
class Data:
    """What the calls act on: a West Berkshire referral (sent to Cranstoun) with a booked
    appointment, an issued referral letter, and an administrator account."""

    ctx: AppContext
    tmp: Path
    draft: Any = None
    referral_id: int = 0
    reference: str = ""
    person_id: int = 0
    appointment_id: int = 0
    document_id: int = 0
    centre: str = ""
    day: date = field(default_factory=date.today)


@dataclass(frozen=True)
class Call:
    service: type
    method: str
    needs: tuple[Permission, ...]  # () = anyone signed in
    call: Callable[[Any, Data], Any]


def _draft(data: Data, make_draft: Callable[..., Any], **changes: Any) -> Any:
    return make_draft(**changes)


CALLS: list[Call] = [
    Call(PeopleService, "search", (P.SEARCH_PEOPLE,), lambda s, d: s.search("smith")),
    Call(PeopleService, "get", (P.VIEW_PERSON,), lambda s, d: s.get(d.person_id)),
    Call(
        PeopleService,
        "possible_matches",
        (P.TAKE_REFERRAL,),
        lambda s, d: s.possible_matches("Smith", "John", date(1990, 5, 17)),
    ),
    Call(IntakeService, "check", (P.TAKE_REFERRAL,), lambda s, d: s.check(d.draft, PriorHistory())),
    Call(IntakeService, "prior", (P.TAKE_REFERRAL,), lambda s, d: s.prior(d.person_id)),
    Call(IntakeService, "save", (P.TAKE_REFERRAL,), lambda s, d: s.save(d.draft)),
    Call(
        ProgrammeService,
        "book",
        (P.BOOK_APPOINTMENTS,),
        lambda s, d: s.book(
            d.referral_id, datetime.combine(d.day + timedelta(days=2), datetime.min.time()).replace(hour=11)
        ),
    ),
    Call(
        ProgrammeService, "record", (P.RECORD_ATTENDANCE,), lambda s, d: s.record(d.appointment_id, Attendance.ATTENDED)
    ),
    Call(
        ProgrammeService,
        "record_session_notes",
        (P.RECORD_SESSION_NOTES,),
        lambda s, d: s.record_session_notes(d.appointment_id, "Talked about harm reduction."),
    ),
    Call(ProgrammeService, "propose_overdue", (P.WORK_QUEUES,), lambda s, d: s.propose_overdue(d.referral_id)),
    Call(
        ProgrammeService, "confirm_next_step", (P.CONFIRM_NEXT_STEP,), lambda s, d: s.confirm_next_step(d.referral_id)
    ),
    Call(
        ProgrammeService,
        "list_for_centre_day",
        (P.VIEW_APPOINTMENTS,),
        lambda s, d: s.list_for_centre_day(d.centre, d.day),
    ),
    Call(
        CorrectionService,
        "correct_attendance",
        (P.CORRECT_ATTENDANCE,),
        lambda s, d: s.correct_attendance(d.appointment_id, Attendance.NOT_ATTENDED, "Recorded by mistake"),
    ),
    Call(
        CorrectionService,
        "withdraw_next_step",
        (P.WITHDRAW_NEXT_STEP,),
        lambda s, d: s.withdraw_next_step(d.referral_id, "Confirmed by mistake"),
    ),
    Call(ReferralService, "detail", (P.VIEW_REFERRALS,), lambda s, d: s.detail(d.referral_id)),
    Call(ReferralService, "find", (P.VIEW_REFERRALS,), lambda s, d: s.find(d.reference)),
    Call(ReferralService, "queue", (P.WORK_QUEUES,), lambda s, d: s.queue("overdue")),
    Call(ReferralService, "queue", (P.VIEW_BOOKING_QUEUE,), lambda s, d: s.queue("awaiting_appointment")),
    Call(ReferralService, "queue_counts", (P.VIEW_BOOKING_QUEUE,), lambda s, d: s.queue_counts()),
    Call(ReferralListService, "open", (P.VIEW_REFERRALS,), lambda s, d: s.open(ReferralListFilters())),
    Call(ReferralListService, "count", (P.VIEW_REFERRALS,), lambda s, d: s.count(ReferralListFilters())),
    Call(ReferralListService, "page", (P.VIEW_REFERRALS,), lambda s, d: s.page(ReferralListFilters(), 0)),
    Call(ReferralListService, "iterate", (P.VIEW_REFERRALS,), lambda s, d: list(s.iterate(ReferralListFilters()))),
    Call(DocumentService, "due", (P.VIEW_REFERRALS,), lambda s, d: s.due(d.referral_id)),
    Call(
        DocumentService,
        "preview",
        (P.VIEW_REFERRALS, P.ISSUE_INTAKE_DOCUMENTS),
        lambda s, d: s.preview(d.referral_id, "referral_letter"),
    ),
    Call(
        DocumentService,
        "issue",
        (P.VIEW_REFERRALS, P.ISSUE_PROVIDER_DOCUMENTS),
        lambda s, d: s.issue(d.referral_id, "appointment_letter", d.appointment_id),
    ),
    Call(DocumentService, "stored", (P.VIEW_REFERRALS, P.ISSUE_INTAKE_DOCUMENTS), lambda s, d: s.stored(d.document_id)),
    Call(DocumentService, "issued_for", (P.VIEW_REFERRALS,), lambda s, d: s.issued_for(d.referral_id)),
    Call(DocumentService, "issue_all_due", (P.VIEW_REFERRALS,), lambda s, d: s.issue_all_due(d.referral_id)),
    Call(
        DocumentService,
        "appointment_batch",
        (P.VIEW_REFERRALS, P.ISSUE_PROVIDER_DOCUMENTS),
        lambda s, d: s.appointment_batch(d.centre, d.day),
    ),
    Call(
        DocumentService,
        "missed_batch",
        (P.VIEW_REFERRALS, P.ISSUE_NEXT_STEP_DOCUMENTS),
        lambda s, d: s.missed_batch(d.day),
    ),
    Call(
        EvaluationService,
        "compute",
        (P.RUN_REPORTS,),
        lambda s, d: s.compute(EvaluationRequest(date(2026, 1, 1), date(2026, 12, 31))),
    ),
    Call(ExportService, "count", (P.EXPORT_PERSONAL_DATA,), lambda s, d: s.count(ExportQuery())),
    Call(
        ExportService,
        "export",
        (P.EXPORT_PERSONAL_DATA,),
        lambda s, d: s.export(ExportQuery(), d.tmp / "out.csv", "csv"),
    ),
    Call(ImportService, "run", (P.IMPORT_RECORDS,), lambda s, d: s.run(d.tmp / "missing.csv", dry_run=True)),
    Call(UserService, "must_change_password", (), lambda s, d: s.must_change_password()),
    Call(UserService, "unlock", (), lambda s, d: s.unlock("wrong wrong wrong")),
    Call(UserService, "change_own_password", (), lambda s, d: s.change_own_password("wrong one", PASSWORD + "!")),
    Call(
        UserService,
        "create_user",
        (P.MANAGE_USERS,),
        lambda s, d: s.create_user("newuser", PASSWORD, [Role.STATION_STAFF]),
    ),
    Call(UserService, "list_users", (P.MANAGE_USERS,), lambda s, d: s.list_users()),
    Call(UserService, "set_disabled", (P.MANAGE_USERS,), lambda s, d: s.set_disabled("admin", False)),
    Call(UserService, "reset_password", (P.MANAGE_USERS,), lambda s, d: s.reset_password("admin", PASSWORD)),
    Call(
        UserService, "set_roles", (P.MANAGE_USERS,), lambda s, d: s.set_roles("admin", [Role.ADMINISTRATOR], "police")
    ),
    Call(AuditTrailService, "events", (P.VIEW_AUDIT,), lambda s, d: s.events(AuditFilters())),
    Call(AuditTrailService, "actions", (P.VIEW_AUDIT,), lambda s, d: s.actions()),
    Call(AuditTrailService, "verify", (P.VIEW_AUDIT,), lambda s, d: s.verify()),
    Call(AuditTrailService, "export", (P.VIEW_AUDIT,), lambda s, d: s.export(AuditFilters(), d.tmp / "audit.csv")),
]

# Public methods that read no case data and change nothing, so need no permission: the
# choices a form offers (configuration), the sign-in itself, and file templates.
OPEN: dict[type, set[str]] = {
    IntakeService: {"scheme_for"},
    ReferralListService: {"areas", "statuses", "id_query"},
    ExportService: {"resolve_area"},
    ImportService: {"write_template"},
    UserService: {"providers", "create_first_administrator", "sign_in", "sign_out"},
}

ROLES: dict[str, Principal] = {
    "station staff": as_role(Role.STATION_STAFF),
    "support worker": as_role(Role.SUPPORT_WORKER, organisation="Cranstoun"),
    "coordinator": as_role(Role.COORDINATOR),
    "administrator": as_role(Role.ADMINISTRATOR),
}


def _service_classes() -> dict[str, type]:
    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(services_package.__path__):
        module = importlib.import_module(f"{services_package.__name__}.{info.name}")
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and name.endswith("Service")
                and value.__module__ == module.__name__
                and not issubclass(value, Exception)
            ):
                found[name] = value
    return found


TABLED = {c.service for c in CALLS} | set(OPEN)


def test_the_table_covers_every_public_method_of_the_services_it_names() -> None:
    for cls in TABLED:
        public = {
            n for n, v in vars(cls).items() if not n.startswith("_") and callable(v) or isinstance(v, staticmethod)
        }
        public = {n for n in public if not n.startswith("_")}
        covered = {c.method for c in CALLS if c.service is cls} | OPEN.get(cls, set())
        assert public == covered, f"{cls.__name__}: not in the permission table: {sorted(public - covered)}"


def test_every_case_service_is_in_the_table() -> None:
    """New services must join the table (or the list of those with their own matrix tests)."""
    own_tests = {"BackupService", "MergeService", "SubjectAccessService", "RetentionService"}
    missing = {n for n in _service_classes() if n not in {c.__name__ for c in TABLED} | own_tests}
    assert not missing, f"services without a row in the permission matrix: {sorted(missing)}"


@pytest.fixture(scope="module")
def data_file(
    open_copy: Callable[..., AppContext], make_draft: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Data]:
    """The data made once (argon2 and a letter are slow); each test gets a copy of the file."""
    import sqlite3

    folder = tmp_path_factory.mktemp("matrix")
    ctx = open_copy(folder)
    UserService(ctx).create_first_administrator("admin", PASSWORD)
    ctx.sign_in_as(EVERY_ROLE)
    saved = IntakeService(ctx).save(make_draft())
    day = ctx.today() + timedelta(days=1)
    appointment = ProgrammeService(ctx).book(saved.id, datetime.combine(day, datetime.min.time()).replace(hour=10))
    issued, _pdf = DocumentService(ctx).issue(saved.id, "referral_letter")
    ctx.engine.dispose()
    path = folder / "diversion.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    result = Data(
        ctx=ctx,
        tmp=folder,
        referral_id=saved.id,
        reference=saved.reference,
        person_id=saved.person_id,
        appointment_id=appointment.id,
        document_id=issued.id,
        centre=appointment.centre_code,
        day=day,
    )
    result.draft = make_draft(surname="Jones", forenames="Amir")
    return path, result


@pytest.fixture
def data(data_file: tuple[Path, Data], ctx: AppContext, db_path: Path, tmp_path: Path) -> Data:
    import shutil

    ctx.engine.dispose()
    path, template = data_file
    shutil.copyfile(path, db_path)
    return replace(template, ctx=ctx, tmp=tmp_path)


def _expected(principal: Principal, needs: tuple[Permission, ...]) -> bool:
    return all(p in principal.permissions for p in needs)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.service.__name__}.{c.method}")
def test_matrix(call: Call, role: str, data: Data, count_rows: Callable[[], dict[str, int]]) -> None:
    principal = ROLES[role]
    data.ctx.sign_in_as(principal)
    service = call.service(data.ctx)
    before = count_rows()
    allowed = _expected(principal, call.needs)
    try:
        call.call(service, data)
    except PermissionDenied as refused:
        assert not allowed, f"{role} was refused {call.method} but may: {refused}"
        assert "may not" in str(refused) or "that you may see" in str(refused)
        assert count_rows() == before, "a refused call changed the database"
        return
    except ServiceError:
        pass  # allowed, and refused for another reason (state, input): not a permission matter
    assert allowed, f"{role} could call {call.service.__name__}.{call.method} without {call.needs}"


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.service.__name__}.{c.method}")
def test_no_one_signed_in_is_refused(call: Call, data: Data) -> None:
    data.ctx.sign_in_as(None)
    with pytest.raises(PermissionDenied):
        call.call(call.service(data.ctx), data)


def test_the_roles_are_the_issues_table() -> None:
    """Spot checks of ROLE_PERMISSIONS against the issue's table of roles."""
    station, support, coordinator, admin = (
        ROLE_PERMISSIONS[r] for r in (Role.STATION_STAFF, Role.SUPPORT_WORKER, Role.COORDINATOR, Role.ADMINISTRATOR)
    )
    assert {P.SEARCH_PEOPLE, P.TAKE_REFERRAL, P.ISSUE_INTAKE_DOCUMENTS} <= station
    assert P.VIEW_SESSION_NOTES not in station and P.CONFIRM_NEXT_STEP not in station
    assert {P.BOOK_APPOINTMENTS, P.RECORD_ATTENDANCE, P.RECORD_SESSION_NOTES, P.ISSUE_PROVIDER_DOCUMENTS} <= support
    assert P.VIEW_POLICE_FIELDS not in support and P.TAKE_REFERRAL not in support
    assert station <= coordinator
    assert {P.CONFIRM_NEXT_STEP, P.OVERRIDE_ELIGIBILITY, P.MERGE_PEOPLE, P.RUN_REPORTS} <= coordinator
    # Issue 13 §4: a support worker corrects their own entries (on the day); a coordinator any entry
    # (before confirmation) and withdraws confirmations.
    assert P.CORRECT_ATTENDANCE in support and not {P.CORRECT_ANY_ATTENDANCE, P.WITHDRAW_NEXT_STEP} & support
    assert {P.CORRECT_ATTENDANCE, P.CORRECT_ANY_ATTENDANCE, P.WITHDRAW_NEXT_STEP} <= coordinator
    assert not {P.CORRECT_ATTENDANCE, P.WITHDRAW_NEXT_STEP} & station
    assert {P.MANAGE_USERS, P.MANAGE_SETTINGS, P.RETENTION, P.BACKUP, P.VIEW_AUDIT} <= admin
    case_work = {P.SEARCH_PEOPLE, P.VIEW_REFERRALS, P.TAKE_REFERRAL, P.BOOK_APPOINTMENTS, P.RECORD_ATTENDANCE}
    assert not case_work & admin  # no case work unless also given a case role
