"""`/metrics` (open, like /health): Prometheus text format for the scraper next to the API.

Open because it exposes counts, latencies and ages only, never a sales figure, and scrapers
rarely send headers; `salesops serve` binds the API to 127.0.0.1, so only the machine
itself can read it unless the operator publishes the port.
"""

from __future__ import annotations

import psycopg
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from salesops_pipeline.api.db import fetch
from salesops_pipeline.api.metrics import AGES_PARAMS, AGES_SQL, ApiMetrics

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                             "description": "Prometheus text exposition format"}})
async def metrics(request: Request) -> Response:
    """Requests by route and status, latency histogram, database pool use, and the age in
    seconds of the latest loaded import and of the report tables (one small query)."""
    pool = request.app.state.pool
    ages: dict[str, float | None] | None = None
    if pool is not None:
        try:
            async with pool.connection() as conn:
                rows = await fetch(conn, AGES_SQL, AGES_PARAMS)
            ages = {key: None if value is None else float(value)
                    for key, value in rows[0].items()}
        except (psycopg.OperationalError, psycopg.InterfaceError):
            ages = None
    registry: ApiMetrics = request.app.state.metrics
    return Response(registry.render(ages), media_type=CONTENT_TYPE_LATEST)
