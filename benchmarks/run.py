"""Is the application instant at force scale? One table of figures against the targets of issue 5.

    .venv/bin/python benchmarks/run.py [--database PATH] [--rebuild] [--runs 5] [--only start-up|in-app|evaluation]

Builds (first time, or with ``--rebuild``) or reuses a SQLite database of 1,000,000 people,
1,000,000 referrals and 3,000,000 appointments made by ``diversion-desktop demo --bulk``, adds the
benchmark's users to it with ``diversion-desktop users``, then measures, each figure the median
of all ``--runs`` runs with their spread:

* start-up, through the path a person takes and no other (``benchmarks/startup_driver.py``
  starts the real program as the console script does, and types): (a) process start to the
  sign-in dialog painted and taking keys, as a ratio to a bare PySide6 ``QDialog`` with two
  line edits started the same way in the same run; (b) Enter on the right password to the main
  window painted and usable, for a station user and for a support worker (offscreen Qt, from
  cached bytecode as an installed copy starts);
* in one application process (the real main window for a principal holding every role), with a
  1 ms timer on the GUI thread recording the longest gap between its ticks: person search
  (the query, and typed-to-results-shown through the Find person box), the referral list
  (open, filter by status and area, sort, jump to the last row), saving an intake and recording
  an attendance, the queue counts, one letter and 1,000 letters merged
  (``benchmarks/letters.py``), each service call made on the worker as the application makes it
  and timed there; and the process's peak RSS at the end of it all;
* the whole evaluation report over every referral in the database (issue 6): the database
  time ``EvaluationService`` measures around its queries.

``--only start-up`` (about a minute), ``--only in-app`` or ``--only evaluation`` measures one part.
Every figure is wall-clock time on a machine that may be doing other work: the median of all
runs with the lowest and highest beside it, the target beside that, and the load average before
and after. The application process adds one referral (with an attended appointment) per run to
the database it measures. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import ms, plain, seconds, spread  # noqa: E402 - after sys.path has the repository


def _default_database() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("DiversionDesktop", "DiversionDesktop")) / "benchmark-million.sqlite3"


DEFAULT_DATABASE = _default_database()  # outside the checkout: it is 2.5 GB
PEOPLE, REFERRALS, APPOINTMENTS = 1_000_000, 1_000_000, 3_000_000
# The processes measured start as an installed copy does, from compiled bytecode (pip compiles
# it on installing; PyInstaller bundles it): a checkout run with PYTHONDONTWRITEBYTECODE would
# compile every module of the application from source at every start. The cache is kept out
# of the checkout.
PYCACHE = DEFAULT_DATABASE.parent / "pycache"
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    "PYTHONPYCACHEPREFIX": str(PYCACHE),
}


# -- the database ---------------------------------------------------------------------------------
def build(path: Path, people: int, referrals: int, appointments: int, seed: int) -> tuple[float, float]:
    """Make the database with the command a user would run; (seconds, peak MB of all its processes)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "diversion_desktop",
        "demo",
        "--database",
        f"sqlite:///{path.as_posix()}",
        "--people",
        str(people),
        "--referrals",
        str(referrals),
        "--appointments",
        str(appointments),
        "--seed",
        str(seed),
        "--bulk",
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.2)
    if process.returncode != 0:
        raise SystemExit(f"building the database failed ({' '.join(command)})")
    return time.perf_counter() - started, peak / 1024


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and every process under it, in kB (Linux; 0 elsewhere)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        parents[int(entry.name)] = int(status.get("PPid", "0").strip() or 0)
        rss[int(entry.name)] = int(status.get("VmRSS", "0 kB").split()[0])
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        children = [p for p, parent in parents.items() if parent == current and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in tree)


# -- start-up ---------------------------------------------------------------------------------------
DRIVER = ROOT / "benchmarks" / "startup_driver.py"
PASSWORD = "Benchmark-start-up-2026!"  # every benchmark user's, once chosen
FIRST_PASSWORD = "Benchmark-given-2026!"  # what the administrator gives them, changed at once
ADMINISTRATOR = "bench-admin"
# role → (user name, ``users add`` options, the page they land on)
USERS = {
    "station staff": ("bench-station", ["--role", "station_staff"], "search"),
    "support worker": ("bench-support", ["--role", "support_worker", "--organisation", "Cranstoun"], "queues"),
}


