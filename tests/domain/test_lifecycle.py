"""The referral's lifecycle: what each turn makes of it, and what its timeline says."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import (
    Check,
    Decision,
    EligibilityResult,
    Rule,
)
from diversion_desktop.domain.lifecycle import (
    Standing,
    after_attendance,
    after_confirmation,
    after_correction,
    after_decision,
    after_imported_history,
    after_withdrawal,
)
from diversion_desktop.domain.next_step import NextStep
from diversion_desktop.domain.programme import Attendance, Outcome, SessionType, Status
from diversion_desktop.domain.schemes import Scheme

A, N, R, C = Attendance.ATTENDED, Attendance.NOT_ATTENDED, Attendance.REBOOKED, Attendance.CANCELLED
TAKEN = date(2026, 3, 2)
DUE = date(2026, 4, 27)  # West Berkshire: 56 days
BEFORE_DUE, AFTER_DUE = date(2026, 4, 1), date(2026, 4, 28)
MET = Check(Rule.QUANTITY, True, "Within the limit.")
OPEN = Standing(Status.AWAITING_APPOINTMENT)


def result(*failed: Rule, pathway: Pathway = Pathway.ADULT) -> EligibilityResult:
    checks = (MET, *(Check(rule, False, f"{rule.value} failed.") for rule in failed))
    return EligibilityResult(
        Decision.NOT_ELIGIBLE if failed else Decision.ELIGIBLE, pathway, 30, checks, "2026.2", "west-berkshire", "hash"
    )


@pytest.mark.parametrize(
    ("failed", "override", "recorded", "status", "outcome", "diverted", "texts"),
    [
        (
            (),
            "",
            None,
            Status.AWAITING_APPOINTMENT,
            None,
            True,
            ["Eligible (adult pathway, rules 2026.2): Within the limit."],
        ),
        (
            (Rule.SUPPLY,),
            "",
            None,
            Status.NOT_ELIGIBLE,
            Outcome.NOT_ELIGIBLE,
            False,
            ["Not eligible (adult pathway, rules 2026.2): supply failed."],
        ),
        (
            (Rule.CONSENT,),
            "",
            None,
            Status.DECLINED,
            Outcome.DECLINED,
            False,
            ["Not eligible (adult pathway, rules 2026.2): consent failed."],
        ),
        (
            (Rule.SUPPLY,),
            "Approved.",
            None,
            Status.AWAITING_APPOINTMENT,
            None,
            True,
            [
                "Not eligible (adult pathway, rules 2026.2): supply failed.",
                "Ineligible decision overridden by supervisor: Approved.",
            ],
        ),
        # An imported history: the recorded outcome says whether the person was diverted.
        (
            (Rule.SUPPLY,),
            "",
            Outcome.COMPLETED,
            Status.AWAITING_APPOINTMENT,
            None,
            True,
            ["Eligible (adult pathway, rules 2026.2): supply failed."],
        ),
        (
            (),
            "",
            Outcome.DECLINED,
            Status.DECLINED,
            Outcome.DECLINED,
            False,
            ["Not eligible (adult pathway, rules 2026.2): Within the limit."],
        ),
        (
            (),
            "",
            Outcome.NOT_ELIGIBLE,
            Status.NOT_ELIGIBLE,
            Outcome.NOT_ELIGIBLE,
            False,
            ["Not eligible (adult pathway, rules 2026.2): Within the limit."],
        ),
    ],
)
def test_after_the_decision(
    west_berks: Scheme,
    failed: tuple[Rule, ...],
    override: str,
    recorded: Outcome | None,
    status: Status,
    outcome: Outcome | None,
    diverted: bool,
    texts: list[str],
) -> None:
    transition = after_decision(west_berks, result(*failed), TAKEN, override=override, recorded=recorded)
    assert transition.to == Standing(status, outcome)
    assert transition.deadlines == ((date(2026, 3, 23), DUE) if diverted else None)
    assert [e.text for e in transition.events] == texts
    assert not transition.bars_person


NOT_ATTENDED_TEXT = (
    "Next step proposed: Barred from future diversion. Not attended after 1 allowed rebooking(s). "
    "Awaiting a coordinator's confirmation."
)


@pytest.mark.parametrize(
    ("attendances", "today", "status", "attended", "misses", "proposed", "texts"),
    [
        ([None], BEFORE_DUE, Status.BOOKED, 0, 0, None, []),
        ([A], BEFORE_DUE, Status.AWAITING_APPOINTMENT, 1, 0, None, []),
        (
            [A, A],
            BEFORE_DUE,
            Status.COMPLETED,
            2,
            0,
            NextStep.NO_FURTHER_ACTION,
            ["Programme completed: All 2 sessions attended. No further action (Home Office outcome 22)."],
        ),
        ([N], BEFORE_DUE, Status.AWAITING_APPOINTMENT, 0, 1, None, []),
        # A rebooking at the person's request counts as a miss; a provider's cancellation never does.
        ([R, N], BEFORE_DUE, Status.AWAITING_CONFIRMATION, 0, 2, NextStep.FUTURE_DIVERSION_BARRED, [NOT_ATTENDED_TEXT]),
        ([R, R], BEFORE_DUE, Status.AWAITING_CONFIRMATION, 0, 2, NextStep.FUTURE_DIVERSION_BARRED, [NOT_ATTENDED_TEXT]),
        ([C, N], BEFORE_DUE, Status.AWAITING_APPOINTMENT, 0, 1, None, []),
        (
            [C, C, C, A, A],
            BEFORE_DUE,
            Status.COMPLETED,
            2,
            0,
            NextStep.NO_FURTHER_ACTION,
            ["Programme completed: All 2 sessions attended. No further action (Home Office outcome 22)."],
        ),
        (
            [A],
            AFTER_DUE,
            Status.AWAITING_CONFIRMATION,
            1,
            0,
            NextStep.FUTURE_DIVERSION_BARRED,
            [
                (
                    "Next step proposed: Barred from future diversion. "
                    "Deadline 2026-04-27 passed without completing the programme. "
                    "Awaiting a coordinator's confirmation."
                )
            ],
        ),
        ([A, None], AFTER_DUE, Status.BOOKED, 1, 0, None, []),  # the booked one may yet have been attended in time
    ],
)
def test_after_attendance(
    west_berks: Scheme,
    attendances: list[Attendance | None],
    today: date,
    status: Status,
    attended: int,
    misses: int,
    proposed: NextStep | None,
    texts: list[str],
) -> None:
    transition = after_attendance(west_berks, Pathway.ADULT, OPEN, attendances, DUE, today)
    to = transition.to
    assert (to.status, to.attended, to.misses, to.proposed_step) == (status, attended, misses, proposed)
    assert [e.text for e in transition.events] == texts
    # Completion needs no confirmation; a non-attendance step waits for a coordinator's.
    assert to.next_step == (NextStep.NO_FURTHER_ACTION if status is Status.COMPLETED else None)
    assert to.outcome == (Outcome.COMPLETED if status is Status.COMPLETED else None)


def test_a_step_already_proposed_is_not_proposed_again(west_berks: Scheme) -> None:
    current = Standing(
        Status.AWAITING_CONFIRMATION,
        proposed_step=NextStep.FUTURE_DIVERSION_BARRED,
        proposed_reason="Earlier.",
        misses=2,
    )
    transition = after_attendance(west_berks, Pathway.ADULT, current, [N, N], DUE, AFTER_DUE)
    assert transition.events == ()
    assert transition.to.proposed_reason == "Earlier."


@pytest.mark.parametrize(
    ("scheme_name", "pathway", "step", "bars", "case_file"),
    [
        ("west_berks", Pathway.ADULT, NextStep.FUTURE_DIVERSION_BARRED, True, False),
        ("windsor", Pathway.ADULT, NextStep.REPORT_FOR_PROSECUTION, True, True),
        ("windsor", Pathway.YOUTH, NextStep.FUTURE_DIVERSION_BARRED, True, False),
    ],
)
def test_a_non_attendance_proposed_then_confirmed(
    request: pytest.FixtureRequest, scheme_name: str, pathway: Pathway, step: NextStep, bars: bool, case_file: bool
) -> None:
    scheme: Scheme = request.getfixturevalue(scheme_name)
    proposed = after_attendance(scheme, pathway, OPEN, [N, N], DUE, BEFORE_DUE).to
    assert proposed.proposed_step is step
    confirmed = after_confirmation(proposed, "Phoned twice.")
    assert confirmed.to == Standing(Status.CLOSED, Outcome.NOT_ATTENDED, step, proposed.proposed_reason, step, 0, 2)
    assert [e.text for e in confirmed.events] == [f"Next step confirmed: {step.label}. Note: Phoned twice."]
    assert (confirmed.bars_person, confirmed.to.for_case_file) == (bars, case_file)


def test_a_withdrawn_completion_confirmed_again_completes() -> None:
    current = Standing(
        Status.AWAITING_CONFIRMATION,
        proposed_step=NextStep.NO_FURTHER_ACTION,
        proposed_reason="All 2 sessions attended.",
        attended=2,
    )
    confirmed = after_confirmation(current)
    assert (confirmed.to.status, confirmed.to.outcome, confirmed.bars_person) == (
        Status.COMPLETED,
        Outcome.COMPLETED,
        False,
    )
    assert confirmed.events[0].text == "Next step confirmed: No further action (programme completed)."


@pytest.mark.parametrize(
    ("documents", "text"),
    [
        ((), "Confirmation of the next step withdrawn (Report for the original offence (prosecution) and bar): Wrong."),
        (
            ("D1", "D2"),
            (
                "Confirmation of the next step withdrawn (Report for the original offence (prosecution) and bar): "
                "Wrong. Documents marked withdrawn: D1, D2."
            ),
        ),
    ],
)
def test_a_withdrawal_waits_again_for_a_coordinator(documents: tuple[str, ...], text: str) -> None:
    step = NextStep.REPORT_FOR_PROSECUTION
    current = Standing(Status.CLOSED, Outcome.NOT_ATTENDED, step, "Not attended.", step, 0, 2)
    withdrawn = after_withdrawal(current, "Wrong.", documents)
    assert withdrawn.to == Standing(Status.AWAITING_CONFIRMATION, None, step, "Not attended.", None, 0, 2)
    assert not withdrawn.to.for_case_file
    assert [(e.kind, e.text) for e in withdrawn.events] == [("withdrawn", text)]


@pytest.mark.parametrize(
    ("corrected", "status", "texts"),
    [
        # The miss was a mistake: the step no longer follows.
        (
            A,
            Status.AWAITING_APPOINTMENT,
            [("The proposed next step (Barred from future diversion) no longer follows from the corrected record.")],
        ),
        # Corrected to a provider's cancellation: one miss left, within the rebooking allowed.
        (
            C,
            Status.AWAITING_APPOINTMENT,
            [("The proposed next step (Barred from future diversion) no longer follows from the corrected record.")],
        ),
    ],
)
def test_a_correction_proposes_again_from_the_corrected_record(
    west_berks: Scheme, corrected: Attendance, status: Status, texts: list[str]
) -> None:
    current = after_attendance(west_berks, Pathway.ADULT, OPEN, [N, N], DUE, BEFORE_DUE).to
    transition = after_correction(
        west_berks,
        Pathway.ADULT,
        current,
        [N, corrected],
        DUE,
        BEFORE_DUE,
        scheduled_at=datetime(2026, 3, 10, 9, 30),
        session_type=SessionType.ASSESSMENT,
        was=N,
        corrected=corrected,
        reason="Signed in late",
    )
    assert transition.to.status is status
    assert transition.to.proposed_step is None
    assert [e.text for e in transition.events] == [
        (
            f"10/03/2026 09:30 Assessment: attendance corrected from not attended to {corrected.label.lower()} "
            "(Signed in late)."
        ),
        *texts,
    ]


def test_a_correction_that_still_misses_proposes_the_step_again(west_berks: Scheme) -> None:
    current = after_attendance(west_berks, Pathway.ADULT, OPEN, [N, C, N], DUE, BEFORE_DUE).to
    transition = after_correction(
        west_berks,
        Pathway.ADULT,
        current,
        [N, R, N],
        DUE,
        BEFORE_DUE,
        scheduled_at=datetime(2026, 3, 10, 9, 30),
        session_type=SessionType.ASSESSMENT,
        was=C,
        corrected=R,
        reason="It was the person",
    )
    assert transition.to.proposed_step is NextStep.FUTURE_DIVERSION_BARRED
    assert [e.kind for e in transition.events] == ["corrected", "proposed"]


@pytest.mark.parametrize(
    ("recorded", "status", "step", "bars", "text"),
    [
        (
            Outcome.COMPLETED,
            Status.COMPLETED,
            NextStep.NO_FURTHER_ACTION,
            False,
            "Programme completed on 05/04/2026 (imported history). No further action (Home Office outcome 22).",
        ),
        (
            Outcome.NOT_ATTENDED,
            Status.CLOSED,
            NextStep.REPORT_FOR_PROSECUTION,
            True,
            (
                "Next step confirmed: Report for the original offence (prosecution) and bar "
                "(imported history: not attended, 05/04/2026)."
            ),
        ),
    ],
)
def test_an_imported_history(
    windsor: Scheme, recorded: Outcome, status: Status, step: NextStep, bars: bool, text: str
) -> None:
    transition = after_imported_history(windsor, Pathway.ADULT, recorded, date(2026, 4, 5), [A, R, N])
    assert (transition.to.status, transition.to.outcome, transition.to.next_step) == (status, recorded, step)
    assert (transition.to.attended, transition.to.misses) == (1, 2)
    assert transition.bars_person is bars
    assert [e.text for e in transition.events] == [text]
