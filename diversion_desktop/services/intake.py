"""Taking a referral: validate, find or create the person, decide, save."""

from __future__ import annotations

from sqlalchemy.orm import Session

from diversion_desktop.domain.eligibility import EligibilityResult, PriorHistory, Rule, decide
from diversion_desktop.domain.fields import PERSON_DETAILS, PERSON_FIELDS
from diversion_desktop.domain.intake import IntakeDraft, validate
from diversion_desktop.domain.lifecycle import after_decision
from diversion_desktop.domain.names import normalise
from diversion_desktop.domain.permissions import Permission
from diversion_desktop.domain.schemes import Scheme
from diversion_desktop.services.audit import changes_between, created, log
from diversion_desktop.services.concurrency import lock, stale_message
from diversion_desktop.services.context import AppContext
from diversion_desktop.services.dto import SavedReferral
from diversion_desktop.services.errors import NotFound, StaleRecord, ValidationError
from diversion_desktop.services.lifecycle import apply_transition
from diversion_desktop.services.people import prior_history, write_name_keys
from diversion_desktop.services.references import person_reference, referral_reference
from diversion_desktop.store.models import Person, Referral, ReferralSubstance

# Failures a supervisor cannot override: no consent means no diversion, and
# under 10 there is no offence.
NOT_OVERRIDABLE = frozenset({Rule.CONSENT, Rule.AGE})

_PERSON_FIELDS = PERSON_DETAILS  # copied from the form to the record (domain/fields.py)


class IntakeService:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def scheme_for(self, draft: IntakeDraft) -> Scheme | None:
        """The scheme the draft names (configuration only: no permission needed)."""
        return self.ctx.schemes.find(draft.scheme_code) if draft.scheme_code else None

    def check(self, draft: IntakeDraft, prior: PriorHistory) -> tuple[dict[str, str], EligibilityResult | None]:
        """Field errors and, where the facts are complete, the live decision (no database)."""
        self.ctx.require(Permission.TAKE_REFERRAL)
        scheme = self.scheme_for(draft)
        errors = validate(draft, scheme, self.ctx.now())
        # No decision while a fact it rests on is unusable (a quantity of 0 is not "within the limit").
        blocking = {"scheme_code", "date_of_birth", "incident_at"} & errors.keys() or [
            key for key in errors if key.startswith("substances[")
        ]
        if scheme is None or blocking or draft.date_of_birth is None or draft.incident_at is None:
            return errors, None
        return errors, decide(scheme, draft.facts(prior))

    def prior(self, person_id: int | None) -> PriorHistory:
        self.ctx.require(Permission.TAKE_REFERRAL)
        if person_id is None:
            return PriorHistory()
        with self.ctx.reading() as session:
            return prior_history(session, person_id)

    def save(self, draft: IntakeDraft) -> SavedReferral:
        """Save the referral with its decision; all or nothing, audited in the same transaction."""
        self.ctx.require(Permission.TAKE_REFERRAL)
        if draft.override_reason.strip():
            self.ctx.require(Permission.OVERRIDE_ELIGIBILITY)
        scheme = self.scheme_for(draft)
        errors = validate(draft, scheme, self.ctx.now())
        if errors:
            raise ValidationError(errors)
        assert scheme is not None and draft.incident_at is not None
        with self.ctx.unit_of_work() as session:
            chosen = lock(session, Person, draft.person_id) if draft.person_id is not None else None
            read_version = chosen.version if chosen is not None else None
            before = _person_values(chosen)
            person = self._person(session, draft)
            after = _person_values(person)
            if before and before != after and draft.person_version not in (None, read_version):
                # The form would write its (older) copy of the person over someone else's change.
                raise StaleRecord(stale_message(session, person))
            if before != after:
                log(
                    session,
                    self.ctx,
                    "person_updated" if before else "person_created",
                    entity="person",
                    record_id=person.id,
                    reference=person.reference,
                    person_id=person.id,
                    changes=changes_between(before, after) if before else created(after),
                )
            result = decide(scheme, draft.facts(prior_history(session, person.id)))
            override = draft.override_reason.strip()
            if override:
                self._check_override(result)
            referral = self._referral(session, scheme, draft, person, result, override)
            log(
                session,
                self.ctx,
                "referral_created",
                entity="referral",
                record_id=referral.id,
                reference=referral.reference,
                person_id=person.id,
                changes=created({name: getattr(referral, name) for name in _AUDITED_REFERRAL_FIELDS}),
                detail="eligibility overridden" if override else "",
            )
            return saved(referral, person)

    @staticmethod
    def _check_override(result: EligibilityResult) -> None:
        if result.eligible:
            raise ValidationError({"override_reason": "The referral is eligible: there is nothing to override."})
        blocked = [c for c in result.failures if c.rule in NOT_OVERRIDABLE]
        if blocked:
            raise ValidationError({"override_reason": "This cannot be overridden: " + blocked[0].reason})

    def _person(self, session: Session, draft: IntakeDraft) -> Person:
        now = self.ctx.now()
        if draft.person_id is not None:
            person = session.get(Person, draft.person_id)
            if person is None:
                raise NotFound(f"The chosen person (id {draft.person_id}) no longer exists.")
        else:
            person = Person(
                reference=person_reference(session),
                created_at=now,
                date_of_birth=draft.date_of_birth,
                surname="",
                forenames="",
                surname_norm="",
                forenames_norm="",
            )
            session.add(person)
        person.surname = draft.surname.strip()
        person.forenames = draft.forenames.strip()
        person.surname_norm = normalise(person.surname)
        person.forenames_norm = normalise(person.forenames)
        person.date_of_birth = draft.date_of_birth  # type: ignore[assignment]  # a valid draft has one
        for name in _PERSON_FIELDS:
            value = str(getattr(draft, name)).strip()
            if value or draft.person_id is None:
                setattr(person, name, value)
        session.flush()
        write_name_keys(session, person.id, person.surname)
        return person

    def _referral(
        self,
        session: Session,
        scheme: Scheme,
        draft: IntakeDraft,
        person: Person,
        result: EligibilityResult,
        override: str,
    ) -> Referral:
        assert draft.incident_at is not None
        now = self.ctx.now()
        referral_date = now.date()  # the day the referral is taken
        transition = after_decision(scheme, result, referral_date, override=override)
        diverted = transition.deadlines is not None
        youth = result.pathway.value == "youth"
        centre = scheme.default_centre(youth) if diverted else None
        referral = Referral(
            reference=referral_reference(session, scheme.reference_prefix, referral_date.year),
            person_id=person.id,
            scheme_code=scheme.code,
            area=scheme.area,
            scheme_kind=scheme.kind.value,
            referral_date=referral_date,
            incident_at=draft.incident_at,
            incident_place=draft.incident_place.strip(),
            crime_reference=draft.crime_reference.strip(),
            officer_name=draft.officer_name.strip(),
            officer_collar_number=draft.officer_collar_number.strip(),
            station=draft.station.strip(),
            officer_notes=draft.officer_notes.strip(),
            offence=draft.offence.value,
            suspected_supply=draft.suspected_supply,
            consent=draft.consent,
            pathway=result.pathway.value,
            age_at_incident=result.age,
            decision=result.decision.value,
            reasons=list(result.reasons),
            rule_version=result.rule_version,
            settings_hash=result.settings_hash,
            scheme_settings=_snapshot(scheme),
            decided_by=self.ctx.user,
            override_reason=override,
            override_by=self.ctx.user if override else "",
            override_at=now if override else None,
            provider=centre.provider if centre else "",
            centre_code=centre.code if centre else "",
            created_at=now,
            created_by=self.ctx.user,
        )
        referral.substances = [
            ReferralSubstance(substance=s.substance, quantity=s.quantity, unit=s.unit) for s in draft.substances
        ]
        # An outcome at intake (not eligible, declined) is dated the day the referral is taken.
        apply_transition(session, referral, transition, self.ctx.user, now)
        return referral