def _cli(database: Path, env: dict[str, str], *words: str, **variables: str) -> None:
    command = [sys.executable, "-m", "diversion_desktop", *words, "--database", f"sqlite:///{database.as_posix()}"]
    out = subprocess.run(
        command,
        cwd=ROOT,
        env={**env, **variables},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(words)} failed: {out.stderr}")


def add_users(database: Path, env: dict[str, str] = ENV) -> None:
    """The benchmark's users, added with the documented commands if they are not there yet: the
    first administrator, who adds the others; each then chooses their own password (``users
    passwd``), so the sign-in measured is an ordinary one, not the first with its forced change."""
    connection = sqlite3.connect(database)
    try:
        names = {row[0] for row in connection.execute("SELECT username FROM users")}
    finally:
        connection.close()
    if names and ADMINISTRATOR not in names:
        raise SystemExit(f"{database} has users but not {ADMINISTRATOR}: measure a database of the benchmark's own")
    if not names:
        _cli(database, env, "users", "add", ADMINISTRATOR, "--role", "administrator", DIVERSION_NEW_PASSWORD=PASSWORD)
    for name, options, _landing in USERS.values():
        if name not in names:
            _cli(
                database,
                env,
                "users",
                "add",
                name,
                *options,
                DIVERSION_USER=ADMINISTRATOR,
                DIVERSION_PASSWORD=PASSWORD,
                DIVERSION_NEW_PASSWORD=FIRST_PASSWORD,
            )
            _cli(
                database,
                env,
                "users",
                "passwd",
                DIVERSION_USER=name,
                DIVERSION_PASSWORD=FIRST_PASSWORD,
                DIVERSION_NEW_PASSWORD=PASSWORD,
            )


def drive(options: list[str], env: dict[str, str], timeout: float = 600) -> dict:
    """One start through ``startup_driver.py``: its figures (seconds from just before the start)."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, str(DRIVER), "--started", f"{started:.6f}", *options],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    line = next((line for line in reversed(out.stdout.splitlines()) if line.startswith("{")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(
            f"startup_driver.py {' '.join(options)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}"
        )
    return json.loads(line)


def start_up(database: Path, runs: int, env: dict[str, str] = ENV, warm: bool = True, timeout: float = 600) -> dict:
    """Each run starts the bare dialog, then the application once for each role, one after the
    other; (a) is each start's time to its first screen taking keys, over the bare dialog's in the
    same run; (b) the time from Enter to the window usable. All with a settings folder of their own,
    made afresh for the session: the user's own window geometry is neither read nor written."""
    add_users(database, env)
    url = f"sqlite:///{database.as_posix()}"
    with tempfile.TemporaryDirectory() as config:
        env = {**env, "XDG_CONFIG_HOME": config, "BENCHMARK_PASSWORD": PASSWORD}
        starts = {
            role: ["--user", name, "--landing", landing, "--database", url]
            for role, (name, _options, landing) in USERS.items()
        }
        if warm:  # the file and bytecode caches warm for each, as at a second start
            drive(["--bare"], env, timeout)
            for options in starts.values():
                drive(options, env, timeout)
        bare: list[float] = []
        ratio: list[float] = []
        app: dict[str, list[dict[str, float]]] = {role: [] for role in starts}
        for _ in range(runs):
            bare.append(drive(["--bare"], env, timeout)["keys"])
            for role, options in starts.items():
                figures = drive(options, env, timeout)
                app[role].append(figures)
                ratio.append(figures["keys"] / bare[-1])
    return {
        "ratio": spread(ratio),
        "bare": spread(bare),
        "app": spread([f["keys"] for runs_ in app.values() for f in runs_]),
        "database_open": spread([f["database_open"] for runs_ in app.values() for f in runs_]),
        "signed_in": {role: spread([f["signed_in"] for f in figures]) for role, figures in app.items()},
        "window_painted": {role: spread([f["window_painted"] for f in figures]) for role, figures in app.items()},
        "rss_mb": {role: spread([f["rss_mb"] for f in figures]) for role, figures in app.items()},
        "landed": {role: sorted({f["landing_text"] for f in figures}) for role, figures in app.items()},
    }


