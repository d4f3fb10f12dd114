"""How long the evaluation takes in the database, over a large generated database.

    .venv/bin/python benchmarks/evaluation.py [--referrals 1000000] [--db PATH] [--runs 5]
                                              [--rebuild] [--with-index | --without-index]

Target (issue 6): the whole report over 1,000,000 referrals in ≤ 2 s of
database time. The database is generated once (Core bulk inserts into a SQLite
file, about a minute for a million referrals) and reused by later runs; its
rows look like the application's own: every referral carries the copy of its
scheme's settings (about 2 KB) and its reasons, as intake stores them, so a
table scan reads as many pages as it would in use. People have repeat
referrals, the outcomes follow the referral's age, and the fields the
evaluation reads are spread as in the pilots.

The report covers the whole generated period (every referral), all areas and
all age bands. "Database time" is what the service measures around its two
queries (``EvaluationResult.database_seconds``); the report's total time
(queries, suppression, intervals) is printed beside it, and the first run
(cold caches inside SQLite) apart from the best of the others.

``--with-index`` adds the indexes the service suggests (``SUGGESTED_INDEXES``,
see docs/evaluation.md; they are not in the application's schema yet) to the
benchmark database, and ``--without-index`` removes them again, to compare.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import column, insert, table, text  # noqa: E402

from diversion_desktop.domain.age import age_on  # noqa: E402
from diversion_desktop.domain.next_step import NextStep  # noqa: E402
from diversion_desktop.domain.people_codes import ETHNICITY_2021, NOT_STATED  # noqa: E402
from diversion_desktop.domain.schemes import SchemeKind  # noqa: E402
from diversion_desktop.services.bootstrap import open_context  # noqa: E402
from diversion_desktop.services.evaluation import (  # noqa: E402
    SUGGESTED_INDEXES,
    EvaluationRequest,
    EvaluationService,
)

TARGET_SECONDS = 2.0
TODAY = date(2026, 3, 10)
FIRST_DAY = date(2023, 1, 1)
CHUNK = 20_000

PEOPLE_COLUMNS = ("id", "reference", "surname", "forenames", "surname_norm", "forenames_norm", "date_of_birth",
                  "sex", "ethnicity_self", "ethnicity_observed", "address", "postcode", "phone", "email",
                  "language", "needs", "guardian_name", "guardian_relationship", "guardian_phone",
                  "guardian_address", "pnc_reference", "barred", "barred_at", "barred_by_referral_id",
                  "created_at")
REFERRAL_COLUMNS = ("id", "reference", "person_id", "scheme_code", "area", "scheme_kind", "referral_date",
                    "incident_at", "incident_place", "crime_reference", "officer_name", "officer_collar_number",
                    "station", "offence", "suspected_supply", "consent", "pathway", "age_at_incident", "decision",
                    "reasons", "rule_version", "settings_hash", "scheme_settings", "decided_by", "override_reason",
                    "override_by", "override_at", "provider", "centre_code", "first_attendance_due", "due_date",
                    "status", "outcome", "outcome_date", "proposed_step", "proposed_reason", "next_step",
                    "next_step_confirmed_by", "next_step_confirmed_at", "for_case_file", "sessions_attended",
                    "misses", "created_at", "created_by")
# Lightweight tables (no column types): values go in exactly as given, JSON already as text.
PEOPLE = table("people", *(column(name) for name in PEOPLE_COLUMNS))
REFERRALS = table("referrals", *(column(name) for name in REFERRAL_COLUMNS))

SEXES = (("Male", 70), ("Female", 26), ("Other", 1), (NOT_STATED, 1.5), ("", 1.5))
ETHNIC_WEIGHTS = {"White: English, Welsh, Scottish, Northern Irish or British": 62, "White: Other White": 6,
                  "Asian or Asian British: Pakistani": 4, "Asian or Asian British: Indian": 3,
                  "Black, Black British, Caribbean or African: African": 3,
                  "Black, Black British, Caribbean or African: Caribbean": 3,
                  "Mixed or Multiple: White and Black Caribbean": 2, NOT_STATED: 4}
REASONS = json.dumps(["Simple possession of a controlled drug.", "Cannabis (herbal): 3.5 g is within the "
                      "limit of 10 g.", "Not suspected of supplying.", "No earlier diversion ended in "
                      "non-attendance.", "Agreed to take part.", "Aged 27 on the incident date: adult pathway."])


def _moment(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.000000")


def build(path: Path, referrals: int, seed: int = 6) -> None:
    """A migrated database file holding ``referrals`` referrals of about 0.75 × as many people."""
    if path.exists():
        path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    ctx = open_context(f"sqlite:///{path.as_posix()}", clock=lambda: datetime.combine(TODAY, datetime.min.time()))
    schemes = list(ctx.schemes)
    snapshots = {s.code: json.dumps({"source": s.source, "hash": s.settings_hash,
                                     "settings": json.loads(json.dumps(dict(s.raw), default=str))})
                 for s in schemes}
    rng = random.Random(seed)
    ethnicities = list(ETHNICITY_2021) + [""]
    weights = [ETHNIC_WEIGHTS.get(e, 0.5) for e in ethnicities]
    weights[-1] = 3  # not recorded
    span = (TODAY - FIRST_DAY).days
    days = sorted(rng.randrange(span) for _ in range(referrals))  # referrals are taken in date order
    people: list[tuple[date, str]] = []  # date of birth, sex of each person so far
    started = time.perf_counter()
    with ctx.engine.begin() as connection:
        person_rows: list[dict] = []
        referral_rows: list[dict] = []
        for index, day_number in enumerate(days, start=1):
            day = FIRST_DAY + timedelta(days=day_number)
            if not people or rng.random() < 0.75:
                sex = rng.choices([s for s, _ in SEXES], [w for _, w in SEXES])[0]
                age_days = rng.choice([rng.randint(10 * 365, 17 * 365), rng.randint(18 * 365, 34 * 365),
                                       rng.randint(18 * 365, 60 * 365)])
                dob = day - timedelta(days=age_days)
                people.append((dob, sex))
                person_id = len(people)
                person_rows.append(dict(
                    id=person_id, reference=f"P{person_id:07d}", surname="Example", forenames="Sam",
                    surname_norm="example", forenames_norm="sam", date_of_birth=dob.isoformat(), sex=sex,
                    ethnicity_self=rng.choices(ethnicities, weights)[0], ethnicity_observed="",
                    address=f"{rng.randint(1, 200)} Example Street, Newbury", postcode="RG14 1AA",
                    phone="07700 900000", email="", language="", needs="", guardian_name="",
                    guardian_relationship="", guardian_phone="", guardian_address="", pnc_reference="",
                    barred=0, barred_at=None, barred_by_referral_id=None,
                    created_at=_moment(datetime.combine(day, datetime.min.time()))))
            else:
                person_id = rng.randint(1, len(people))
            dob, _sex = people[person_id - 1]
            referral_rows.append(_referral(rng, index, person_id, dob, day, rng.choice(schemes), snapshots))
            if len(referral_rows) >= CHUNK:
                _flush(connection, person_rows, referral_rows)
                print(f"\r  {index:,} referrals written", end="", file=sys.stderr)
        _flush(connection, person_rows, referral_rows)
    print(f"\r  {referrals:,} referrals of {len(people):,} people written in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    ctx.engine.dispose()


def _flush(connection, person_rows: list[dict], referral_rows: list[dict]) -> None:  # noqa: ANN001
    if person_rows:
        connection.execute(insert(PEOPLE), person_rows)
    if referral_rows:
        connection.execute(insert(REFERRALS), referral_rows)
    person_rows.clear()
    referral_rows.clear()


def _referral(rng: random.Random, index: int, person_id: int, dob: date, day: date,
              scheme, snapshots: dict) -> dict:  # noqa: ANN001 - a Scheme
    age = age_on(dob, day - timedelta(days=1))
    youth = age < 18
    age_days = (TODAY - day).days
    story = rng.random()
    status, outcome, outcome_date, decision, consent = "awaiting_appointment", "", None, "eligible", 1
    sessions, next_step, proposed = 0, "", ""
    if story < 0.12:
        status, outcome, outcome_date, decision = "not_eligible", "not_eligible", day, "not_eligible"
    elif story < 0.16:
        status, outcome, outcome_date, decision, consent = "declined", "declined", day, "not_eligible", 0
    elif age_days > 70 or story < 0.5 and age_days > 20:
        # An older diversion has ended: completed, or a confirmed consequence.
        if rng.random() < 0.72:
            status, outcome, sessions = "completed", "completed", scheme.sessions_for_completion
            next_step = proposed = NextStep.NO_FURTHER_ACTION.value
        else:
            status, outcome, sessions = "closed", "not_attended", 1 if rng.random() < 0.3 else 0
            prosecute = scheme.kind is SchemeKind.DEFERRED_PROSECUTION and not youth
            next_step = proposed = (NextStep.REPORT_FOR_PROSECUTION if prosecute
                                    else NextStep.FUTURE_DIVERSION_BARRED).value
        outcome_date = day + timedelta(days=rng.randint(7, min(scheme.days_to_complete, max(age_days, 7))))
    else:
        roll = rng.random()
        if roll < 0.35:
            status = "booked"
        elif roll < 0.5:
            status, sessions = "booked", 1
        elif roll < 0.6:
            status = "awaiting_confirmation"
            proposed = NextStep.FUTURE_DIVERSION_BARRED.value
    diverted = status not in ("not_eligible", "declined")
    centre = scheme.default_centre(youth)
    taken = datetime.combine(day, datetime.min.time()) + timedelta(hours=15)
    return dict(
        id=index, reference=f"{scheme.reference_prefix}-{day.year}-{index:07d}", person_id=person_id,
        scheme_code=scheme.code, area=scheme.area, scheme_kind=scheme.kind.value, referral_date=day.isoformat(),
        incident_at=_moment(taken - timedelta(hours=rng.randint(2, 30))), incident_place="High Street",
        crime_reference=f"43{index:08d}", officer_name="PC Example", officer_collar_number="1234",
        station="Newbury", offence="possession", suspected_supply=0, consent=consent,
        pathway="youth" if youth else "adult", age_at_incident=age, decision=decision, reasons=REASONS,
        rule_version="2026.1", settings_hash=scheme.settings_hash, scheme_settings=snapshots[scheme.code],
        decided_by="benchmark", override_reason="", override_by="", override_at=None,
        provider=centre.provider if diverted else "", centre_code=centre.code if diverted else "",
        first_attendance_due=(day + timedelta(days=scheme.days_to_first_attendance)).isoformat() if diverted else None,
        due_date=(day + timedelta(days=scheme.days_to_complete)).isoformat() if diverted else None,
        status=status, outcome=outcome, outcome_date=outcome_date.isoformat() if outcome_date else None,
        proposed_step=proposed, proposed_reason="", next_step=next_step,
        next_step_confirmed_by="benchmark" if next_step else "",
        next_step_confirmed_at=_moment(datetime.combine(outcome_date, datetime.min.time())) if next_step else None,
        for_case_file=1 if next_step == NextStep.REPORT_FOR_PROSECUTION.value else 0,
        sessions_attended=sessions, misses=0, created_at=_moment(taken), created_by="benchmark")


def count_referrals(path: Path) -> int:
    ctx = open_context(f"sqlite:///{path.as_posix()}", migrate=False)
    try:
        with ctx.engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM referrals")).scalar_one()
    finally:
        ctx.engine.dispose()


def set_indexes(path: Path, present: bool) -> None:
    """Add (or drop) the indexes the service suggests (SUGGESTED_INDEXES)."""
    ctx = open_context(f"sqlite:///{path.as_posix()}", migrate=False)
    try:
        with ctx.engine.begin() as connection:
            for index in SUGGESTED_INDEXES:
                started = time.perf_counter()
                connection.exec_driver_sql(index.ddl if present else f"DROP INDEX IF EXISTS {index.name}")
                print(f"  {'created' if present else 'dropped'} {index.name} in {time.perf_counter() - started:.1f} s",
                      file=sys.stderr)
    finally:
        ctx.engine.dispose()


def has_indexes(path: Path) -> bool:
    ctx = open_context(f"sqlite:///{path.as_posix()}", migrate=False)
    try:
        with ctx.engine.connect() as connection:
            names = {row[0] for row in connection.execute(text("SELECT name FROM sqlite_master WHERE type='index'"))}
        return all(index.name in names for index in SUGGESTED_INDEXES)
    finally:
        ctx.engine.dispose()


def time_report(path: Path, runs: int, workers: int) -> list[tuple[float, float]]:
    """(database seconds, total seconds) of each run of the whole report."""
    from diversion_desktop.domain.permissions import setup_principal

    ctx = open_context(f"sqlite:///{path.as_posix()}", clock=lambda: datetime.combine(TODAY, datetime.min.time()),
                       migrate=False, principal=setup_principal("benchmark"))  # the service checks RUN_REPORTS
    service = EvaluationService(ctx, workers=workers)
    request = EvaluationRequest(FIRST_DAY, TODAY)
    service.compute(EvaluationRequest(TODAY, TODAY))  # load scipy and the mappers: not database time
    timings = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            result = service.compute(request)
            timings.append((result.database_seconds, time.perf_counter() - started))
        funnel = result.total_funnel
        print(f"  report over {funnel.count(funnel.steps[0].step):,} referrals: "
              f"{', '.join(f'{row.step.label.lower()} {row.count:,}' for row in funnel.steps if row.count)}",
              file=sys.stderr)
    finally:
        ctx.engine.dispose()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000, help="referrals in the generated database")
    parser.add_argument("--db", type=Path, help="database file (default: in the system's temporary folder)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the whole report")
    parser.add_argument("--rebuild", action="store_true", help="generate the database again even if it exists")
    parser.add_argument("--workers", type=int, default=2,
                        help="connections reading at once (the service's default 2; 1 = one after the other)")
    index = parser.add_mutually_exclusive_group()
    index.add_argument("--with-index", action="store_true", help="add the suggested covering index first")
    index.add_argument("--without-index", action="store_true", help="remove the suggested index first")
    args = parser.parse_args()

    import tempfile

    path = args.db or Path(tempfile.gettempdir()) / f"diversion-evaluation-{args.referrals}.sqlite3"
    if not args.rebuild and args.db is not None and path.exists() and count_referrals(path) != args.referrals:
        # A database named by --db is never replaced unasked (it may be benchmarks/run.py's).
        print(f"{path} holds {count_referrals(path):,} referrals, not {args.referrals:,}: run with "
              f"--referrals {count_referrals(path)} to measure it as it is, or --rebuild to replace it.",
              file=sys.stderr)
        return 1
    if args.rebuild or not path.exists() or count_referrals(path) != args.referrals:
        print(f"Generating {args.referrals:,} referrals into {path} …", file=sys.stderr)
        build(path, args.referrals)
    if args.with_index:
        set_indexes(path, True)
    elif args.without_index:
        set_indexes(path, False)
    indexed = has_indexes(path)
    timings = time_report(path, args.runs, args.workers)
    first_db, first_total = timings[0]
    rest = timings[1:] or timings
    best_db = min(db for db, _ in rest)
    median_db = statistics.median(db for db, _ in rest)
    best_total = min(total for _, total in rest)
    size = path.stat().st_size / 1e9
    print(f"database: {path} ({size:.2f} GB, {args.referrals:,} referrals, "
          f"{'with' if indexed else 'without'} the suggested indexes: "
          f"{', '.join(index.name for index in SUGGESTED_INDEXES)}; {args.workers} reading connection(s))")
    print(f"whole evaluation report, database time: best {best_db:.2f} s, median {median_db:.2f} s "
          f"(first run {first_db:.2f} s); whole report {best_total:.2f} s; target ≤ {TARGET_SECONDS:g} s "
          f"of database time: {'met' if best_db <= TARGET_SECONDS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
