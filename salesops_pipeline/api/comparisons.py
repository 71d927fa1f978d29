"""The reports with ``compare=previous|year``: the period's rows and the compared period's,
merged by core/report/compare.py. Both periods are read from the daily report tables, so a
comparison costs two report reads."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError

from salesops_pipeline.api import queries
from salesops_pipeline.api.db import Connection, fetch
from salesops_pipeline.api.deps import Period
from salesops_pipeline.core.report import compare as cmp
from salesops_pipeline.core.report import queries as report
from salesops_pipeline.errors import ComparisonOutOfRange

Row = dict[str, Any]
_FIGURES = ("revenue", "units", "line_count")


def _shifted(period: Period, compare: cmp.Compare) -> cmp.Shifted:
    """The compared period; 422 (on ``compare``) when there is none before 0001-01-01."""
    try:
        return cmp.compared_period(period.start, period.end, compare)
    except ComparisonOutOfRange as exc:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "compare"),
                                       "input": compare, "msg": str(exc)}]) from exc


def _comparison(shifted: cmp.Shifted, compare: cmp.Compare) -> Row:
    return {"compare": compare, "start_date": shifted.start, "end_date": shifted.end}


async def weekly(conn: Connection, period: Period, compare: cmp.Compare) -> tuple[list[Row], Row]:
    """Every week of the period with its compared week, and the period totals compared."""
    shifted = _shifted(period, compare)
    now = await queries.weekly_summary(conn, start=period.start, end=period.end)
    then = await queries.weekly_summary(conn, start=shifted.start, end=shifted.end)
    rows = cmp.weekly_rows(now, then, shifted)
    current, before = cmp.totals(now, _FIGURES), cmp.totals(then, _FIGURES)
    totals = {**_comparison(shifted, compare), **current,
              **{f"compared_{f}": before[f] for f in _FIGURES},
              "revenue_change": current["revenue"] - before["revenue"],
              "revenue_change_pct": cmp.change_pct(current["revenue"], before["revenue"])}
    return rows, totals


async def sellers(conn: Connection, period: Period, compare: cmp.Compare
                  ) -> tuple[list[Row], Row]:
    """The ranking with each seller's compared figures; sellers of the compared period only
    follow with rank null."""
    shifted = _shifted(period, compare)
    now = await queries.seller_ranking(conn, start=period.start, end=period.end)
    then = await queries.seller_ranking(conn, start=shifted.start, end=shifted.end)
    rows = cmp.merge_rows(now, then, key="seller", figures=_FIGURES, keep_absent=True)
    return rows, _comparison(shifted, compare)


async def products(conn: Connection, period: Period, compare: cmp.Compare, *, limit: int
                   ) -> tuple[list[Row], Row]:
    """The top products with the same products' compared figures."""
    shifted = _shifted(period, compare)
    now = await queries.top_products(conn, start=period.start, end=period.end, limit=limit)
    then = await fetch(conn, report.PRODUCT_FIGURES_SQL, {
        "start": shifted.start, "end": shifted.end, "products": [r["product"] for r in now]})
    rows = cmp.merge_rows(now, then, key="product", figures=("revenue", "units"),
                          keep_absent=False)
    return rows, _comparison(shifted, compare)
