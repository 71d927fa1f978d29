"""The bench every reliability test runs on: a known good file already loaded and reported.

A bad input is imported next to it; afterwards :meth:`Bench.assert_untouched` checks that the
good file's facts, its import log entry and the report tables are exactly as before and that no
staging rows were left behind. Also here: a watch on file reads (Python's audit hook) and a peak
memory probe, for the "never read" and "bounded" claims.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psutil
import psycopg
from dagster import ExecuteInProcessResult

from salesops_pipeline.core.report.refresh import REPORT_TABLES
from salesops_pipeline_tests.ingest_support import Ingestor, fact_rows
from salesops_pipeline_tests.workbooks import write_clean_workbook

__all__ = [
    "GOOD_DAYS",
    "GOOD_FILE",
    "GOOD_ROWS",
    "Bench",
    "Outcome",
    "open_sql",
    "peak_memory_growth",
    "sale",
    "watch_reads",
]

GOOD_FILE = "good.xlsx"


def sale(day: int, product: str = "Laptop", seller: str = "Ada", price: str = "999.00",
         units: int = 1, shipper: str | None = "DHL", hour: int = 10) -> dict[str, object]:
    """One clean sales line in January 2025 (far from today, so reports of today stay apart)."""
    return {"sold_at": datetime(2025, 1, day, hour, 0), "product": product, "seller": seller,
            "unit_price": Decimal(price), "units": units,
            "total_price": Decimal(price) * units, "shipping_company": shipper}


GOOD_ROWS = [sale(6), sale(7, "Mouse", "Grace", "24.95", 3), sale(8, "Dock", shipper=None)]
GOOD_DAYS = sorted({row["sold_at"].date() for row in GOOD_ROWS})  # type: ignore[union-attr]


@dataclass(frozen=True)
class Outcome:
    """The import log entry of one file (its latest version) and the Dagster results."""

    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    error: str | None
    run: ExecuteInProcessResult
    refresh: ExecuteInProcessResult
    seconds: float
    cpu_seconds: float  # this process's CPU time for the import: robust on a busy machine


@dataclass(frozen=True)
class State:
    """What a bad input must leave alone."""

    good_facts: dict[tuple[str, int], tuple]
    good_import: list[tuple]
    reports: dict[str, list[str]]
    refreshes: int
    facts: int
    imports: int


def _state(sql: Callable, days: list[date] | None) -> State:
    reports = {
        table: [r[0] for r in sql(  # fixed table names from core.report.refresh, never input
            f"SELECT (to_jsonb(t) - 'refreshed_at')::text FROM salesops.{table} t"
            " WHERE %(days)s::date[] IS NULL OR t.day = ANY(%(days)s::date[]) ORDER BY 1",
            {"days": days})]
        for table in REPORT_TABLES
    }
    return State(
        good_facts=fact_rows(sql, GOOD_FILE),
        good_import=sql("SELECT import_id, sha256, status, rows_read, rows_loaded, rows_rejected,"
                        " error, finished_at FROM salesops.import_log WHERE source_file = %s",
                        (GOOD_FILE,)),
        reports=reports,
        refreshes=sql("SELECT count(*) FROM salesops.report_refresh")[0][0],
        facts=sql("SELECT count(*) FROM salesops.fact_sales_line")[0][0],
        imports=sql("SELECT count(*) FROM salesops.import_log WHERE status <> 'rejected'")[0][0],
    )


@dataclass
class Bench:
    """A warehouse holding GOOD_FILE, loaded and reported, plus the folder bad files go to."""

    ingest: Ingestor
    folder: Path
    sql: Callable
    before: State = field(init=False)
    before_good_days: State = field(init=False)

    def __post_init__(self) -> None:
        write_clean_workbook(self.folder / GOOD_FILE, GOOD_ROWS)
        self.ingest.run(GOOD_FILE)
        refresh = self.ingest.refresh()
        assert refresh.success, "the bench's own report refresh failed"
        self.before = _state(self.sql, None)
        self.before_good_days = _state(self.sql, GOOD_DAYS)
        assert len(self.before.good_facts) == len(GOOD_ROWS)

    def run(self, key: str) -> Outcome:
        """Import ``key`` the way the sensor's run does, then refresh the reports."""
        started, cpu = time.perf_counter(), time.process_time()
        run = self.ingest.run(key, raise_on_error=False)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        refresh = self.ingest.refresh()
        rows = self.sql("SELECT status, rows_read, rows_loaded, rows_rejected, error"
                        " FROM salesops.import_log WHERE source_file = %s"
                        " ORDER BY import_id DESC LIMIT 1", (key,))
        assert rows, f"no import log entry for {key!r}"
        return Outcome(*rows[0], run=run, refresh=refresh, seconds=seconds, cpu_seconds=cpu)

    def intact(self) -> bool:
        """Whether the warehouse still holds exactly this bench (another test may have reset it)."""
        return _state(self.sql, None) == self.before

    def assert_untouched(self, *, loaded: bool) -> None:
        """The good file and the reports are as before; nothing is left in staging.

        When the other file was rejected, the report tables are identical and no refresh ran;
        when it was loaded, the report rows of the good file's days are identical.
        """
        after = _state(self.sql, GOOD_DAYS if loaded else None)
        before = self.before_good_days if loaded else self.before
        assert after.good_facts == before.good_facts
        assert after.good_import == before.good_import
        assert after.reports == before.reports
        if not loaded:
            assert after.refreshes == before.refreshes, "a rejected file made reports recompute"
            assert after.facts == before.facts
        assert self.sql("SELECT (SELECT count(*) FROM salesops.stage_sales_line),"
                        " (SELECT count(*) FROM salesops.stage_rejected_row),"
                        " (SELECT count(*) FROM salesops.stage_name)") == [(0, 0, 0)]
        assert self.sql("SELECT count(*) FROM salesops.import_log"
                        " WHERE status IN ('running', 'staged')") == [(0,)]


