"""The reporting API sidecar: `create_app()` assembles it; nothing here touches the database.

Run with ``uvicorn salesops_pipeline.api.main:app``. The connection pool is created when the
app starts (lifespan) and closed when it stops, so importing this module is free.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from salesops_pipeline.api import db
from salesops_pipeline.api.docs import add_docs
from salesops_pipeline.api.methods import HeadAndOptions
from salesops_pipeline.api.metrics import ApiMetrics, RequestMetrics
from salesops_pipeline.api.routes import (
    dashboard,
    health,
    imports,
    lines,
    metrics,
    reports,
    restatements,
    ui_auth,
)
from salesops_pipeline.api.security_headers import SecurityHeaders, internal_error
from salesops_pipeline.core.db.connect import WarehouseUnavailable
from salesops_pipeline.core.logs import configure_logging
from salesops_pipeline.settings import Settings

DESCRIPTION = """\
Weekly sales reports of the SalesOps warehouse, read from the materialized report tables.

Send an API key in the `X-API-Key` header (`salesops api-key create --role viewer|admin
--name NAME`). `viewer` reads `/reports/*`; `admin` also reads `/imports`, quarantined rows,
data-quality samples and `/reports/lines`. Money and units are exact decimal strings.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; ``settings`` defaults to the environment (read now, used at start-up)."""
    settings = settings or Settings()
    # uvicorn has set up its loggers by the time it imports this module: json replaces them.
    configure_logging(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = db.make_pool(settings)
        await pool.open()  # without waiting: the API starts (and answers 503) without a database
        app.state.pool = pool
        # Everything loaded so far lives as long as the process: keep it out of the garbage
        # collector's full passes, whose pauses over the whole heap showed as latency spikes.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.pool = None
            await pool.close()

    app = FastAPI(title="SalesOps reports API", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    add_docs(app)  # /docs and /redoc with their assets served from here, not a CDN
    app.state.settings = settings
    app.state.pool = None
    app.add_exception_handler(WarehouseUnavailable, _unavailable)
    app.add_exception_handler(psycopg.OperationalError, _database_failed)
    app.add_exception_handler(psycopg.InterfaceError, _database_failed)
    app.add_exception_handler(Exception, internal_error)  # a 500 with the security headers
    # Middleware: the last added is the outermost (metrics sees every answer as sent).
    app.add_middleware(HeadAndOptions)  # HEAD as GET, OPTIONS, the Allow of a 405
    app.add_middleware(SecurityHeaders)  # nosniff on every answer
    app.state.metrics = ApiMetrics(app.state)
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    app.include_router(health.router)
    app.include_router(metrics.router)  # /metrics: Prometheus, open like /health
    app.include_router(reports.router)
    app.include_router(restatements.router)  # /reports/restatements (restatement log)
    app.include_router(lines.router)
    app.include_router(imports.router)
    app.include_router(dashboard.router)  # the page: /, /dashboard, /dashboard/static/*
    app.include_router(ui_auth.router)  # the Dagster UI's login and nginx's check (cli/door.py)
    return app


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})


async def _database_failed(request: Request, exc: Exception) -> JSONResponse:
    """Unreachable, busy, too slow or a connection lost mid-query: 503 saying which."""
    assert isinstance(exc, psycopg.Error)
    state = request.app.state
    return await _unavailable(request, db.explain(exc, state.pool, state.settings))


app = create_app()
