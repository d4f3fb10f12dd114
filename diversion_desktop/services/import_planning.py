"""Deciding every imported referral, in incident order, and writing the decisions.

Used by ``services.importer``. A :class:`Group` is one referral's rows (its
referral rows and its appointment rows); the :class:`Planner` decides each
group against the database and the groups before it, without writing, then
:meth:`Planner.write_chunk` stores accepted decisions a chunk at a time with
Core bulk inserts (one executemany per table; ids read back by the unique
references) and :meth:`Planner.finish` bars people through
``lifecycle.bar_person`` (``services.importer`` runs each in a transaction of
its own).

Nothing grows in memory with the file: the groups come one at a time from the
import's working file (services/import_work.py) in incident order, and what the
planner learns as it goes (the people so far, the refused people, the plans to
write) is kept in that file too, each read back by an index when needed.
"""

from __future__ import annotations

import marshal
import pickle
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import Decision, EligibilityResult, PriorHistory, SubstanceFind, decide
from diversion_desktop.domain.fields import PERSON_DETAILS, PERSON_FIELDS
from diversion_desktop.domain.intake import IntakeDraft, validate
from diversion_desktop.domain.lifecycle import (
    after_attendance,
    after_decision,
    after_imported_history,
    imported_event,
)
from diversion_desktop.domain.names import match_score, normalise, surname_part_keys
from diversion_desktop.domain.programme import BOOKABLE_STATUSES, Attendance, Outcome, Status, assess, can_rebook
from diversion_desktop.domain.schemes import Centre, Scheme
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.import_work import (
    WorkFile,
    day,
    decode_appointment,
    decode_referral,
    from_day,
)
from diversion_desktop.services.intake import settings_snapshot
from diversion_desktop.services.lifecycle import bar_person, referral_values
from diversion_desktop.services.references import (
    PERSON_SERIES,
    format_person_reference,
    last_number,
    numbered_series,
    person_references,
    reserve_up_to,
)
from diversion_desktop.spreadsheets import import_format as fmt
from diversion_desktop.spreadsheets.cells import code_key
from diversion_desktop.spreadsheets.import_format import AppointmentLine, Problem, ReferralLine
from diversion_desktop.store.models import (
    Appointment,
    Person,
    PersonAlias,
    PersonNameKey,
    Referral,
    ReferralSubstance,
    TimelineEvent,
)

Progress = Callable[[int, int], None]
Key = tuple[str, str, date]  # a person: normalised surname and forenames, date of birth

_CHUNK = 500  # values per IN (...) query
_COMPARED = 12  # people compared for possible matches with each new person


def line_key(line: ReferralLine) -> Key | None:
    """The person a referral row names, as intake finds people; None without a name or date of birth."""
    if line.date_of_birth is None or not line.surname:
        return None
    return normalise(line.surname), normalise(line.forenames), line.date_of_birth


@dataclass(slots=True)
class Group:
    """All rows of one referral: its referral rows and appointment rows."""

    reference: str
    lines: list[ReferralLine]
    appointments: list[AppointmentLine] = field(default_factory=list)
    problems: dict[tuple[str, int], list[Problem]] = field(default_factory=dict)

    @property
    def first(self) -> ReferralLine:
        return self.lines[0]

    def refuse(self, sheet: str, row: int, problem: Problem) -> None:
        self.problems.setdefault((sheet, row), []).append(problem)

    @property
    def refused(self) -> bool:
        return any(self.problems.values())

    def person_key(self) -> Key | None:
        return line_key(self.first)


@dataclass(slots=True)
class _Known:
    """A person already in the database, as far as the import needs to know."""

    id: int
    reference: str
    surname: str
    forenames: str
    date_of_birth: date
    barred: bool
    completed: int
    blanks: frozenset[str]  # fields still empty (an import fills them, never overwrites)
    initial: str = ""  # of the normalised surname


@dataclass(slots=True)
class _PersonPlan:
    surname: str
    forenames: str
    date_of_birth: date
    known_id: int | None  # a person already in the database
    first_row: int
    barred: bool = False
    completed: int = 0
    reference: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    id: int | None = None
    initial: str = ""  # of the normalised surname
    blanks: frozenset[str] = frozenset()  # a known person's empty fields
    seq: int | None = None  # the person's row in the working file, once a referral of theirs is accepted
    new_index: int | None = None  # 0 for the first new person of the import, 1 for the next...

    @property
    def new(self) -> bool:
        return self.known_id is None

    def label(self) -> str:
        return f"{self.surname.upper()}, {self.forenames}, born {self.date_of_birth:%d/%m/%Y}"


@dataclass(slots=True)
class _Plan:
    """One referral to write, fully decided."""

    group: Group
    person: _PersonPlan
    person_matched: bool
    values: dict[str, Any]
    substances: list[dict[str, Any]]
    appointments: list[dict[str, Any]]
    events: list[tuple[str, str]]
    bars_at: datetime | None  # bar the person (the not-attended step was confirmed)
    notes: list[str]
    attention: list[str]
    id: int | None = None


@dataclass(slots=True)
class _Stored:
    """A plan as read back from the working file for writing."""

    seq: int
    reference: str
    person_seq: int
    values: dict[str, Any]
    substances: list[dict[str, Any]]
    appointments: list[dict[str, Any]]
    events: list[tuple[str, str]]
    bars: bool


# The person's details the import template has: its column (a ReferralLine attribute) → the field.
_PERSON_FIELDS = {f.import_column: f.name for f in PERSON_FIELDS if f.import_column and f.name in PERSON_DETAILS}
_FIELD_COLUMNS = {"scheme_code": "area", "incident_at": "incident_date", "substances": "substance"}
_PERSON_COLUMNS = (
    "seq, surname, forenames, dob, known_id, first_row, barred, completed, reference, fields, id, "
    "initial, blanks, new_index"
)
# Decided: (the group, its plan or None, (person reference, key) when the reference is already in the database).
Decided = Callable[[Group, "_Plan | None", "tuple[str, Key] | None"], None]


