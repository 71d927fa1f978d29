"""`/reports/*`: figures over any period, read from the daily report tables only.

Every endpoint takes `start_date`/`end_date` (inclusive; neither = the last complete ISO week)
and `format=json|csv|xlsx`; csv and xlsx are the same rows as a download. `as_of` answers with
the figures as they stood at that moment (core/report/history.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from salesops_pipeline.api import comparisons, exports, queries, revalidation
from salesops_pipeline.api.as_of import as_of_moment
from salesops_pipeline.api.compare_schemas import (
    ProductCompareRow,
    SellerCompareRow,
    SellerRankingCompared,
    TopProductsCompared,
    WeeklyCompareRow,
    WeeklySummaryCompared,
)
from salesops_pipeline.api.db import Connection
from salesops_pipeline.api.deps import (
    Period,
    PeriodDep,
    Reader,
    ViewerDep,
    WholeNumber,
    settings_of,
)
from salesops_pipeline.api.exports import ExportFormat
from salesops_pipeline.api.routes import PROTECTED
from salesops_pipeline.api.schemas import (
    DataQuality,
    DataQualityRow,
    SellerRanking,
    SellerRankRow,
    ShippingBreakdown,
    ShippingRow,
    TopProductRow,
    TopProducts,
    WeeklySummary,
    WeeklySummaryRow,
)
from salesops_pipeline.core.report.compare import Compare

#: Every report answer carries an ETag; asked again with If-None-Match, unchanged → 304.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {
    "description": "Not modified: the If-None-Match tag is still current (no body)"}}
router = APIRouter(prefix="/reports", tags=["reports"], responses=PROTECTED | NOT_MODIFIED)

FormatQuery = Annotated[ExportFormat, Query(
    alias="format", description="json (default), or csv / xlsx: the same rows as a download")]
SAMPLE_LIMIT = 100
_CENT = Decimal("0.01")
#: 0 to 5 with at most two decimals, written plainly (no sign, exponent, NaN or leading zero):
#: the validation and the schema Schemathesis generates from.
TOLERANCE_PATTERN = r"^([0-4](\.[0-9]{1,2})?|5(\.0{1,2})?)$"


def _plain_tolerance(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(TOLERANCE_PATTERN, value):
        raise ValueError("a tolerance from 0 to 5 with at most two decimals, e.g. 0.05")
    return value


TolQuery = Annotated[Decimal | None, BeforeValidator(_plain_tolerance), WithJsonSchema(
    {"type": "string", "pattern": TOLERANCE_PATTERN, "examples": ["0.05"]})]


async def requested_tolerance(
    tolerance: Annotated[TolQuery, Query(description=(
        "Price tolerance from 0 to 5, at most two decimals. Without it: the configured "
        "tolerance the report tables were refreshed with. With it, the mismatched-total count "
        "and samples are computed for exactly this tolerance from the period's lines."))] = None,
    tol: Annotated[TolQuery, Query(deprecated=True, description=(
        "The source system's name for `tolerance` (there it defaulted to 0.05); give one "
        "or the other."))] = None,
) -> Decimal | None:
    """The tolerance asked for, with two decimals (exact); None for the configured one."""
    if tolerance is not None and tol is not None:
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "tol"), "input": str(tol),
            "msg": "give tolerance or its alias tol, not both"}])
    chosen = tolerance if tolerance is not None else tol
    return None if chosen is None else chosen.quantize(_CENT)


ToleranceDep = Annotated[Decimal | None, Depends(requested_tolerance)]
CompareQuery = Annotated[Compare | None, Query(description=(
    "previous: also the period of the same length just before; year: also the same ISO "
    "weeks a year before. Each row gets its compared figures and the change of its revenue "
    "(core/report/compare.py)"))]
#: ``as_of``: the figures as they stood then (api/as_of.py); no ETag for such an answer.
AsOfDep = Annotated[datetime | None, Depends(as_of_moment)]


def as_of_alone(as_of: datetime | None, other: str, given: object, why: str) -> None:
    """422 when ``as_of`` comes with a parameter that is answered from today's data only."""
    if as_of is not None and given is not None:
        raise RequestValidationError([{
            "type": "value_error", "loc": ("query", "as_of"), "input": as_of.isoformat(),
            "msg": f"give as_of or {other}, not both: {why}"}])


Compute = Callable[[Connection], Awaitable[Any]]


