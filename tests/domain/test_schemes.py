"""Scheme files: parsed strictly, every problem naming the file, the key and what is wrong."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from diversion_desktop.domain.age import Pathway
from diversion_desktop.domain.eligibility import IntakeFacts, Offence, SubstanceFind, decide
from diversion_desktop.domain.next_step import NextStep, next_step_for_non_attendance
from diversion_desktop.domain.permissions import Principal, Role
from diversion_desktop.domain.scheme_registry import SchemeRegistry
from diversion_desktop.domain.schemes import SchemeConfigError, SchemeKind, parse_scheme, settings_fingerprint

SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "schemes"
WB_TEXT = (SHIPPED / "west-berkshire.toml").read_text(encoding="utf-8")
WM_TEXT = (SHIPPED / "windsor-and-maidenhead.toml").read_text(encoding="utf-8")

THIRD_AREA = (
    WM_TEXT.replace('code = "windsor-and-maidenhead"', 'code = "reading"')
    .replace('area = "Windsor and Maidenhead"', 'area = "Reading"')
    .replace('reference_prefix = "WM"', 'reference_prefix = "RDG"')
    .replace('kind = "deferred_prosecution"', 'kind = "voluntary_attendance"')
    .replace('code = "maidenhead"', 'code = "reading-central"')
    .replace('code = "windsor"', 'code = "reading-west"')
    .replace("completed_diversions_allowed = 0", "completed_diversions_allowed = 1")
)


def edited(text: str, old: str, new: str) -> str:
    assert old in text, f"test set-up: {old!r} not in the scheme file"
    return text.replace(old, new, 1)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the shipped schemes --------------------------------------------------------------
def test_shipped_schemes_load(registry) -> None:
    assert len(registry) == 2
    assert registry.codes() == ["west-berkshire", "windsor-and-maidenhead"]
    wb, wm = registry.get("west-berkshire"), registry.get("windsor-and-maidenhead")
    assert wb.kind is SchemeKind.VOLUNTARY_ATTENDANCE
    assert wm.kind is SchemeKind.DEFERRED_PROSECUTION
    assert wb.example_values and wm.example_values  # example values are marked as such
    assert (wb.reference_prefix, wm.reference_prefix) == ("WB", "WM")
    assert wb.limits["cocaine"].max_quantity == Decimal(1) and wb.limits["cocaine"].unit == "g"
    assert wb.source.endswith("west-berkshire.toml")


def test_youth_provider_and_centres(west_berks, windsor) -> None:
    assert west_berks.default_centre(youth=True).code == "newbury-youth"
    assert west_berks.default_centre(youth=True).youth
    assert west_berks.provider_for(youth=True).name == "West Berkshire Youth Service"
    assert west_berks.default_centre(youth=False).code == "newbury"
    # No youth provider: young people are seen by the main provider.
    assert windsor.youth_provider is None
    assert windsor.default_centre(youth=True).code == "maidenhead"
    assert [c.code for c in west_berks.centres()] == ["newbury", "thatcham", "newbury-youth"]
    assert west_berks.centre("thatcham").provider == "Cranstoun"
    assert west_berks.centre("maidenhead") is None


def test_find_by_code_or_area(registry) -> None:
    assert registry.find("west-berkshire").code == "west-berkshire"
    assert registry.find("  west berkshire ").code == "west-berkshire"
    assert registry.find("WINDSOR AND MAIDENHEAD").code == "windsor-and-maidenhead"
    assert registry.find("Nowhere") is None
    with pytest.raises(KeyError, match="unknown scheme 'nowhere'"):
        registry.get("nowhere")
    assert len(registry.all_centres()) == 5


def test_settings_fingerprint_follows_the_settings(scheme_data) -> None:
    data = scheme_data()
    same = scheme_data()
    assert settings_fingerprint(data) == settings_fingerprint(same)
    same["limits"]["cannabis"]["max"] = 11
    assert settings_fingerprint(data) != settings_fingerprint(same)
    assert parse_scheme(data, "a.toml").settings_hash == settings_fingerprint(data)


# -- areas are configuration -----------------------------------------------------------
def test_a_third_area_added_as_a_file_is_loaded(tmp_path: Path) -> None:
    shutil.copy(SHIPPED / "west-berkshire.toml", tmp_path)
    shutil.copy(SHIPPED / "windsor-and-maidenhead.toml", tmp_path)
    write(tmp_path, "reading.toml", THIRD_AREA)
    registry = SchemeRegistry.load(tmp_path)
    assert len(registry) == 3
    reading = registry.find("Reading")
    assert reading is not None and reading.code == "reading"
    assert reading.kind is SchemeKind.VOLUNTARY_ATTENDANCE
    assert reading.completed_diversions_allowed == 1
    assert [s.area for s in registry] == ["Reading", "West Berkshire", "Windsor and Maidenhead"]
    assert registry.get("reading").default_centre(youth=False).code == "reading-central"


@pytest.mark.parametrize(
    ("kind", "adult_step"),
    [
        ("voluntary_attendance", NextStep.FUTURE_DIVERSION_BARRED),
        ("deferred_prosecution", NextStep.REPORT_FOR_PROSECUTION),
    ],
)
def test_moving_an_area_to_the_other_kind_is_a_setting(scheme_data, kind: str, adult_step: NextStep) -> None:
    data = scheme_data()
    data["kind"] = kind
    scheme = parse_scheme(data, "west-berkshire.toml")
    assert next_step_for_non_attendance(scheme.kind, Pathway.ADULT) is adult_step
    assert next_step_for_non_attendance(scheme.kind, Pathway.YOUTH) is NextStep.FUTURE_DIVERSION_BARRED


def test_limits_are_per_scheme_setting(scheme_data) -> None:
    data = scheme_data()
    data["limits"]["cannabis"]["max"] = 2
    strict = parse_scheme(data, "strict.toml")
    facts = IntakeFacts(
        incident_date=date(2026, 3, 1),
        date_of_birth=date(1990, 1, 1),
        offence=Offence.POSSESSION,
        substances=(SubstanceFind("cannabis", Decimal(3), "g"),),
        suspected_supply=False,
        consent=True,
    )
    assert not decide(strict, facts).eligible
    data["limits"]["cannabis"]["max"] = "3.5"  # a decimal written as text is read exactly
    assert decide(parse_scheme(data, "lenient.toml"), facts).eligible


# -- broken files ---------------------------------------------------------------------
BROKEN_FILES = [
    # (id, old text, new text, key, problem words)
    ("kind-unknown", 'kind = "voluntary_attendance"', 'kind = "caution"', "kind", "must be one of"),
    ("kind-not-text", 'kind = "voluntary_attendance"', "kind = 3", "kind", "must be non-empty text"),
    ("kind-empty", 'kind = "voluntary_attendance"', 'kind = ""', "kind", "must be non-empty text"),
    ("missing-key", "days_to_complete = 56\n", "", "days_to_complete", "is missing"),
    ("missing-area", 'area = "West Berkshire"\n', "", "area", "is missing"),
    (
        "negative-rebookings",
        "rebookings_allowed = 1",
        "rebookings_allowed = -1",
        "rebookings_allowed",
        "must be between 0 and 20, got -1",
    ),
    (
        "negative-completed",
        "completed_diversions_allowed = 0",
        "completed_diversions_allowed = -2",
        "completed_diversions_allowed",
        "must be between 0 and 20",
    ),
    (
        "zero-sessions",
        "sessions_for_completion = 2",
        "sessions_for_completion = 0",
        "sessions_for_completion",
        "must be between 1 and 52",
    ),
    (
        "negative-days",
        "days_to_first_attendance = 21",
        "days_to_first_attendance = -21",
        "days_to_first_attendance",
        "must be between 1 and 365",
    ),
    (
        "days-as-text",
        "days_to_first_attendance = 21",
        'days_to_first_attendance = "21"',
        "days_to_first_attendance",
        "must be a whole number",
    ),
    (
        "days-as-float",
        "days_to_first_attendance = 21",
        "days_to_first_attendance = 21.5",
        "days_to_first_attendance",
        "must be a whole number",
    ),
    (
        "days-as-bool",
        "days_to_first_attendance = 21",
        "days_to_first_attendance = true",
        "days_to_first_attendance",
        "must be a whole number",
    ),
    (
        "deadline-order",
        "days_to_complete = 56",
        "days_to_complete = 7",
        "days_to_complete",
        "must not be shorter than days_to_first_attendance",
    ),
    (
        "negative-hours",
        "officer_hours_per_custody = 5.5",
        "officer_hours_per_custody = -1",
        "officer_hours_per_custody",
        "must be between 0 and 100",
    ),
    (
        "retention-too-short",
        "retention_months = 72",
        "retention_months = 6",
        "retention_months",
        "must be between 12 and 1200, got 6",
    ),
    (
        "retention-as-text",
        "retention_months = 72",
        'retention_months = "72"',
        "retention_months",
        "must be a whole number",
    ),
    ("negative-limit", "max = 10", "max = -10", "limits.cannabis.max", "must be between 0 and 100000"),
    ("limit-not-number", "max = 10", 'max = "ten"', "limits.cannabis.max", "must be a number"),
    ("limit-unit", 'unit = "g"', 'unit = "kg"', "limits.cannabis.unit", "must be one of g, mg, tablets, ml"),
    ("limit-label-missing", 'label = "Cannabis (herbal)"\n', "", "limits.cannabis.label", "is missing"),
    ("example-values", "example_values = true", 'example_values = "yes"', "example_values", "must be true or false"),
    ("bad-code", 'code = "west-berkshire"', 'code = "West Berkshire"', "code", "must be lower-case"),
    (
        "bad-prefix",
        'reference_prefix = "WB"',
        'reference_prefix = "wb1"',
        "reference_prefix",
        "must be 1 to 4 capital letters",
    ),
    ("centre-code-repeated", 'code = "thatcham"', 'code = "newbury"', "provider.centres", "repeated: newbury"),
    ("centre-phone-missing", 'phone = "01635 000 011"\n', "", "youth_provider.centres[0].phone", "is missing"),
    (
        "centre-address-text",
        'address = ["3 Sample Road", "Thatcham", "RG19 3AA"]',
        'address = "Thatcham"',
        "provider.centres[1].address",
        "must be a list of text lines",
    ),
    (
        "police-not-table",
        '[police]\nname = "Thames Valley Police – West Berkshire Drugs Diversion"\n',
        'police = "TVP"\n[police_old]\nname = "x"\n',
        "police",
        "must be a table",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "key", "problem"), [b[1:] for b in BROKEN_FILES], ids=[b[0] for b in BROKEN_FILES]
)
def test_broken_scheme_file_names_file_key_and_problem(
    tmp_path: Path, old: str, new: str, key: str, problem: str
) -> None:
    write(tmp_path, "windsor-and-maidenhead.toml", WM_TEXT)
    path = write(tmp_path, "west-berkshire.toml", edited(WB_TEXT, old, new))
    with pytest.raises(SchemeConfigError) as caught:
        SchemeRegistry.load(tmp_path)
    error = caught.value
    message = str(error)
    assert str(path) in message
    assert f"key '{key}'" in message
    assert problem in message
    assert (error.source, error.key) == (str(path), key)


def test_bad_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "west-berkshire.toml", WB_TEXT + "\nthis is = = not toml\n")
    with pytest.raises(SchemeConfigError) as caught:
        SchemeRegistry.load(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert "(file)" in message
    assert "is not valid TOML" in message
    assert "line" in message  # the parser's position is passed on


@pytest.mark.parametrize(
    ("attribute", "changes"),
    [
        ("code", {}),  # the same file twice under two names
        (
            "area",
            {'code = "west-berkshire"': 'code = "west-berks-2"', 'reference_prefix = "WB"': 'reference_prefix = "WBX"'},
        ),
        (
            "reference_prefix",
            {'code = "west-berkshire"': 'code = "newbury-area"', 'area = "West Berkshire"': 'area = "Newbury"'},
        ),
    ],
)
def test_duplicates_across_files(tmp_path: Path, attribute: str, changes: dict[str, str]) -> None:
    first = write(tmp_path, "a-west-berkshire.toml", WB_TEXT)
    text = WB_TEXT
    for old, new in changes.items():
        text = edited(text, old, new)
    second = write(tmp_path, "b-copy.toml", text)
    with pytest.raises(SchemeConfigError) as caught:
        SchemeRegistry.load(tmp_path)
    message = str(caught.value)
    assert str(second) in message
    assert f"key '{attribute}'" in message
    assert f"is already used by {first}" in message


def test_duplicate_code_differing_only_in_case_of_area(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", WB_TEXT)
    write(
        tmp_path,
        "b.toml",
        edited(
            edited(
                edited(WB_TEXT, 'code = "west-berkshire"', 'code = "wb2"'),
                'reference_prefix = "WB"',
                'reference_prefix = "WBB"',
            ),
            'area = "West Berkshire"',
            'area = "WEST BERKSHIRE"',
        ),
    )
    with pytest.raises(SchemeConfigError, match="key 'area'"):
        SchemeRegistry.load(tmp_path)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(SchemeConfigError) as caught:
        SchemeRegistry.load(tmp_path)
    assert str(tmp_path) in str(caught.value)
    assert "no scheme files found" in str(caught.value)


def test_other_files_in_the_folder_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, "west-berkshire.toml", WB_TEXT)
    write(tmp_path, "README.txt", "not a scheme")
    write(tmp_path, "west-berkshire.toml.bak", "broken = = =")
    assert SchemeRegistry.load(tmp_path).codes() == ["west-berkshire"]


# -- parse_scheme on mappings ---------------------------------------------------------
def _without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    target = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return data


@pytest.mark.parametrize(
    ("mutate", "key", "problem"),
    [
        (lambda d: _without(d, "yot"), "yot", "is missing"),
        (lambda d: _without(d, "provider"), "provider", "is missing"),
        (lambda d: _without(d, "data_protection"), "data_protection", "is missing"),
        (lambda d: _without(d, "limits"), "limits", "is missing"),
        (lambda d: d.update(limits={}), "limits", "at least one substance"),
        (lambda d: d["provider"].update(centres=[]), "provider.centres", "non-empty list of tables"),
        (lambda d: d["limits"].update(cannabis=5), "limits.cannabis", "must be a table"),
        (
            lambda d: d["limits"].update({"Crack Cocaine": d["limits"]["cocaine"]}),
            "limits.Crack Cocaine",
            "substance keys must be lower-case",
        ),
        (lambda d: d["yot"].update(name=""), "yot.name", "must be non-empty text"),
        (lambda d: d["limits"]["mdma"].update(max=True), "limits.mdma.max", "must be a number"),
        (lambda d: d["limits"]["mdma"].update(max=100001), "limits.mdma.max", "must be between 0 and 100000"),
    ],
)
def test_parse_scheme_problems(scheme_data, mutate, key: str, problem: str) -> None:
    data = scheme_data()
    mutate(data)
    with pytest.raises(SchemeConfigError) as caught:
        parse_scheme(data, "area.toml")
    assert caught.value.source == "area.toml"
    assert caught.value.key == key
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"area.toml: key '{key}': ")


def test_scheme_config_error_is_a_value_error() -> None:
    assert issubclass(SchemeConfigError, ValueError)


def test_retention_months_is_optional_with_six_years_by_default(tmp_path: Path) -> None:
    write(tmp_path, "windsor-and-maidenhead.toml", WM_TEXT)
    write(tmp_path, "west-berkshire.toml", edited(WB_TEXT, "retention_months = 72\n", ""))
    registry = SchemeRegistry.load(tmp_path)
    assert registry.get("west-berkshire").retention_months == 72
    write(tmp_path, "west-berkshire.toml", edited(WB_TEXT, "retention_months = 72", "retention_months = 120"))
    assert SchemeRegistry.load(tmp_path).get("west-berkshire").retention_months == 120


# -- which centres an organisation runs ------------------------------------------------------
@pytest.mark.parametrize(
    ("organisation", "expected"),
    [
        ("Cranstoun", ["maidenhead", "newbury", "thatcham", "windsor"]),
        ("West Berkshire Youth Service", ["newbury-youth"]),
        ("police", []),
        ("Someone Else", []),
        ("cranstoun", []),  # the name exactly as the scheme files spell it, as services/scope.py compares it
    ],
)
def test_the_centres_an_organisation_runs(organisation: str, expected: list[str]) -> None:
    registry = SchemeRegistry.load(SHIPPED)
    assert sorted(c.code for _s, c in registry.centres_run_by(organisation)) == expected


ALL_CENTRES = ["maidenhead", "newbury", "newbury-youth", "thatcham", "windsor"]


@pytest.mark.parametrize(
    ("roles", "organisation", "expected"),
    [
        ({Role.SUPPORT_WORKER}, "Cranstoun", ["maidenhead", "newbury", "thatcham", "windsor"]),
        ({Role.SUPPORT_WORKER}, "West Berkshire Youth Service", ["newbury-youth"]),
        ({Role.SUPPORT_WORKER}, "Unknown provider", []),
        ({Role.COORDINATOR}, "police", ALL_CENTRES),
        ({Role.STATION_STAFF}, "police", ALL_CENTRES),
        ({Role.ADMINISTRATOR}, "Cranstoun", ALL_CENTRES),
        ({Role.SUPPORT_WORKER, Role.COORDINATOR}, "police", ALL_CENTRES),  # police as well: not scoped
        (None, "", ALL_CENTRES),  # nobody signed in (the installation's own commands)
    ],
)
def test_a_support_worker_works_with_their_organisations_centres_and_coordinators_with_all(
    roles: set[Role] | None, organisation: str, expected: list[str]
) -> None:
    registry = SchemeRegistry.load(SHIPPED)
    principal = Principal("user", frozenset(roles), organisation) if roles is not None else None
    assert sorted(c.code for _s, c in registry.centres_for(principal)) == expected
