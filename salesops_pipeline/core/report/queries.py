"""Report read queries over the daily report tables, shared by the API and the weekly exports.

Reports read only `report_daily_*`, summed over the period, so their cost grows with the number
of days and names, not with the number of fact lines; the one exception is the price-mismatch
rule at a tolerance other than the refreshed one, read from the period's fact lines (index on
sold_at). Keyword-only arguments, every value bound. Each statement is also a module constant
(``*_SQL``): the API runs the same statements on its asynchronous pool (api/queries.py).
Names are ordered with ``COLLATE "C"`` (code points) so ties come out the same on every server.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from salesops_pipeline.core.report.history import as_of as at
from salesops_pipeline.core.report.refresh import SAMPLES_PER_DAY_AND_RULE
from salesops_pipeline.core.report.rules import COUNT_COLUMNS, MISMATCHED_TOTAL

Row = dict[str, Any]


class Fetcher(Protocol):
    def fetch(self, query: str, params: dict[str, Any] | None = None) -> list[Row]: ...


WEEKLY_SUMMARY_SQL = """
    SELECT date_trunc('week', day)::date AS week_start,
           date_trunc('week', day)::date + 6 AS week_end,
           sum(revenue) AS revenue, sum(units) AS units, sum(line_count)::bigint AS line_count
      FROM salesops.report_daily_sales
     WHERE day BETWEEN %(start)s AND %(end)s
     GROUP BY 1 ORDER BY 1
    """


def weekly_summary(db: Fetcher, *, start: date, end: date,
                   as_of: datetime | None = None) -> list[Row]:
    """One row per ISO week (Monday start) touching the period; only days inside it count.
    ``as_of``: the figures as they stood then (core/report/history.py), as every report here."""
    return db.fetch(at(WEEKLY_SUMMARY_SQL, as_of), {"start": start, "end": end, "as_of": as_of})


SELLER_RANKING_SQL = """
    SELECT rank() OVER (ORDER BY sum(revenue) DESC) AS rank, seller,
           sum(revenue) AS revenue, sum(units) AS units, sum(line_count)::bigint AS line_count
      FROM salesops.report_daily_seller
     WHERE day BETWEEN %(start)s AND %(end)s
     GROUP BY seller
     ORDER BY rank, seller COLLATE "C"
    """


def seller_ranking(db: Fetcher, *, start: date, end: date,
                   as_of: datetime | None = None) -> list[Row]:
    """Sellers by revenue over the period; equal revenue shares a rank, then name order."""
    return db.fetch(at(SELLER_RANKING_SQL, as_of), {"start": start, "end": end, "as_of": as_of})


TOP_PRODUCTS_SQL = """
    SELECT rank() OVER (ORDER BY sum(revenue) DESC) AS rank, product,
           sum(revenue) AS revenue, sum(units) AS units
      FROM salesops.report_daily_product
     WHERE day BETWEEN %(start)s AND %(end)s
     GROUP BY product
     ORDER BY rank, product COLLATE "C"
     LIMIT %(limit)s
    """


def top_products(db: Fetcher, *, start: date, end: date, limit: int,
                 as_of: datetime | None = None) -> list[Row]:
    """The ``limit`` products with the most revenue; equal revenue shares a rank."""
    return db.fetch(at(TOP_PRODUCTS_SQL, as_of),
                    {"start": start, "end": end, "limit": limit, "as_of": as_of})


SHIPPING_BREAKDOWN_SQL = """
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
    """


def shipping_breakdown(db: Fetcher, *, start: date, end: date,
                       as_of: datetime | None = None) -> list[Row]:
    """Revenue per shipping company; revenue_share = revenue / period total, rounded half away
    from zero to 6 decimal places (0.000000 when the total is 0)."""
    return db.fetch(at(SHIPPING_BREAKDOWN_SQL, as_of),
                    {"start": start, "end": end, "as_of": as_of})


# One sum per rule count column of core/report/rules.py (fixed names from code, never input).
_COUNT_SUMS = ",\n".join(f"coalesce(sum({c}), 0)::bigint AS {c}" for c in COUNT_COLUMNS)
QUALITY_COUNTS_SQL = f"""
    SELECT {_COUNT_SUMS},
           coalesce((array_agg(tolerance ORDER BY day DESC))[1], %(tolerance)s::numeric)
               AS tolerance
      FROM salesops.report_daily_quality
     WHERE day BETWEEN %(start)s AND %(end)s
    """


def quality_counts(db: Fetcher, *, start: date, end: date, default_tolerance: Decimal,
                   as_of: datetime | None = None) -> Row:
    """Data-quality counts summed over the period; tolerance of the latest day with counts."""
    return db.fetch(at(QUALITY_COUNTS_SQL, as_of), {"start": start, "end": end, "as_of": as_of,
                                                    "tolerance": default_tolerance})[0]


# A sample's shipping company by name, as people read it (the stored values keep its id).
_NAMED_VALUES = """CASE WHEN s.row_values ? 'shipping_company_id'
         THEN (s.row_values - 'shipping_company_id') || jsonb_build_object('shipping_company',
              (SELECT c.name FROM salesops.dim_shipping_company c
                WHERE c.shipping_company_id = (s.row_values ->> 'shipping_company_id')::bigint))
         ELSE s.row_values END AS row_values"""
QUALITY_SAMPLES_SQL = f"""
    SELECT day, rule, source_file, nullif(source_sheet, '') AS source_sheet,
           source_row_number, {_NAMED_VALUES}
      FROM salesops.report_quality_sample AS s
     WHERE day BETWEEN %(start)s AND %(end)s
     ORDER BY day, rule, source_file COLLATE "C", source_sheet COLLATE "C", source_row_number
     LIMIT %(limit)s
    """


def quality_samples(db: Fetcher, *, start: date, end: date, limit: int,
                    as_of: datetime | None = None) -> list[Row]:
    return db.fetch(at(QUALITY_SAMPLES_SQL, as_of),
                    {"start": start, "end": end, "limit": limit, "as_of": as_of})


# The period's fact lines (index on sold_at) breaking the price rule of core/report/rules.py at
# the bound %(tolerance)s; the rule is a fixed expression from code, never input.
_MISMATCHED = f"""
    FROM salesops.fact_sales_line f
   WHERE f.sold_at >= %(start)s AND f.sold_at < %(end)s::date + 1
     AND {MISMATCHED_TOTAL.sql}