async def respond(reader: Reader, request: Request, model: type[BaseModel], compute: Compute,
                  *, revalidate: bool, period: Period | None = None) -> Response:
    """``compute(conn)``: a JSON answer validated by the endpoint's response model, or a
    download. With ``revalidate``, an ETag from the report-refresh state (api/revalidation.py),
    and 304 without a body when the request's If-None-Match holds it."""
    headers: dict[str, str] = {}
    if revalidate:
        settings = settings_of(request)
        tag = revalidation.entity_tag(reader.report_state, request, reader.role, period,
                                      settings.price_tolerance)
        headers = revalidation.headers(tag)
        if revalidation.matches(request.headers.get("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
    answer = await compute(reader.conn)
    if isinstance(answer, Response):  # a csv/xlsx download
        answer.headers.update(headers)
        return answer
    body = model.model_validate(answer).model_dump_json()
    return Response(body, media_type="application/json", headers=headers)


async def answer(rows: list[dict[str, Any]], period: Period, fmt: ExportFormat, *, name: str,
                 row_model: type[BaseModel], **extra: Any) -> Any:
    """The JSON envelope, or the rows as a csv/xlsx download named after report and period
    (written in a worker thread: a large workbook would hold up every other request)."""
    if fmt != "json":
        filename = f"{name}_{period.start.isoformat()}_{period.end.isoformat()}"
        return await run_in_threadpool(exports.download, rows, list(row_model.model_fields),
                                       fmt=fmt, filename=filename)
    return {"start_date": period.start, "end_date": period.end, "data": rows,
            "count": len(rows), **extra}


@router.get("/weekly-summary", response_model=WeeklySummary | WeeklySummaryCompared,
            responses=exports.export_responses("Revenue, units and lines per ISO week"))
async def weekly_summary(reader: ViewerDep, request: Request, period: PeriodDep,
                         as_of: AsOfDep, compare: CompareQuery = None,
                         fmt: FormatQuery = "json") -> Any:
    """Revenue, units and line count per ISO week (Monday-Sunday) touching the period.

    Only the days inside the period count: a week cut by `start_date` or `end_date` is partial.
    With `compare`, every week with sales in the period or in its compared week (0 without)
    with its compared week, and `comparison`: the compared period and both periods' totals.
    """
    as_of_alone(as_of, "compare", compare, "comparisons are of today's figures")
    async def compute(conn: Connection) -> Any:
        if compare is not None:
            rows, totals = await comparisons.weekly(conn, period, compare)
            return await answer(rows, period, fmt, name=f"weekly-summary-vs-{compare}",
                                row_model=WeeklyCompareRow, comparison=totals)
        rows = await queries.weekly_summary(conn, start=period.start, end=period.end,
                                             as_of=as_of)
        return await answer(rows, period, fmt, name="weekly-summary", row_model=WeeklySummaryRow)
    model = WeeklySummary if compare is None else WeeklySummaryCompared
    return await respond(reader, request, model, compute, revalidate=as_of is None,
                         period=period)


@router.get("/seller-ranking", response_model=SellerRanking | SellerRankingCompared,
            responses=exports.export_responses("Every seller ranked by revenue"))
async def seller_ranking(reader: ViewerDep, request: Request, period: PeriodDep,
                         as_of: AsOfDep, compare: CompareQuery = None,
                         fmt: FormatQuery = "json") -> Any:
    """Every seller with sales in the period, by revenue; equal revenue shares a rank
    (1, 1, 3) and is listed in name order. With `compare`, each seller's compared figures
    and change; sellers who sold only in the compared period follow (rank null)."""
    as_of_alone(as_of, "compare", compare, "comparisons are of today's figures")
    async def compute(conn: Connection) -> Any:
        if compare is not None:
            rows, cmp = await comparisons.sellers(conn, period, compare)
            return await answer(rows, period, fmt, name=f"seller-ranking-vs-{compare}",
                                row_model=SellerCompareRow, comparison=cmp)
        rows = await queries.seller_ranking(conn, start=period.start, end=period.end,
                                             as_of=as_of)
        return await answer(rows, period, fmt, name="seller-ranking", row_model=SellerRankRow)
    model = SellerRanking if compare is None else SellerRankingCompared
    return await respond(reader, request, model, compute, revalidate=as_of is None,
                         period=period)


@router.get("/top-products", response_model=TopProducts | TopProductsCompared,
            responses=exports.export_responses("The best-selling products"))
async def top_products(reader: ViewerDep, request: Request, period: PeriodDep, as_of: AsOfDep,
                       limit: Annotated[int, Query(ge=1, le=1000, description="Rows (1-1000)"),
                                        WholeNumber] = 10,
                       compare: CompareQuery = None, fmt: FormatQuery = "json") -> Any:
    """The `limit` products with the most revenue in the period; equal revenue shares a rank.
    With `compare`, the same products' compared figures and change."""
    as_of_alone(as_of, "compare", compare, "comparisons are of today's figures")
    async def compute(conn: Connection) -> Any:
        if compare is not None:
            rows, cmp = await comparisons.products(conn, period, compare, limit=limit)
            return await answer(rows, period, fmt, name=f"top-products-vs-{compare}",
                                row_model=ProductCompareRow, comparison=cmp)
        rows = await queries.top_products(conn, start=period.start, end=period.end, limit=limit,
                                           as_of=as_of)
        return await answer(rows, period, fmt, name="top-products", row_model=TopProductRow)
    model = TopProducts if compare is None else TopProductsCompared
    return await respond(reader, request, model, compute, revalidate=as_of is None,
                         period=period)


@router.get("/shipping-breakdown", response_model=ShippingBreakdown,
            responses=exports.export_responses("Revenue per shipping company"))
async def shipping_breakdown(reader: ViewerDep, request: Request, period: PeriodDep,
                             as_of: AsOfDep, fmt: FormatQuery = "json") -> Any:
    """Revenue, lines and share of the period's revenue per shipping company, largest first.

    Lines without a shipping company are grouped as "UNKNOWN". `revenue_share` is rounded half
    away from zero to 6 decimal places (0 when the period's revenue is 0).
    """
    async def compute(conn: Connection) -> Any:
        rows = await queries.shipping_breakdown(conn, start=period.start, end=period.end,
                                                 as_of=as_of)
        return await answer(rows, period, fmt, name="shipping-breakdown", row_model=ShippingRow)
    return await respond(reader, request, ShippingBreakdown, compute, revalidate=as_of is None,
                         period=period)


@router.get("/data-quality", response_model=DataQuality,
            responses=exports.export_responses("Data-quality counts of the period"))
async def data_quality(reader: ViewerDep, request: Request, period: PeriodDep,
                       tolerance: ToleranceDep, as_of: AsOfDep,
                       fmt: FormatQuery = "json") -> Any:
    """Data-quality counts summed over the period: "ok" when all are 0, else "warn".

    Read from the report tables, at the tolerance they were refreshed with; with `tolerance`
    (or its alias `tol`) the mismatched-total count and its samples are computed for exactly
    that tolerance from the period's lines, the other counts still from the report tables.
    `tolerance` in the answer is the one applied. `samples` (up to 100 offending lines) only
    for admin keys, null for viewer keys. The csv / xlsx export is one row: the period,
    status, tolerance and the counts.
    """
    as_of_alone(as_of, "tolerance", tolerance, "a tolerance is applied to today's lines")

    async def compute(conn: Connection) -> Any:
        counts = await queries.quality_counts(
            conn, start=period.start, end=period.end,
            default_tolerance=settings_of(request).price_tolerance, as_of=as_of)
        applied = counts.pop("tolerance")
        if tolerance is not None:
            applied = tolerance
            counts["mismatched_total_count"] = await queries.mismatched_count(
                conn, start=period.start, end=period.end, tolerance=tolerance)
        status = "ok" if not any(counts.values()) else "warn"
        if fmt != "json":
            row = {"start_date": period.start, "end_date": period.end, "status": status,
                   "tolerance": applied, **counts}
            return await answer([row], period, fmt, name="data-quality",
                                row_model=DataQualityRow)
        samples = None
        if reader.is_admin and tolerance is None:
            samples = await queries.quality_samples(conn, start=period.start, end=period.end,
                                                    limit=SAMPLE_LIMIT, as_of=as_of)
        elif reader.is_admin and tolerance is not None:
            samples = await queries.quality_samples_at(
                conn, start=period.start, end=period.end, tolerance=tolerance,
                limit=SAMPLE_LIMIT)
        return {"start_date": period.start, "end_date": period.end, "status": status,
                "counts": counts, "tolerance": applied, "samples": samples}
    # At a requested tolerance the count is read from the fact lines: no tag (revalidation.py).
    return await respond(reader, request, DataQuality, compute,
                         revalidate=tolerance is None and as_of is None, period=period)
