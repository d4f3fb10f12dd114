"""Revision 0009 (search keys for the later parts of a surname) on people stored at 0008: the
upgrade gives them their keys, so the search finds them by every part at once."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command

from diversion_desktop.services.bootstrap import open_context
from diversion_desktop.services.people import PeopleService
from diversion_desktop.store.database import make_engine
from diversion_desktop.store.migrate import alembic_config
from diversion_desktop.store.models import PersonNameKey
from tests.conftest import EVERY_ROLE, FakeClock

AT = datetime(2026, 3, 2, 10, 0)
STORED = [
    (1, "Wolfeschlegel-Ó'Brien-Śmith", "Hubert", "wolfeschlegelobriensmith"),
    (2, "Smith-Jones", "Mary", "smithjones"),
    (3, "Van der Berg", "Jan", "vanderberg"),
    (4, "O'Brien", "Sean", "obrien"),
    (5, "Jones", "Tom", "jones"),
]


def _write_as_0008(path: Path) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.executemany(
            "INSERT INTO people (id, reference, surname, forenames, surname_norm, forenames_norm, date_of_birth, "
            "sex, ethnicity_self, ethnicity_observed, address, postcode, phone, email, language, needs, "
            "guardian_name, guardian_relationship, guardian_phone, guardian_address, pnc_reference, barred, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, '1980-01-01', '', '', '', '', '', '', '', '', '', '', '', '', "
            "'', '', 0, '2026-03-01 09:00:00')",
            [
                (pid, f"P{pid:06d}", surname, forenames, key, forenames.lower())
                for pid, surname, forenames, key in STORED
            ],
        )
        connection.commit()
    finally:
        connection.close()


def test_upgrade_gives_stored_people_their_surname_part_keys(tmp_path: Path) -> None:
    path = tmp_path / "in-use.sqlite3"
    url = f"sqlite:///{path.as_posix()}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0008")
    engine.dispose()
    _write_as_0008(path)

    ctx = open_context(url, clock=FakeClock(AT), user="tester", principal=EVERY_ROLE)  # upgrades to head
    try:
        with ctx.reading() as session:
            keys = sorted((k.person_id, k.key) for k in session.query(PersonNameKey))
        assert keys == [(1, "obriensmith"), (1, "smith"), (2, "jones"), (3, "berg"), (3, "derberg")]
        people = PeopleService(ctx)
        assert [p.forenames for p in people.search("obrien")] == ["Sean", "Hubert"]
        assert [p.forenames for p in people.search("smith")] == ["Mary", "Hubert"]
        assert [p.forenames for p in people.search("jones")] == ["Tom", "Mary"]
    finally:
        ctx.engine.dispose()