# -- inside the application -------------------------------------------------------------------------
def inside(database: Path, runs: int) -> int:
    """Run in a child process: the application's window, its worker, and the measurements."""
    from benchmarks.app_probe import measure

    print(json.dumps(measure(database, runs)), flush=True)
    return 0


def in_app(database: Path, runs: int) -> dict:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--inside", str(database), "--runs", str(runs)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    line = next((line for line in reversed(out.stdout.splitlines()) if line.startswith("{")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"the in-application measurements failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(line)


# -- the evaluation report --------------------------------------------------------------------------
def evaluation(database: Path, runs: int) -> dict:
    """The whole evaluation report over every referral in the database: the database time the
    service measures around its queries (``EvaluationResult.database_seconds``), and the whole
    report beside it; the first run (SQLite's caches cold) apart."""
    from datetime import date

    from diversion_desktop.domain.permissions import setup_principal
    from diversion_desktop.services.bootstrap import open_context
    from diversion_desktop.services.evaluation import EvaluationRequest, EvaluationService

    connection = sqlite3.connect(database)
    try:
        first, last, count = connection.execute(
            "SELECT min(referral_date), max(referral_date), count(*) FROM referrals"
        ).fetchone()
    finally:
        connection.close()
    first, last = date.fromisoformat(first), date.fromisoformat(last)
    ctx = open_context(
        f"sqlite:///{database.as_posix()}", migrate=False, principal=setup_principal("benchmark")
    )  # the service checks RUN_REPORTS
    try:
        service = EvaluationService(ctx)
        service.compute(EvaluationRequest(last, last))  # loads scipy and the mappers: not database time
        timings = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            result = service.compute(EvaluationRequest(first, last))
            timings.append((result.database_seconds, time.perf_counter() - started))
    finally:
        ctx.engine.dispose()
    warm = timings[1:]
    return {
        "referrals": count,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "database": spread(db for db, _ in warm),
        "total": spread(t for _, t in warm),
        "first": timings[0][0],
    }


# -- the table ----------------------------------------------------------------------------------------
def table(start: dict | None, app: dict | None, report: dict | None) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, bool | None]] = []
    if start is not None:
        rows += start_up_rows(start)
    if app is not None:
        rows += in_app_rows(app)
    if report is not None:
        rows.append(
            (
                f"the whole evaluation report over all {report['referrals']:,} referrals "
                f"({report['from']} to {report['to']}), database time",
                f"{seconds(report['database'])}; whole report {seconds(report['total'])}; first run, "
                f"caches cold, {report['first']:.2f} s",
                "≤ 2 s",
                report["database"]["median"] <= 2.0,
            )
        )
    return [
        (what, measured, target, "–" if met is None else "yes" if met else "NO") for what, measured, target, met in rows
    ]


def start_up_rows(start: dict) -> list[tuple[str, str, str, bool | None]]:
    rows: list[tuple[str, str, str, bool | None]] = [
        (
            "(a) process start to the sign-in dialog painted and taking keys, as a ratio to a bare PySide6 QDialog "
            "with two line edits started the same way",
            f"{plain(start['ratio'], ' ×')}; app {seconds(start['app'])}, bare dialog {seconds(start['bare'])}",
            "≤ 1.5 ×",
            start["ratio"]["median"] <= 1.5,
        ),
        ("… and to the database open behind the dialog", seconds(start["database_open"]), "(none)", None),
    ]
    for role, figure in start["signed_in"].items():
        usable = (
            "Find person taking keys" if USERS[role][2] == "search" else "the queue awaiting a first appointment shown"
        )
        rows.append(
            (
                f"(b) Enter on the right password to the main window painted and usable ({usable}): {role}; "
                "Enter to the window's first paint; peak RSS",
                f"{ms(figure)}; first paint {ms(start['window_painted'][role])}; "
                f"{plain(start['rss_mb'][role], ' MB', 0)}",
                "≤ 300 ms",
                figure["median"] <= 0.300,
            )
        )
    return rows


