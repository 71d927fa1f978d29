"""Report refresh: recompute the daily report rows of the days an import touched.

Publishing a file version marks the days it changed (old and new rows) in report_dirty_day, in
the same transaction as the facts. A refresh takes those marks and rewrites exactly those days in
one REPEATABLE READ transaction, so readers never see a half-refreshed report and a crash leaves
the marks for the next refresh. A full rebuild rewrites every day. In the same transaction the
replaced rows go to the report history (as_of reads, core/report/history.py) and the weeks whose
already-reported figures changed are logged as restatements (core/report/restatements.py).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import psycopg
from psycopg import IsolationLevel, sql
from psycopg.pq import TransactionStatus

from salesops_pipeline.core.db.connect import Connection, Cursor
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.report import history, restatements
from salesops_pipeline.core.report.rules import FACT_RULES
from salesops_pipeline.core.report.weeks import week_days, week_start
from salesops_pipeline.settings import sql_dir

LOCK_REPORTS = "SELECT pg_advisory_xact_lock(hashtext('salesops.reports'))"  # history.py too
SAMPLES_PER_DAY_AND_RULE = 20
CREATE_REFRESH_DAY = "CREATE TEMP TABLE refresh_day (day date PRIMARY KEY) ON COMMIT DROP"
REPORT_TABLES = ("report_daily_sales", "report_daily_seller", "report_daily_product",
                 "report_daily_shipping", "report_daily_quality", "report_quality_sample")


@dataclass(frozen=True)
class RefreshResult:
    mode: str
    days: list[date]
    weeks: list[date]
    seconds: float
    refresh_id: int | None
    restated: list[restatements.Restated] = field(default_factory=list)
    """The restatements this refresh recorded (core/report/restatements.py)."""


def refresh_sql() -> str:
    """sql/queries/refresh_reports.sql with the fact rules of core/report/rules.py filled in
    (fixed expressions and names from code, never input), so reports and checks share one
    definition of each rule."""
    parts = {
        "/*RULE_FLAGS*/": ", ".join(f"{r.sql} AS {r.name}" for r in FACT_RULES),
        "/*RULE_COUNTS*/": ", ".join(f"count(*) FILTER (WHERE {r.name}) AS {r.count_column}"
                                     for r in FACT_RULES),
        "/*RULE_COUNT_COLUMNS*/": ", ".join(r.count_column for r in FACT_RULES),
        "/*RULE_COUNT_VALUES*/": ", ".join(f"coalesce(f.{r.count_column}, 0)"
                                           for r in FACT_RULES),
        "/*RULE_HITS*/": ", ".join(f"('{r.sample_rule}', f.{r.name})" for r in FACT_RULES),
    }
    text = (sql_dir() / "queries" / "refresh_reports.sql").read_text()
    for placeholder, value in parts.items():
        text = text.replace(placeholder, value)
    return text


def refresh(conn: Connection, *, tolerance: Decimal, full: bool = False,
            weeks: list[date] | None = None, run_id: str | None = None) -> RefreshResult:
    """Rewrite the dirty days (or every day) in the caller's connection; commits itself.

    ``weeks`` (Mondays) are rewritten too, dirty or not: the weekly job refreshes last week.

    Retries a few times when a concurrent publish makes the snapshot stale.
    """
    for attempt in range(5):
        try:
            return _refresh_once(conn, tolerance=tolerance, full=full, weeks=weeks or [],
                                 run_id=run_id)
        except psycopg.errors.SerializationFailure:
            conn.rollback()
            time.sleep(0.2 * (attempt + 1))
    return _refresh_once(conn, tolerance=tolerance, full=full, weeks=weeks or [], run_id=run_id)


def _refresh_once(conn: Connection, *, tolerance: Decimal, full: bool, weeks: list[date],
                  run_id: str | None) -> RefreshResult:
    started = time.perf_counter()
    restated: list[restatements.Restated] = []
    conn.isolation_level = IsolationLevel.REPEATABLE_READ
    try:
        cur = conn.cursor()
        cur.execute(LOCK_REPORTS)
        cur.execute(CREATE_REFRESH_DAY)
        cur.execute("WITH taken AS (DELETE FROM salesops.report_dirty_day RETURNING day)"
                    " INSERT INTO refresh_day SELECT day FROM taken")
        forced = [day for week in weeks for day in week_days(week)]
        if forced:
            cur.execute("INSERT INTO refresh_day SELECT unnest(%s::date[]) ON CONFLICT DO NOTHING",
                        (forced,))
        if full:
            cur.execute(
                "INSERT INTO refresh_day"
                " SELECT DISTINCT sold_at::date FROM salesops.fact_sales_line"
                " UNION SELECT day FROM salesops.report_daily_sales"
                " UNION SELECT day FROM salesops.report_daily_quality"
                " UNION SELECT finished_at::date FROM salesops.import_log"
                "   WHERE status = %s AND rows_rejected > 0"
                " ON CONFLICT DO NOTHING", (ImportStatus.LOADED,))
        cur.execute("SELECT day FROM refresh_day ORDER BY day")
        days = [r[0] for r in cur.fetchall()]
        refresh_id = None
        touched = sorted({week_start(d) for d in days})
        # History and restatements came with schema revision 0005: None before it.
        at = history.moment(cur) if history.kept(cur) else None
        if days:
            if at:
                restatements.snapshot(cur, "figure_before", touched)
            _run_script(conn, tolerance, at)
        if days or full:
            refresh_id = _record(cur, "full" if full else "incremental", days, run_id)
        if days and at and refresh_id is not None:
            restated = restatements.record(cur, refresh_id=refresh_id, weeks=touched, at=at)
        conn.commit()
    finally:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.rollback()  # failed (e.g. serialization): end it so the caller can retry
        conn.isolation_level = IsolationLevel.READ_COMMITTED
    return RefreshResult("full" if full else "incremental", days, touched,
                         time.perf_counter() - started, refresh_id, restated)


def rewrite_days(conn: Connection, days: list[date], *, tolerance: Decimal,
                 run_id: str | None = None) -> int:
    """Rewrite the report rows of ``days`` in the caller's transaction (the caller commits) and
    record it in report_refresh like any refresh; return its refresh_id.

    For a change to the warehouse made outside an import, in the same transaction (schema
    revision 0003 merging dimension rows). The dirty-day marks are left alone. Its temporary
    tables are dropped at the end, so it may run again in the same transaction.
    """
    cur = conn.cursor()
    cur.execute(LOCK_REPORTS)
    cur.execute(CREATE_REFRESH_DAY)
    cur.execute("INSERT INTO refresh_day SELECT DISTINCT unnest(%s::date[])", (days,))
    _run_script(conn, tolerance, history.moment(cur) if history.kept(cur) else None)
    refresh_id = _record(cur, "incremental", sorted(set(days)), run_id)
    temporary = ["refresh_day", *re.findall(r"CREATE TEMP TABLE (\w+)", refresh_sql())]
    cur.execute(sql.SQL("DROP TABLE {}").format(sql.SQL(", ").join(map(sql.Identifier,
                                                                         temporary))))
    return refresh_id


def _run_script(conn: Connection, tolerance: Decimal, at: datetime | None) -> None:
    """The refresh script over the days in temp table refresh_day; with a moment ``at``, their
    rows of before go to the report history first (core/report/history.py)."""
    cur = conn.cursor()
    if at:
        history.archive(cur, at)
    # A script of many statements: bound on the client (the server binds one at a time).
    psycopg.ClientCursor(conn).execute(refresh_sql(), {
        "tolerance": tolerance, "samples": SAMPLES_PER_DAY_AND_RULE,
        "loaded": ImportStatus.LOADED})
    if at:
        history.stamp(cur, at)


def _record(cur: Cursor, mode: str, days: list[date], run_id: str | None) -> int:
    """One report_refresh row: what the report tables now hold (the API's ETags follow it)."""
    cur.execute(
        "INSERT INTO salesops.report_refresh (mode, days, weeks, run_id)"
        " VALUES (%s, %s::date[], %s::date[], %s) RETURNING refresh_id",
        (mode, days, sorted({week_start(d) for d in days}), run_id))
    row = cur.fetchone()
    assert row is not None, "INSERT ... RETURNING returns the row it inserted"
    return int(row[0])
