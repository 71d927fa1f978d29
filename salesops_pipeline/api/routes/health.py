"""`/health` (open): is the database reachable, how fresh are imports and reports."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from salesops_pipeline.api import db, queries
from salesops_pipeline.api.deps import pool_of, settings_of
from salesops_pipeline.api.replica import ReplicaBehind, check_lag
from salesops_pipeline.api.schemas import Health
from salesops_pipeline.core.db.connect import WarehouseUnavailable

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health,
            responses={503: {"model": Health, "description": "The database is unreachable"}})
async def health(request: Request) -> Any:
    """200 when PostgreSQL answers, with the time of the latest import, the age of the
    report tables and, on a read replica, its lag; 503 (same body, `status: "unavailable"`)
    when it does not, or when the replica is further behind than
    SALESOPS_API_MAX_REPLICA_LAG_SECONDS (the reason in `detail`)."""
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
    lag = row.pop("replica_lag_seconds")
    lag = None if lag is None else float(lag)
    try:
        check_lag(lag, settings_of(request).api_max_replica_lag_seconds)
    except ReplicaBehind as exc:  # reachable, but too far behind to serve its figures
        body = Health(status="unavailable", database="reachable", detail=str(exc),
                      report_age_seconds=age, replica_lag_seconds=lag, **row)
        return JSONResponse(body.model_dump(mode="json"), status_code=503,
                            headers={"Retry-After": "5"})
    body = Health(status="ok", database="reachable", report_age_seconds=age,
                  replica_lag_seconds=lag, **row)
    return Response(body.model_dump_json(), media_type="application/json")  # validated already