# -- checks that need only the rows -----------------------------------------------------------------
def check_repeats(group: Group) -> None:
    """The rows of one referral may differ only in substance, quantity and unit."""
    first = group.first
    person_fields = ("surname", "forenames", "date_of_birth")
    for line in group.lines[1:]:
        if line.problems or first.problems:
            continue
        differing = [
            name for name, a, b in zip(fmt.SHARED_FIELDS, first.shared(), line.shared(), strict=True) if a != b
        ]
        if not differing:
            continue
        columns = ", ".join(fmt.FIELD_COLUMN.get(name, name) for name in differing)
        if any(name in person_fields for name in differing):
            reason = (
                f"reference {group.reference} is repeated on row {first.row} for a different person "
                f"({first.surname.upper()}, {first.forenames}, born {_day(first.date_of_birth)}; here "
                f"{line.surname.upper()}, {line.forenames}, born {_day(line.date_of_birth)}): references are unique"
            )
        else:
            reason = (
                f"reference {group.reference} is repeated on row {first.row} with a different {columns}: "
                "the rows of one referral may differ only in substance, quantity and unit"
            )
        group.refuse(fmt.REFERRALS, line.row, Problem(fmt.FIELD_COLUMN.get(differing[0], differing[0]), reason))


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "?"


def row_problems(group: Group) -> dict[tuple[str, int], list[Problem]]:
    """Each row's own problems; a row refused only because of another row says which."""
    result: dict[tuple[str, int], list[Problem]] = defaultdict(list)
    causes = [key for key, found in group.problems.items() if found]
    for key, found in group.problems.items():
        result[key].extend(found)
    cause_text = ", ".join(f"{sheet} row {row}" for sheet, row in sorted(causes))
    for line in group.lines:
        key = (fmt.REFERRALS, line.row)
        if not result[key]:
            result[key].append(Problem("", f"refused with the rest of the referral (see {cause_text})"))
    for appointment in group.appointments:
        key = (fmt.APPOINTMENTS, appointment.row)
        if not result[key]:
            result[key].append(Problem("", f"its referral was refused (see {cause_text})"))
    return result


