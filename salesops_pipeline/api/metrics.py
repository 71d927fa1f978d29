"""Prometheus metrics of the API: requests by route and status, latency, pool use, data age.

Why a bare ASGI middleware outside everything else: it sees every request, including those
answered by an exception handler or by no route, for a few microseconds each. The route label
is the route's template (``/imports/{import_id}``), never the raw path, so the number of series
stays bounded; a request no route matched is labelled ``unmatched``. Each app has its own
registry, so several apps in one process (the tests) do not share counters.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from salesops_pipeline.api.replica import LAG_SQL
from salesops_pipeline.core.report import quality

UNMATCHED = "unmatched"
#: Seconds: a revalidated answer (304) takes about a millisecond, report queries up to seconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                   5.0, 10.0)

AGES_SQL = f"""
    SELECT extract(epoch FROM now() - {quality.LATEST_PUBLISHED_AT}) AS import_age,
           {LAG_SQL} AS replica_lag,
           extract(epoch FROM now() - (SELECT max(refreshed_at) FROM salesops.report_refresh))
               AS report_age
    """
AGES_PARAMS = quality.PUBLISHED_PARAMS


class ScrapeGauges(Collector):
    """Gauges read when Prometheus scrapes: the pool's use now and the ages fetched just before.

    ``ages`` is set by the /metrics endpoint right before it renders (no await in between, so
    concurrent scrapes cannot mix); None for an age means there is no such row (no sample)."""

    POOL_GAUGES = {
        "size": "Most database connections the pool opens",
        "open": "Database connections open now (or being opened)",
        "in_use": "Open database connections not idle in the pool",
        "waiting": "Requests waiting for a database connection",
    }

    def __init__(self, state: Any) -> None:
        self.state = state
        self.database_up: bool | None = None
        self.ages: dict[str, float | None] = {}

    def collect(self) -> Iterator[Metric]:
        pool = self.state.pool
        values: dict[str, int] = {}
        if pool is not None:  # psycopg_pool's figures: connections open, idle, the bounds
            stats = pool.get_stats()
            values = {"size": stats["pool_max"], "open": stats["pool_size"],
                      "in_use": stats["pool_size"] - stats["pool_available"],
                      "waiting": stats.get("requests_waiting", 0)}
        for key, help_text in self.POOL_GAUGES.items():
            family = GaugeMetricFamily(f"salesops_api_db_pool_{key}", help_text)
            if key in values:
                family.add_metric([], values[key])
            yield family
        if self.database_up is not None:
            yield GaugeMetricFamily("salesops_api_database_up",
                                    "1 when the age query of this scrape succeeded",
                                    value=int(self.database_up))
        for key, help_text in (("import_age", "Seconds since the latest loaded import started"),
                               ("report_age", "Seconds since the report tables were refreshed"),
                               ("replica_lag", "Seconds the read replica the API reads is "
                                               "behind its primary (no sample on a primary)")):
            value = self.ages.get(key)
            family = GaugeMetricFamily(f"salesops_{key}_seconds", help_text)
            if value is not None:
                family.add_metric([], float(value))
            yield family


class ApiMetrics:
    """The registry of one app and the instruments the middleware updates."""

    def __init__(self, state: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("salesops_api_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("salesops_api_request_duration_seconds",
                                 "Time from receiving a request to its last byte sent",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.gauges = ScrapeGauges(state)
        self.registry.register(self.gauges)

    def render(self, ages: dict[str, float | None] | None) -> bytes:
        """The text exposition; ``ages`` None when the database did not answer."""
        self.gauges.database_up = ages is not None
        self.gauges.ages = ages or {}
        return generate_latest(self.registry)


def route_label(scope: Scope) -> str:
    """The matched route's template; :data:`UNMATCHED` when no route matched (a 404)."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMetrics:
    """ASGI middleware counting every HTTP request and timing it (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is answered with a 500

        async def send_counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counted)
        finally:
            route = route_label(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
