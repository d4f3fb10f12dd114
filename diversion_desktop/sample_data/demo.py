"""Fictitious sample data so a newcomer sees a living application at once.

Every referral goes through the same services a user would drive (intake,
booking, attendance, confirmation), with the clock set to the day each step
happened, so the sample obeys the rules exactly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from diversion_desktop.domain.eligibility import Decision, Offence, SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.domain.permissions import POLICE, Permission, Principal, Role
from diversion_desktop.domain.programme import Attendance, SessionType
from diversion_desktop.domain.schemes import Scheme
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ConflictError, ServiceError
from diversion_desktop.services.intake import IntakeService
from diversion_desktop.services.programme import ProgrammeService
from diversion_desktop.store.models import Person

Progress = Callable[[int, int], None]

SURNAMES = (
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Khan",
    "O'Brien",
    "O'Connor",
    "McDonald",
    "Smith-Jones",
    "Ahmed",
    "Nowak",
    "Kowalski",
    "Đorđević",
    "Müller",
    "Nguyen",
    "Okafor",
    "Mensah",
    "Hussain",
    "Begum",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Lewis",
    "Martin",
    "Jackson",
    "Clarke",
    "Clark",
    "Turner",
    "Hill",
    "Scott",
    "Cooper",
    "Morris",
    "Ward",
    "Moore",
    "King",
    "Watson",
    "Baker",
    "Harrison",
    "Morgan",
    "Patterson",
    "Young",
    "Allen",
    "Mitchell",
    "Lopez",
    "García",
    "Da Silva",
    "Van der Berg",
    "Ó Súilleabháin",
    "Łukasiewicz",
)
FORENAMES_M = (
    "Oliver",
    "Jack",
    "Harry",
    "Mohammed",
    "Charlie",
    "Thomas",
    "James",
    "William",
    "Daniel",
    "Robert",
    "Michael",
    "Seán",
    "Łukasz",
    "Kwame",
    "Jean-Luc",
    "Aiden",
    "Ravi",
    "Tomasz",
    "Bob",
    "Liam",
    "Joshua",
    "Kieran",
    "Dylan",
)
FORENAMES_F = (
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Emily",
    "Sophie",
    "Grace",
    "Chloë",
    "Zoë",
    "Aisha",
    "Fatima",
    "Siobhán",
    "Ewa",
    "Priya",
    "Mary-Jane",
    "Chloe",
    "Jessica",
    "Megan",
    "Katie",
    "Niamh",
)
ETHNICITIES = (
    "White: English, Welsh, Scottish, Northern Irish or British",
    "White: Irish",
    "White: Other White",
    "Asian or Asian British: Indian",
    "Asian or Asian British: Pakistani",
    "Asian or Asian British: Bangladeshi",
    "Black, Black British, Caribbean or African: African",
    "Black, Black British, Caribbean or African: Caribbean",
    "Mixed or Multiple: White and Black Caribbean",
    "Other ethnic group: Arab",
    "Not stated",
)
PLACES = (
    "Northbrook Street",
    "Victoria Park",
    "Railway station car park",
    "High Street",
    "Outside the leisure centre",
    "Kennet Centre",
    "Bus station",
    "Riverside path",
)
STATIONS = {"west-berkshire": "Newbury", "windsor-and-maidenhead": "Maidenhead"}

# Share of referrals following each story.
STORIES = (
    ("ineligible", 12),
    ("declined", 4),
    ("awaiting", 14),
    ("booked", 12),
    ("completed", 30),
    ("missed_then_completed", 6),
    ("not_attended", 12),
    ("not_attended_confirmed", 10),
)


class DatabaseNotEmpty(ServiceError):
    pass


def is_empty(ctx: AppContext) -> bool:
    with ctx.reading() as session:
        return (session.scalar(select(func.count()).select_from(Person)) or 0) == 0


def fill(
    ctx: AppContext,
    people: int = 300,
    referrals: int = 400,
    seed: int = 2020,
    progress: Progress | None = None,
    force: bool = False,
) -> dict[str, int]:
    """Add sample people and referrals in every state; returns counts per story."""
    principal = ctx.require(Permission.LOAD_SAMPLE_DATA)
    # The sample referrals go through the real services, which check case-work permissions an
    # administrator alone lacks: they run on a copy of the context acting for this one purpose.
    ctx = replace(
        ctx,
        principal=Principal(
            principal.username, frozenset(Role), POLICE, principal.user_id, f"{principal.username} (sample data)"
        ),
    )
    if not force and not is_empty(ctx):
        raise DatabaseNotEmpty(
            "This database already holds people. Sample data goes into a fresh "
            "database only (use --force to add it anyway)."
        )
    if people < 1 or referrals < people:
        raise ServiceError("Give at least one person and at least as many referrals as people.")
    rng = random.Random(seed)
    schemes = list(ctx.schemes)
    today = ctx.today()
    person_ids: list[int | None] = []
    drafts: list[IntakeDraft] = []
    counts: dict[str, int] = {}
    for index in range(referrals):
        if index < people:
            drafts.append(_person_draft(rng, today))
            person_ids.append(None)
    total = referrals
    for index in range(referrals):
        if index < people:
            base_index = index
        else:
            base_index = rng.randrange(people)
        story = rng.choices([s for s, _ in STORIES], weights=[w for _, w in STORIES])[0]
        scheme = rng.choice(schemes)
        taken = today - timedelta(days=rng.randint(0, 200))
        draft = _incident(rng, replace(drafts[base_index], person_id=person_ids[base_index]), scheme, taken, story)
        try:
            saved = IntakeService(_at(ctx, datetime.combine(taken, time(15, 0)))).save(draft)
        except ServiceError:
            continue
        person_ids[base_index] = saved.person_id
        if saved.decision == Decision.ELIGIBLE:
            _play(ctx, rng, scheme, saved.id, taken, story)
        counts[story] = counts.get(story, 0) + 1
        if progress is not None:
            progress(index + 1, total)
    return counts


def _at(ctx: AppContext, moment: datetime) -> AppContext:
    return replace(ctx, clock=lambda: moment, user=ctx.user)


def _person_draft(rng: random.Random, today: date) -> IntakeDraft:
    female = rng.random() < 0.3
    age_days = rng.choice(
        [rng.randint(12 * 365, 17 * 365), rng.randint(18 * 365, 60 * 365), rng.randint(18 * 365, 30 * 365)]
    )
    dob = today - timedelta(days=age_days + rng.randint(0, 200))
    surname = rng.choice(SURNAMES)
    return IntakeDraft(
        surname=surname,
        forenames=rng.choice(FORENAMES_F if female else FORENAMES_M),
        date_of_birth=dob,
        sex="Female" if female else "Male",
        ethnicity_self=rng.choice(ETHNICITIES),
        address=f"{rng.randint(1, 120)} {rng.choice(PLACES)}",
        postcode=f"RG{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
        phone=f"07700 900{rng.randint(100, 999)}",
        guardian_name=f"{rng.choice(FORENAMES_F)} {surname}",
        guardian_relationship="Parent",
    )


def _incident(rng: random.Random, draft: IntakeDraft, scheme: Scheme, taken: date, story: str) -> IntakeDraft:
    substance = rng.choice(sorted(scheme.limits))
    limit = scheme.limits[substance]
    small = (limit.max_quantity * Decimal(rng.randint(20, 95)) / 100).quantize(Decimal("0.1"))
    quantity = max(small, Decimal("0.1"))
    offence, supply, consent = Offence.POSSESSION, False, True
    if story == "ineligible":
        twist = rng.choice(("quantity", "intent", "supply"))
        if twist == "quantity":
            quantity = limit.max_quantity * 3
        elif twist == "intent":
            offence = Offence.POSSESSION_WITH_INTENT
        else:
            supply = True
    elif story == "declined":
        consent = False
    return replace(
        draft,
        scheme_code=scheme.code,
        incident_at=datetime.combine(taken, time(15, 0))
        - timedelta(hours=rng.randint(1, 40), minutes=15 * rng.randint(0, 3)),
        incident_place=rng.choice(PLACES),
        crime_reference=f"43{rng.randint(100000, 999999)}/{taken:%y}",
        officer_name=f"PC {rng.choice(SURNAMES)}",
        officer_collar_number=str(rng.randint(1000, 9999)),
        station=STATIONS.get(scheme.code, scheme.area),
        offence=offence,
        substances=[SubstanceFind(substance, quantity, limit.unit)],
        suspected_supply=supply,
        consent=consent,
    )


def _play(ctx: AppContext, rng: random.Random, scheme: Scheme, referral_id: int, taken: date, story: str) -> None:
    """Book and record appointments as the story says, never beyond today."""
    today = ctx.today()
    if story == "awaiting":
        return
    day = taken + timedelta(days=rng.randint(1, 6))
    centre = ""
    plan: list[Attendance] = []
    if story == "booked":
        day = max(day, today + timedelta(days=rng.randint(0, 7)))
    elif story == "completed":
        plan = [Attendance.ATTENDED] * scheme.sessions_for_completion
    elif story == "missed_then_completed":
        plan = [Attendance.NOT_ATTENDED] + [Attendance.ATTENDED] * scheme.sessions_for_completion
    elif story in ("not_attended", "not_attended_confirmed"):
        plan = [Attendance.NOT_ATTENDED] * (scheme.rebookings_allowed + 1)
    session_types = [SessionType.ASSESSMENT, SessionType.HARM_REDUCTION, SessionType.PSYCHOSOCIAL]
    try:
        for step, attendance in enumerate(plan or [None]):  # type: ignore[list-item]  # None: booked, not yet recorded
            when = datetime.combine(day, time(rng.choice((9, 10, 11, 14, 15, 16)), rng.choice((0, 30))))
            if plan and day > today:
                return  # the story has not got that far yet
            booking_ctx = _at(
                ctx, datetime.combine(min(day, today), time(8, 0)) - timedelta(days=1 if day > taken else 0)
            )
            row = ProgrammeService(booking_ctx).book(
                referral_id, when, centre, session_types[min(step, len(session_types) - 1)]
            )
            if attendance is None:
                return
            ProgrammeService(_at(ctx, when + timedelta(hours=1))).record(row.id, attendance)
            day = day + timedelta(days=rng.randint(5, 10))
        if story == "not_attended_confirmed":
            ProgrammeService(_at(ctx, datetime.combine(min(day, today), time(12, 0)))).confirm_next_step(referral_id)
    except (ConflictError, ServiceError):
        return  # a deadline passed on the way: the sample keeps what happened so far
