"""Every SQL statement of the API, run on a pooled asynchronous connection. Keyword-only
arguments, every value bound, never formatted in.

The reports run the statements of core/report/queries.py (shared with the weekly export files):
they read only the daily report tables (`report_daily_*`), summed over the period, so their
cost grows with the number of days and names, not with the number of fact lines. Only
:func:`sales_lines` (the audit trail) and the price rule at a requested tolerance read the fact
table, through its indexes. Names are ordered with ``COLLATE "C"`` (code points) so ties come out
the same on every server.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from salesops_pipeline.api.db import Connection, Row, fetch
from salesops_pipeline.api.replica import LAG_SQL
from salesops_pipeline.core.report import lines
from salesops_pipeline.core.report import queries as report
from salesops_pipeline.core.report.history import as_of as at
from salesops_pipeline.core.report.refresh import SAMPLES_PER_DAY_AND_RULE
from salesops_pipeline.core.report.rules import MISMATCHED_TOTAL


async def weekly_summary(conn: Connection, *, start: date, end: date,
                         as_of: datetime | None = None) -> list[Row]:
    return await fetch(conn, at(report.WEEKLY_SUMMARY_SQL, as_of),
                       {"start": start, "end": end, "as_of": as_of})


async def seller_ranking(conn: Connection, *, start: date, end: date,
                         as_of: datetime | None = None) -> list[Row]:
    return await fetch(conn, at(report.SELLER_RANKING_SQL, as_of),
                       {"start": start, "end": end, "as_of": as_of})


async def top_products(conn: Connection, *, start: date, end: date, limit: int,
                       as_of: datetime | None = None) -> list[Row]:
    return await fetch(conn, at(report.TOP_PRODUCTS_SQL, as_of),
                       {"start": start, "end": end, "limit": limit, "as_of": as_of})


async def shipping_breakdown(conn: Connection, *, start: date, end: date,
                             as_of: datetime | None = None) -> list[Row]:
    return await fetch(conn, at(report.SHIPPING_BREAKDOWN_SQL, as_of),
                       {"start": start, "end": end, "as_of": as_of})


async def quality_counts(conn: Connection, *, start: date, end: date,
                         default_tolerance: Decimal, as_of: datetime | None = None) -> Row:
    rows = await fetch(conn, at(report.QUALITY_COUNTS_SQL, as_of),
                       {"start": start, "end": end, "tolerance": default_tolerance,
                        "as_of": as_of})
    return rows[0]


async def quality_samples(conn: Connection, *, start: date, end: date, limit: int,
                          as_of: datetime | None = None) -> list[Row]:
    return await fetch(conn, at(report.QUALITY_SAMPLES_SQL, as_of),
                       {"start": start, "end": end, "limit": limit, "as_of": as_of})


async def mismatched_count(conn: Connection, *, start: date, end: date,
                           tolerance: Decimal) -> int:
    rows = await fetch(conn, report.MISMATCHED_COUNT_SQL,
                       {"start": start, "end": end, "tolerance": tolerance})
    return int(rows[0]["n"])


async def quality_samples_at(conn: Connection, *, start: date, end: date, tolerance: Decimal,
                             limit: int) -> list[Row]:
    return await fetch(conn, report.QUALITY_SAMPLES_AT_SQL,
                       {"start": start, "end": end, "tolerance": tolerance, "limit": limit,
                        "per_day": SAMPLES_PER_DAY_AND_RULE,
                        "rule": MISMATCHED_TOTAL.sample_rule})


async def sales_lines(conn: Connection, *, want: lines.LineFilter, limit: int,
                      offset: int) -> list[Row]:
    """The fact lines behind a figure, oldest first, each with its file, row and import
    (core/report/lines.py: only the filters asked for, each on its index)."""
    text, params = lines.lines_query(want, limit=limit, offset=offset)
    return await fetch(conn, text, params)


_IMPORT_COLUMNS = """
        SELECT import_id AS id, source_file, sha256,
               CASE status WHEN 'staged' THEN 'running' ELSE status END AS status,
               rows_read, rows_loaded, rows_rejected, rows_skipped, error, run_id,
               started_at AS imported_at, finished_at, duplicate_of, superseded_by, withdrawn_at,
               drift"""


async def imports(conn: Connection, *, limit: int, offset: int) -> list[Row]:
    """The import log, newest first; the internal status 'staged' is shown as 'running'."""
    return await fetch(conn, _IMPORT_COLUMNS + """
          FROM salesops.import_log
         ORDER BY started_at DESC, import_id DESC
         LIMIT %(limit)s OFFSET %(offset)s
        """, {"limit": limit, "offset": offset})


async def import_detail(conn: Connection, *, import_id: int) -> Row | None:
    """One import as /imports shows it, with its tables (``sheets``) and skipped sheets."""
    rows = await fetch(conn, _IMPORT_COLUMNS + """,
               coalesce(sheets, '[]') AS sheets, coalesce(skipped_sheets, '[]') AS skipped_sheets
          FROM salesops.import_log WHERE import_id = %(id)s""", {"id": import_id})
    return rows[0] if rows else None


async def feedback_rows(conn: Connection, *, import_id: int, limit: int
                        ) -> tuple[list[Row], list[Row], list[Row]]:
    """The first quarantined and skipped rows of one import, and its control totals."""
    quarantined = await fetch(conn, """
        SELECT nullif(source_sheet, '') AS sheet, source_row_number AS row, reasons,
               raw_values AS values
          FROM salesops.rejected_row WHERE import_id = %(id)s
         ORDER BY source_sheet, source_row_number LIMIT %(limit)s
        """, {"id": import_id, "limit": limit})
    skipped = await fetch(conn, """
        SELECT nullif(source_sheet, '') AS sheet, source_row_number, reason,
               raw_values AS raw, kind
          FROM salesops.skipped_row WHERE import_id = %(id)s
         ORDER BY source_sheet, source_row_number LIMIT %(limit)s
        """, {"id": import_id, "limit": limit})
    totals = await fetch(conn, """
        SELECT nullif(source_sheet, '') AS sheet, source_row_number, label, scope, first_row,
               last_row, stated_total, loaded_total, difference, stated_units, loaded_units,
               lines_loaded, quarantined_rows
          FROM salesops.control_total WHERE import_id = %(id)s
         ORDER BY source_sheet, source_row_number
        """, {"id": import_id})
    return quarantined, skipped, totals


async def import_count(conn: Connection) -> int:
    rows = await fetch(conn, "SELECT count(*) AS n FROM salesops.import_log")
    return int(rows[0]["n"])


async def import_exists(conn: Connection, *, import_id: int) -> bool:
    return bool(await fetch(conn, "SELECT 1 AS one FROM salesops.import_log"
                                  " WHERE import_id = %(id)s", {"id": import_id}))


async def rejections(conn: Connection, *, import_id: int, limit: int, offset: int) -> list[Row]:
    return await fetch(
        conn,
        """
        SELECT rejected_row_id AS id, import_id, source_file,
               nullif(source_sheet, '') AS source_sheet, source_row_number, raw_values,
               reasons, created_at
          FROM salesops.rejected_row
         WHERE import_id = %(id)s
         ORDER BY source_sheet, source_row_number
         LIMIT %(limit)s OFFSET %(offset)s
        """, {"id": import_id, "limit": limit, "offset": offset})


async def health(conn: Connection) -> Row:
    """The health figures: the server's clock, the latest import, the latest report refresh."""
    rows = await fetch(conn, f"""
        SELECT now() AS checked_at, {LAG_SQL} AS replica_lag_seconds,
               (SELECT max(started_at) FROM salesops.import_log) AS latest_import_at,
               (SELECT max(refreshed_at) FROM salesops.report_refresh) AS reports_refreshed_at
        """)
    return rows[0]
