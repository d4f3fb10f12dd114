"""Bulk sample data: a force's years of history (a million people and referrals) in under a minute.

The small demo (``sample_data.demo``) drives every referral through the real
services; at a million referrals that would take hours. This path writes the
same kind of data straight into a fresh SQLite file, and keeps it consistent by
using the domain's own rules where they decide something:

* every decision and its reasons come from ``domain.eligibility.decide`` on the
  referral's facts and the person's history *at the time of the referral*
  (an earlier completed diversion or a non-attendance bars a new one);
* what a referral becomes, and its timeline, come from the transitions of
  ``domain.lifecycle`` that the services apply (the decision, each attendance,
  the deadline passing, the confirmation): status, outcome, next step,
  deadlines, counts and the events' words;
* a programme is played as the services would record it — appointments booked
  before the deadline, attendance recorded an hour after each, the next step
  proposed when the lifecycle proposes it, the coordinator's confirmation a
  few days later — and cut off at the context's clock, so recent referrals are
  still awaiting an appointment, booked or awaiting confirmation;
* a person is barred exactly when one of their referrals was closed with a
  step that bars.

How it is fast (see ``docs/benchmarks.md``): a cheap sequential plan decides,
for every referral in date order, its day, person (new or a repeat), scheme,
facts and story; worker processes turn chunks of the plan into rows (each chunk
with its own seeded random stream, so the result depends only on ``seed``);
the parent inserts them with ``executemany`` on one connection with loading
PRAGMAs, with the secondary indexes dropped during the load and rebuilt after.
Core ``insert()`` with a dict per row measured 17 µs a row against 5 µs for
the driver's executemany, so rows go to the driver as tuples.

Two simplifications, stated where a reader of the data would look: each
referral stores its scheme's settings fingerprint and source, not the full copy
of the settings the intake service keeps (a million copies would be gigabytes);
and its timeline holds the decision and outcome events (booked, attended) are in
its appointments, not repeated as events.

With as many people as referrals some people have no referral (as if carried
over from an earlier system): about a sixth of referrals are repeat referrals of
someone referred before.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import random
import shutil
import sqlite3
import tempfile
import threading
import time
from array import array
from bisect import bisect
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import accumulate

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import (
    RULE_VERSION,
    EligibilityResult,
    IntakeFacts,
    Offence,
    PriorHistory,
    SubstanceFind,
    decide,
)
from diversion_desktop.domain.lifecycle import (
    Standing,
    Transition,
    after_attendance,
    after_confirmation,
    after_decision,
)
from diversion_desktop.domain.names import normalise, surname_part_keys
from diversion_desktop.domain.people_codes import ETHNICITY_2021, OFFICER_OBSERVED
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.programme import Attendance, SessionType, Status, deadlines
from diversion_desktop.domain.schemes import Scheme
from diversion_desktop.sample_data import names as sample_names
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.errors import ServiceError
from diversion_desktop.services.intake import NOT_OVERRIDABLE

# phase ("people", "referrals", "indexes", …), done, total
BulkProgress = Callable[[str, int, int], None]

HISTORY_DAYS = 6 * 365  # referrals spread over the last six years…
RECENT_DAYS = 90  # …with this share in the last 90 days, so every open state is there at any size
RECENT_SHARE = 0.10
REPEAT_SHARE = 0.15  # share of referrals of someone referred before
CHUNK = 20_000  # referrals per worker task
MIN_PEOPLE_PER_REFERRAL = 1 / 3

# Facts at intake (before history), with weights.
OK, QUANTITY, INTENT, SUPPLY, DECLINED = range(5)
VARIANTS = ((OK, 84), (QUANTITY, 5), (INTENT, 3), (SUPPLY, 4), (DECLINED, 4))
OVERRIDE_SHARE = 0.10  # of over-quantity, intent and supply referrals with a clean history

# What happens on a diverted referral's programme, with weights.
COMPLETED, MISSED_THEN_COMPLETED, NOT_ATTENDED, LAPSED, NEGLECTED = range(5)
STORIES = ((COMPLETED, 55), (MISSED_THEN_COMPLETED, 12), (NOT_ATTENDED, 20), (LAPSED, 8), (NEGLECTED, 1))

_A, _N, _R, _C, _PENDING = "attended", "not_attended", "rebooked", "cancelled", None

PEOPLE_COLUMNS = (
    "id",
    "reference",
    "surname",
    "forenames",
    "surname_norm",
    "forenames_norm",
    "date_of_birth",
    "sex",
    "ethnicity_self",
    "ethnicity_observed",
    "address",
    "postcode",
    "phone",
    "email",
    "language",
    "needs",
    "guardian_name",
    "guardian_relationship",
    "guardian_phone",
    "guardian_address",
    "pnc_reference",
    "barred",
    "barred_at",
    "barred_by_referral_id",
    "created_at",
)
REFERRAL_COLUMNS = (
    "id",
    "reference",
    "person_id",
    "scheme_code",
    "area",
    "scheme_kind",
    "referral_date",
    "incident_at",
    "incident_place",
    "crime_reference",
    "officer_name",
    "officer_collar_number",
    "station",
    "offence",
    "suspected_supply",
    "consent",
    "pathway",
    "age_at_incident",
    "decision",
    "reasons",
    "rule_version",
    "settings_hash",
    "scheme_settings",
    "decided_by",
    "override_reason",
    "override_by",
    "override_at",
    "provider",
    "centre_code",
    "first_attendance_due",
    "due_date",
    "status",
    "outcome",
    "outcome_date",
    "proposed_step",
    "proposed_reason",
    "next_step",
    "next_step_confirmed_by",
    "next_step_confirmed_at",
    "for_case_file",
    "sessions_attended",
    "misses",
    "created_at",
    "created_by",
    "person_sex",
    "person_ethnicity_self",
)
SUBSTANCE_COLUMNS = ("id", "referral_id", "substance", "quantity", "unit")
APPOINTMENT_COLUMNS = (
    "id",
    "referral_id",
    "scheduled_at",
    "centre_code",
    "session_type",
    "worker",
    "attendance",
    "rebook_reason",
    "recorded_by",
    "recorded_at",
    "created_at",
)
EVENT_COLUMNS = ("id", "referral_id", "at", "kind", "text", "actor")
# Rows below a referral are numbered from the referral's id, so every worker knows its ids in advance
# and the data do not depend on which worker wrote first: appointment ids are sparse.
APPOINTMENT_IDS_PER_REFERRAL = 10  # at most 9 appointments are planned (see _items)
EVENT_IDS_PER_REFERRAL = 5  # decision, override, proposed, confirmed or completed
TABLES = {
    "people": PEOPLE_COLUMNS,
    "referrals": REFERRAL_COLUMNS,
    "referral_substances": SUBSTANCE_COLUMNS,
    "appointments": APPOINTMENT_COLUMNS,
    "timeline_events": EVENT_COLUMNS,
}

PLACES = (
    "Northbrook Street",
    "Victoria Park",
    "Railway station car park",
    "High Street",
    "Outside the leisure centre",
    "Kennet Centre",
    "Bus station",
    "Riverside path",
    "Market Place",
    "King Edward Court",
    "Nicholsons car park",
    "Queen Street",
    "Alexandra Gardens",
    "Peascod Street",
    "Bath Road",
    "The Broadway",
)
STREETS = (
    "Market Place",
    "Bath Road",
    "London Road",
    "Station Road",
    "Church Lane",
    "Victoria Street",
    "Oxford Road",
    "King's Road",
    "St Mary's Close",
    "Queen's Walk",
    "Mill Lane",
    "Park View",
    "The Crescent",
    "Albert Street",
    "Castle Hill",
    "Howard's Lane",
)
TOWNS = {
    "west-berkshire": ("Newbury", "Thatcham", "Hungerford", "Theale", "Pangbourne", "Lambourn"),
    "windsor-and-maidenhead": ("Maidenhead", "Windsor", "Ascot", "Cookham", "Datchet", "Eton"),
}
POSTCODES = {
    "west-berkshire": ("RG14", "RG18", "RG19", "RG17", "RG7", "RG8"),
    "windsor-and-maidenhead": ("SL6", "SL4", "SL5", "SL6", "SL3", "SL4"),
}
STATIONS = {"west-berkshire": "Newbury", "windsor-and-maidenhead": "Maidenhead"}
LANGUAGES = ("Polish", "Urdu", "Punjabi", "Romanian", "Portuguese", "Arabic", "Somali", "Bengali", "Lithuanian")
NEEDS = (
    "Dyslexia",
    "Hearing impairment: prefers written contact",
    "Anxiety: morning appointments",
    "Carer for a parent",
    "Wheelchair user",
)
SUPPORT_WORKERS = (
    "Sam Okafor",
    "Chloé Dubois",
    "Priya Shah",
    "Tomasz Nowak",
    "Siobhán Kelly",
    "Dan Wright",
    "Amina Hassan",
    "Joe Ellis",
)
REBOOK_REASONS = (
    "Person phoned: hospital appointment",
    "Person phoned: childcare",
    "Person phoned: work shift",
    "Person asked for a later time",
    "Person unwell",
)
OVERRIDE_REASONS = (
    "Marginal quantity, first contact with police; approved by duty inspector.",
    "Supply suspicion not borne out by the evidence; approved by duty inspector.",
    "Exceptional circumstances recorded on the custody record; approved by duty inspector.",
)
GUARDIAN_ROLES = ("Mother", "Father", "Grandmother", "Carer", "Aunt", "Stepfather")
OFFICER_PREFIXES = ("PC", "PC", "PC", "DC", "PS")
SLOTS = tuple(h * 60 + m for h in (9, 10, 11, 14, 15, 16) for m in (0, 30))
TAKEN_MINUTE = 15 * 60  # referrals are taken at 15:00 on their day


class BulkNotPossible(ServiceError):
    pass


@dataclass(frozen=True)
class BulkResult:
    people: int
    referrals: int
    appointments: int
    substances: int
    events: int
    by_status: dict[str, int]
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


# -- the plan: cheap, sequential, in date order ----------------------------------------------------
@dataclass
class _Plan:
    seed: int
    today: int  # ordinal
    now: int  # minutes since the ordinal epoch
    people: int
    referrals: int
    referred_people: int
    day: array  # per referral: ordinal of the referral date
    person: array  # per referral: person id
    meta: array  # per referral: packed scheme, variant, story, first-time, override, prior
    seq: array  # per referral: number in its reference series
    dob: array  # per person: ordinal of the date of birth
    sex: bytearray  # per referred person: index in SEXES (each referral copies its person's groups)
    ethnicity: bytearray  # per referred person: index in ETHNICITY_2021
    cancellation_rate: float
    gap_days: int
    series: dict[str, int]  # reference series ("WB-2024", "person") -> last number used


def unpack(meta: int) -> tuple[int, int, int, bool, bool, bool, bool, int]:
    """(scheme index, facts variant, story, first referral of the person, override, diverted,
    barred before, completed diversions before)."""
    return (
        meta & 15,
        meta >> 4 & 7,
        meta >> 7 & 7,
        bool(meta >> 10 & 1),
        bool(meta >> 11 & 1),
        bool(meta >> 12 & 1),
        bool(meta >> 13 & 1),
        meta >> 14 & 7,
    )


def settled_outcome(meta: int) -> str:
    """What a referral finally did to its person's history: "completed", "barred" or ""."""
    _scheme, _facts, story, _first, _override, diverted, _barred, _completed = unpack(meta)
    if not diverted:
        return ""
    if story in (COMPLETED, MISSED_THEN_COMPLETED):
        return "completed"
    if story in (NOT_ATTENDED, LAPSED):
        return "barred"
    return ""