def in_app_rows(app: dict) -> list[tuple[str, str, str, bool]]:
    search, lst, writes, letters = app["search"], app["list"], app["writes"], app["letters"]
    query_worst = max(q["median"] for q in search["query"].values())
    return [
        (
            f"person search at {app['people']:,} people (" + ", ".join(search["query"]) + ")",
            "query "
            + ", ".join(ms(v) for v in search["query"].values())
            + f"; typed to results shown {ms(search['typed_to_shown'])}",
            "query ≤ 20 ms; typed to results shown ≤ 50 ms",
            query_worst <= 0.020 and search["typed_to_shown"]["median"] <= 0.050,
        ),
        (
            f"referral list at {app['referrals']:,} referrals: open, filter by status and area, sort, jump to the "
            "last row",
            ", ".join(
                f"{name} {ms(lst[key])}"
                for name, key in (
                    ("open", "open"),
                    ("status", "status"),
                    ("area", "area"),
                    ("sort", "sort"),
                    ("last row", "last"),
                )
            ),
            "each ≤ 100 ms",
            max(f["median"] for f in lst.values()) <= 0.100,
        ),
        (
            "save one intake, record one attendance",
            f"save {ms(writes['save'])}, attendance {ms(writes['attendance'])}",
            "≤ 50 ms",
            max(f["median"] for f in writes.values()) <= 0.050,
        ),
        (
            "queue counts (awaiting appointment, overdue, awaiting confirmation)",
            ms(app["queue_counts"]),
            "≤ 100 ms",
            app["queue_counts"]["median"] <= 0.100,
        ),
        (
            "one letter PDF; 1,000 letters merged",
            f"{ms(letters['one'])}; {seconds(letters['batch'])}",
            "≤ 5 ms; ≤ 5 s",
            letters["one"]["median"] <= 0.005 and letters["batch"]["median"] <= 5.0,
        ),
        (
            "longest GUI-thread stall during any of the above (the longest, not a median)",
            f"{app['stall'] * 1000:.1f} ms",
            "≤ 100 ms",
            app["stall"] <= 0.100,
        ),
        (
            "peak RSS of the application process at the end of the session (after the saves and letters)",
            f"{app['rss_mb']:.0f} MB",
            "≤ 300 MB",
            app["rss_mb"] <= 300,
        ),
    ]


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    headers = (
        "what",
        "measured: median of all runs (lowest–highest, number of runs)",
        "target on this 2-core machine",
        "met",
    )
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(4)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=DEFAULT_DATABASE,
        help=f"SQLite file to build or reuse (default {DEFAULT_DATABASE})",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it exists")
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="runs per figure; the median of all of them is shown, with their spread (default 5)",
    )
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--referrals", type=int, default=REFERRALS)
    parser.add_argument("--appointments", type=int, default=APPOINTMENTS)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument(
        "--only",
        choices=("start-up", "in-app", "evaluation"),
        help="measure only the start-up, only inside the application, or only the evaluation report (quicker)",
    )
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return inside(args.inside, args.runs)

    database = args.database.resolve()
    if args.rebuild or not database.exists():
        print(
            f"Building {database} ({args.people:,} people, {args.referrals:,} referrals, "
            f"{args.appointments:,} appointments)…",
            file=sys.stderr,
        )
        took, peak = build(database, args.people, args.referrals, args.appointments, args.seed)
        print(f"Built in {took:.1f} s (target ≤ 60 s), peak memory {peak:.0f} MB (target ≤ 1 GB).", file=sys.stderr)
    start = app = report = None
    load = {"before": load_average()}
    if args.only in (None, "start-up"):
        print("Measuring the start-up…", file=sys.stderr)
        start = start_up(database, args.runs)
    if args.only in (None, "in-app"):
        print("Measuring inside the application…", file=sys.stderr)
        app = in_app(database, args.runs)
    if args.only in (None, "evaluation"):
        print("Measuring the evaluation report…", file=sys.stderr)
        report = evaluation(database, args.runs)
    described = (
        f"{app['people']:,} people, {app['referrals']:,} referrals, {app['appointments']:,} appointments; "
        if app is not None
        else ""
    )
    load["after"] = load_average()
    print(
        f"{database}: {described}Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; load average "
        f"(1, 5, 15 min) {load['before']} before, {load['after']} after"
    )
    print_table(table(start, app, report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