_AUDITED_PERSON_FIELDS = tuple(f.name for f in PERSON_FIELDS if f.audited)
_AUDITED_REFERRAL_FIELDS = (
    "scheme_code",
    "referral_date",
    "incident_at",
    "incident_place",
    "crime_reference",
    "officer_name",
    "officer_collar_number",
    "station",
    "officer_notes",
    "offence",
    "suspected_supply",
    "consent",
    "pathway",
    "age_at_incident",
    "decision",
    "reasons",
    "rule_version",
    "override_reason",
    "centre_code",
    "first_attendance_due",
    "due_date",
    "status",
    "outcome",
)


def _person_values(person: Person | None) -> dict[str, object]:
    if person is None:
        return {}
    return {name: getattr(person, name) for name in _AUDITED_PERSON_FIELDS}


def _snapshot(scheme: Scheme) -> dict:
    """The settings the decision was made under, as stored with the referral."""
    return {"source": scheme.source, "hash": scheme.settings_hash, "settings": _jsonable(scheme.raw)}


# The same snapshot for other ways in (the import stores it with every imported decision).
settings_snapshot = _snapshot


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def saved(referral: Referral, person: Person) -> SavedReferral:
    return SavedReferral(
        id=referral.id,
        reference=referral.reference,
        person_id=person.id,
        person_reference=person.reference,
        decision=referral.decision,
        overridden=bool(referral.override_reason),
        reasons=tuple(referral.reasons),
        status=referral.status,
        pathway=referral.pathway,
        first_attendance_due=referral.first_attendance_due,
        due_date=referral.due_date,
        centre_code=referral.centre_code,
    )
