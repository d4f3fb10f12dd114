"""Two instances of the application on one SQLite file: no lost write, no duplicate reference."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from diversion_desktop.domain.eligibility import SubstanceFind
from diversion_desktop.domain.intake import IntakeDraft
from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.intake import IntakeService
from tests.conftest import EVERY_ROLE

NOW = datetime(2026, 3, 10, 12, 0)


def test_two_instances_saving_at_once_keep_the_file_whole(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'shared.sqlite3').as_posix()}"
    instances = [open_context(url, clock=lambda: NOW, user=f"user{i}", principal=EVERY_ROLE) for i in range(2)]
    saved: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        service = IntakeService(instances[index])
        for n in range(25):
            draft = IntakeDraft(
                scheme_code="west-berkshire",
                surname=f"Person{index}x{n}",
                forenames="Test",
                date_of_birth=date(1990, 1, 1),
                incident_at=datetime(2026, 3, 9, 20, 0),
                substances=[SubstanceFind("cannabis", Decimal("1"), "g")],
                consent=True,
            )
            try:
                result = service.save(draft)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)
                continue
            with lock:
                saved.append(result.reference)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(saved) == 50 and len(set(saved)) == 50
    with sqlite3.connect(tmp_path / "shared.sqlite3") as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM referrals").fetchone()[0] == 50
        assert check.execute("SELECT count(*) FROM people").fetchone()[0] == 50
