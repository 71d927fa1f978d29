"""Report refresh: recompute the daily report rows of the days an import touched.

Publishing a file version marks the days it changed (old and new rows) in report_dirty_day, in
the same transaction as the facts. A refresh takes those marks and rewrites exactly those days in
one REPEATABLE READ transaction, so readers never see a half-refreshed report and a crash leaves
the marks for the next refresh. A full rebuild rewrites every day.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import psycopg
from psycopg import IsolationLevel
from psycopg.pq import TransactionStatus

from salesops_pipeline.core.db.connect import Connection
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.core.report.rules import FACT_RULES
from salesops_pipeline.core.report.weeks import week_start
from salesops_pipeline.settings import sql_dir

LOCK_REPORTS = "SELECT pg_advisory_xact_lock(hashtext('salesops.reports'))"
SAMPLES_PER_DAY_AND_RULE = 20
REPORT_TABLES = ("report_daily_sales", "report_daily_seller", "report_daily_product",
                 "report_daily_shipping", "report_daily_quality", "report_quality_sample")


@dataclass(frozen=True)
class RefreshResult:
    mode: str
    days: list[date]
    weeks: list[date]
    seconds: float
    refresh_id: int | None


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
    conn.isolation_level = IsolationLevel.REPEATABLE_READ
    try:
        cur = conn.cursor()
        cur.execute(LOCK_REPORTS)
        cur.execute("CREATE TEMP TABLE refresh_day (day date PRIMARY KEY) ON COMMIT DROP")
        cur.execute("WITH taken AS (DELETE FROM salesops.report_dirty_day RETURNING day)"
                    " INSERT INTO refresh_day SELECT day FROM taken")
        forced = [week_start(w) + timedelta(days=i) for w in weeks for i in range(7)]
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
        if days:
            # A script of many statements: bound on the client (the server binds one at a time).
            psycopg.ClientCursor(conn).execute(refresh_sql(), {
                "tolerance": tolerance, "samples": SAMPLES_PER_DAY_AND_RULE,
                "loaded": ImportStatus.LOADED})
        touched = sorted({week_start(d) for d in days})
        if days or full:
            cur.execute(
                "INSERT INTO salesops.report_refresh (mode, days, weeks, run_id)"
                " VALUES (%s, %s::date[], %s::date[], %s) RETURNING refresh_id",
                ("full" if full else "incremental", days, touched, run_id))
            row = cur.fetchone()
            assert row is not None, "INSERT ... RETURNING returns the row it inserted"
            refresh_id = row[0]
        conn.commit()
    finally:
        if conn.info.transaction_status != TransactionStatus.IDLE:
            conn.rollback()  # failed (e.g. serialization): end it so the caller can retry
        conn.isolation_level = IsolationLevel.READ_COMMITTED
    return RefreshResult("full" if full else "incremental", days, touched,
                         time.perf_counter() - started, refresh_id)