SEXES = ("Female", "Male", "Other")


def _sex_index(draw: float) -> int:
    return 0 if draw < 0.28 else 1 if draw < 0.28 + 0.72 * 0.995 else 2


def _chooser(table: tuple[tuple[int, int], ...]) -> tuple[list[int], list[float]]:
    total = sum(w for _, w in table)
    return [v for v, _ in table], list(accumulate(w / total for _, w in table))


def make_plan(
    schemes: list[Scheme], people: int, referrals: int, appointments: int, seed: int, today: date, now_minutes: int
) -> _Plan:
    """Who is referred when, in which scheme, on what facts, and how their programme goes."""
    rng = random.Random(seed)
    rand = rng.random
    today_ord = today.toordinal()
    recent = round(referrals * RECENT_SHARE)
    days = [today_ord - 1 - int(rand() * RECENT_DAYS) for _ in range(recent)]
    days += [today_ord - 1 - int(rand() * HISTORY_DAYS) for _ in range(referrals - recent)]
    days.sort()
    # A repeat referral is of someone whose last referral finished long ago, so their history is settled.
    gap = max(s.days_to_complete for s in schemes) + 30
    referred = min(people, referrals - round(referrals * REPEAT_SHARE))
    repeats_left = referrals - referred
    variants, variant_cum = _chooser(VARIANTS)
    stories, story_cum = _chooser(STORIES)
    person_of = array("i", bytes(4 * referrals))
    meta = array("I", bytes(4 * referrals))
    seq = array("i", bytes(4 * referrals))
    dob = array("i", bytes(4 * (people + 1)))
    sex, ethnicity = bytearray(people + 1), bytearray(people + 1)
    groups = random.Random(seed + 1).random  # apart from ``rng``: the rest of the plan stays as it was
    n_ethnicities = len(ETHNICITY_2021)
    last = array("i", bytes(4 * (people + 1)))  # per person: their latest referral
    barred = bytearray(people + 1)
    completed = bytearray(people + 1)
    pool = array("i")  # people whose last referral is at least ``gap`` days old
    released = 0  # referrals up to here have released their person into the pool (if still their latest)
    counters: dict[tuple[int, int], int] = {}
    created = 0
    diverted_by_story = [0] * len(STORIES)
    n_schemes = len(schemes)
    allowed = [s.completed_diversions_allowed for s in schemes]
    year, next_year = 0, 0
    for i, day in enumerate(days):
        while released < i and days[released] <= day - gap:
            if last[person_of[released]] == released:
                pool.append(person_of[released])
            released += 1
        if day >= next_year:
            year = date.fromordinal(day).year
            next_year = date(year + 1, 1, 1).toordinal()
        if pool and (created >= referred or rand() * (referrals - i) < repeats_left):
            first = False
            repeats_left -= 1
            k = int(rand() * len(pool))
            person = pool[k]
            pool[k] = pool[-1]
            pool.pop()
            outcome = settled_outcome(meta[last[person]])
            if outcome == "completed":
                completed[person] = min(completed[person] + 1, 7)
            elif outcome == "barred":
                barred[person] = 1
        elif created < people:
            first = True
            created += 1
            person = created
            if rand() < 0.22:  # under 18 at their first referral
                age_days = 12 * 365 + 3 + int(rand() * (6 * 365 - 33))
            else:
                age_days = int(18 * 365 + 5 + 42 * 365 * rand() ** 2.2)
            dob[person] = day - age_days
            sex[person] = _sex_index(groups())
            ethnicity[person] = int(groups() * n_ethnicities)
        else:
            raise BulkNotPossible(
                "Too few people for so many referrals: give at least one person for every three referrals."
            )
        last[person] = i
        scheme = int(rand() * n_schemes)
        facts = variants[bisect(variant_cum, rand())]
        is_barred, done = barred[person], completed[person]
        clean = not is_barred and done <= allowed[scheme]
        override = facts != OK and facts != DECLINED and clean and rand() < OVERRIDE_SHARE
        diverted = (facts == OK and clean) or override
        programme = 0
        if diverted:
            programme = stories[bisect(story_cum, rand())]
            diverted_by_story[programme] += 1
        number = counters.get((scheme, year), 0) + 1
        counters[(scheme, year)] = number
        person_of[i] = person
        meta[i] = (
            scheme
            | facts << 4
            | programme << 7
            | first << 10
            | override << 11
            | diverted << 12
            | is_barred << 13
            | min(done, 7) << 14
        )
        seq[i] = number
    # Provider cancellations fill the appointments up to the number asked for.
    sessions = sum(s.sessions_for_completion for s in schemes) / n_schemes
    misses = sum(s.rebookings_allowed + 1 for s in schemes) / n_schemes
    base = {
        COMPLETED: sessions,
        MISSED_THEN_COMPLETED: sessions + 1,
        NOT_ATTENDED: misses + 0.5,
        LAPSED: (sessions - 1) / 2,
        NEGLECTED: sessions / 2 + 0.5,
    }
    diverted_total = sum(diverted_by_story)
    expected = sum(base[s] * n for s, n in enumerate(diverted_by_story))
    rate = max(0.0, (appointments - expected) / diverted_total) if diverted_total else 0.0
    return _Plan(
        seed=seed,
        today=today_ord,
        now=now_minutes,
        people=people,
        referrals=referrals,
        referred_people=created,
        day=array("i", days),
        person=person_of,
        meta=meta,
        seq=seq,
        dob=dob,
        sex=sex,
        ethnicity=ethnicity,
        cancellation_rate=rate,
        gap_days=gap,
        series={
            "person": people,
            **{f"{schemes[scheme].reference_prefix}-{year}": n for (scheme, year), n in sorted(counters.items())},
        },
    )


