"""The API's one connection pool: psycopg_pool's AsyncConnectionPool of read-only connections.

Bounded (``SALESOPS_API_POOL_MIN_SIZE`` .. ``SALESOPS_API_POOL_SIZE`` connections) and checked:
every connection is tested with an empty statement before a request gets it, so one that died
with a PostgreSQL restart is replaced instead of failing a request. It connects as the read-only
role (:meth:`Settings.api_url`), autocommit, with the statement timeout, read-only transactions
and UTC set as connection options (no extra round trip). The app's lifespan opens it without
waiting, so the API starts while PostgreSQL is down; the pool keeps trying to connect in the
background. A failed connection attempt is retried for ``reconnect_timeout`` (psycopg_pool's
backoff: 1 s, 2 s, 4 s ...) and then given up, so after a long outage the next request starts a
fresh attempt at once instead of waiting out a long backoff.

Every database failure a request can meet becomes :class:`WarehouseUnavailable` (HTTP 503,
``Retry-After: 5``) through :func:`explain`.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from salesops_pipeline.core.db.connect import WarehouseUnavailable
from salesops_pipeline.settings import Settings, redact

Connection = psycopg.AsyncConnection[DictRow]
Pool = AsyncConnectionPool[Connection]
Row = dict[str, Any]


class QueryTimeout(WarehouseUnavailable):
    """A query ran longer than the statement timeout."""


def make_pool(settings: Settings) -> Pool:
    """The pool, not yet open (``await pool.open()`` inside the running event loop)."""
    timeout_ms = settings.api_statement_timeout_ms
    return AsyncConnectionPool(
        settings.api_read_url(),
        min_size=min(settings.api_pool_min_size, settings.api_pool_size),
        max_size=settings.api_pool_size,
        timeout=settings.api_pool_timeout_seconds,
        reconnect_timeout=max(settings.api_pool_timeout_seconds,
                              2.0 * settings.api_connect_timeout_seconds),
        check=AsyncConnectionPool.check_connection,
        connection_class=Connection,
        kwargs={"autocommit": True, "row_factory": dict_row,
                "application_name": "salesops-api",
                "connect_timeout": settings.api_connect_timeout_seconds,
                "options": f"-c statement_timeout={timeout_ms}"
                           " -c default_transaction_read_only=on -c TimeZone=UTC",
                # A server that vanished (no RST) is noticed within seconds, not minutes.
                "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                "keepalives_count": 3, "tcp_user_timeout": timeout_ms + 2000},
        name="salesops-api", open=False)


async def fetch(conn: Connection, query: str, params: dict[str, Any] | None = None
                ) -> list[Row]:
    """Run one statement with bound parameters; its rows as dicts."""
    cur = await conn.execute(query, params)
    return await cur.fetchall()


def explain(exc: psycopg.Error, pool: Pool | None, settings: Settings) -> WarehouseUnavailable:
    """What a user reads when the database failed a request: busy, unreachable or too slow."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return QueryTimeout(
            f"the query took longer than {settings.api_statement_timeout_ms} ms and was "
            "cancelled; narrow the period or the filters")
    wait = settings.api_pool_timeout_seconds
    if isinstance(exc, PoolClosed) or (isinstance(exc, PoolTimeout) and pool is None):
        return WarehouseUnavailable("the API is starting or stopping; no database pool yet")
    if isinstance(exc, PoolTimeout) and pool is not None:
        stats = pool.get_stats()
        if stats["pool_size"] >= stats["pool_max"] and not stats["pool_available"]:
            return WarehouseUnavailable(
                f"all {stats['pool_max']} database connections stayed busy for {wait:g} s;"
                " try again shortly")
        return WarehouseUnavailable(
            f"cannot connect to the database {redact(settings.api_read_url())} within {wait:g} s"
            " (is PostgreSQL running? the API log has the reason)")
    return WarehouseUnavailable(f"the database connection failed: {first_line(exc)}")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
