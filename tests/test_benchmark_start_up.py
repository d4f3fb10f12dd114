"""The start-up benchmark still measures what it says (benchmarks/run.py ``start_up``, through
benchmarks/startup_driver.py): run once for each role on a tiny database, it reports both
figures, and each role landed where a person of that role does. On the million-record database
the same code gives the figures in docs/benchmarks.md; here it only must not have rotted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from benchmarks.run import USERS, start_up

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 120  # seconds for any one start: the machine may be busy, but never a hang


def test_the_start_up_benchmark_reports_both_figures_for_a_station_user_and_a_support_worker(tmp_path: Path) -> None:
    database = tmp_path / "tiny.sqlite3"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # (the home is the tests' own: tests/conftest.py)
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "diversion_desktop",
            "demo",
            "--people",
            "20",
            "--referrals",
            "30",
            "--database",
            f"sqlite:///{database.as_posix()}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert made.returncode == 0, made.stderr

    figures = start_up(database, runs=1, env=env, warm=False, timeout=TIMEOUT)

    # (a) both starts, each over the bare dialog's start in the same run
    assert figures["ratio"]["n"] == 2 and figures["app"]["n"] == 2 and figures["bare"]["n"] == 1
    assert 0 < figures["bare"]["median"] < TIMEOUT and 0 < figures["app"]["median"] < TIMEOUT
    # (b) for each role, Enter to the window usable
    assert set(figures["signed_in"]) == set(USERS) == {"station staff", "support worker"}
    for role, figure in figures["signed_in"].items():
        assert figure["n"] == 1 and 0 < figure["median"] < TIMEOUT, role
    assert figures["landed"]["station staff"] == ["searchBox"]  # a key typed into Find person's box
    [queue] = figures["landed"]["support worker"]  # the queue's status line once its rows are shown
    assert queue.endswith("referral(s)."), queue