# -- what the workers share (built once in the parent, inherited by fork) --------------------------------
@dataclass
class _SchemeInfo:
    scheme: Scheme
    code: str
    area: str
    kind: str
    prefix: str
    first_days: int
    complete_days: int
    sessions: int
    allowed: int
    settings_json: str
    station: str
    towns: tuple[str, ...]
    postcodes: tuple[str, ...]
    limits: list[tuple[str, str, list[Decimal], Decimal]]  # substance, unit, small quantities, over the limit
    centres: dict[bool, tuple[str, str]]  # youth? -> (centre code, provider)


@dataclass
class _Static:
    plan: _Plan
    schemes: list[_SchemeInfo]
    user: str
    base_day: int
    day_text: list[str]
    ymd: list[tuple[int, int, int]]
    minute_text: list[str]
    scratch: str  # the folder of the workers' chunk files
    surnames: list[tuple[str, str]]
    surname_cum: list[float]
    male: list[tuple[str, str]]
    male_cum: list[float]
    female: list[tuple[str, str]]
    female_cum: list[float]


_STATIC: _Static | None = None


def _scheme_info(scheme: Scheme) -> _SchemeInfo:
    limits = []
    for name in sorted(scheme.limits):
        limit = scheme.limits[name]
        small = [max((limit.max_quantity * k / 20).quantize(Decimal("0.1")), Decimal("0.1")) for k in range(4, 20)]
        limits.append((name, limit.unit, small, limit.max_quantity * 3))
    youth_centre = scheme.default_centre(True)
    adult_centre = scheme.default_centre(False)
    # The deadlines as days after the referral, from the domain's rule (the same for every day).
    start = date(2000, 1, 1)
    first_due, due = deadlines(scheme, start)
    return _SchemeInfo(
        scheme=scheme,
        code=scheme.code,
        area=scheme.area,
        kind=scheme.kind.value,
        prefix=scheme.reference_prefix,
        first_days=(first_due - start).days,
        complete_days=(due - start).days,
        sessions=scheme.sessions_for_completion,
        allowed=scheme.rebookings_allowed,
        settings_json=json.dumps({"source": os.path.basename(scheme.source), "hash": scheme.settings_hash}),
        station=STATIONS.get(scheme.code, scheme.area),
        towns=TOWNS.get(scheme.code, (scheme.area,)),
        postcodes=POSTCODES.get(scheme.code, ("AB1",)),
        limits=limits,
        centres={True: (youth_centre.code, youth_centre.provider), False: (adult_centre.code, adult_centre.provider)},
    )


def _names(names: list[str], offset: float) -> tuple[list[tuple[str, str]], list[float]]:
    return [(n, normalise(n)) for n in names], list(accumulate(1 / (rank + offset) for rank in range(len(names))))


def _static(plan: _Plan, schemes: list[Scheme], user: str, scratch: str) -> _Static:
    base = plan.today - 90 * 366
    top = plan.today + 400
    days = [date.fromordinal(d) for d in range(base, top)]
    surnames, cum = _names(list(dict.fromkeys(sample_names.SURNAMES)), 15.0)
    made = sorted(
        {s + e for s in sample_names.SURNAME_STARTS for e in sample_names.SURNAME_ENDS} - set(sample_names.SURNAMES)
    )
    rare_weight = 0.0008
    surnames += [(n, normalise(n)) for n in made]
    cum += list(accumulate((rare_weight for _ in made), initial=cum[-1]))[1:]
    male, male_cum = _names(list(dict.fromkeys(sample_names.FORENAMES_MALE)), 5.0)
    female, female_cum = _names(list(dict.fromkeys(sample_names.FORENAMES_FEMALE)), 5.0)
    return _Static(
        plan=plan,
        schemes=[_scheme_info(s) for s in schemes],
        user=user,
        base_day=base,
        day_text=[d.isoformat() for d in days],
        ymd=[(d.year, d.month, d.day) for d in days],
        minute_text=[f" {m // 60:02d}:{m % 60:02d}:00.000000" for m in range(1440)],
        scratch=scratch,
        surnames=surnames,
        surname_cum=cum,
        male=male,
        male_cum=male_cum,
        female=female,
        female_cum=female_cum,
    )


