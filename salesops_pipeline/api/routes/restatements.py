"""`/reports/restatements`: figures already in the reports that changed, by how much, and why.

Reads the restatement log only (core/report/restatements.py writes it in the report refresh);
``format=csv|xlsx`` gives one row per restatement and figure (core/report/restatement_queries.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from salesops_pipeline.api import exports
from salesops_pipeline.api.db import Connection, fetch
from salesops_pipeline.api.deps import PeriodDep, ViewerDep, WholeNumber
from salesops_pipeline.api.restatement_schemas import Restatements
from salesops_pipeline.api.routes import PROTECTED
from salesops_pipeline.api.routes.reports import FormatQuery, respond
from salesops_pipeline.core.report import restatement_queries as rq

router = APIRouter(prefix="/reports", tags=["reports"], responses=PROTECTED)


@router.get("/restatements", response_model=Restatements,
            responses=exports.export_responses("One row per restatement and changed figure"))
async def restatements(reader: ViewerDep, request: Request, period: PeriodDep,
                       limit: Annotated[int, Query(ge=1, le=1000, description="Rows (1-1000)"),
                                        WholeNumber] = 100,
                       fmt: FormatQuery = "json") -> Any:
    """Restatements of the ISO weeks overlapping the period, newest first: each week whose
    figures already in the reports changed when a file was published, replaced or withdrawn,
    with the week's revenue, units and lines before and after, the sellers, products and
    shipping companies whose figures changed, the file versions that caused it, and whether
    the weekly job had already exported or e-mailed the week (`reported`)."""
    async def compute(conn: Connection) -> Any:
        main = await fetch(conn, rq.RESTATEMENTS_SQL,
                           rq.params(start=period.start, end=period.end, limit=limit))
        ids = {"ids": [r["restatement_id"] for r in main]}
        items = rq.assemble(main, await fetch(conn, rq.FIGURES_SQL, ids),
                            await fetch(conn, rq.FILES_SQL, ids))
        if fmt != "json":
            filename = f"restatements_{period.start.isoformat()}_{period.end.isoformat()}"
            return await run_in_threadpool(exports.download, rq.flat_rows(items),
                                           rq.FLAT_COLUMNS, fmt=fmt, filename=filename,
                                           kinds=rq.FLAT_KINDS)
        return {"start_date": period.start, "end_date": period.end, "data": items,
                "count": len(items)}
    return await respond(reader, request, Restatements, compute, revalidate=False)
