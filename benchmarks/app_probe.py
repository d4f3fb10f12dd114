"""The measurements ``benchmarks/run.py`` makes inside one application process.

The real main window with its worker, for a user holding every role, and a 1 ms
timer on the GUI thread whose longest gap between two ticks is the longest the GUI was
unable to react. Service calls go to the worker as the application
sends them and are timed there; what a person sees (search results, list pages) is timed
from the key press or click to the signal that it is shown, plus one turn of the event loop
to paint it. Every figure is the median of all its runs with their spread
(``benchmarks/figures.py``); the peak resident memory is read at the end of the session.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from benchmarks.figures import spread

SEARCH_TYPING_MS = 60  # between keys: a quick typist


class Heartbeat(QObject):
    """A 1 ms timer on the GUI thread; ``longest`` is the longest gap between ticks since ``reset``."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last = time.perf_counter()
        self.longest = 0.0
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0


def spin(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    """Run the event loop until ``predicate`` holds (checked every millisecond).

    ``QEventLoop.exec`` lets the worker run while the GUI thread waits, as the application's
    own event loop does; calling ``processEvents`` in a Python loop instead keeps taking the
    interpreter lock from the worker and made its queries three times slower (measured)."""
    if predicate():
        return
    deadline = time.perf_counter() + timeout
    loop = QEventLoop()
    check = QTimer()
    check.setTimerType(Qt.TimerType.PreciseTimer)
    check.setInterval(1)
    failed: list[bool] = []

    def tick() -> None:
        if predicate():
            loop.quit()
        elif time.perf_counter() > deadline:
            failed.append(True)
            loop.quit()

    check.timeout.connect(tick)
    check.start()
    loop.exec()
    check.stop()
    if failed:
        raise TimeoutError("timed out waiting in the benchmark")


def one_turn() -> None:
    """Let the event loop go round once (the window paints what has just changed)."""
    done = []
    QTimer.singleShot(0, lambda: done.append(True))
    spin(lambda: bool(done))


def on_worker(runner: Any, fn: Callable[[], Any]) -> tuple[Any, float]:  # noqa: ANN401 - app objects, imported late
    """Run ``fn`` on the application's worker; (its result, seconds it took there)."""
    box: dict[str, Any] = {}

    def timed() -> tuple[Any, float]:
        started = time.perf_counter()
        result = fn()
        return result, time.perf_counter() - started

    runner.run(timed, lambda r: box.update(result=r), lambda e: box.update(error=e))
    spin(lambda: bool(box))
    if "error" in box:
        raise box["error"]
    return box["result"]


def after(action: Callable[[], None], signal: Any, done: Callable[[], bool] = lambda: True) -> float:  # noqa: ANN401 - app objects, imported late
    """Seconds from ``action`` to ``signal`` having fired with ``done()`` true, and the window painted."""
    fired: list[bool] = []

    def seen(*_args: object) -> None:
        if done():
            fired.append(True)

    signal.connect(seen)
    try:
        started = time.perf_counter()
        action()
        spin(lambda: bool(fired))
        one_turn()
        return time.perf_counter() - started
    finally:
        signal.disconnect(seen)


def _samples(path: Path) -> dict[str, Any]:
    """People and referrals to search for, read with plain SQL."""
    connection = sqlite3.connect(path)
    try:
        common = connection.execute(
            "SELECT surname FROM people WHERE id % 97 = 0 GROUP BY surname ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        people = connection.execute(
            "SELECT surname, date_of_birth FROM people WHERE id IN (1234, 98765, 345678, "
            "567890, 789012) AND surname NOT LIKE '% %'"
        ).fetchall()
        references = [
            r[0]
            for r in connection.execute(
                "SELECT reference FROM referrals WHERE id IN (4321, 123456, 456789, 654321, 987654)"
            )
        ]
        counts = {
            t: connection.execute(f"SELECT max(rowid) FROM {t}").fetchone()[0] or 0  # noqa: S608 - names below
            for t in ("people", "referrals")
        }
        counts["appointments"] = connection.execute("SELECT count(*) FROM appointments").fetchone()[0]
    finally:
        connection.close()
    return {"common": common, "people": people, "references": references, "counts": counts}


def measure(database: Path, runs: int) -> dict[str, Any]:
    app = QApplication.instance() or QApplication([])  # noqa: F841 - held: the application lives while measuring
    from diversion_desktop.domain.permissions import Principal, Role
    from diversion_desktop.services.bootstrap import open_context
    from diversion_desktop.ui.main_window import MainWindow
    from diversion_desktop.ui.settings import Settings

    samples = _samples(database)
    # Signed in as a user holding every role (as the application after its sign-in dialog):
    # every service checks the permission and writes its audit rows as it would for a user.
    benchmark_user = Principal(username="benchmark", roles=frozenset(Role), display_name="Benchmark")
    ctx = open_context(f"sqlite:///{database.as_posix()}", principal=benchmark_user)
    settings_file = Path(tempfile.mkdtemp()) / "settings.ini"
    window = MainWindow(ctx, Settings(QSettings(str(settings_file), QSettings.Format.IniFormat)))
    view = window.referral_list  # the tab, built now (it reads nothing until it is first shown)
    window.resize(1280, 820)
    window.show()
    runner = window.runner
    spin(lambda: not runner.busy)  # what the window loads at start (queues, counts)
    heartbeat = Heartbeat()
    one_turn()
    heartbeat.reset()

    result: dict[str, Any] = {
        "people": samples["counts"]["people"],
        "referrals": samples["counts"]["referrals"],
        "appointments": samples["counts"]["appointments"],
    }
    from diversion_desktop.services.referrals import ReferralService

    counts = ReferralService(ctx)
    stalls: dict[str, float] = {}

    def phase(name: str, work: Callable[[], Any]) -> Any:  # noqa: ANN401 - app objects, imported late
        heartbeat.reset()
        value = work()
        one_turn()
        stalls[name] = heartbeat.longest
        return value

    result["search"] = phase("search", lambda: _search(window, runner, samples, runs))
    result["list"] = phase("list", lambda: _referral_list(window, view, runs))
    result["writes"] = phase("writes", lambda: _writes(ctx, runner, runs))
    result["queue_counts"] = phase(
        "queue counts", lambda: spread(on_worker(runner, counts.queue_counts)[1] for _ in range(runs))
    )
    result["letters"] = phase("letters", lambda: _letters(runner, runs))
    result["stall"] = max(stalls.values())
    result["stalls"] = stalls
    result["rss_mb"] = _rss_mb("VmHWM")  # the peak over the whole session, letters included
    window.close()
    return result


def _search(window: Any, runner: Any, samples: dict[str, Any], runs: int) -> dict[str, Any]:  # noqa: ANN401 - app objects, imported late
    from diversion_desktop.services.people import PeopleService

    service = PeopleService(window.ctx)
    prefix = samples["common"][:4].lower()
    queries = {
        "surname prefix": [prefix] + [s[:4].lower() for s, _dob in samples["people"]],
        "surname and date of birth": [f"{s} {date.fromisoformat(d):%d/%m/%Y}" for s, d in samples["people"]],
        "a reference": samples["references"],
    }
    query_times: dict[str, dict[str, float]] = {}
    for kind, texts in queries.items():
        for text in texts:
            on_worker(runner, lambda t=text: service.search(t))  # the statement's shape compiled once
        times = [on_worker(runner, lambda t=text: service.search(t))[1] for _ in range(runs) for text in texts]
        query_times[kind] = spread(times)

    panel = window.search
    window.show_search()
    typed = []
    for run in range(runs):
        text = queries["surname prefix"][run % len(queries["surname prefix"])]
        panel.search_box.clear()
        spin(lambda: not runner.busy)
        one_turn()
        for ch in text[:-1]:
            QTest.keyClick(panel.search_box, ch)
            QTest.qWait(SEARCH_TYPING_MS)

        def final(text: str = text) -> bool:
            # the panel's own flag: its search has ended, not just been started
            return panel.search_box.text() == text and not panel._searching  # noqa: SLF001 - see above

        typed.append(after(lambda t=text: QTest.keyClick(panel.search_box, t[-1]), panel.sig_results_shown, final))
    return {"query": query_times, "typed_to_shown": spread(typed)}


def _visible_rows_loaded(view: Any) -> bool:  # noqa: ANN401 - app objects, imported late
    table, model = view.table, view.model
    first = max(table.rowAt(0), 0)
    last = table.rowAt(table.viewport().height() - 1)
    last = model.rowCount() - 1 if last < 0 else last
    return all(model.is_loaded(row) for row in range(first, last + 1))


def _referral_list(window: Any, view: Any, runs: int) -> dict[str, dict[str, float]]:  # noqa: ANN401 - app objects, imported late
    from diversion_desktop.ui.referral_list import SORT_COLUMN

    times: dict[str, list[float]] = {"open": [], "status": [], "area": [], "sort": [], "last": []}
    defaults = {"status": "", "area": "", "text": "", "sort": "referral_date", "descending": True}
    loaded = view.sig_loaded
    times["open"].append(after(lambda: window.tabs.setCurrentWidget(view), loaded))  # the tab's first showing
    for run in range(runs):
        if run:
            times["open"].append(after(view.refresh, loaded))
        status = view.status_filter.findData("completed")
        times["status"].append(after(lambda i=status: view.status_filter.setCurrentIndex(i), loaded))
        area = view.area_filter.findData(view.service.areas()[run % 2])
        times["area"].append(after(lambda i=area: view.area_filter.setCurrentIndex(i), loaded))
        header = view.table.horizontalHeader()
        times["sort"].append(
            after(lambda h=header: h.setSortIndicator(SORT_COLUMN["person"], Qt.SortOrder.AscendingOrder), loaded)
        )
        started = time.perf_counter()
        view.jump_to_last()
        spin(lambda: _visible_rows_loaded(view))
        one_turn()
        times["last"].append(time.perf_counter() - started)
        after(lambda: view.set_filters(defaults), loaded)
    return {k: spread(v) for k, v in times.items()}


def _writes(ctx: Any, runner: Any, runs: int) -> dict[str, dict[str, float]]:  # noqa: ANN401 - app objects, imported late
    from diversion_desktop.domain.eligibility import SubstanceFind
    from diversion_desktop.domain.intake import IntakeDraft
    from diversion_desktop.domain.programme import Attendance
    from diversion_desktop.services.intake import IntakeService
    from diversion_desktop.services.programme import ProgrammeService

    intake, programme = IntakeService(ctx), ProgrammeService(ctx)
    saves, records = [], []
    for run in range(runs + 1):
        now = ctx.now()
        draft = IntakeDraft(
            scheme_code="west-berkshire",
            surname="Benchmark",
            forenames=f"Run {now:%H%M%S} {run}",
            date_of_birth=date(1990, 1, 1) + timedelta(days=run),
            sex="Female",
            address="1 Test Street",
            postcode="RG14 1AA",
            incident_at=now - timedelta(hours=2),
            incident_place="High Street",
            crime_reference="43000001/26",
            officer_name="PC Bench",
            officer_collar_number="1234",
            station="Newbury",
            substances=[SubstanceFind("cannabis", Decimal("2"), "g")],
            consent=True,
        )
        saved, seconds = on_worker(runner, lambda d=draft: intake.save(d))
        # A few minutes from now: a booking in the past is refused (domain/programme.py check_booking),
        # and today's, so its attendance can be recorded at once.
        when = min(now + timedelta(minutes=5), datetime.combine(now.date(), datetime.max.time()))
        booked, _ = on_worker(runner, lambda s=saved, w=when: programme.book(s.id, w))
        _, recorded = on_worker(runner, lambda b=booked: programme.record(b.id, Attendance.ATTENDED))
        if run:  # the first of each has compiled its statements
            saves.append(seconds)
            records.append(recorded)
    return {"save": spread(saves), "attendance": spread(records)}


def _letters(runner: Any, runs: int) -> dict[str, dict[str, float]]:  # noqa: ANN401 - app objects, imported late
    # reportlab is loaded on first use, on the worker, as the application's document service
    # loads it; so are the letters' data made.
    def load() -> tuple[Any, Any, Any, Any]:
        from benchmarks.letters import _document
        from diversion_desktop.documents import DocumentKind, render, render_batch

        return _document, DocumentKind, render, render_batch

    _document, DocumentKind, render, render_batch = on_worker(runner, load)[0]  # noqa: N806 - a class
    kind = DocumentKind.APPOINTMENT_LETTER
    documents = on_worker(runner, lambda: [_document(kind, i) for i in range(1000)])[0]

    def one_letter() -> list[float]:
        for data in documents[:30]:  # warm: fonts, styles
            render(kind, data)
        times = []
        for data in documents[30:230]:
            started = time.perf_counter()
            render(kind, data)
            times.append(time.perf_counter() - started)
        return times

    one = [t for _ in range(runs) for t in on_worker(runner, one_letter)[0]]
    batch = [
        on_worker(runner, lambda: render_batch([(kind, d) for d in documents], title="1,000 letters"))[1]
        for _ in range(max(1, min(runs, 3)))
    ]
    return {"one": spread(one), "batch": spread(batch)}


def _rss_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
