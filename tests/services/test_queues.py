"""The coordinator's queues and the referral page, moved through time with the clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from diversion_desktop.domain.programme import Attendance, Status


def refs(rows) -> list[str]:
    return [r.reference for r in rows]


@pytest.fixture
def mixed(intake, make_draft, make_youth_draft):
    """Referrals taken on 2 March: two open, one ineligible, one declined, one open in Windsor."""
    return {
        "adult": intake.save(make_draft()),  # WB-00001
        "youth": intake.save(make_youth_draft()),  # WB-00002
        "ineligible": intake.save(make_draft(surname="Seller", suspected_supply=True)),  # WB-00003
        "declined": intake.save(make_draft(surname="Refuser", consent=False)),  # WB-00004
        "windsor": intake.save(make_draft(surname="Windsor", scheme_code="windsor-and-maidenhead")),
    }


def test_awaiting_appointment_holds_open_referrals_with_nothing_booked(referrals, programme, mixed, at) -> None:
    assert refs(referrals.queue("awaiting_appointment")) == ["WM-2026-00001", "WB-2026-00001", "WB-2026-00002"]
    row = referrals.queue("awaiting_appointment")[1]
    assert row.person_name == "SMITH, John" and row.area == "West Berkshire" and row.pathway == "adult"
    assert row.status == "awaiting_appointment" and row.proposed_step == "" and row.note == ""
    programme.book(mixed["adult"].id, at(5))
    assert refs(referrals.queue("awaiting_appointment")) == ["WM-2026-00001", "WB-2026-00002"]
    assert referrals.queue_counts() == {"awaiting_appointment": 2, "overdue": 0, "awaiting_confirmation": 0}


def test_first_attendance_overdue(referrals, mixed, attend, clock) -> None:
    attend(mixed["youth"].id)  # the youth has been once
    clock.set(datetime(2026, 3, 17, 9))  # Windsor's 14 days have passed
    assert refs(referrals.queue("overdue")) == ["WM-2026-00001"]
    row = referrals.queue("overdue")[0]
    assert row.note == "No attendance by 16/03/2026."
    assert row.proposed_step == ""  # only a late start, nothing to propose
    assert referrals.queue("awaiting_confirmation") == []
    clock.set(datetime(2026, 3, 24, 9))  # and West Berkshire's 21 days
    assert refs(referrals.queue("overdue")) == ["WM-2026-00001", "WB-2026-00001"]
    # The youth has attended a first appointment: no longer awaiting one.
    assert referrals.queue_counts() == {"awaiting_appointment": 2, "overdue": 2, "awaiting_confirmation": 0}


def test_awaiting_first_appointment_holds_only_referrals_with_no_first_appointment(
    referrals, programme, intake, make_draft, attend, at
) -> None:
    """One referral in each state after intake (issue 13 §3.6: "1 of 2 attended" was listed)."""
    waiting = intake.save(make_draft(surname="Waiting"))  # nothing booked yet
    booked = intake.save(make_draft(surname="Booked"))  # first appointment booked, not yet held
    programme.book(booked.id, at(6))
    missed = intake.save(make_draft(surname="Missed"))  # first missed, a rebooking left
    attend(missed.id, Attendance.NOT_ATTENDED)
    cancelled = intake.save(make_draft(surname="Cancelled"))  # first cancelled by the provider
    attend(cancelled.id, Attendance.CANCELLED)
    part_way = intake.save(make_draft(surname="Partway"))  # 1 of 2 attended, next not booked
    attend(part_way.id)
    assert referrals.detail(part_way.id).status == Status.AWAITING_APPOINTMENT.value
    assert referrals.detail(part_way.id).sessions_attended == 1
    listed = refs(referrals.queue("awaiting_appointment"))
    assert sorted(listed) == sorted([waiting.reference, missed.reference, cancelled.reference])
    assert referrals.queue_counts()["awaiting_appointment"] == 3


def test_deadline_passed_shows_in_overdue_and_awaiting_confirmation(referrals, mixed, clock) -> None:
    clock.set(datetime(2026, 4, 14, 9))  # Windsor's 42 days have passed
    assert refs(referrals.queue("awaiting_confirmation")) == ["WM-2026-00001"]
    row = referrals.queue("awaiting_confirmation")[0]
    assert row.proposed_step == "report_for_prosecution"  # deferred prosecution, adult
    assert row.note == "Deadline 13/04/2026 passed."
    assert row.status == "awaiting_appointment"  # shown, not yet stored
    clock.set(datetime(2026, 4, 28, 9))
    rows = referrals.queue("awaiting_confirmation")
    assert refs(rows) == ["WM-2026-00001", "WB-2026-00001", "WB-2026-00002"]
    assert [r.proposed_step for r in rows] == [
        "report_for_prosecution",
        "future_diversion_barred",
        "future_diversion_barred",
    ]
    assert referrals.queue_counts() == {"awaiting_appointment": 3, "overdue": 3, "awaiting_confirmation": 3}


def test_confirming_empties_the_queues(referrals, programme, people, mixed, clock) -> None:
    clock.set(datetime(2026, 4, 28, 9))
    for row in referrals.queue("awaiting_confirmation"):
        programme.confirm_next_step(row.referral_id)
    assert referrals.queue_counts() == {"awaiting_appointment": 0, "overdue": 0, "awaiting_confirmation": 0}
    windsor = referrals.detail(mixed["windsor"].id)
    assert windsor.for_case_file and windsor.next_step == "report_for_prosecution"
    youth = referrals.detail(mixed["youth"].id)
    assert not youth.for_case_file and youth.next_step == "future_diversion_barred"
    assert all(people.get(mixed[k].person_id).barred for k in ("adult", "youth", "windsor"))
    assert not people.get(mixed["declined"].person_id).barred


def test_misses_put_a_referral_awaiting_confirmation_before_its_deadline(referrals, mixed, attend) -> None:
    attend(mixed["adult"].id, Attendance.NOT_ATTENDED)
    attend(mixed["adult"].id, Attendance.NOT_ATTENDED)
    rows = referrals.queue("awaiting_confirmation")
    assert refs(rows) == ["WB-2026-00001"]
    assert rows[0].status == Status.AWAITING_CONFIRMATION.value
    assert rows[0].proposed_step == "future_diversion_barred"
    assert "Not attended after 1 allowed rebooking(s)" in rows[0].note
    assert referrals.queue("overdue") == []  # not late: it is waiting for a decision
    assert referrals.queue_counts()["awaiting_confirmation"] == 1


def test_completed_referrals_leave_every_queue(referrals, mixed, attend, clock) -> None:
    attend(mixed["adult"].id)
    attend(mixed["adult"].id)
    clock.set(datetime(2026, 6, 1, 9))
    for name in ("awaiting_appointment", "overdue", "awaiting_confirmation"):
        assert "WB-2026-00001" not in refs(referrals.queue(name))


def test_queue_limit_and_unknown_queue(referrals, mixed) -> None:
    assert len(referrals.queue("awaiting_appointment", limit=1)) == 1
    with pytest.raises(ValueError, match="unknown queue"):
        referrals.queue("everything")


def test_find_by_reference(referrals, mixed) -> None:
    assert referrals.find(" wb-2026-00002 ").id == mixed["youth"].id
    detail = referrals.find("WB-2026-00003")
    assert detail.decision == "not_eligible" and not detail.is_open
    assert detail.person.surname == "Seller"
    assert detail.person.referrals[0].reference == "WB-2026-00003"
