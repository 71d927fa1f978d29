"""Every SQL statement of the API. Keyword-only arguments, every value bound, never formatted in.

Reports read only the daily report tables (`report_daily_*`), summed over the period, so their
cost grows with the number of days and names, not with the number of fact lines. Only
:func:`sales_lines` (the audit trail) reads the fact table, through its indexes.
Names are ordered with ``COLLATE "C"`` (code points) so ties come out the same on every server.
"""

from __future__ import annotations

from datetime import date

from salesops_pipeline.api.keylookup import KeyLookups, SharedQuery
from salesops_pipeline.core.report.queries import (  # noqa: F401 - the API's query surface
    Fetcher,
    Row,
    mismatched_count,
    quality_counts,
    quality_samples,
    quality_samples_at,
    seller_ranking,
    shipping_breakdown,
    top_products,
    weekly_summary,
)


async def api_key_by_prefix(lookups: KeyLookups, *, prefix: str) -> Row | None:
    """The key's row plus the statement's snapshot and the server's start time: equal pairs
    see equal data, which is what the response cache (api/cache.py) is keyed by. Keys of
    requests arriving together are looked up in one query (api/keylookup.py)."""
    return await lookups.get(prefix)


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


def sales_lines(db: Fetcher, *, start: date, end: date, seller: str | None,
                product: str | None, shipping_company: str | None, limit: int, offset: int
                ) -> list[Row]:
    """The fact lines behind a figure, oldest first, each with its file, row and import.

    ``shipping_company="UNKNOWN"`` also matches lines without a shipping company, as the
    shipping breakdown groups them under that name.
    """
    return db.fetch(
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


def imports(db: Fetcher, *, limit: int, offset: int) -> list[Row]:
    """The import log, newest first; the internal status 'staged' is shown as 'running'."""
    return db.fetch(
        """
        SELECT import_id AS id, source_file, sha256,
               CASE status WHEN 'staged' THEN 'running' ELSE status END AS status,
               rows_read, rows_loaded, rows_rejected, rows_skipped, error, run_id,
               started_at AS imported_at, finished_at, duplicate_of, superseded_by, withdrawn_at
          FROM salesops.import_log
         ORDER BY started_at DESC, import_id DESC
         LIMIT %(limit)s OFFSET %(offset)s
        """, {"limit": limit, "offset": offset})


def import_count(db: Fetcher) -> int:
    return int(db.fetch("SELECT count(*) AS n FROM salesops.import_log")[0]["n"])


def import_exists(db: Fetcher, *, import_id: int) -> bool:
    return bool(db.fetch("SELECT 1 AS one FROM salesops.import_log WHERE import_id = %(id)s",
                         {"id": import_id}))


def rejections(db: Fetcher, *, import_id: int, limit: int, offset: int) -> list[Row]:
    return db.fetch(
        """
        SELECT rejected_row_id AS id, import_id, source_file,
               nullif(source_sheet, '') AS source_sheet, source_row_number, raw_values,
               reasons, created_at
          FROM salesops.rejected_row
         WHERE import_id = %(id)s
         ORDER BY source_sheet, source_row_number
         LIMIT %(limit)s OFFSET %(offset)s
        """, {"id": import_id, "limit": limit, "offset": offset})


HEALTH_SQL = """
    SELECT now() AS checked_at,
           (SELECT max(started_at) FROM salesops.import_log) AS latest_import_at,
           (SELECT max(refreshed_at) FROM salesops.report_refresh) AS reports_refreshed_at
    """


async def health(shared: SharedQuery) -> Row:
    """The health figures; health checks arriving together share one query."""
    rows = await shared.get()
    return rows[0]
