"""Every SQL statement of the API. Keyword-only arguments, every value bound, never formatted in.

Reports read only the daily report tables (`report_daily_*`), summed over the period, so their
cost grows with the number of days and names, not with the number of fact lines. Only
:func:`sales_lines` (the audit trail) reads the fact table, through its indexes.
Names are ordered with ``COLLATE "C"`` (code points) so ties come out the same on every server.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Protocol

Row = dict[str, Any]


class Fetcher(Protocol):
    def fetch(self, query: str, params: dict[str, Any] | None = None) -> list[Row]: ...


def api_key_by_prefix(db: Fetcher, *, prefix: str) -> Row | None:
    rows = db.fetch("SELECT name, role, key_hash, revoked_at FROM salesops.api_key"
                    " WHERE key_prefix = %(prefix)s", {"prefix": prefix})
    return rows[0] if rows else None


def weekly_summary(db: Fetcher, *, start: date, end: date) -> list[Row]:
    """One row per ISO week (Monday start) touching the period; only days inside it count."""
    return db.fetch(
        """
        SELECT date_trunc('week', day)::date AS week_start,
               date_trunc('week', day)::date + 6 AS week_end,
               sum(revenue) AS revenue, sum(units) AS units, sum(line_count)::bigint AS line_count
          FROM salesops.report_daily_sales
         WHERE day BETWEEN %(start)s AND %(end)s
         GROUP BY 1 ORDER BY 1
        """, {"start": start, "end": end})


def seller_ranking(db: Fetcher, *, start: date, end: date) -> list[Row]:
    """Sellers by revenue over the period; equal revenue shares a rank, then name order."""
    return db.fetch(
        """
        SELECT rank() OVER (ORDER BY sum(revenue) DESC) AS rank, seller,
               sum(revenue) AS revenue, sum(units) AS units, sum(line_count)::bigint AS line_count
          FROM salesops.report_daily_seller
         WHERE day BETWEEN %(start)s AND %(end)s
         GROUP BY seller
         ORDER BY rank, seller COLLATE "C"
        """, {"start": start, "end": end})


def top_products(db: Fetcher, *, start: date, end: date, limit: int) -> list[Row]:
    """The ``limit`` products with the most revenue; equal revenue shares a rank."""
    return db.fetch(
        """
        SELECT rank() OVER (ORDER BY sum(revenue) DESC) AS rank, product,
               sum(revenue) AS revenue, sum(units) AS units
          FROM salesops.report_daily_product
         WHERE day BETWEEN %(start)s AND %(end)s
         GROUP BY product
         ORDER BY rank, product COLLATE "C"
         LIMIT %(limit)s
        """, {"start": start, "end": end, "limit": limit})


def shipping_breakdown(db: Fetcher, *, start: date, end: date) -> list[Row]:
    """Revenue per shipping company; revenue_share = revenue / period total, rounded half away
    from zero to 6 decimal places (0.000000 when the total is 0)."""
    return db.fetch(
        """
        WITH per_company AS (
            SELECT shipping_company, sum(revenue) AS revenue,
                   sum(line_count)::bigint AS line_count
              FROM salesops.report_daily_shipping
             WHERE day BETWEEN %(start)s AND %(end)s
             GROUP BY shipping_company)
        SELECT shipping_company, revenue, line_count,
               round(CASE WHEN total_revenue = 0 THEN 0
                          ELSE revenue / total_revenue END, 6) AS revenue_share
          FROM per_company, (SELECT sum(revenue) AS total_revenue FROM per_company) AS total
         ORDER BY revenue DESC, shipping_company COLLATE "C"
        """, {"start": start, "end": end})


def quality_counts(db: Fetcher, *, start: date, end: date, default_tolerance: Decimal) -> Row:
    """Data-quality counts summed over the period; tolerance of the latest day with counts."""
    return db.fetch(
        """
        SELECT coalesce(sum(mismatched_total_count), 0)::bigint AS mismatched_total_count,
               coalesce(sum(nonpositive_units_count), 0)::bigint AS nonpositive_units_count,
               coalesce(sum(negative_amount_count), 0)::bigint AS negative_amount_count,
               coalesce(sum(missing_shipping_company_count), 0)::bigint
                   AS missing_shipping_company_count,
               coalesce(sum(rejected_row_count), 0)::bigint AS rejected_row_count,
               coalesce((array_agg(tolerance ORDER BY day DESC))[1], %(tolerance)s::numeric)
                   AS tolerance
          FROM salesops.report_daily_quality
         WHERE day BETWEEN %(start)s AND %(end)s
        """, {"start": start, "end": end, "tolerance": default_tolerance})[0]


def quality_samples(db: Fetcher, *, start: date, end: date, limit: int) -> list[Row]:
    return db.fetch(
        """
        SELECT day, rule, source_file, source_row_number, row_values
          FROM salesops.report_quality_sample
         WHERE day BETWEEN %(start)s AND %(end)s
         ORDER BY day, rule, source_file COLLATE "C", source_row_number
         LIMIT %(limit)s
        """, {"start": start, "end": end, "limit": limit})


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
               f.source_file, f.source_row_number, f.import_id,
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
               rows_read, rows_loaded, rows_rejected, error, run_id,
               started_at AS imported_at, finished_at, duplicate_of, superseded_by
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
        SELECT rejected_row_id AS id, import_id, source_file, source_row_number, raw_values,
               reasons, created_at
          FROM salesops.rejected_row
         WHERE import_id = %(id)s
         ORDER BY source_row_number
         LIMIT %(limit)s OFFSET %(offset)s
        """, {"id": import_id, "limit": limit, "offset": offset})


def health(db: Fetcher) -> Row:
    return db.fetch(
        """
        SELECT now() AS checked_at,
               (SELECT max(started_at) FROM salesops.import_log) AS latest_import_at,
               (SELECT max(refreshed_at) FROM salesops.report_refresh) AS reports_refreshed_at
        """)[0]