# -- the workers: rows for one chunk -------------------------------------------------------------------------
@dataclass
class _Rows:
    people: list[tuple] = field(default_factory=list)
    referrals: list[tuple] = field(default_factory=list)
    substances: list[tuple] = field(default_factory=list)
    appointments: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    bars: list[tuple[int, str, int, int]] = field(default_factory=list)  # person, barred_at, referral, minute
    statuses: dict[str, int] = field(default_factory=dict)
    count: int = 0  # referrals, or people for a chunk of people never referred

    def tables(self) -> dict[str, list[tuple]]:
        return {
            "people": self.people,
            "referrals": self.referrals,
            "referral_substances": self.substances,
            "appointments": self.appointments,
            "timeline_events": self.events,
        }


@dataclass(frozen=True)
class _Chunk:
    """A chunk made by a worker: its rows wait in a scratch SQLite file for the parent to copy."""

    kind: str
    path: str
    rows: dict[str, int]  # table -> rows in the chunk
    count: int
    statuses: dict[str, int]
    bars: list[tuple[int, str, int, int]]
    seconds: tuple[float, float]  # CPU making the rows, writing them


def _start_worker(shared: _Static) -> None:
    global _STATIC
    _STATIC = shared


def _work(task: tuple[str, int, int, int]) -> _Chunk:
    """Make one chunk's rows and write them to a scratch file of its own (in a worker process).

    The workers write in parallel, each to its own small file; the parent copies a whole
    chunk into the database with SQLite's own INSERT … SELECT, several times faster than
    binding the values again, so the one writer of the database is never the bottleneck.
    (Rows sent through a pipe would cost a pickle and an unpickle; workers taking turns to
    write into the database itself made its write lock the bottleneck: measured 10 s slower.)"""
    kind, index, start, end = task
    assert _STATIC is not None
    rng = random.Random(_STATIC.plan.seed * 1_000_003 + index * 7919 + (1 if kind == "people" else 0))
    cpu = time.process_time()
    made = _people_chunk(_STATIC, rng, start, end) if kind == "people" else _referral_chunk(_STATIC, rng, start, end)
    made_cpu = time.process_time()
    path = os.path.join(_STATIC.scratch, f"chunk-{index:05d}.sqlite3")
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        counts = {}
        for table, rows in made.tables().items():
            connection.execute(f"CREATE TABLE {table} ({', '.join(TABLES[table])})")
            connection.executemany(_insert_sql(table), rows)
            counts[table] = len(rows)
        connection.execute("COMMIT")
    finally:
        connection.close()
    return _Chunk(
        kind, path, counts, made.count, made.statuses, made.bars, (made_cpu - cpu, time.process_time() - made_cpu)
    )


