"""The drill-down query: the fact lines behind a report figure, filtered by period, seller,
product, shipping company and data-quality rule, each with its file, sheet, row and import.

Only the filters asked for are written into the statement (fixed fragments from code, every
value bound), so each filter meets its index whatever plan PostgreSQL caches: the period
``(sold_at)``, a seller ``(seller_id, sold_at)``, a product ``(product_id, sold_at)``, a shipping
company ``(shipping_company_id, sold_at)``, and a rule its partial index on ``sold_at``
(revision 0006; the price rule's holds every line with a price gap, any tolerance's hits).
Every index is on the partitioned parent, so each partition has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from salesops_pipeline.core.report.rules import FACT_RULES, Rule

__all__ = ["UNKNOWN_SHIPPING", "LineFilter", "fact_rule", "lines_query"]

#: The shipping breakdown's name for lines without a shipping company; as a filter it also
#: matches those lines.
UNKNOWN_SHIPPING = "UNKNOWN"

_SELECT = """
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
     WHERE f.sold_at >= %(start)s AND f.sold_at < %(end)s::date + 1"""
_SELLER = """
       AND f.seller_id = (SELECT seller_id FROM salesops.dim_seller WHERE name = %(seller)s)"""
_PRODUCT = """
       AND f.product_id = (SELECT product_id FROM salesops.dim_product
                            WHERE name = %(product)s)"""
_SHIPPING = """
       AND f.shipping_company_id = (SELECT shipping_company_id
                                      FROM salesops.dim_shipping_company
                                     WHERE name = %(shipping)s)"""
_SHIPPING_UNKNOWN = """
       AND (f.shipping_company_id IS NULL
            OR f.shipping_company_id = (SELECT shipping_company_id
                                          FROM salesops.dim_shipping_company
                                         WHERE name = %(shipping)s))"""
_ORDER = """
     ORDER BY f.sold_at, f.sales_line_id
     LIMIT %(limit)s OFFSET %(offset)s"""


def fact_rule(name: str) -> Rule:
    """The fact-line rule of core/report/rules.py named ``name`` (KeyError for another)."""
    return {r.name: r for r in FACT_RULES}[name]


@dataclass(frozen=True)
class LineFilter:
    """What a drill-down asks for: names in their stored spelling, a fact rule's name, and the
    price tolerance of the mismatched-total rule."""

    start: date
    end: date
    seller: str | None = None
    product: str | None = None
    shipping_company: str | None = None
    rule: str | None = None
    tolerance: Decimal | None = None


def lines_query(want: LineFilter, *, limit: int, offset: int) -> tuple[str, dict[str, Any]]:
    """The statement and its bound parameters: the lines oldest first (then by id), one page."""
    text = _SELECT
    params: dict[str, Any] = {"start": want.start, "end": want.end, "limit": limit,
                              "offset": offset}
    if want.seller is not None:
        text += _SELLER
        params["seller"] = want.seller
    if want.product is not None:
        text += _PRODUCT
        params["product"] = want.product
    if want.shipping_company is not None:
        text += _SHIPPING_UNKNOWN if want.shipping_company == UNKNOWN_SHIPPING else _SHIPPING
        params["shipping"] = want.shipping_company
    if want.rule is not None:
        rule = fact_rule(want.rule)
        assert rule.sql is not None  # a fact rule always has its expression
        text += f"\n       AND {rule.sql}"
        if "%(tolerance)s" in rule.sql:
            # Implied by the rule (a tolerance is never negative): the partial index's condition.
            text += f"\n       AND {rule.sql.replace('%(tolerance)s', '0')}"
            params["tolerance"] = want.tolerance
    return text + _ORDER, params
