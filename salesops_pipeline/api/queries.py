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


_LINE_FILTERS = """
         WHERE f.sold_at >= %(start)s AND f.sold_at < %(end)s::date + 1
           AND (%(seller)s::text IS NULL OR f.seller_id =
                (SELECT seller_id FROM salesops.dim_seller WHERE name = %(seller)s))
           AND (%(product)s::text IS NULL OR f.product_id =
                (SELECT product_id FROM salesops.dim_product WHERE name = %(product)s))
           AND (%(shipping)s::text IS NULL
                OR (%(shipping)s = 'UNKNOWN' AND f.shipping_company_id IS NULL)
                OR f.shipping_company_id = (SELECT shipping_company_id
                     FROM salesops.dim_shipping_company WHERE name = %(shipping)s))
"""


async def sales_lines(conn: Connection, *, start: date, end: date, seller: str | None,
                      product: str | None, shipping_company: str | None, limit: int,
                      offset: int) -> list[Row]:
    """The fact lines behind a figure, oldest first, each with its file, row and import.

    ``shipping_company="UNKNOWN"`` also matches lines without a shipping company, as the
    shipping breakdown groups them under that name.
    """
    return await fetch(
        conn,
        """
        SELECT f.sales_line_id, f.sold_at, p.name AS product, s.name AS seller,
               c.name AS shipping_company, f.unit_price, f.units, f.total_price,
               f.source_file, nullif(f.source_sheet, '') AS source_sheet,
               f.source_row_number, f.import_id,
               i.sha256 AS import_sha256, i.started_at AS imported_at
          FROM salesops.fact_sales_line AS f
          JOIN salesops.dim_product AS p USING (product_id)
          JOIN salesops.dim_seller AS s USING (seller_id)
          LEFT JOIN salesops.dim_shipping_company AS c USING (shipping_company_id)
          JOIN salesops.import_log AS i ON i.import_id = f.import_id
        """ + _LINE_FILTERS + """
         ORDER BY f.sold_at, f.sales_line_id
         LIMIT %(limit)s OFFSET %(offset)s
        """,
        {"start": start, "end": end, "seller": seller, "product": product,
         "shipping": shipping_company, "limit": limit, "offset": offset})


async def imports(conn: Connection, *, limit: int, offset: int) -> list[Row]:
    """The import log, newest first; the internal status 'staged' is shown as 'running'."""
    return await fetch(
        conn,
        """
        SELECT import_id AS id, source_file, sha256,
               CASE status WHEN 'staged' THEN 'running' ELSE status END AS status,
               rows_read, rows_loaded, rows_rejected, rows_skipped, error, run_id,
               started_at AS imported_at, finished_at, duplicate_of, superseded_by, withdrawn_at
          FROM salesops.import_log
         ORDER BY started_at DESC, import_id DESC
         LIMIT %(limit)s OFFSET %(offset)s
        """, {"limit": limit, "offset": offset})


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
    rows = await fetch(conn, """
        SELECT now() AS checked_at,
               (SELECT max(started_at) FROM salesops.import_log) AS latest_import_at,
               (SELECT max(refreshed_at) FROM salesops.report_refresh) AS reports_refreshed_at
        """)
    return rows[0]
