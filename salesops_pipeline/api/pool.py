"""The connection pool: read-only, bounded, and healing by itself after a PostgreSQL restart.

Every connection is autocommit and read-only, with a statement timeout (UTC session time zone).
A connection that fails is discarded; a query that failed on an idle pooled connection (dead
after a server restart) is retried on the next one, ending on a freshly made connection, so no
request after the outage sees a stale connection. Unreachable database, all connections busy, or
a query over the timeout all become :class:`WarehouseUnavailable` → HTTP 503.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Self

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import psycopg2.pool

from salesops_pipeline.core.db.connect import WarehouseUnavailable
from salesops_pipeline.settings import Settings, redact

LOST = (psycopg2.OperationalError, psycopg2.InterfaceError)


class QueryTimeout(WarehouseUnavailable):
    """A query ran longer than the statement timeout."""


class _LazyPool(psycopg2.pool.ThreadedConnectionPool):
    """Connects on demand (so the app starts without a database) yet keeps up to ``maxconn``
    idle connections: psycopg2 opens ``minconn`` connections at construction and closes every
    returned connection beyond ``minconn``, so minconn is raised only after construction."""

    def __init__(self, maxconn: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(0, maxconn, *args, **kwargs)
        self.minconn = maxconn


class PoolConfig:
    """What the thread pool and the event-loop pool share: the target, the bounds, the session
    options every connection gets, and the errors (all HTTP 503) users read."""

    def __init__(self, url: str, *, size: int = 10, wait_seconds: float = 5.0,
                 statement_timeout_ms: int = 5000, connect_timeout_seconds: int = 3) -> None:
        self.url = url
        self.size = size
        self.wait_seconds = wait_seconds
        self.statement_timeout_ms = statement_timeout_ms
        self.connect_timeout_seconds = connect_timeout_seconds

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings.api_url(), size=settings.api_pool_size,
                   wait_seconds=settings.api_pool_timeout_seconds,
                   statement_timeout_ms=settings.api_statement_timeout_ms,
                   connect_timeout_seconds=settings.api_connect_timeout_seconds)

    def connect_kwargs(self) -> dict[str, Any]:
        """Read-only, autocommit-friendly sessions in UTC, with a statement timeout and TCP
        keepalives so a vanished server is noticed within seconds."""
        return {"application_name": "salesops-api",
                "options": f"-c statement_timeout={self.statement_timeout_ms}"
                           " -c default_transaction_read_only=on -c TimeZone=UTC",
                "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                "keepalives_count": 3, "tcp_user_timeout": self.statement_timeout_ms + 2000}

    def busy(self) -> WarehouseUnavailable:
        return WarehouseUnavailable(
            f"all {self.size} database connections stayed busy for {self.wait_seconds:g} s;"
            " try again shortly")

    def timed_out(self) -> QueryTimeout:
        return QueryTimeout(f"the query took longer than {self.statement_timeout_ms} ms and was "
                            "cancelled; narrow the period or the filters")

    def unreachable(self, why: object) -> WarehouseUnavailable:
        text = first_line(why) if isinstance(why, BaseException) else str(why)
        return WarehouseUnavailable(f"cannot connect to the database {redact(self.url)}: {text}")


class Database(PoolConfig):
    """A bounded, thread-safe pool of read-only connections to the warehouse."""

    def __init__(self, url: str, **bounds: Any) -> None:
        super().__init__(url, **bounds)
        self._pool = _LazyPool(self.size, url, connect_timeout=self.connect_timeout_seconds,
                               **self.connect_kwargs())
        self._slots = threading.BoundedSemaphore(self.size)
        self._seen: set[int] = set()
        self._lock = threading.Lock()
        self.in_use = 0  # queries holding a slot now (/metrics reads it)

    def fetch(self, query: str, params: dict[str, Any] | Sequence[Any] | None = None
              ) -> list[dict[str, Any]]:
        """Run one read-only statement with bound parameters; rows as dicts."""
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise self.busy()
        with self._lock:
            self.in_use += 1
        try:
            while True:
                conn, reused = self._get()
                try:
                    rows = self._run(conn, query, params)
                except psycopg2.errors.QueryCanceled:
                    self._put(conn)
                    raise self.timed_out() from None
                except LOST as exc:
                    self._put(conn, discard=True)
                    if reused:  # an idle pooled connection died (server restart): try another;
                        continue  # each is discarded, so this ends on a freshly made one
                    raise WarehouseUnavailable(
                        f"the database connection failed: {first_line(exc)}") from None
                except BaseException:
                    self._put(conn)
                    raise
                self._put(conn)
                return rows
        finally:
            with self._lock:
                self.in_use -= 1
            self._slots.release()

    def close(self) -> None:
        self._pool.closeall()

    def _get(self) -> tuple[psycopg2.extensions.connection, bool]:
        try:
            conn = self._pool.getconn()
        except LOST as exc:
            raise self.unreachable(exc) from None
        except psycopg2.pool.PoolError as exc:  # closed pool (shutdown) or exhausted
            raise WarehouseUnavailable(f"no database connection available: {exc}") from None
        with self._lock:
            reused = id(conn) in self._seen
            self._seen.add(id(conn))
        if not reused:
            conn.autocommit = True
        return conn, reused

    def _put(self, conn: psycopg2.extensions.connection, *, discard: bool = False) -> None:
        discard = discard or bool(conn.closed)
        if discard:
            with self._lock:
                self._seen.discard(id(conn))
        try:
            self._pool.putconn(conn, close=discard)
        except psycopg2.pool.PoolError:
            pass  # pool closed meanwhile

    @staticmethod
    def _run(conn: psycopg2.extensions.connection, query: str,
             params: dict[str, Any] | Sequence[Any] | None) -> list[dict[str, Any]]:
        with conn.cursor() as cur:
            cur.execute(query, params)
            names = [col.name for col in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
