"""The import's working files hold personal data: private while they exist, gone afterwards.

A file's rows are sorted, decided and reported through a SQLite file in a private workspace
(services/import_work.py); the report's rows stay in a file of that workspace until the report is
closed or let go. The clock is Monday 2 March 2026 (tests/conftest.py).
"""

from __future__ import annotations

import gc
import os
import stat
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from diversion_desktop.services.errors import StorageError
from diversion_desktop.services.importer import REFUSED, ImportFileError, ImportService
from diversion_desktop.store import private_files
from tests.import_files import appointment, referral, write_csv, write_import

ROWS = [
    referral(reference="WB-2025-00001", incident_date="2025-06-01", outcome="not_attended", outcome_date="2025-08-01"),
    referral(reference="WB-2026-00101", incident_date="2026-03-01"),
    referral(reference="WB-2026-00102", surname="Jones", incident_date="2026-03-01", area="Berkshire"),
    referral(reference="WB-2026-00103", surname="Brown", incident_date="2026-02-27"),
]
APPOINTMENTS = [appointment(reference="WB-2026-00103", appointment_at="2026-03-02 10:00")]


@pytest.fixture
def work_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "work"
    monkeypatch.setenv(private_files.WORK_ENV, str(root))
    return root


def workspaces(root: Path) -> list[Path]:
    return sorted(root.glob("import-*")) if root.is_dir() else []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_working_files_are_private_and_go_with_the_report(ctx, work_root, tmp_path) -> None:
    path = write_import(tmp_path, "csv", ROWS, APPOINTMENTS)
    seen: list[dict[str, int]] = []

    def progress(_done: int, _total: int) -> None:  # while the rows are being decided
        [folder] = workspaces(work_root)
        seen.append({"folder": mode(folder), **{f.name: mode(f) for f in folder.iterdir()}})

    report = ImportService(ctx).run(path, dry_run=True, progress=progress)
    assert seen and seen[0]["folder"] == 0o700
    assert seen[0]["work.sqlite3"] == 0o600 and all(m == 0o600 for name, m in seen[0].items() if name != "folder")
    [folder] = workspaces(work_root)
    names = {f.name for f in folder.iterdir()}
    assert "work.sqlite3" not in names and "report.sqlite3" in names  # the working file is gone, the report's stays
    assert mode(folder / "report.sqlite3") == 0o600
    assert [(r.sheet, r.row) for r in report.rows] == [
        ("referrals", 2),
        ("referrals", 3),
        ("referrals", 4),
        ("referrals", 5),
        ("appointments", 2),
    ]
    report.close()
    assert workspaces(work_root) == []
    with pytest.raises(ValueError, match="closed"):
        list(report.rows)
    assert "would import 3 referral(s) with 1 appointment(s)" in report.summary()  # the counts stay


def test_a_report_let_go_takes_its_file_with_it(ctx, work_root, tmp_path) -> None:
    report = ImportService(ctx).run(write_import(tmp_path, "xlsx", ROWS, APPOINTMENTS), dry_run=True)
    assert len(workspaces(work_root)) == 1
    del report
    gc.collect()
    assert workspaces(work_root) == []


def test_a_failed_import_leaves_no_working_file(ctx, work_root, count_rows, tmp_path) -> None:
    def fail(_session, _record) -> None:
        raise StorageError("The disk is full, so this was not saved.")

    good = [row for row in ROWS if row["area"] != "Berkshire"]
    before = count_rows()
    with pytest.raises(StorageError):
        ImportService(ctx, audit=fail).run(write_import(tmp_path, "csv", good, APPOINTMENTS))
    assert workspaces(work_root) == []
    assert {k: v for k, v in count_rows().items() if k != "reference_counters"} == {
        k: v for k, v in before.items() if k != "reference_counters"
    }
    # A file that cannot be read to the end: the rows read so far go too.
    broken = write_csv(tmp_path / "broken.csv", [referral(reference=f"WB-2025-{i:05d}") for i in range(1, 800)])
    broken.write_bytes(broken.read_bytes() + b"WB-2025-09999,Sm\xffth\n")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        ImportService(ctx).run(broken, dry_run=True)
    assert workspaces(work_root) == []


def test_a_workspace_left_by_a_killed_import_is_deleted_at_the_next_start(work_root) -> None:
    running = private_files.Workspace("import-").open()  # another import, still running: kept
    try:
        left = work_root / "import-left"
        left.mkdir()
        (left / "work.sqlite3").write_bytes(b"rows of a killed import")
        old = time.time() - 3600
        os.utime(left, (old, old))
        assert private_files.clean_leftovers() == [left]
        assert workspaces(work_root) == [running.folder]
    finally:
        running.close()
    assert workspaces(work_root) == []


def test_the_rows_can_be_paged_and_narrowed_to_the_problems(ctx, work_root, tmp_path) -> None:
    rows = [
        referral(
            reference=f"WB-2025-{i:05d}",
            surname="Smith" + "".join(chr(97 + i // 26**n % 26) for n in range(3)),
            date_of_birth=(date(1950, 1, 1) + timedelta(days=5 * i)).isoformat(),
            incident_date=f"2025-0{1 + i % 9}-1{i % 10}",
            outcome="completed",
            outcome_date="2025-12-01",
            area="Berkshire" if i % 7 == 0 else "West Berkshire",
        )  # every seventh refused
        for i in range(1, 2600)
    ]
    report = ImportService(ctx).run(write_csv(tmp_path / "pilot.csv", rows), dry_run=True)
    every = list(report.rows)
    assert len(every) == len(report.rows) == 2599 and [r.row for r in every] == list(range(2, 2601))
    assert report.rows[1000:1010] == every[1000:1010] and report.rows[-1] == every[-1]
    assert report.rows[2590:5000] == every[2590:]
    flagged = report.rows.flagged()
    assert list(flagged) == [r for r in every if r.refused or r.attention]
    assert report.refused_rows == sum(r.result == REFUSED for r in flagged) == 371
    assert report.lines(only_problems=True) == [r.text() for r in flagged]
    report.close()
