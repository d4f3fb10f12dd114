"""The table of consequences: scheme kind × age group → next step."""

from __future__ import annotations

import pytest

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.next_step import (
    HOME_OFFICE_OUTCOME_COMPLETED,
    NextStep,
    next_step_for_completion,
    next_step_for_non_attendance,
)
from diversion_desktop.domain.schemes import SchemeKind

# Every row of the table in scheme.md, "Not attended or disengaged by the deadline".
TABLE = [
    (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.ADULT, NextStep.FUTURE_DIVERSION_BARRED, True, False),
    (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.YOUTH, NextStep.FUTURE_DIVERSION_BARRED, True, False),
    (SchemeKind.DEFERRED_PROSECUTION, Pathway.ADULT, NextStep.REPORT_FOR_PROSECUTION, True, True),
    (SchemeKind.DEFERRED_PROSECUTION, Pathway.YOUTH, NextStep.FUTURE_DIVERSION_BARRED, True, False),
]


@pytest.mark.parametrize(("kind", "pathway", "step", "bars", "case_file"), TABLE)
def test_non_attendance_table(kind: SchemeKind, pathway: Pathway, step: NextStep, bars: bool, case_file: bool) -> None:
    result = next_step_for_non_attendance(kind, pathway)
    assert result is step
    assert result.bars_person is bars  # a barred person stays barred, in any scheme
    assert result.for_case_file is case_file  # only adults on deferred prosecution are reported


def test_table_covers_every_kind_and_pathway() -> None:
    for kind in SchemeKind:
        for pathway in Pathway:
            assert isinstance(next_step_for_non_attendance(kind, pathway), NextStep)


def test_completion_is_no_further_action_and_does_not_bar() -> None:
    step = next_step_for_completion()
    assert step is NextStep.NO_FURTHER_ACTION
    assert not step.bars_person
    assert not step.for_case_file
    assert "completed" in step.label.lower()


def test_completed_maps_to_home_office_outcome_22() -> None:
    assert HOME_OFFICE_OUTCOME_COMPLETED == 22


@pytest.mark.parametrize("step", list(NextStep))
def test_every_step_has_a_label(step: NextStep) -> None:
    assert step.label and step.label[0].isupper()


def test_prosecution_label_says_report_and_bar() -> None:
    label = NextStep.REPORT_FOR_PROSECUTION.label.lower()
    assert "prosecution" in label and "bar" in label
