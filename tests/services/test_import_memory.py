"""A large import streams (issue 14, item 13): its memory does not grow with the number of rows.

A 274,664-row CSV used to take 1.9 GB (every row, person, plan and report row held to decide in
incident order). The rows now go through a private working file; here a dry run of N rows and one
of 4N rows each run in a process of their own, as ``import FILE --dry-run`` does, and their peak
resident memory is compared. Each process reads its own peak (VmHWM in /proc/self/status): its
``getrusage`` ``ru_maxrss``, and the parent's RUSAGE_CHILDREN, start from the parent's peak on Linux
(subprocess starts children with vfork; exec keeps the old high-water mark), so they would measure
pytest itself. Linux only.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from diversion_desktop.spreadsheets.import_format import APPOINTMENT_COLUMNS
from tests.import_files import appointment, referral, write_csv

SMALL = 6000  # enough rows to fill the working files' page caches (10 MB at most), so more rows add nothing
GROWTH_LIMIT_MB = 6.0  # the old importer grew by about 4 KB a row: some 70 MB between these two runs

SYLLABLES = ("ab", "el", "or", "un", "is", "ka", "mo", "ri", "te", "zu")


def surname(number: int) -> str:
    return "".join(SYLLABLES[int(d)] for d in f"{number:05d}").capitalize()


def pilot_file(folder: Path, rows: int) -> Path:
    """History of 2024-2025, as the pilots kept it: most referrals are of a new person, one in
    ten of someone seen before; one in twenty finds two substances (two rows); completed
    referrals have an attended appointment."""
    referrals: list[dict] = []
    appointments: list[dict] = []
    number = 0
    while len(referrals) < rows:
        number += 1
        person = number - 7 if number % 10 == 0 else number  # some people come back
        incident = date(2024, 1, 1) + timedelta(days=(number * 37) % 600)
        outcome = "not_attended" if number % 9 == 0 else "completed"
        reference = f"WB-{incident.year}-{number:05d}"
        row = referral(
            reference=reference,
            surname=surname(person),
            forenames="Sam",
            date_of_birth=(date(1950, 1, 1) + timedelta(days=person * 7 % 19000)).strftime("%d/%m/%Y"),
            incident_date=incident.isoformat(),
            outcome=outcome,
            outcome_date=(incident + timedelta(days=30)).isoformat(),
        )
        referrals.append(row)
        if number % 20 == 0:
            referrals.append({**row, "substance": "cocaine", "quantity": "0.2"})
        if outcome == "completed":
            appointments.append(
                appointment(reference=reference, appointment_at=f"{incident + timedelta(days=2)} 10:00")
            )
    path = write_csv(folder / "pilot.csv", referrals[:rows])
    write_csv(folder / "pilot.appointments.csv", appointments, columns=APPOINTMENT_COLUMNS)
    return path


CHILD = textwrap.dedent("""
    import sys
    from diversion_desktop.cli import main
    code = main(["import", sys.argv[1], "--dry-run", "--quiet", "--database", sys.argv[2]])
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))  # KiB
    print(code, peak, file=sys.stderr)
""")


def peak_mb(path: Path, db_url: str) -> tuple[float, str]:
    """A dry run in a process of its own: (its peak resident memory in MB, what it printed last)."""
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), db_url],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    code, peak_kib = result.stderr.strip().splitlines()[-1].split()
    assert code == "0", (result.stdout + result.stderr)[-3000:]
    return int(peak_kib) / 1024, result.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the peak is read from /proc/self/status")
def test_a_dry_runs_memory_does_not_grow_with_the_rows(tmp_path: Path, db_url: str) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small, small_said = peak_mb(pilot_file(tmp_path / "small", SMALL), db_url)
    large, large_said = peak_mb(pilot_file(tmp_path / "large", 4 * SMALL), db_url)
    assert "Dry run: would import" in small_said and "Refused: 0 row(s)" in small_said, small_said[-2000:]
    assert "Refused: 0 row(s)" in large_said, large_said[-2000:]
    assert large - small < GROWTH_LIMIT_MB, f"{SMALL:,} rows: {small:.0f} MB; {4 * SMALL:,} rows: {large:.0f} MB"
