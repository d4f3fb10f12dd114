"""What follows a diversion: the single table of consequences from the scheme rules.

| scheme kind           | adult (18+)                         | under 18                |
| voluntary attendance  | barred from future diversion        | barred                  |
| deferred prosecution  | reported for the original offence   | barred (not prosecuted) |
                          (and barred)

Letters, queues and imports ask this module; nothing else restates the table.
"""

from __future__ import annotations

from enum import StrEnum

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.schemes import SchemeKind


class NextStep(StrEnum):
    NO_FURTHER_ACTION = "no_further_action"
    FUTURE_DIVERSION_BARRED = "future_diversion_barred"
    REPORT_FOR_PROSECUTION = "report_for_prosecution"

    @property
    def label(self) -> str:
        return {
            "no_further_action": "No further action (programme completed)",
            "future_diversion_barred": "Barred from future diversion",
            "report_for_prosecution": "Report for the original offence (prosecution) and bar",
        }[self.value]

    @property
    def bars_person(self) -> bool:
        """Both non-attendance consequences bar the person from any later diversion."""
        return self is not NextStep.NO_FURTHER_ACTION

    @property
    def for_case_file(self) -> bool:
        return self is NextStep.REPORT_FOR_PROSECUTION


_NON_ATTENDANCE: dict[tuple[SchemeKind, Pathway], NextStep] = {
    (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.ADULT): NextStep.FUTURE_DIVERSION_BARRED,
    (SchemeKind.VOLUNTARY_ATTENDANCE, Pathway.YOUTH): NextStep.FUTURE_DIVERSION_BARRED,
    (SchemeKind.DEFERRED_PROSECUTION, Pathway.ADULT): NextStep.REPORT_FOR_PROSECUTION,
    (SchemeKind.DEFERRED_PROSECUTION, Pathway.YOUTH): NextStep.FUTURE_DIVERSION_BARRED,
}


def next_step_for_non_attendance(kind: SchemeKind, pathway: Pathway) -> NextStep:
    return _NON_ATTENDANCE[(kind, pathway)]


def next_step_for_completion() -> NextStep:
    return NextStep.NO_FURTHER_ACTION


# Home Office crime outcome for a completed diversion (diversionary, educational
# or intervention activity).
HOME_OFFICE_OUTCOME_COMPLETED = 22