def _text(s: _Static, minute: int) -> str:
    return s.day_text[minute // 1440 - s.base_day] + s.minute_text[minute % 1440]


_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_PNC_LETTERS = "ABCDEFGHJKLMNPQRTUVWXY"


def _one(rand: Callable[[], float], options: tuple | list | str) -> object:
    return options[int(rand() * len(options))]


def _person_row(
    s: _Static,
    rng: random.Random,
    person: int,
    created: int,
    dob_day: int,
    info: _SchemeInfo,
    youth: bool,
    sex: int,
    ethnicity: int,
) -> tuple:
    rand = rng.random
    surnames, surname_cum = s.surnames, s.surname_cum
    surname, surname_key = surnames[bisect(surname_cum, rand() * surname_cum[-1])]
    if rand() < 0.05:  # double-barrelled
        other, other_key = surnames[bisect(surname_cum, rand() * surname_cum[-1])]
        if other != surname:
            surname, surname_key = f"{surname}-{other}", surname_key + other_key
    female = sex == 0
    names, cum = (s.female, s.female_cum) if female else (s.male, s.male_cum)
    forenames, forename_key = names[bisect(cum, rand() * cum[-1])]
    if rand() < 0.25:  # a middle name
        middle, middle_key = names[bisect(cum, rand() * cum[-1])]
        if middle != forenames:
            forenames, forename_key = f"{forenames} {middle}", forename_key + middle_key
    address = f"{1 + int(rand() * 180)} {_one(rand, STREETS)}, {_one(rand, info.towns)}"
    postcode = f"{_one(rand, info.postcodes)} {1 + int(rand() * 9)}{_one(rand, _LETTERS)}{_one(rand, _LETTERS)}"
    phone = f"07700 9{int(rand() * 100000):05d}"
    if youth:
        parent = _one(rand, s.female if rand() < 0.7 else s.male)[0]  # type: ignore[index]  # a name list's first item
        guardian = (f"{parent} {surname}", _one(rand, GUARDIAN_ROLES), f"07700 9{int(rand() * 100000):05d}", address)
    else:
        guardian = ("", "", "", "")
    return (
        person,
        f"P{person:06d}",
        surname,
        forenames,
        surname_key,
        forename_key,
        s.day_text[dob_day - s.base_day],
        SEXES[sex],
        ETHNICITY_2021[ethnicity],
        _one(rand, OFFICER_OBSERVED) if rand() < 0.6 else "",
        address,
        postcode,
        phone,
        f"{forename_key[:12]}.{surname_key[:14]}{int(rand() * 99)}@example.com" if rand() < 0.35 else "",
        _one(rand, LANGUAGES) if rand() < 0.08 else "",
        _one(rand, NEEDS) if rand() < 0.05 else "",
        *guardian,
        f"{int(rand() * 26):02d}/{100000 + int(rand() * 900000)}{_one(rand, _PNC_LETTERS)}" if rand() < 0.4 else "",
        0,
        None,
        None,
        _text(s, created),
    )


def _people_chunk(s: _Static, rng: random.Random, start: int, end: int) -> _Rows:
    """People never referred (as if carried over from an earlier system)."""
    rows = _Rows(count=end - start)
    plan = s.plan
    for person in range(start, end):
        created_day = plan.today - 1 - rng.randrange(HISTORY_DAYS)
        dob_day = created_day - int(18 * 365 + 5 + 42 * 365 * rng.random() ** 2.2)
        rows.people.append(
            _person_row(
                s,
                rng,
                person,
                created_day * 1440 + 11 * 60,
                dob_day,
                rng.choice(s.schemes),
                False,
                _sex_index(rng.random()),
                int(rng.random() * len(ETHNICITY_2021)),
            )
        )
    return rows


@dataclass
class _Decision:
    decision: str
    pathway: str
    age: int
    reasons_json: str
    result: EligibilityResult
    transition: Transition  # after the decision, not overridden (its deadlines are of some day: see first_days)
    eligible: bool
    overridable: bool


_OFFENCE = {
    OK: Offence.POSSESSION,
    QUANTITY: Offence.POSSESSION,
    INTENT: Offence.POSSESSION_WITH_INTENT,
    SUPPLY: Offence.POSSESSION,
    DECLINED: Offence.POSSESSION,
}
_OFFENCE_VALUE = {k: v.value for k, v in _OFFENCE.items()}


def _decision(
    info: _SchemeInfo,
    facts: int,
    substance: tuple[str, str, list[Decimal], Decimal],
    quantity: Decimal,
    barred: bool,
    completed: int,
    dob: date,
    incident: date,
) -> _Decision:
    result = decide(
        info.scheme,
        IntakeFacts(
            incident_date=incident,
            date_of_birth=dob,
            offence=_OFFENCE[facts],
            substances=(SubstanceFind(substance[0], quantity, substance[1]),),
            suspected_supply=facts == SUPPLY,
            consent=facts != DECLINED,
            prior=PriorHistory(barred=barred, completed_diversions=completed),
        ),
    )
    return _Decision(
        result.decision.value,
        result.pathway.value,
        result.age,
        json.dumps(list(result.reasons)),
        result,
        after_decision(info.scheme, result, incident),
        result.eligible,
        not result.eligible and not any(c.rule in NOT_OVERRIDABLE for c in result.failures),
    )


_TYPES = (SessionType.ASSESSMENT.value, SessionType.HARM_REDUCTION.value, SessionType.PSYCHOSOCIAL.value)
_YOUTH = Pathway.YOUTH.value
_ATTENDANCE = {a.value: a for a in Attendance}


@dataclass
class _Programme:
    appointments: list[tuple]  # (scheduled, type, worker, attendance, reason, by, recorded, created), in minutes
    standing: Standing  # where the referral stands at the end
    decided_at: int = 0  # minute of its outcome, and of its step's confirmation; 0 = none yet
    events: list[tuple[int, str, str]] = field(default_factory=list)
    barred_at: int = 0  # minute; 0 = not barred


# Per process: the lifecycle's transitions, by what they depend on. While attendance is recorded
# the deadline has not passed (every appointment is booked on or before it), so a transition
# then depends on the scheme, the pathway, where the referral stood and the attendances only.
_ATTENDED: dict[tuple, Transition] = {}
_CONFIRMED: dict[Standing, Transition] = {}


def _after_attendance(
    info: _SchemeInfo, pathway: Pathway, current: Standing, attendances: tuple[Attendance | None, ...], day: int
) -> Transition:
    key = (info.code, pathway, current, attendances)
    found = _ATTENDED.get(key)
    if found is None:
        on = date.fromordinal(day)
        found = _ATTENDED[key] = after_attendance(info.scheme, pathway, current, attendances, on, on)
    return found


def _after_confirmation(current: Standing) -> Transition:
    found = _CONFIRMED.get(current)
    if found is None:
        found = _CONFIRMED[current] = after_confirmation(current)
    return found


def _items(rand: Callable[[], float], info: _SchemeInfo, story: int, rate: float) -> tuple[list[str | None], bool]:
    """The attendances a story plays, and whether a proposal is left unconfirmed."""
    sessions, allowed = info.sessions, info.allowed
    unconfirmed = False
    if story == MISSED_THEN_COMPLETED and allowed >= 1:
        items: list[str | None] = [_R if rand() < 0.4 else _N] + [_A] * sessions
    elif story == COMPLETED or story == MISSED_THEN_COMPLETED:
        items = [_A] * sessions
    elif story == NOT_ATTENDED:
        items = [_R if m < allowed and rand() < 0.3 else _N for m in range(allowed)] + [_N]
        if sessions > 1 and rand() < 0.5:
            items.insert(int(rand() * len(items)), _A)
    elif story == LAPSED:
        items = [_A] * int(rand() * sessions)
    elif rand() < 0.5:  # neglected: a booked appointment whose attendance is never recorded
        items = [_A] * int(rand() * sessions) + [_PENDING]
    else:  # neglected: a proposal never confirmed
        items = [_N] * (allowed + 1)
        unconfirmed = True
    if rate > 0:
        # Provider cancellations (Poisson), each before the last planned appointment (which may end
        # the programme, or stay unrecorded).
        limit, p = math.exp(-rate), rand()
        while p > limit and len(items) < APPOINTMENT_IDS_PER_REFERRAL - 1:
            items.insert(int(rand() * len(items)), _C)
            p *= rand()
    return items, unconfirmed


def _play(
    s: _Static, rand: Callable[[], float], info: _SchemeInfo, pathway: Pathway, day: int, story: int, start: Standing
) -> _Programme:
    """The programme as the services would have recorded it, up to the context's clock."""
    now, user = s.plan.now, s.user
    due_day = day + info.complete_days
    items, unconfirmed = _items(rand, info, story, s.plan.cancellation_rate)
    book = day * 1440 + TAKEN_MINUTE + 20 + int(rand() * 2 * 1440)
    result = _Programme([], start)
    appointments = result.appointments
    recorded_so_far: tuple[Attendance | None, ...] = ()
    booked = 0
    kept: tuple[str, str] | None = None  # the session type and worker a rebooking keeps
    finished = False  # a completion or a proposal ended the attendance
    waiting = False  # the next booking is still to come, or a booked appointment is still to be recorded
    count = len(items)
    for position, attendance in enumerate(items):
        earliest = book // 1440 + 1
        if earliest > due_day:
            break  # no appointment can be booked before the deadline any more
        if book > now:
            waiting = True
            break
        cap = (due_day - earliest) // (count - position)
        scheduled = (earliest + min(int(rand() * 6), cap)) * 1440 + SLOTS[int(rand() * len(SLOTS))]
        worker = SUPPORT_WORKERS[int(rand() * len(SUPPORT_WORKERS))]
        if kept is None:
            session_type = _TYPES[booked if booked < 2 else 2]
            booked += 1
        else:
            session_type, worker = kept
        recorded = scheduled + 60
        if attendance is _PENDING or recorded > now:
            appointments.append((scheduled, session_type, worker, None, "", "", 0, book))
            result.standing = _after_attendance(
                info, pathway, result.standing, (*recorded_so_far, None), book // 1440
            ).to
            waiting = True
            break
        reason = REBOOK_REASONS[int(rand() * len(REBOOK_REASONS))] if attendance == _R else ""
        appointments.append((scheduled, session_type, worker, attendance, reason, user, recorded, book))
        recorded_so_far = (*recorded_so_far, _ATTENDANCE[attendance])
        transition = _after_attendance(info, pathway, result.standing, recorded_so_far, recorded // 1440)
        if _apply(s, rand, result, transition, recorded, unconfirmed):
            finished = True
            break
        if attendance == _R:
            kept = session_type, worker  # the new appointment is made as this one is rebooked, as it was
            book = recorded
        else:
            kept = None
            book = recorded + 10 + int(rand() * 1430)
    if not finished and not waiting:
        # The deadline passed with nothing booked: a coordinator proposes the step some days later.
        proposed_at = (due_day + 1 + int(rand() * 7)) * 1440 + SLOTS[int(rand() * len(SLOTS))]
        if proposed_at <= now:
            transition = after_attendance(
                info.scheme,
                pathway,
                result.standing,
                recorded_so_far,
                date.fromordinal(due_day),
                date.fromordinal(proposed_at // 1440),
            )
            _apply(s, rand, result, transition, proposed_at, story == NEGLECTED)
    return result


def _apply(
    s: _Static, rand: Callable[[], float], result: _Programme, transition: Transition, at: int, unconfirmed: bool
) -> bool:
    """Take the transition at minute ``at``; a proposed step is confirmed a few days later (unless
    ``unconfirmed`` or after the clock). True when it ends the attendance (completed, or proposed)."""
    to = result.standing = transition.to
    result.events.extend((at, event.kind, event.text) for event in transition.events)
    if to.status is Status.COMPLETED:
        result.decided_at = at
        return True
    if to.status is not Status.AWAITING_CONFIRMATION:
        return False
    confirmed = (at // 1440 + 1 + int(rand() * 10)) * 1440 + SLOTS[int(rand() * len(SLOTS))]
    if unconfirmed or confirmed > s.plan.now:
        return True
    transition = _after_confirmation(to)
    result.standing = transition.to
    result.decided_at = confirmed
    result.events.extend((confirmed, event.kind, event.text) for event in transition.events)
    if transition.bars_person:
        result.barred_at = confirmed
    return True


_DECISIONS: dict[tuple, _Decision] = {}  # per process: the same facts always get the same decision


def _referral_chunk(s: _Static, rng: random.Random, start: int, end: int) -> _Rows:
    rows = _Rows(count=end - start)
    rand = rng.random
    plan, user, base = s.plan, s.user, s.base_day
    day_text, ymd, minute_text = s.day_text, s.ymd, s.minute_text
    officers = s.surnames[:200]
    cache = _DECISIONS
    statuses = rows.statuses
    settled_before = plan.today - plan.gap_days
    people_rows, referral_rows, substance_rows = rows.people, rows.referrals, rows.substances
    appointment_rows, events, bars = rows.appointments, rows.events, rows.bars
    taken_time = minute_text[TAKEN_MINUTE]
    for i in range(start, end):
        referral_id = i + 1
        day = plan.day[i]
        person = plan.person[i]
        meta = plan.meta[i]
        scheme, facts, story, first, override, diverted, barred, completed = unpack(meta)
        info = s.schemes[scheme]
        dob_day = plan.dob[person]
        taken = day * 1440 + TAKEN_MINUTE
        if first:
            people_rows.append(
                _person_row(
                    s,
                    rng,
                    person,
                    taken,
                    dob_day,
                    info,
                    day - dob_day < 18 * 365.25,
                    plan.sex[person],
                    plan.ethnicity[person],
                )
            )
        incident = taken - 60 - int(rand() * 40) * 60 - 15 * int(rand() * 4)
        incident_day = incident // 1440
        substance = info.limits[int(rand() * len(info.limits))]
        quantity = substance[3] if facts == QUANTITY else substance[2][int(rand() * len(substance[2]))]
        by, bm, bd = ymd[dob_day - base]
        iy, im, i_d = ymd[incident_day - base]
        age = iy - by - ((im, i_d) < (bm, bd))
        # Below the limit the reasons never quote the amount, so one decision serves every small amount.
        key = (scheme, facts, substance[0] if facts == QUANTITY else "", barred, completed, age)
        decided = cache.get(key)
        if decided is None:
            decided = cache[key] = _decision(
                info, facts, substance, quantity, barred, completed, date(by, bm, bd), date(iy, im, i_d)
            )
        overridden = override and decided.overridable
        if (decided.eligible or overridden) != diverted:
            raise AssertionError(f"the plan and the rules disagree on referral {referral_id}")
        taken_text = day_text[day - base] + taken_time
        override_reason = ""
        decision = decided.transition
        if overridden:
            override_reason = OVERRIDE_REASONS[int(rand() * len(OVERRIDE_REASONS))]
            decision = after_decision(info.scheme, decided.result, date(iy, im, i_d), override=override_reason)
        event_id = referral_id * EVENT_IDS_PER_REFERRAL - 1
        for event in decision.events:
            event_id += 1
            events.append((event_id, referral_id, taken_text, event.kind, event.text, user))
        year = ymd[day - base][0]
        to, decided_at = decision.to, taken
        first_due = due = confirmed_at = None
        provider = centre = ""
        if diverted:
            centre, provider = info.centres[decided.pathway == _YOUTH]
            first_due = day_text[day + info.first_days - base]
            due = day_text[day + info.complete_days - base]
            played = _play(s, rand, info, decided.result.pathway, day, story, to)
            to, decided_at = played.standing, played.decided_at
            if day <= settled_before:
                expected = settled_outcome(meta)
                got = "completed" if to.status is Status.COMPLETED else "barred" if played.barred_at else ""
                if got != expected:
                    raise AssertionError(f"referral {referral_id}: planned {expected!r}, played {got!r}")
            appointment_id = referral_id * APPOINTMENT_IDS_PER_REFERRAL
            for scheduled, session_type, worker, attendance, reason, by_user, recorded, created in played.appointments:
                appointment_id += 1
                appointment_rows.append(
                    (
                        appointment_id,
                        referral_id,
                        day_text[scheduled // 1440 - base] + minute_text[scheduled % 1440],
                        centre,
                        session_type,
                        worker,
                        attendance,
                        reason,
                        by_user,
                        day_text[recorded // 1440 - base] + minute_text[recorded % 1440] if recorded else None,
                        day_text[created // 1440 - base] + minute_text[created % 1440],
                    )
                )
            for at, kind, text in played.events:
                event_id += 1
                events.append(
                    (event_id, referral_id, day_text[at // 1440 - base] + minute_text[at % 1440], kind, text, user)
                )
        # The referral's columns from where it stands, as services.lifecycle.referral_values writes them.
        status = to.status.value
        outcome = to.outcome.value if to.outcome else ""
        outcome_date = day_text[decided_at // 1440 - base] if to.outcome else None
        proposed = to.proposed_step.value if to.proposed_step else ""
        next_step = to.next_step.value if to.next_step else ""
        confirmed_by = user if to.next_step else ""
        if to.next_step:
            confirmed_at = day_text[decided_at // 1440 - base] + minute_text[decided_at % 1440]
        if diverted and played.barred_at:
            bars.append((person, confirmed_at, referral_id, played.barred_at))  # type: ignore[arg-type]  # one row of the bars list
        statuses[status] = statuses.get(status, 0) + 1
        substance_rows.append((referral_id, referral_id, substance[0], float(quantity), substance[1]))
        referral_rows.append(
            (
                referral_id,
                f"{info.prefix}-{year}-{plan.seq[i]:05d}",
                person,
                info.code,
                info.area,
                info.kind,
                day_text[day - base],
                day_text[incident_day - base] + minute_text[incident % 1440],
                PLACES[int(rand() * len(PLACES))],
                f"43{100000 + int(rand() * 900000)}/{year % 100:02d}",
                f"{OFFICER_PREFIXES[int(rand() * 5)]} {officers[int(rand() * 200)][0]}",
                str(1000 + int(rand() * 9000)),
                info.station,
                _OFFENCE_VALUE[facts],
                int(facts == SUPPLY),
                int(facts != DECLINED),
                decided.pathway,
                decided.age,
                decided.decision,
                decided.reasons_json,
                RULE_VERSION,
                info.scheme.settings_hash,
                info.settings_json,
                user,
                override_reason,
                user if overridden else "",
                taken_text if overridden else None,
                provider,
                centre,
                first_due,
                due,
                status,
                outcome,
                outcome_date,
                proposed,
                to.proposed_reason,
                next_step,
                confirmed_by,
                confirmed_at,
                int(to.for_case_file),
                to.attended,
                to.misses,
                taken_text,
                user,
                SEXES[plan.sex[person]],
                ETHNICITY_2021[plan.ethnicity[person]],
            )
        )
    return rows


# -- the load ------------------------------------------------------------------------------------------------
def _check_columns(connection: sqlite3.Connection) -> None:
    """Fail clearly if the schema gained a column this generator does not fill."""
    for table, columns in TABLES.items():
        info = connection.execute(f"PRAGMA table_info({table})").fetchall()
        required = {row[1] for row in info if row[3] and row[4] is None and not row[5]}  # NOT NULL, no default, not pk
        missing = required - set(columns)
        unknown = set(columns) - {row[1] for row in info}
        if missing or unknown:
            raise BulkNotPossible(
                f"The bulk generator does not know the schema of '{table}' "
                f"(missing {sorted(missing)}, unknown {sorted(unknown)})."
            )


def _insert_sql(table: str) -> str:
    columns = TABLES[table]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - the module's own table and column names


def _tasks(plan: _Plan) -> Iterator[tuple[str, int, int, int]]:
    index = 0
    for start in range(0, plan.referrals, CHUNK):
        yield "referrals", index, start, min(start + CHUNK, plan.referrals)
        index += 1
    for start in range(plan.referred_people + 1, plan.people + 1, CHUNK):
        yield "people", index, start, min(start + CHUNK, plan.people + 1)
        index += 1


def default_workers() -> int:
    return max(1, min(2, (os.cpu_count() or 1)))


def is_empty(connection: sqlite3.Connection) -> bool:
    return all(
        connection.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {t})").fetchone()[0]  # noqa: S608 - the module's own table names
        for t in ("people", "referrals")
    )


def fill_bulk(
    ctx: AppContext,
    people: int,
    referrals: int,
    appointments: int | None = None,
    seed: int = 2020,
    progress: BulkProgress | None = None,
    workers: int | None = None,
) -> BulkResult:
    """Fill an empty SQLite database with ``people`` and ``referrals`` (about ``appointments``
    appointments, by default three a referral). Refuses a database that holds people."""
    global _STATIC
    ctx.require(Permission.LOAD_SAMPLE_DATA)
    if ctx.engine.dialect.name != "sqlite":
        raise BulkNotPossible(
            "Bulk sample data is written to SQLite files only; use the small demo (without --bulk) for other databases."
        )
    if people < 1 or referrals < 1:
        raise BulkNotPossible("Give at least one person and one referral.")
    if people < math.ceil(referrals * MIN_PEOPLE_PER_REFERRAL):
        raise BulkNotPossible(
            "Too few people for so many referrals: give at least one person for every three referrals."
        )
    appointments = 3 * referrals if appointments is None else appointments
    workers = default_workers() if workers is None else workers
    report = progress or (lambda _phase, _done, _total: None)
    started = time.perf_counter()
    phases: dict[str, float] = {}
    schemes = list(ctx.schemes)
    now = ctx.now()
    today = now.date()
    scratch: str | None = None
    database = ctx.engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BulkNotPossible("Bulk sample data is written to a SQLite file; give a file database.")
    ctx.engine.dispose()  # the load needs the only connection to the file
    raw = ctx.engine.raw_connection()
    connection: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]  # a SQLite engine's driver connection
    to_restore: list[str] = []  # schema dropped for the load and not yet made again
    try:
        if not is_empty(connection):
            raise BulkNotPossible(
                "This database already holds people or referrals. Bulk sample data goes into a fresh database only."
            )
        _check_columns(connection)
        report("plan", 0, referrals)
        plan = make_plan(
            schemes, people, referrals, appointments, seed, today, today.toordinal() * 1440 + now.hour * 60 + now.minute
        )
        phases["plan"] = time.perf_counter() - started
        report("plan", referrals, referrals)
        scratch = tempfile.mkdtemp(prefix=".bulk-sample-", dir=os.path.dirname(os.path.abspath(database)))
        _STATIC = _static(plan, schemes, ctx.user, scratch)
        indexes = _drop_indexes(connection)
        triggers = _drop_triggers(connection)
        to_restore = [*triggers, *indexes]  # triggers first: cheap, and without them copies go stale unseen
        _loading_pragmas(connection)
        counts = _load(connection, plan, workers, report, phases)
        mark = time.perf_counter()
        _finish_people(connection, counts.pop("bars"))  # type: ignore[arg-type]  # counts holds the bars list too
        _surname_parts(connection)
        _counters(connection, plan)
        phases["people barred, surname parts, counters"] = time.perf_counter() - mark
        mark = time.perf_counter()
        # SQLite sorts an index's keys in runs the size of its page cache; with small runs its second
        # thread (PRAGMA threads) sorts every other run while the next one is read, so the indexes build
        # in two thirds of the time they take with the large cache the load wanted (measured: 8 MB runs
        # 4.5 s, 256 MB 7.0 s for three of them).
        connection.execute("PRAGMA cache_size=-8192")
        for done, sql in enumerate(indexes):
            report("indexes", done, len(indexes))
            connection.execute(sql)
        report("indexes", len(indexes), len(indexes))
        for sql in triggers:
            connection.execute(sql)
        to_restore = []
        phases["indexes"] = time.perf_counter() - mark
        mark = time.perf_counter()
        connection.execute("PRAGMA analysis_limit=1000")  # statistics from a sample: enough for the planner
        connection.execute("ANALYZE")
        phases["analyze"] = time.perf_counter() - mark
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    finally:
        _STATIC = None
        if to_restore:
            _restore_schema(connection, to_restore)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        raw.close()
        ctx.engine.dispose()
    statuses = counts.pop("statuses")
    return BulkResult(
        people=people,
        referrals=referrals,
        appointments=counts["appointments"],  # type: ignore[arg-type]  # counts: ints, and the statuses
        substances=counts["referral_substances"],
        events=counts["timeline_events"],  # type: ignore[arg-type]  # as above
        by_status=dict(sorted(statuses.items())),  # type: ignore[union-attr]  # as above
        seconds=time.perf_counter() - started,
        phases=phases,
    )


# Indexes whose key grows with the load order (it goes in date order, each row after the rows it
# belongs to) stay: adding at the end of an index is cheap, and the workers do it. So do those whose
# key starts with a few values and then the referral date (sex and ethnicity; status and area):
# each row goes at the end of one of a few dozen runs, nearly as cheap; and the index of open
# referrals, which holds a few thousand. Every other index is dropped and built after the load:
# measured, keeping them costs about twice as long. (At a million referrals, keeping the four named
# here took the load from 59.5 s to 52.3 s: their upkeep runs beside the workers, their building
# after the load on one core.)
KEPT_DURING_LOAD = {
    ("appointments", "referral_id"),
    ("timeline_events", "referral_id"),
    ("referral_substances", "referral_id"),
    ("referrals", "referral_date"),
}
KEPT_BY_NAME = {"ix_referrals_person_groups", "ix_referrals_list_status", "ix_referrals_list_area", "ix_referrals_open"}


def _drop_indexes(connection: sqlite3.Connection) -> list[str]:
    """Drop the secondary indexes of the loaded tables; returns the SQL that makes them again."""
    found = connection.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "  # noqa: S608 - only placeholders are added
        f"({', '.join('?' * len(TABLES))}) ORDER BY tbl_name, name",
        tuple(TABLES),
    ).fetchall()
    dropped = []
    for name, table, sql in found:
        first = connection.execute(f'PRAGMA index_info("{name}")').fetchone()[2]
        if ((table, first) in KEPT_DURING_LOAD and " WHERE " not in sql.upper()) or name in KEPT_BY_NAME:
            continue
        connection.execute(f'DROP INDEX "{name}"')
        dropped.append(sql)
    return dropped


def _drop_triggers(connection: sqlite3.Connection) -> list[str]:
    """Drop the triggers on the loaded tables; returns the SQL that makes them again. They keep each
    referral's copy of its person's groups (revision 0006): the rows are written with the copies
    already made, and a trigger checking each of a million rows as it goes in would cost seconds."""
    found = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "  # noqa: S608 - only placeholders are added
        f"({', '.join('?' * len(TABLES))}) ORDER BY name",
        tuple(TABLES),
    ).fetchall()
    for name, _sql in found:
        connection.execute(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in found]


def _restore_schema(connection: sqlite3.Connection, statements: list[str]) -> None:
    """After a load that stopped part-way (an error, Ctrl+C): make again what was dropped for it,
    so that what was loaded keeps the schema's rules. Best effort: a full disk may refuse it."""
    try:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        for sql in statements:
            connection.execute(sql)
    except sqlite3.Error:
        pass


def _loading_pragmas(connection: sqlite3.Connection) -> None:
    # A fresh file: nothing to protect until it is full, so no journal syncs; a large page cache.
    connection.execute("PRAGMA journal_mode=TRUNCATE")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-262144")
    connection.execute("PRAGMA threads=2")
    connection.execute("PRAGMA foreign_keys=OFF")  # every reference is made consistent by construction


def _load(
    connection: sqlite3.Connection, plan: _Plan, workers: int, report: BulkProgress, phases: dict[str, float]
) -> dict[str, object]:
    counts: dict[str, object] = {t: 0 for t in TABLES}
    statuses: dict[str, int] = {}
    bars: dict[int, tuple[int, str, int]] = {}
    copy = {
        t: f"INSERT INTO main.{t} ({', '.join(c)}) SELECT {', '.join(c)} FROM chunk.{t}"  # noqa: S608 - the module's own table and column names
        for t, c in TABLES.items()
    }
    done_refs = done_people = 0
    unreferred = plan.people - plan.referred_people
    mark = time.perf_counter()
    spent = [0.0, 0.0, 0.0]
    for chunk in _generated(plan, workers):
        copying = time.process_time()
        connection.execute("ATTACH DATABASE ? AS chunk", (chunk.path,))
        try:
            connection.execute("BEGIN")
            for table, n in chunk.rows.items():
                if n:
                    connection.execute(copy[table])
                    counts[table] += n  # type: ignore[operator]  # as above
            connection.execute("COMMIT")
        finally:
            connection.execute("DETACH DATABASE chunk")
            os.remove(chunk.path)
        spent = [spent[0] + chunk.seconds[0], spent[1] + chunk.seconds[1], spent[2] + time.process_time() - copying]
        for status, n in chunk.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
        for person, at_text, referral_id, minute in chunk.bars:
            if person not in bars or minute < bars[person][0]:
                bars[person] = (minute, at_text, referral_id)
        if chunk.kind == "referrals":
            done_refs += chunk.count
            report("referrals", done_refs, plan.referrals)
        else:
            done_people += chunk.count
            report("people never referred", done_people, unreferred)
    phases["rows"] = time.perf_counter() - mark
    phases["rows: making, CPU"], phases["rows: writing chunks, CPU"], phases["rows: copying in, CPU"] = spent
    counts["statuses"] = statuses
    counts["bars"] = bars
    return counts


def start_method() -> str:
    """How worker processes start. Forking copies the plan for nothing; but a process with other
    threads (a GUI, a test run) must not fork, and Windows cannot: there fresh workers start
    ("spawn": a new interpreter imports this module; a frozen bundle's entry point calls
    ``freeze_support`` for it) and are sent the plan."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def _generated(plan: _Plan, workers: int) -> Iterator[_Chunk]:
    """Chunks in order; with workers, made in other processes a few chunks ahead of the copying."""
    tasks = list(_tasks(plan))
    if workers <= 0:
        yield from map(_work, tasks)
        return
    context = multiprocessing.get_context(start_method())
    with context.Pool(workers, initializer=_start_worker, initargs=(_STATIC,)) as pool:
        ahead = workers + 2  # bounded, so few scratch files wait at a time
        pending: deque = deque()
        queued = iter(tasks)
        for task in queued:
            pending.append(pool.apply_async(_work, (task,)))
            if len(pending) >= ahead:
                break
        while pending:
            chunk = pending.popleft().get()
            task = next(queued, None)
            if task is not None:
                pending.append(pool.apply_async(_work, (task,)))
            yield chunk


def _finish_people(connection: sqlite3.Connection, bars: dict[int, tuple[int, str, int]]) -> None:
    connection.execute("BEGIN")
    connection.executemany(
        "UPDATE people SET barred = 1, barred_at = ?, barred_by_referral_id = ? WHERE id = ?",
        [(at_text, referral_id, person) for person, (_m, at_text, referral_id) in sorted(bars.items())],
    )
    connection.execute("COMMIT")


def _surname_parts(connection: sqlite3.Connection) -> None:
    """The search keys of the double-barrelled surnames' later parts (one in twenty people)."""
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO person_name_keys (person_id, key) VALUES (?, ?)",
        [
            (person, key)
            for person, surname in connection.execute(
                "SELECT id, surname FROM people WHERE surname LIKE '%-%' OR surname LIKE '% %'"
            )
            for key in surname_part_keys(surname)
        ],
    )
    connection.execute("COMMIT")


def _counters(connection: sqlite3.Connection, plan: _Plan) -> None:
    connection.execute("BEGIN")
    connection.executemany(
        "INSERT INTO reference_counters (series, last_value) VALUES (?, ?)", sorted(plan.series.items())
    )
    connection.execute("COMMIT")