"""
MISMATCHED_COUNT_SQL = f"SELECT count(*) AS n {_MISMATCHED}"


def mismatched_count(db: Fetcher, *, start: date, end: date, tolerance: Decimal) -> int:
    """Lines sold in the period whose total differs from price × units by more than
    ``tolerance``: the data-quality count at a tolerance of the caller's choosing."""
    return int(db.fetch(MISMATCHED_COUNT_SQL,
                        {"start": start, "end": end, "tolerance": tolerance})[0]["n"])


QUALITY_SAMPLES_AT_SQL = f"""
    SELECT day, rule, source_file, nullif(source_sheet, '') AS source_sheet,
           source_row_number, {_NAMED_VALUES} FROM (
        SELECT day, %(rule)s::text AS rule, source_file, source_sheet,
               source_row_number, row_values FROM (
            SELECT f.sold_at::date AS day, f.source_file, f.source_sheet,
                   f.source_row_number,
                   jsonb_build_object('sold_at', f.sold_at, 'unit_price', f.unit_price,
                                      'units', f.units, 'total_price', f.total_price,
                                      'shipping_company_id', f.shipping_company_id)
                       AS row_values,
                   row_number() OVER (PARTITION BY f.sold_at::date ORDER BY f.source_file,
                                      f.source_sheet, f.source_row_number) AS n
            {_MISMATCHED}) AS hit
         WHERE n <= %(per_day)s
        UNION ALL
        SELECT day, rule, source_file, source_sheet, source_row_number, row_values
          FROM salesops.report_quality_sample
         WHERE day BETWEEN %(start)s AND %(end)s AND rule <> %(rule)s) AS s
     ORDER BY day, rule, source_file COLLATE "C", source_sheet COLLATE "C", source_row_number
     LIMIT %(limit)s
    """


def quality_samples_at(db: Fetcher, *, start: date, end: date, tolerance: Decimal,
                       limit: int) -> list[Row]:
    """:func:`quality_samples` with the price-mismatch samples taken from the fact lines at
    ``tolerance`` (as many per day as the refresh keeps, the same values); the other rules'
    samples from the report table."""
    return db.fetch(QUALITY_SAMPLES_AT_SQL, {"start": start, "end": end, "tolerance": tolerance,
                                             "limit": limit, "per_day": SAMPLES_PER_DAY_AND_RULE,
                                             "rule": MISMATCHED_TOTAL.sample_rule})


PRODUCT_FIGURES_SQL = """
    SELECT product, sum(revenue) AS revenue, sum(units) AS units
      FROM salesops.report_daily_product
     WHERE day BETWEEN %(start)s AND %(end)s AND product = ANY(%(products)s)
     GROUP BY product
    """


def product_figures(db: Fetcher, *, start: date, end: date, products: list[str]) -> list[Row]:
    """Revenue and units of the named products over the period (the compared figures of a
    top-products list, whose names need not be the compared period's top)."""
    return db.fetch(PRODUCT_FIGURES_SQL, {"start": start, "end": end, "products": products})
