"""`/health` (open): is the database reachable, how fresh are imports and reports."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from salesops_pipeline.api import db, queries
from salesops_pipeline.api.deps import pool_of, settings_of
from salesops_pipeline.api.schemas import Health
from salesops_pipeline.core.db.connect import WarehouseUnavailable

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health,
            responses={503: {"model": Health, "description": "The database is unreachable"}})
async def health(request: Request) -> Any:
    """200 when PostgreSQL answers, with the time of the latest import and the age of the
    report tables; 503 (same body, `status: "unavailable"`) when it does not."""
    try:
        pool = pool_of(request)
        try:
            async with pool.connection() as conn:
                row = await queries.health(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise db.explain(exc, pool, settings_of(request)) from None
    except WarehouseUnavailable as exc:
        body = Health(status="unavailable", database="unreachable", detail=str(exc))
        return JSONResponse(body.model_dump(mode="json"), status_code=503,
                            headers={"Retry-After": "5"})
    refreshed = row["reports_refreshed_at"]
    age = (row["checked_at"] - refreshed).total_seconds() if refreshed else None
    body = Health(status="ok", database="reachable", report_age_seconds=age, **row)
    return Response(body.model_dump_json(), media_type="application/json")  # validated already
