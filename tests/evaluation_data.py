"""A small hand-made dataset for the evaluation, written straight into the tables.

Every referral is listed below in batches, so each figure of the evaluation can
be worked out by hand from this page (the tests do, in their comments). The
period is 2025; the tests' clock says 2 March 2026, so first referrals taken
on or before 2 March 2025 have had 12 months in which a repeat could be seen.

West Berkshire (voluntary attendance), taken 15 January 2025:
  B1  2 not eligible                        age 30  Male    White British
  B2  1 declined                            age 30  Male    White British
  B3  9 completed (2 sessions) 10 Feb 2025  age 20  Male    White British   (5 of them referred again 10 Jan 2026,
                                                                              1 more only on 20 Feb 2026)
  B4  3 completed              10 Feb 2025  age 20  Female  White British
  B5  3 consequence: barred, no session     age 25  Male    White British   (1 had a referral on 1 Jun 2024)
  B6  2 consequence: barred, 1 session      age 16  Female  Not stated      (1 referred again 12 Jan 2026)
  B7  3 in progress (booked)                age 40  Male    not recorded
Windsor and Maidenhead (deferred prosecution), taken 10 February 2025:
  C1  3 not eligible                        age 35  Male    White British
  C2  6 completed              5 Mar 2025   age 22  Male    White British   (2 of them referred again 20 Jan 2026)
  C3  2 completed              5 Mar 2025   age 15  Female  Black African
  C4  4 consequence: reported for prosecution, age 28  Male  White British
  C5  2 consequence: barred (young people)  age 15  Female  Black African
  C6  5 in progress (booked)                age 50  not recorded  Black African
The later referrals (2024 and 2026) are outside the period: they count only for repeat possession.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from diversion_desktop.domain.people_codes import NOT_STATED
from diversion_desktop.services.context import AppContext
from diversion_desktop.store.models import Person, Referral

WHITE_BRITISH = "White: English, Welsh, Scottish, Northern Irish or British"
BLACK_AFRICAN = "Black, Black British, Caribbean or African: African"
WB, WM = "west-berkshire", "windsor-and-maidenhead"
PERIOD = (date(2025, 1, 1), date(2025, 12, 31))


@dataclass(frozen=True)
class Batch:
    name: str
    count: int
    scheme: str
    taken: date
    status: str
    outcome: str = ""
    outcome_date: date | None = None
    next_step: str = ""
    sessions: int = 0
    age: int = 30
    sex: str = "Male"
    ethnicity: str = WHITE_BRITISH


BATCHES = (
    Batch("B1", 2, WB, date(2025, 1, 15), "not_eligible", "not_eligible", date(2025, 1, 15), age=30),
    Batch("B2", 1, WB, date(2025, 1, 15), "declined", "declined", date(2025, 1, 15), age=30),
    Batch("B3", 9, WB, date(2025, 1, 15), "completed", "completed", date(2025, 2, 10), "no_further_action", 2, age=20),
    Batch(
        "B4",
        3,
        WB,
        date(2025, 1, 15),
        "completed",
        "completed",
        date(2025, 2, 10),
        "no_further_action",
        2,
        age=20,
        sex="Female",
    ),
    Batch(
        "B5", 3, WB, date(2025, 1, 15), "closed", "not_attended", date(2025, 3, 1), "future_diversion_barred", 0, age=25
    ),
    Batch(
        "B6",
        2,
        WB,
        date(2025, 1, 15),
        "closed",
        "not_attended",
        date(2025, 3, 1),
        "future_diversion_barred",
        1,
        age=16,
        sex="Female",
        ethnicity=NOT_STATED,
    ),
    Batch("B7", 3, WB, date(2025, 1, 15), "booked", age=40, ethnicity=""),
    Batch("C1", 3, WM, date(2025, 2, 10), "not_eligible", "not_eligible", date(2025, 2, 10), age=35),
    Batch("C2", 6, WM, date(2025, 2, 10), "completed", "completed", date(2025, 3, 5), "no_further_action", 2, age=22),
    Batch(
        "C3",
        2,
        WM,
        date(2025, 2, 10),
        "completed",
        "completed",
        date(2025, 3, 5),
        "no_further_action",
        2,
        age=15,
        sex="Female",
        ethnicity=BLACK_AFRICAN,
    ),
    Batch(
        "C4", 4, WM, date(2025, 2, 10), "closed", "not_attended", date(2025, 4, 1), "report_for_prosecution", 0, age=28
    ),
    Batch(
        "C5",
        2,
        WM,
        date(2025, 2, 10),
        "closed",
        "not_attended",
        date(2025, 4, 1),
        "future_diversion_barred",
        0,
        age=15,
        sex="Female",
        ethnicity=BLACK_AFRICAN,
    ),
    Batch("C6", 5, WM, date(2025, 2, 10), "booked", age=50, sex="", ethnicity=BLACK_AFRICAN),
)
# Later (or earlier) referrals of people of a batch: (batch, how many of its people, date).
OTHER_REFERRALS = (
    ("B3", 5, date(2026, 1, 10)),  # within 12 months of 15 Jan 2025: repeats
    ("B6", 1, date(2026, 1, 12)),  # a repeat
    ("C2", 2, date(2026, 1, 20)),  # within 12 months of 10 Feb 2025: repeats
)
LATE_REFERRAL = ("B3", date(2026, 2, 20))  # the 6th person of B3: more than 12 months later, no repeat
EARLIER_REFERRAL = ("B5", date(2024, 6, 1))  # the first person of B5: this 2025 referral is not their first


def build(ctx: AppContext) -> dict[str, list[int]]:
    """Write the dataset; returns the person ids of each batch."""
    schemes = {s.code: s for s in ctx.schemes}
    numbers = itertools.count(1)
    people: dict[str, list[int]] = {}
    with ctx.session_factory.begin() as session:
        person_rows, referral_rows = [], []
        for batch in BATCHES:
            ids = []
            for _ in range(batch.count):
                number = next(numbers)
                ids.append(number)
                person_rows.append(
                    dict(
                        id=number,
                        reference=f"P{number:06d}",
                        surname="Test",
                        forenames=f"Person {number}",
                        surname_norm="test",
                        forenames_norm=f"person {number}",
                        date_of_birth=batch.taken - timedelta(days=365 * batch.age + 100),
                        sex=batch.sex,
                        ethnicity_self=batch.ethnicity,
                        created_at=datetime(2024, 1, 1),
                    )
                )
                referral_rows.append(_referral(schemes[batch.scheme], number, batch, batch.taken))
            people[batch.name] = ids
        for name, count, taken in OTHER_REFERRALS:
            batch = next(b for b in BATCHES if b.name == name)
            for person in people[name][:count]:
                referral_rows.append(_referral(schemes[batch.scheme], person, _not_eligible(batch), taken))
        late_batch, late_day = LATE_REFERRAL
        batch = next(b for b in BATCHES if b.name == late_batch)
        referral_rows.append(_referral(schemes[batch.scheme], people[late_batch][5], _not_eligible(batch), late_day))
        early_batch, early_day = EARLIER_REFERRAL
        batch = next(b for b in BATCHES if b.name == early_batch)
        referral_rows.append(_referral(schemes[batch.scheme], people[early_batch][0], _not_eligible(batch), early_day))
        session.execute(insert(Person), person_rows)
        session.execute(
            insert(Referral),
            [dict(row, reference=f"T-{index:05d}") for index, row in enumerate(referral_rows, start=1)],
        )
    return people


def _not_eligible(batch: Batch) -> Batch:
    return Batch(
        batch.name,
        1,
        batch.scheme,
        batch.taken,
        "not_eligible",
        "not_eligible",
        None,
        age=batch.age,
        sex=batch.sex,
        ethnicity=batch.ethnicity,
    )


def _referral(scheme, person_id: int, batch: Batch, taken: date) -> dict:
    outcome_date = batch.outcome_date if batch.status != "not_eligible" or batch.outcome_date else taken
    return dict(
        person_id=person_id,
        scheme_code=scheme.code,
        area=scheme.area,
        scheme_kind=scheme.kind.value,
        referral_date=taken,
        incident_at=datetime.combine(taken, datetime.min.time()) - timedelta(hours=5),
        offence="possession",
        suspected_supply=False,
        consent=batch.status != "declined",
        pathway="youth" if batch.age < 18 else "adult",
        age_at_incident=batch.age,
        decision="eligible" if batch.status not in ("not_eligible", "declined") else "not_eligible",
        reasons=[],
        rule_version="2026.1",
        settings_hash=scheme.settings_hash,
        scheme_settings={},
        status=batch.status,
        outcome=batch.outcome,
        outcome_date=outcome_date,
        next_step=batch.next_step,
        proposed_step=batch.next_step,
        for_case_file=batch.next_step == "report_for_prosecution",
        sessions_attended=batch.sessions,
        misses=0,
        created_at=datetime.combine(taken, datetime.min.time()),
    )