@contextmanager
def open_sql(database_url: str) -> Iterator[Callable[..., list[tuple]]]:
    """Like the ``sql`` fixture, for fixtures and examples that outlive one test's ``db``."""
    conn = psycopg.connect(database_url)
    conn.autocommit = True

    def run(query: str, params: tuple | dict | None = None) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []

    try:
        yield run
    finally:
        conn.close()


# ---- file reads --------------------------------------------------------------------------------

_watchers: list[Callable[[str, tuple], None]] = []


def _audit(event: str, args: tuple) -> None:
    if _watchers and event == "open":
        for watcher in list(_watchers):
            watcher(event, args)


_installed = False


@contextmanager
def watch_reads(forbidden: Path) -> Iterator[list[str]]:
    """Collect every file the process opens (via Python) that resolves inside ``forbidden``.

    Audit hooks cannot be removed, so one is installed for the session and is inert while no
    watch is active.
    """
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
    root = os.path.realpath(forbidden)
    seen: list[str] = []

    def watcher(_event: str, args: tuple) -> None:
        path = args[0]
        if isinstance(path, int):
            return
        text = os.fsdecode(path)
        real = os.path.realpath(text)
        if real == root or real.startswith(root + os.sep):
            seen.append(text)

    _watchers.append(watcher)
    try:
        yield seen
    finally:
        _watchers.remove(watcher)


# ---- memory ------------------------------------------------------------------------------------


def _python_rss(process: psutil.Process) -> int:
    """RSS of this process plus its Python descendants (the capped parser children of
    extract/memory_cap.py, forked by multiprocessing's fork server); PostgreSQL's are not
    counted."""
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            if child.exe() == sys.executable or child.exe() == os.path.realpath(sys.executable):
                total += child.memory_info().rss
        except psutil.Error:  # it ended while we looked
            continue
    return total


@contextmanager
def peak_memory_growth(interval: float = 0.01) -> Iterator[dict[str, int]]:
    """Sample the RSS of this process and its Python children while the block runs;
    ``result["bytes"]`` = peak − start."""
    process = psutil.Process()
    start = _python_rss(process)
    result = {"bytes": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result["bytes"] = max(result["bytes"], _python_rss(process) - start)
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        result["bytes"] = max(result["bytes"], _python_rss(process) - start)
