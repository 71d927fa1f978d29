"""`/reports/lines` (admin): the audit trail from a report figure back to workbook rows.

The one endpoint that reads the fact table: filtered by the period (index on sold_at) and
optionally by seller, product, shipping company or data-quality rule (each on its index; see
core/report/lines.py), paginated: the drill-down from every figure of the dashboard.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from salesops_pipeline.api import exports, queries
from salesops_pipeline.api.db import Connection
from salesops_pipeline.api.deps import (
    AdminDep,
    PeriodDep,
    WholeNumber,
    settings_of,
)
from salesops_pipeline.api.routes import PROTECTED
from salesops_pipeline.api.routes.reports import (
    FormatQuery,
    ToleranceDep,
    answer,
    respond,
)
from salesops_pipeline.api.schemas import SalesLine, SalesLines
from salesops_pipeline.core.extract.rows.cells import InvalidCell
from salesops_pipeline.core.extract.rows.names import to_name
from salesops_pipeline.core.report.lines import LineFilter

router = APIRouter(prefix="/reports", tags=["audit"], responses=PROTECTED)

MAX_LIMIT = 10_000
MAX_OFFSET = 1_000_000
#: The fact-line rules of core/report/rules.py (FACT_RULES; a test holds the two equal).
FactRule = Literal["mismatched_total", "nonpositive_units", "negative_amount",
                   "missing_shipping_company"]
NAME = r"^[^\x00]+$"  # any text but NUL (PostgreSQL text cannot hold it)


def _name(what: str) -> Any:
    return Query(min_length=1, max_length=200, pattern=NAME,
                 description=f"Only lines of this {what} (exact name; case counts, "
                             "Unicode form and spaces around it do not)")


def _spelled(name: str | None) -> str | None:
    """A name asked for, in the one spelling names are stored in (core/extract/rows/names.py): a
    name pasted from a Mac (NFD) or with a no-break space around it finds its lines."""
    if name is None:
        return None
    try:
        return to_name(name)
    except InvalidCell:  # nothing but spaces: no name has that spelling, so no line matches
        return name


@router.get("/lines", response_model=SalesLines,
            responses=exports.export_responses("The fact lines behind the figures"))
async def sales_lines(
    reader: AdminDep, request: Request, period: PeriodDep,
    seller: Annotated[str | None, _name("seller")] = None,
    product: Annotated[str | None, _name("product")] = None,
    shipping_company: Annotated[str | None, Query(
        min_length=1, max_length=200, pattern=NAME,
        description='Only lines of this shipping company; "UNKNOWN" also matches lines '
                    "without one (as in the shipping breakdown)")] = None,
    rule: Annotated[FactRule | None, Query(
        description="Only lines breaking this data-quality rule (the data-quality counts); "
                    "mismatched_total at `tolerance`, else the configured one")] = None,
    tolerance: ToleranceDep = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size"), WholeNumber] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Lines to skip"),
                      WholeNumber] = 0,
    fmt: FormatQuery = "json",
) -> Any:
    """Sales lines sold in the period (oldest first), each with its workbook (`source_file`),
    Excel row (`source_row_number`) and import: sums of these lines are the report figures.

    `rule` keeps the lines a data-quality rule flags (those its count in /reports/data-quality
    counts); `tolerance` (or `tol`) only with `rule=mismatched_total`."""
    if tolerance is not None and rule != "mismatched_total":
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "tolerance"), "input": str(tolerance),
            "msg": "tolerance applies only to rule=mismatched_total"}])
    want = LineFilter(
        period.start, period.end, seller=_spelled(seller), product=_spelled(product),
        shipping_company=_spelled(shipping_company), rule=rule,
        tolerance=tolerance if tolerance is not None else settings_of(request).price_tolerance)

    async def compute(conn: Connection) -> Any:
        rows = await queries.sales_lines(conn, want=want, limit=limit + 1, offset=offset)
        more = len(rows) > limit
        rows = rows[:limit]
        return await answer(rows, period, fmt, name="lines", row_model=SalesLine, limit=limit,
                            offset=offset, next_offset=offset + limit if more else None)
    # Read from the fact table, which every import changes: no ETag (api/revalidation.py).
    return await respond(reader, request, SalesLines, compute, revalidate=False)
