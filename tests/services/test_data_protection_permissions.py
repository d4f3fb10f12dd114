"""The data-protection services called as every role: refused exactly where the role lacks the
permission, and a refused call leaves the database (and the output folder) exactly as it was.

The same shape as test_permission_matrix.py, which leaves these services to this file. The
table must cover every public method of MergeService, SubjectAccessService and RetentionService.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from diversion_desktop.domain.permissions import Permission, Principal, Role
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import PermissionDenied, ServiceError
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.merge import MergeService
from diversion_desktop.services.retention import RetentionService
from diversion_desktop.services.subject_access import SubjectAccessService
from tests.conftest import EVERY_ROLE, as_role

P = Permission


@dataclass
class Data:
    """Two records of one person, already merged once (merge 1), with an old closed referral."""

    tmp: Path
    keep_id: int
    other_id: int
    third_id: int
    referral_id: int
    merge_id: int


@dataclass(frozen=True)
class Call:
    service: type
    method: str
    needs: tuple[Permission, ...]
    call: Callable[[Any, Data], Any]


CALLS: list[Call] = [
    Call(MergeService, "person_id", (P.MERGE_PEOPLE,), lambda s, d: s.person_id("P000001")),
    Call(MergeService, "merge", (P.MERGE_PEOPLE,), lambda s, d: s.merge(d.keep_id, d.third_id, "same person")),
    Call(MergeService, "undo", (P.MERGE_PEOPLE,), lambda s, d: s.undo(d.merge_id, "two people")),
    Call(MergeService, "merges_for", (P.MERGE_PEOPLE,), lambda s, d: s.merges_for(d.keep_id)),
    Call(SubjectAccessService, "find", (P.SUBJECT_ACCESS,), lambda s, d: s.find("P000001")),
    Call(SubjectAccessService, "export", (P.SUBJECT_ACCESS,), lambda s, d: s.export(d.keep_id, d.tmp / "sar")),
    Call(
        SubjectAccessService,
        "export_with_summary",
        (P.SUBJECT_ACCESS,),
        lambda s, d: s.export_with_summary(d.keep_id, d.tmp / "sar"),
    ),
    Call(RetentionService, "plan", (P.RETENTION,), lambda s, d: s.plan()),
    Call(RetentionService, "run", (P.RETENTION,), lambda s, d: s.run()),
    Call(RetentionService, "referral_id", (P.SET_LEGAL_HOLD,), lambda s, d: s.referral_id("WB-2026-00001")),
    Call(
        RetentionService,
        "set_legal_hold",
        (P.SET_LEGAL_HOLD,),
        lambda s, d: s.set_legal_hold(d.referral_id, True, "Appeal pending"),
    ),
]

# Reads configuration only (the schemes' retention periods): no case data.
OPEN: dict[type, set[str]] = {RetentionService: {"periods"}}

ROLES: dict[str, Principal] = {
    "station staff": as_role(Role.STATION_STAFF),
    "support worker": as_role(Role.SUPPORT_WORKER, organisation="Cranstoun"),
    "coordinator": as_role(Role.COORDINATOR),
    "administrator": as_role(Role.ADMINISTRATOR),
}


def test_the_table_covers_every_public_method() -> None:
    for cls in (MergeService, SubjectAccessService, RetentionService):
        public = {n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)}
        covered = {c.method for c in CALLS if c.service is cls} | OPEN.get(cls, set())
        assert public == covered, f"{cls.__name__}: not in the table: {sorted(public ^ covered)}"


@pytest.fixture
def data(ctx: AppContext, clock, make_draft, tmp_path: Path) -> Data:
    intake = IntakeService(ctx)
    keep = intake.save(make_draft(consent=False))
    other = intake.save(make_draft(surname="Smyth", consent=False))
    third = intake.save(make_draft(surname="Smithe", consent=False))
    merge = MergeService(ctx).merge(keep.person_id, other.person_id, "same person")
    clock.advance(days=365 * 7)  # the referrals are past retention
    return Data(
        tmp=tmp_path,
        keep_id=keep.person_id,
        other_id=other.person_id,
        third_id=third.person_id,
        referral_id=keep.id,
        merge_id=merge.merge_id,
    )


def _folder(data: Data) -> list[str]:
    folder = data.tmp / "sar"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.service.__name__}.{c.method}")
def test_matrix(call: Call, role: str, ctx: AppContext, data: Data, count_rows: Callable[[], dict[str, int]]) -> None:
    principal = ROLES[role]
    ctx.sign_in_as(principal)
    service = call.service(ctx)
    before = count_rows(), _folder(data)
    allowed = all(p in principal.permissions for p in call.needs)
    try:
        call.call(service, data)
    except PermissionDenied as refused:
        assert not allowed, f"{role} was refused {call.method} but may: {refused}"
        assert "may not do this" in str(refused) and "Nothing was read or changed" in str(refused)
        assert (count_rows(), _folder(data)) == before, "a refused call changed something"
        return
    except ServiceError:
        pass  # allowed, and refused for another reason: not a permission matter
    assert allowed, f"{role} could call {call.service.__name__}.{call.method} without {call.needs}"


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.service.__name__}.{c.method}")
def test_no_one_signed_in_is_refused(call: Call, ctx: AppContext, data: Data) -> None:
    ctx.sign_in_as(None)
    with pytest.raises(PermissionDenied):
        call.call(call.service(ctx), data)
    ctx.sign_in_as(EVERY_ROLE)


def test_the_roles_hold_what_the_issue_says() -> None:
    coordinator, admin, station = (as_role(r) for r in (Role.COORDINATOR, Role.ADMINISTRATOR, Role.STATION_STAFF))
    assert coordinator.may(P.MERGE_PEOPLE) and coordinator.may(P.SET_LEGAL_HOLD) and not coordinator.may(P.RETENTION)
    assert admin.may(P.RETENTION) and admin.may(P.SUBJECT_ACCESS) and not admin.may(P.MERGE_PEOPLE)
    assert not any(station.may(p) for p in (P.MERGE_PEOPLE, P.SUBJECT_ACCESS, P.RETENTION, P.SET_LEGAL_HOLD))