# -- deciding, in incident order ---------------------------------------------------------------------
class Planner:
    """Decides every referral against the database and the rows before it; writes nothing
    until :meth:`write_chunk`."""

    def __init__(
        self, ctx: AppContext, session: Session, file_name: str, work: WorkFile, *, for_writing: bool = True
    ) -> None:
        self.ctx = ctx
        self.work = work
        # A dry run keeps no plans: its report is made as each referral is decided.
        self.for_writing = for_writing
        self.session = session
        self.file_name = file_name
        self.now = ctx.now()
        self.today = ctx.today()
        self.plan_count = 0  # referrals accepted (to write)
        self.people_created = 0
        self.people_matched = 0  # people already in the database that accepted referrals name
        self.appointments = 0
        self._highest: dict[str, int] = {}  # the highest number of each numbered reference series in the file
        self._preview_start: int | None = None
        self._any_existing = self._any_known = self._any_tainted = self._any_appointments = False
        self._snapshots: dict[str, dict] = {}
        self._centres: dict[str, dict[str, Centre]] = {}
        self.steps = 1
        self.planned = 0

    # -- what the database already holds -----------------------------------------------------------
    def _load(self) -> None:
        """The references already imported and the people the file may name, from the database
        into the working file, ``_CHUNK`` values per query."""
        session, work = self.session, self.work
        file_references = (
            "SELECT reference FROM groups WHERE reference IS NOT NULL ORDER BY reference",
            # appointments whose referral is not in the file may name one already imported
            "SELECT DISTINCT reference FROM appointments a WHERE reference != '' AND NOT EXISTS "
            "(SELECT 1 FROM groups g WHERE g.reference = a.reference) ORDER BY reference",
        )
        for sql in file_references:
            for batch in work.batches(sql, size=_CHUNK):
                found = session.execute(
                    select(
                        Referral.reference,
                        Person.reference,
                        Person.surname_norm,
                        Person.forenames_norm,
                        Person.date_of_birth,
                    )
                    .join(Person, Referral.person_id == Person.id)
                    .where(Referral.reference.in_([reference for (reference,) in batch]))
                ).all()
                work.executemany(
                    "INSERT OR IGNORE INTO existing VALUES (?, ?, ?, ?, ?)",
                    ((r, p, s, f, day(d)) for r, p, s, f, d in found),
                )
                self._any_existing = self._any_existing or bool(found)
        # Merged records are found as the record they were merged into (their name is its alias);
        # anonymised records are no one any more (services/merge.py, services/retention.py).
        current = (Person.merged_into_id.is_(None), Person.anonymised_at.is_(None))
        columns = (
            Person.id,
            Person.reference,
            Person.surname,
            Person.forenames,
            Person.date_of_birth,
            Person.barred,
            Person.surname_norm,
            Person.forenames_norm,
            *(getattr(Person, name) for name in _PERSON_FIELDS.values()),
        )

        def keep(people: Iterable[Any]) -> None:
            rows = []
            for person in people:
                blanks = ",".join(
                    name for name, value in zip(_PERSON_FIELDS.values(), person[8:], strict=True) if not value
                )
                rows.append(
                    (
                        person.id,
                        person.reference,
                        person.surname,
                        person.forenames,
                        day(person.date_of_birth),
                        bool(person.barred),
                        blanks,
                        person.surname_norm[:1],
                        person.surname_norm,
                        person.forenames_norm,
                    )
                )
            work.executemany(
                "INSERT OR IGNORE INTO known (id, reference, surname, forenames, dob, barred, blanks, "
                "initial, surname_norm, forenames_norm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._any_known = self._any_known or bool(rows)

        dobs_sql = "SELECT DISTINCT dob FROM groups WHERE dob IS NOT NULL ORDER BY dob"
        for batch in work.batches(dobs_sql, size=_CHUNK):
            dobs = [from_day(d) for (d,) in batch]
            keep(session.execute(select(*columns).where(Person.date_of_birth.in_(dobs), *current)))
        for batch in work.batches(
            "SELECT DISTINCT surname_norm FROM groups WHERE dob IS NOT NULL ORDER BY surname_norm", size=_CHUNK
        ):
            surnames = [s for (s,) in batch]
            wanted = set(
                work.execute(
                    f"SELECT DISTINCT surname_norm, forenames_norm FROM groups WHERE surname_norm "
                    f"IN ({', '.join('?' * len(surnames))}) AND dob IS NOT NULL",
                    surnames,
                )
            )
            keep(
                person
                for person in session.execute(select(*columns).where(Person.surname_norm.in_(surnames), *current))
                if (person.surname_norm, person.forenames_norm) in wanted
            )
        if not self._any_known:
            return
        last = 0
        while ids := [
            i for (i,) in work.execute("SELECT id FROM known WHERE id > ? ORDER BY id LIMIT ?", (last, _CHUNK))
        ]:
            last = ids[-1]
            work.executemany(
                "UPDATE known SET completed = ? WHERE id = ?",
                (
                    (count, person_id)
                    for person_id, count in session.execute(
                        select(Referral.person_id, func.count())
                        .where(Referral.person_id.in_(ids), Referral.outcome == Outcome.COMPLETED.value)
                        .group_by(Referral.person_id)
                    )
                ),
            )
        # A person's own name first (the lowest id first), then aliases: the name of the person with
        # the person's date of birth.
        work.execute(
            "INSERT OR IGNORE INTO known_keys SELECT surname_norm, forenames_norm, dob, id FROM known ORDER BY id"
        )
        for batch in work.batches(dobs_sql, size=_CHUNK):
            dobs = [from_day(d) for (d,) in batch]
            work.executemany(
                "INSERT OR IGNORE INTO known_keys SELECT ?, ?, ?, id FROM known WHERE id = ?",
                (
                    (s, f, day(d), person_id)
                    for s, f, person_id, d in session.execute(
                        select(PersonAlias.surname_norm, PersonAlias.forenames_norm, Person.id, Person.date_of_birth)
                        .join(Person, PersonAlias.person_id == Person.id)
                        .where(Person.date_of_birth.in_(dobs))
                    )
                ),
            )
        session.expunge_all()  # plain values from here on; nothing read is changed through the ORM

    def _existing(self, reference: str) -> tuple[str, Key] | None:
        """(person reference, person key) when the reference is already in the database."""
        if not self._any_existing or not reference:
            return None
        found = self.work.one(
            "SELECT person_ref, surname_norm, forenames_norm, dob FROM existing WHERE reference = ?", (reference,)
        )
        return None if found is None else (found[0], (found[1], found[2], from_day(found[3])))  # type: ignore[return-value]  # stored: never None

    # -- planning -------------------------------------------------------------------------------------
    def plan(self, progress: Progress | None, decided: Decided, orphan: Callable[[AppointmentLine], None]) -> None:
        """Decide every group of the working file in incident order, handing each to ``decided``
        (and each appointment row of no referral in the file to ``orphan``) as soon as it is decided."""
        work = self.work
        self._load()
        for batch in work.batches(
            "SELECT data FROM appointments a WHERE NOT EXISTS "
            "(SELECT 1 FROM groups g WHERE g.reference = a.reference) ORDER BY row"
        ):
            for (data,) in batch:
                line = decode_appointment(data)
                if not line.problems and line.reference and self._existing(line.reference) is None:
                    line.problems.append(
                        Problem("reference", f"no referral {line.reference} in the referrals sheet or in the database")
                    )
                orphan(line)
        self._any_appointments = work.one("SELECT 1 FROM appointments LIMIT 1") is not None
        total = work.scalar("SELECT count(*) FROM groups")
        self.planned = total
        self.steps = total + max(total // 10, 1)  # the writing at the end counts as a tenth more
        step = max(1, total // 200)
        ordered = work.execute("SELECT reference, first_row FROM groups ORDER BY incident, first_row")
        for index, (reference, first_row) in enumerate(ordered, start=1):
            group = self._group(reference, first_row)
            plan = self._plan_group(group)
            decided(group, plan, self._existing(group.reference) if plan is None and not group.refused else None)
            if progress is not None and (index % step == 0 or index == total):
                progress(index, self.steps)

    def _group(self, reference: str | None, first_row: int) -> Group:
        """A referral's rows from the working file, with the problems found in reading them."""
        work = self.work
        if reference is None:  # a row without a usable reference is a referral of its own
            group = Group("", [decode_referral(work.scalar("SELECT data FROM lines WHERE row = ?", (first_row,)))])
        else:
            group = Group(
                reference,
                [
                    decode_referral(data)
                    for (data,) in work.execute("SELECT data FROM lines WHERE reference = ? ORDER BY row", (reference,))
                ],
            )
            if self._any_appointments:
                group.appointments = [
                    decode_appointment(data)
                    for (data,) in work.execute(
                        "SELECT data FROM appointments WHERE reference = ? ORDER BY row", (reference,)
                    )
                ]
        for line in group.lines:
            for problem in line.problems:
                group.refuse(fmt.REFERRALS, line.row, problem)
        for appointment in group.appointments:
            for problem in appointment.problems:
                group.refuse(fmt.APPOINTMENTS, appointment.row, problem)
        if reference is not None:
            check_repeats(group)
        return group

    def _plan_group(self, group: Group) -> _Plan | None:
        key = group.person_key()
        plan = None if group.refused else self._decide(group, key)
        if group.refused and key is not None:
            self.work.execute(
                "INSERT OR IGNORE INTO tainted VALUES (?, ?, ?, ?)", (key[0], key[1], day(key[2]), group.first.row)
            )
            self._any_tainted = True
        return plan

    def _tainted(self, key: Key) -> int | None:
        """The row of a refused earlier referral of this person, if any."""
        if not self._any_tainted:
            return None
        return self.work.scalar(
            "SELECT row FROM tainted WHERE surname_norm = ? AND forenames_norm = ? AND dob = ?",
            (key[0], key[1], day(key[2])),
        )

    def _decide(self, group: Group, key: Key | None) -> _Plan | None:
        line = group.first
        row = line.row
        existing = self._existing(group.reference)
        if existing is not None:
            person_ref, existing_key = existing
            if key is not None and existing_key != key:
                group.refuse(
                    fmt.REFERRALS,
                    row,
                    Problem(
                        "reference",
                        f"{group.reference} is already in the database for another person ({person_ref}); "
                        "references are unique",
                    ),
                )
            return None  # already imported: skipped
        tainted = self._tainted(key) if key is not None else None
        if tainted is not None:
            group.refuse(
                fmt.REFERRALS,
                row,
                Problem(
                    "",
                    f"an earlier referral of this person (referrals row {tainted}) was refused: fix it "
                    "first, so this one is decided with the person's history in order",
                ),
            )
            return None
        scheme = self.ctx.schemes.find(line.area)
        if scheme is None:
            known = ", ".join(f"{s.area} ({s.code})" for s in self.ctx.schemes)
            group.refuse(fmt.REFERRALS, row, Problem("area", f"unknown area '{line.area}' (known: {known})"))
            return None
        draft = self._draft(group, scheme)
        errors = validate(draft, scheme, self.now)
        for name, message in errors.items():
            self._refuse_field(group, name, message)
        self._check_outcome(group)
        if group.refused or key is None:
            return None
        person, matched, attention = self._person(group, key)
        prior = PriorHistory(barred=person.barred, completed_diversions=person.completed)
        result = decide(scheme, draft.facts(prior))
        plan = self._referral(group, scheme, draft, person, matched, result, attention)
        if plan is None or group.refused:
            return None
        # Accepted: the person's history now includes this referral.
        if plan.values["outcome"] == Outcome.COMPLETED.value:
            person.completed += 1
        if plan.bars_at is not None:
            person.barred = True
        for column, name in _PERSON_FIELDS.items():
            value = getattr(line, column)
            if value and (person.new or name in person.blanks):
                person.fields[name] = value
        self._keep_person(person, key)
        self._keep_plan(plan)
        return plan

    def _keep_person(self, person: _PersonPlan, key: Key) -> None:
        """The person as this referral leaves them, for the referrals after it."""
        fields = marshal.dumps(person.fields) if person.fields else None
        if person.seq is not None:
            self.work.execute(
                "UPDATE people SET barred = ?, completed = ?, fields = ? WHERE seq = ?",
                (person.barred, person.completed, fields, person.seq),
            )
            return
        if person.new:
            person.new_index = self.people_created
            self.people_created += 1
        else:
            self.people_matched += 1
        person.seq = self.work.execute(
            "INSERT INTO people (surname_norm, forenames_norm, dob, surname, forenames, first_row, known_id, blanks, "
            "barred, completed, fields, reference, id, initial, new_index) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key[0],
                key[1],
                day(key[2]),
                person.surname,
                person.forenames,
                person.first_row,
                person.known_id,
                ",".join(sorted(person.blanks)),
                person.barred,
                person.completed,
                fields,
                person.reference,
                person.id,
                person.initial,
                person.new_index,
            ),
        ).lastrowid

    def _keep_plan(self, plan: _Plan) -> None:
        self.plan_count += 1
        self.appointments += len(plan.appointments)
        numbered = numbered_series(plan.group.reference)
        if numbered is not None:
            self._highest[numbered[0]] = max(self._highest.get(numbered[0], 0), numbered[1])
        if not self.for_writing:
            return
        values = dict(plan.values)
        del values["scheme_settings"]  # the scheme's, the same for all its referrals: added back when written
        # Pickled by this process into its own private file, and read back only by it.
        data = pickle.dumps((values, plan.substances, plan.appointments, plan.events), pickle.HIGHEST_PROTOCOL)
        self.work.execute(
            "INSERT INTO plans (reference, person_seq, bars_at, data) VALUES (?, ?, ?, ?)",
            (plan.group.reference, plan.person.seq, None if plan.bars_at is None else plan.bars_at.isoformat(), data),
        )

    def _refuse_field(self, group: Group, name: str, message: str) -> None:
        if name.startswith("substances["):
            index = int(name[len("substances[") : -1])
            line = group.lines[min(index, len(group.lines) - 1)]
            column = (
                "unit"
                if message.startswith("Unknown unit")
                else ("substance" if message.startswith("Unknown substance") else "quantity")
            )
            group.refuse(fmt.REFERRALS, line.row, Problem(column, message))
            return
        group.refuse(fmt.REFERRALS, group.first.row, Problem(_FIELD_COLUMNS.get(name, name), message))

    def _check_outcome(self, group: Group) -> None:
        line = group.first
        outcome = line.outcome
        if outcome is None:
            return
        if outcome is Outcome.DECLINED and line.consent:
            group.refuse(
                fmt.REFERRALS,
                line.row,
                Problem("consent", "is yes, but the outcome 'declined' means the person did not agree to take part"),
            )
        if outcome in (Outcome.COMPLETED, Outcome.NOT_ATTENDED) and line.consent is False:
            group.refuse(
                fmt.REFERRALS,
                line.row,
                Problem("consent", f"is no, but the outcome '{outcome.value}' means the person was diverted"),
            )
        if line.outcome_date is not None and line.incident_at is not None:
            if line.outcome_date < line.incident_at.date():
                group.refuse(fmt.REFERRALS, line.row, Problem("outcome_date", "is before the incident"))
            elif line.outcome_date > self.today:
                group.refuse(fmt.REFERRALS, line.row, Problem("outcome_date", "is in the future"))

    def _draft(self, group: Group, scheme: Scheme) -> IntakeDraft:
        line = group.first
        assert line.offence is not None and line.incident_at is not None
        finds = [
            SubstanceFind(_substance_key(scheme, line.substance), line.quantity, line.unit)  # type: ignore[arg-type]  # checked lines: all set
            for line in group.lines
        ]
        return IntakeDraft(
            scheme_code=scheme.code,
            surname=line.surname,
            forenames=line.forenames,
            date_of_birth=line.date_of_birth,
            sex=line.sex,
            ethnicity_self=line.ethnicity,
            postcode=line.postcode,
            guardian_name=line.guardian_name,
            incident_at=line.incident_at,
            crime_reference=line.crime_reference,
            officer_collar_number=line.officer_collar_number,
            offence=line.offence,
            substances=finds,
            suspected_supply=bool(line.suspected_supply),
            consent=bool(line.consent),
        )

    # -- the person -------------------------------------------------------------------------------------
    def _person(self, group: Group, key: Key) -> tuple[_PersonPlan, bool, list[str]]:
        line = group.first
        planned = self._planned_person(key)
        if planned is not None:
            return planned, True, []
        known = self._known_by_key(key)
        if known is not None:
            person = _PersonPlan(
                known.surname,
                known.forenames,
                known.date_of_birth,
                known.id,
                line.row,
                barred=known.barred,
                completed=known.completed,
                reference=known.reference,
                id=known.id,
                blanks=known.blanks,
            )
            return person, True, []
        # a checked line has a date of birth
        person = _PersonPlan(
            line.surname, line.forenames, cast(date, line.date_of_birth), None, line.row, initial=key[0][:1]
        )
        attention = []
        candidates = self._possible_matches(line, key)
        if candidates:
            attention.append("possible matches (a new person was made; check them): " + "; ".join(candidates))
        return person, False, attention

    def _planned_person(self, key: Key) -> _PersonPlan | None:
        """The person of an earlier accepted referral with this key."""
        found = self.work.one(
            f"SELECT {_PERSON_COLUMNS} FROM people WHERE surname_norm = ? AND forenames_norm = ? AND dob = ?",
            (key[0], key[1], day(key[2])),
        )
        return None if found is None else _person_from(found)

    def _known_by_key(self, key: Key) -> _Known | None:
        if not self._any_known:
            return None
        found = self.work.one(
            f"SELECT {_KNOWN_COLUMNS} FROM known_keys kk JOIN known k ON k.id = kk.id "
            "WHERE kk.surname_norm = ? AND kk.forenames_norm = ? AND kk.dob = ?",
            (key[0], key[1], day(key[2])),
        )
        return None if found is None else _known_from(found)

    def _possible_matches(self, line: ReferralLine, key: Key) -> list[str]:
        """People who may be this one (``names.match_score`` > 0), best first: those with the same
        name born another day, and those born the same day. At most ``_COMPARED`` are compared
        (the same name first, then the same surname initial), so a file full of one placeholder
        date of birth stays quick."""
        initial = key[0][:1]
        born = day(key[2])
        # Plain rows (kind, id, surname, forenames, born, reference or first row, barred, initial):
        # a large file compares each new person with a dozen others, read each time.
        known = "SELECT 'known', id, surname, forenames, dob, reference, barred, initial FROM known"
        new = "SELECT 'new', seq, surname, forenames, dob, first_row, 0, initial FROM people"
        same_day_known = self._candidates(
            f"{known} WHERE dob = ? ORDER BY id LIMIT ?", (born, _COMPARED * 4), self._any_known
        )
        same_day_new = self._candidates(
            f"{new} WHERE dob = ? AND known_id IS NULL ORDER BY seq LIMIT ?", (born, _COMPARED * 4)
        )
        # Only the first _COMPARED different people are compared: no more of each list is read.
        candidates = [
            *self._candidates(
                f"{known} WHERE surname_norm = ? AND forenames_norm = ? ORDER BY id LIMIT ?",
                (key[0], key[1], _COMPARED),
                self._any_known,
            ),
            *self._candidates(
                f"{new} WHERE surname_norm = ? AND forenames_norm = ? AND known_id IS NULL ORDER BY seq LIMIT ?",
                (key[0], key[1], _COMPARED),
            ),
        ]
        for group in (same_day_known, same_day_new):
            candidates.extend(c for c in group[: _COMPARED * 4] if c[7] == initial)
        for group in (same_day_known, same_day_new):
            candidates.extend(c for c in group[:_COMPARED] if c[7] != initial)
        scored: list[tuple[int, str]] = []
        seen: set[tuple[str, int]] = set()
        for kind, identity, surname, forenames, their_day, reference_or_row, barred, _initial in candidates:
            # The same person may come from two lists: known people by id, new ones by their row of the working file.
            if (kind, identity) in seen or len(seen) >= _COMPARED:
                continue
            seen.add((kind, identity))
            their_birth = key[2] if their_day == born else from_day(their_day)
            score = match_score(line.surname, line.forenames, line.date_of_birth, surname, forenames, their_birth)
            if score <= 0:
                continue
            described = f"{surname.upper()}, {forenames}, born {their_birth:%d/%m/%Y}"
            if kind == "known":
                described = f"{reference_or_row} {described}" + (" (barred)" if barred else "")
            else:
                described += f" (new in this import, row {reference_or_row})"
            scored.append((score, described))
        scored.sort(key=lambda s: -s[0])
        return [text for _score, text in scored[:5]]

    def _candidates(self, sql: str, parameters: tuple[Any, ...], wanted: bool = True) -> list[tuple[Any, ...]]:
        return self.work.execute(sql, parameters).fetchall() if wanted else []

    # -- the referral ---------------------------------------------------------------------------------
    def _centre(self, scheme: Scheme, typed: str) -> Centre | None:
        """A centre of the scheme by its code or its name, in any case."""
        if scheme.code not in self._centres:
            self._centres[scheme.code] = _centres(scheme)
        return self._centres[scheme.code].get(typed.strip().casefold())

    def _snapshot(self, scheme: Scheme) -> dict:
        if scheme.code not in self._snapshots:
            self._snapshots[scheme.code] = settings_snapshot(scheme)
        return self._snapshots[scheme.code]

    def _referral(
        self,
        group: Group,
        scheme: Scheme,
        draft: IntakeDraft,
        person: _PersonPlan,
        matched: bool,
        result: EligibilityResult,
        attention: list[str],
    ) -> _Plan | None:
        line = group.first
        notes: list[str] = []
        assert draft.incident_at is not None
        referral_date = draft.incident_at.date()  # the pilots' records: taken on the day of the incident
        outcome = line.outcome
        pathway = result.pathway
        reasons = list(result.reasons)
        user = self.ctx.user
        if outcome is None:
            decided = after_decision(scheme, result, referral_date)
        else:
            diverted = outcome in (Outcome.COMPLETED, Outcome.NOT_ATTENDED)
            if diverted != result.eligible:
                recorded = "eligible (diverted)" if diverted else "not eligible"
                today = "eligible" if result.eligible else "not eligible"
                note = (
                    f"recorded as {recorded} with outcome {outcome.value}; under the current rules it would be {today}"
                )
                attention.append(note + ": kept as recorded")
                reasons = [f"Imported history: {note}."] + reasons
            decided = after_decision(scheme, result, referral_date, recorded=outcome, reasons=reasons)
        diverted = decided.deadlines is not None
        first_due, due = decided.deadlines or (None, None)
        youth = pathway is Pathway.YOUTH
        centre = scheme.default_centre(youth) if diverted else None
        values: dict[str, Any] = dict(
            reference=group.reference,
            scheme_code=scheme.code,
            area=scheme.area,
            scheme_kind=scheme.kind.value,
            referral_date=referral_date,
            incident_at=draft.incident_at,
            incident_place="",
            crime_reference=draft.crime_reference,
            officer_name="",
            officer_collar_number=draft.officer_collar_number,
            station="",
            offence=draft.offence.value,
            suspected_supply=draft.suspected_supply,
            consent=draft.consent,
            pathway=pathway.value,
            age_at_incident=result.age,
            decision=(Decision.ELIGIBLE if diverted else Decision.NOT_ELIGIBLE).value,
            reasons=reasons,
            rule_version=result.rule_version,
            settings_hash=result.settings_hash,
            scheme_settings=self._snapshot(scheme),
            decided_by=user,
            override_reason="",
            override_by="",
            override_at=None,
            provider=centre.provider if centre else "",
            centre_code=centre.code if centre else "",
            first_attendance_due=first_due,
            due_date=due,
            created_at=self.now,
            created_by=user,
        )
        appointments = self._appointments(group, scheme, diverted, outcome is None, referral_date, due, pathway)
        if group.refused:
            return None
        attendances = [a for _line, a in appointments]
        # The transition the referral ends with, and when it happened: the day of the outcome the
        # row records, else of the referral (the decision), or the last session (a completion).
        transition = decided
        when = datetime.combine((line.outcome_date if outcome else None) or referral_date, time(0))
        if outcome in (Outcome.COMPLETED, Outcome.NOT_ATTENDED):
            assert line.outcome_date is not None
            transition = after_imported_history(scheme, pathway, outcome, line.outcome_date, attendances)
            step = transition.to.next_step
            assert step is not None
            if outcome is Outcome.COMPLETED:
                notes.append(f"history: completed ({line.outcome_date:%d/%m/%Y}); no further action")
            else:
                notes.append(
                    f"history: not attended ({line.outcome_date:%d/%m/%Y}); next step {step.label.lower()}"
                    + ("; the person is barred from further diversion" if step.bars_person else "")
                )
        elif diverted:
            assert due is not None
            transition = after_attendance(scheme, pathway, decided.to, attendances, due, self.today)
            if transition.to.status is Status.COMPLETED:
                # Completed as the last session was attended.
                when = max(
                    a.appointment_at
                    for a, att in appointments
                    if att is Attendance.ATTENDED and a.appointment_at is not None
                )
        values.update(referral_values(transition, user, when))
        bars_at = when if transition.bars_person else None
        events = [(e.kind, e.text) for e in (imported_event(self.file_name, line.row), *decided.events)]
        if transition is not decided:
            events.extend((e.kind, e.text) for e in transition.events)
        substances = [dict(substance=f.substance, quantity=f.quantity, unit=f.unit) for f in draft.substances]
        appointment_rows = [
            # An empty centre is kept as not recorded (NULL): counted by the rules, never printed.
            dict(
                scheduled_at=a.appointment_at,
                centre_code=self._centre(scheme, a.centre).code if a.centre else None,  # type: ignore[union-attr]  # a checked centre
                session_type=a.session_type.value,  # type: ignore[union-attr]  # checked: set
                worker="",
                attendance=att.value if att else None,
                rebook_reason="",
                recorded_by=user if att else "",
                recorded_at=self.now if att else None,
                created_at=self.now,
            )
            for a, att in appointments
        ]
        if person.barred and outcome is None:
            notes.append("the person is barred by an earlier diversion")
        return _Plan(group, person, matched, values, substances, appointment_rows, events, bars_at, notes, attention)

    def _appointments(
        self,
        group: Group,
        scheme: Scheme,
        diverted: bool,
        open_: bool,
        referral_date: date,
        due: date | None,
        pathway: Pathway,
    ) -> list[tuple[AppointmentLine, Attendance | None]]:
        """The referral's appointments in time order, checked as booking and recording would."""
        ordered = sorted(group.appointments, key=lambda a: (a.appointment_at, a.row))
        taken: list[tuple[AppointmentLine, Attendance | None]] = []
        for appointment in ordered:
            assert appointment.appointment_at is not None
            when = appointment.appointment_at
            problem: Problem | None = None
            if not diverted:
                problem = Problem(
                    "reference",
                    f"{group.reference} was not diverted (not eligible or declined): it can have no appointments",
                )
            elif not appointment.centre and open_ and appointment.attendance is None:
                problem = Problem(
                    "centre",
                    "is empty: give the centre's code or name. Only a past appointment's "
                    "centre may be left empty (not recorded); a booked one's letter names "
                    "the place",
                )
            elif appointment.centre and self._centre(scheme, appointment.centre) is None:
                centres = ", ".join(c.code for c in scheme.centres())
                problem = Problem(
                    "centre", f"'{appointment.centre}' is not a centre of the {scheme.area} scheme (centres: {centres})"
                )
            elif when.date() < referral_date:
                problem = Problem("appointment_at", "is before the incident")
            elif (
                appointment.attendance is not None
                and appointment.attendance is not Attendance.CANCELLED
                and when.date() > self.today
            ):
                problem = Problem("attendance", "is recorded for an appointment in the future")
            elif open_:
                attendances = [a for _l, a in taken]
                state = assess(scheme, pathway, attendances, due, when.date())  # type: ignore[arg-type]  # open: due is set
                if due is not None and when.date() > due:
                    problem = Problem("appointment_at", f"is after the deadline ({due:%d/%m/%Y})")
                elif state.status not in BOOKABLE_STATUSES:
                    problem = Problem(
                        "appointment_at",
                        f"comes after the referral was already {state.status.label.lower()} ({state.explanation})",
                    )
                elif appointment.attendance is Attendance.REBOOKED and not can_rebook(scheme, attendances):
                    problem = Problem(
                        "attendance",
                        f"no rebookings left ({scheme.rebookings_allowed} allowed): record it as not attended instead",
                    )
            if problem is not None:
                group.refuse(fmt.APPOINTMENTS, appointment.row, problem)
                continue
            taken.append((appointment, appointment.attendance))
        return taken

    # -- references for the report without writing -----------------------------------------------
    def preview_references(self, session: Session) -> None:
        """Give new people the references they would get (a dry run, or nothing written)."""
        self._preview_start = last_number(session, PERSON_SERIES)

    def person_reference(self, reference: str | None, new_index: int | None) -> str:
        """A person's reference for the report: the one written, or the one it would be."""
        if reference:
            return reference
        if new_index is not None and self._preview_start is not None:
            return format_person_reference(self._preview_start + new_index + 1)
        return ""

    # -- writing ------------------------------------------------------------------------------------
    def reserve(self, session: Session) -> None:
        """The numbered references the file brings are never handed out by the counters, from
        before the first referral is written: an intake saved during the import cannot take one."""
        for series, number in sorted(self._highest.items()):
            reserve_up_to(session, series, number)

    def chunks(self, size: int) -> Iterator[list[_Stored]]:
        """The plans to write, in incident order, ``size`` at a time."""
        last = 0
        while found := self.work.execute(
            "SELECT seq, reference, person_seq, bars_at IS NOT NULL, data FROM plans "
            "WHERE seq > ? ORDER BY seq LIMIT ?",
            (last, size),
        ).fetchall():
            last = found[-1][0]
            yield [
                _Stored(seq, reference, person_seq, *pickle.loads(data), bars=bool(bars))  # type: ignore[misc]  # the pickled fields end before bars
                for seq, reference, person_seq, bars, data in found
            ]

    def references(self) -> Iterator[str]:
        """The references of the plans, in incident order."""
        for batch in self.work.batches("SELECT reference FROM plans ORDER BY seq"):
            yield from (reference for (reference,) in batch)

    def write_chunk(self, session: Session, plans: Sequence[_Stored]) -> tuple[list[int], list[int]]:
        """Write these plans and the new people they need (not yet written), with Core bulk
        inserts (one executemany per table); ids are read back by the unique references, which
        works the same on SQLite and PostgreSQL. Returns (referral ids, new person ids)."""
        work = self.work
        wanted = sorted({plan.person_seq for plan in plans})
        people = {
            p.seq: p
            for p in map(
                _person_from,
                work.execute(
                    f"SELECT {_PERSON_COLUMNS} FROM people WHERE seq IN ({', '.join('?' * len(wanted))})", wanted
                ),
            )
        }
        new_people = list(
            {
                plan.person_seq: people[plan.person_seq]
                for plan in plans
                if people[plan.person_seq].new and people[plan.person_seq].id is None
            }.values()
        )
        for person, reference in zip(new_people, person_references(session, len(new_people)), strict=True):
            person.reference = reference
        if new_people:
            session.execute(insert(Person.__table__), [_person_row(p, self.now) for p in new_people])  # type: ignore[arg-type]  # a declarative model's __table__ is a Table
            ids = _ids_by_reference(session, Person, [p.reference for p in new_people])
            for person in new_people:
                person.id = ids[person.reference]
            work.executemany(
                "UPDATE people SET reference = ?, id = ? WHERE seq = ?",
                ((p.reference, p.id, p.seq) for p in new_people),
            )
            keys = [{"person_id": p.id, "key": key} for p in new_people for key in surname_part_keys(p.surname)]
            if keys:  # found by every part of a double surname, as people saved on the form are
                session.execute(insert(PersonNameKey.__table__), keys)  # type: ignore[arg-type]  # as above
        referral_rows = [
            {
                **plan.values,
                "scheme_settings": self._snapshots[plan.values["scheme_code"]],
                "person_id": people[plan.person_seq].id,
            }
            for plan in plans
        ]
        session.execute(insert(Referral.__table__), referral_rows)  # type: ignore[arg-type]  # as above
        ids = _ids_by_reference(session, Referral, [plan.reference for plan in plans])
        substances: list[dict[str, Any]] = []
        appointments: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for plan in plans:
            referral_id = ids[plan.reference]
            substances.extend({**s, "referral_id": referral_id} for s in plan.substances)
            appointments.extend({**a, "referral_id": referral_id} for a in plan.appointments)
            events.extend(
                dict(referral_id=referral_id, at=self.now, kind=kind, text=text, actor=self.ctx.user)
                for kind, text in plan.events
            )
        for model, rows in ((ReferralSubstance, substances), (Appointment, appointments), (TimelineEvent, events)):
            if rows:
                session.execute(insert(model.__table__), rows)  # type: ignore[arg-type]  # as above
        work.executemany(
            "UPDATE plans SET referral_id = ? WHERE seq = ?",
            ((ids[plan.reference], plan.seq) for plan in plans if plan.bars),
        )
        session.flush()
        return [ids[plan.reference] for plan in plans], [p.id for p in new_people if p.id is not None]

    def finish(self, session: Session) -> None:
        """After every plan is written: fill the blanks of people already in the database, and bar
        people as their not-attended histories say."""
        self._fill_blanks(session)
        self._bar(session)
        session.flush()

    def _fill_blanks(self, session: Session) -> None:
        """People already in the database: fields they lack are filled, none is overwritten (if
        the file names one person two ways, by a name and an alias, the later one's fields)."""
        changes: dict[int, dict[str, str]] = {}
        for batch in self.work.batches(
            "SELECT known_id, fields FROM people WHERE known_id IS NOT NULL "
            "AND fields IS NOT NULL ORDER BY known_id, seq"
        ):
            for person_id, fields in batch:
                if len(changes) >= _CHUNK and person_id not in changes:  # each person's rows come together
                    self._fill(session, changes)
                    changes = {}
                changes[person_id] = marshal.loads(fields)
        self._fill(session, changes)

    @staticmethod
    def _fill(session: Session, changes: dict[int, dict[str, str]]) -> None:
        for chunk in _chunks(sorted(changes)):
            for person in session.scalars(select(Person).where(Person.id.in_(chunk))):
                for name, value in changes[person.id].items():
                    if not getattr(person, name):
                        setattr(person, name, value)
        session.flush()
        session.expunge_all()  # written: no need to hold them

    def _bar(self, session: Session) -> None:
        """A not-attended history bars the person exactly as a confirmed next step does."""
        # In incident order: the first not-attended diversion is the one that bars.
        for batch in self.work.batches(
            "SELECT p.id, pl.referral_id, pl.bars_at FROM plans pl JOIN people p "
            "ON p.seq = pl.person_seq WHERE pl.bars_at IS NOT NULL ORDER BY pl.seq"
        ):
            ids = sorted({person_id for person_id, _referral, _at in batch})
            people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
            for person_id, referral_id, bars_at in batch:
                bar_person(people[person_id], referral_id, datetime.fromisoformat(bars_at))
            session.flush()
            session.expunge_all()


_KNOWN_COLUMNS = "k.id, k.reference, k.surname, k.forenames, k.dob, k.barred, k.completed, k.blanks, k.initial"


def _known_from(found: Sequence[Any]) -> _Known:
    person_id, reference, surname, forenames, born, barred, completed, blanks, initial = found
    return _Known(
        person_id,
        reference,
        surname,
        forenames,
        cast(date, from_day(born)),
        bool(barred),
        completed,
        frozenset(blanks.split(",")) if blanks else frozenset(),
        initial,
    )


def _person_from(found: Sequence[Any]) -> _PersonPlan:
    (
        seq,
        surname,
        forenames,
        born,
        known_id,
        first_row,
        barred,
        completed,
        reference,
        fields,
        person_id,
        initial,
        blanks,
        new_index,
    ) = found
    return _PersonPlan(
        surname,
        forenames,
        cast(date, from_day(born)),
        known_id,
        first_row,
        barred=bool(barred),
        completed=completed,
        reference=reference or "",
        fields=marshal.loads(fields) if fields else {},
        id=person_id,
        initial=initial,
        blanks=frozenset(blanks.split(",")) if blanks else frozenset(),
        seq=seq,
        new_index=new_index,
    )


def _person_row(person: _PersonPlan, now: datetime) -> dict[str, Any]:
    fields = person.fields
    return dict(
        reference=person.reference,
        surname=person.surname,
        forenames=person.forenames,
        surname_norm=normalise(person.surname),
        forenames_norm=normalise(person.forenames),
        date_of_birth=person.date_of_birth,
        **{name: fields.get(name, "") for name in PERSON_DETAILS},
        barred=False,
        barred_at=None,
        barred_by_referral_id=None,
        created_at=now,
    )


def _ids_by_reference(session: Session, model: type[Person] | type[Referral], references: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(references):
        found.update(
            (ref, id_)
            for ref, id_ in session.execute(select(model.reference, model.id).where(model.reference.in_(chunk)))
        )
    return found


def _substance_key(scheme: Scheme, typed: str) -> str:
    """The scheme's substance key for what was typed: the key itself or its label, in any case."""
    key = code_key(typed)
    if key in scheme.limits:
        return key
    for substance, limit in scheme.limits.items():
        if limit.label.casefold() == typed.strip().casefold():
            return substance
    return typed.strip()


def _centres(scheme: Scheme) -> dict[str, Centre]:
    """A scheme's centres by code and by name, in lower case."""
    centres: dict[str, Centre] = {}
    for centre in scheme.centres():
        centres.setdefault(centre.name.casefold(), centre)
        centres[centre.code.casefold()] = centre
    return centres


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
