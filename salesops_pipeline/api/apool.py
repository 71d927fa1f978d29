"""A pool of psycopg2 *asynchronous* connections driven by the event loop itself.

Why: the hot path of every request (authenticate the key, read the snapshot) is one tiny query.
Sent through the thread pool, each request paid two thread hops and fought 16 threads for the
GIL; here the query is written to the socket and the loop waits for the answer like for any
other socket, so no thread is involved. Same contract as :class:`~.pool.Database`: read-only,
autocommit, statement timeout, UTC; a dead idle connection (PostgreSQL restarted) is discarded
and the query retried, ending on a fresh connection; unreachable, busy or too slow →
:class:`WarehouseUnavailable` (HTTP 503).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import psycopg2
import psycopg2.errors
import psycopg2.extensions

from salesops_pipeline.api.pool import QueryTimeout
from salesops_pipeline.core.warehouse import WarehouseUnavailable
from salesops_pipeline.settings import Settings, redact

_LOST = (psycopg2.OperationalError, psycopg2.InterfaceError)
_OK, _READ, _WRITE = (psycopg2.extensions.POLL_OK, psycopg2.extensions.POLL_READ,
                      psycopg2.extensions.POLL_WRITE)
Conn = psycopg2.extensions.connection


async def _wait(conn: Conn) -> None:
    """Drive ``conn`` until its pending operation is done (libpq's non-blocking protocol)."""
    loop = asyncio.get_running_loop()
    while True:
        state = conn.poll()  # raises the query's or connection's error, if any
        if state == _OK:
            return
        fd = conn.fileno()
        done = loop.create_future()

        def wake(done: asyncio.Future[None] = done) -> None:
            if not done.done():
                done.set_result(None)

        if state == _READ:
            loop.add_reader(fd, wake)
            try:
                await done
            finally:
                loop.remove_reader(fd)
        elif state == _WRITE:
            loop.add_writer(fd, wake)
            try:
                await done
            finally:
                loop.remove_writer(fd)
        else:  # pragma: no cover - psycopg2 documents only the three states
            raise psycopg2.OperationalError(f"unexpected poll state {state}")


class AsyncDatabase:
    """Up to ``size`` read-only connections, used from the event loop only (no locks needed)."""

    def __init__(self, url: str, *, size: int = 10, wait_seconds: float = 5.0,
                 statement_timeout_ms: int = 5000, connect_timeout_seconds: int = 3) -> None:
        self.url = url
        self.size = size
        self.wait_seconds = wait_seconds
        self.statement_timeout_ms = statement_timeout_ms
        self.connect_timeout_seconds = connect_timeout_seconds
        self._idle: list[Conn] = []
        self._slots = asyncio.Semaphore(size)
        self._closed = False

    @classmethod
    def from_settings(cls, settings: Settings) -> AsyncDatabase:
        return cls(settings.api_url(), size=settings.api_pool_size,
                   wait_seconds=settings.api_pool_timeout_seconds,
                   statement_timeout_ms=settings.api_statement_timeout_ms,
                   connect_timeout_seconds=settings.api_connect_timeout_seconds)

    async def fetch(self, query: str, params: dict[str, Any] | Sequence[Any] | None = None
                    ) -> list[dict[str, Any]]:
        """Run one read-only statement with bound parameters; rows as dicts."""
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
            except TimeoutError:
                raise WarehouseUnavailable(
                    f"all {self.size} database connections stayed busy for "
                    f"{self.wait_seconds:g} s; try again shortly") from None
        else:
            await self._slots.acquire()
        try:
            while True:
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                try:
                    rows = await self._run(conn, query, params)
                except psycopg2.errors.QueryCanceled:
                    self._put(conn)
                    raise QueryTimeout(
                        f"the query took longer than {self.statement_timeout_ms} ms and was "
                        "cancelled; narrow the period or the filters") from None
                except _LOST as exc:
                    conn.close()
                    if reused:  # an idle connection died (server restart): try the next one;
                        continue  # each is discarded, so this ends on a freshly made one
                    raise WarehouseUnavailable(
                        f"the database connection failed: {_first_line(exc)}") from None
                except psycopg2.Error:
                    self._put(conn)  # a statement error leaves an autocommit connection usable
                    raise
                except BaseException:
                    conn.close()  # cancelled mid-query: the connection's state is unknown
                    raise
                self._put(conn)
                return rows
        finally:
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    async def _connect(self) -> Conn:
        if self._closed:
            raise WarehouseUnavailable("the API is stopping; no database connection")
        try:
            conn = psycopg2.connect(
                self.url, async_=1, application_name="salesops-api",
                options=f"-c statement_timeout={self.statement_timeout_ms}"
                        " -c default_transaction_read_only=on -c TimeZone=UTC",
                keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                tcp_user_timeout=self.statement_timeout_ms + 2000)
        except _LOST as exc:
            raise self._unreachable(exc) from None
        try:
            await asyncio.wait_for(_wait(conn), self.connect_timeout_seconds)
        except TimeoutError:
            conn.close()
            raise self._unreachable(f"timed out after {self.connect_timeout_seconds} s") from None
        except _LOST as exc:
            conn.close()
            raise self._unreachable(exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _unreachable(self, why: object) -> WarehouseUnavailable:
        text = _first_line(why) if isinstance(why, BaseException) else str(why)
        return WarehouseUnavailable(f"cannot connect to the database {redact(self.url)}: {text}")

    def _put(self, conn: Conn) -> None:
        if self._closed or conn.closed:
            conn.close()
        else:
            self._idle.append(conn)

    @staticmethod
    async def _run(conn: Conn, query: str,
                   params: dict[str, Any] | Sequence[Any] | None) -> list[dict[str, Any]]:
        cur = conn.cursor()
        try:
            cur.execute(query, params)
            await _wait(conn)
            if cur.description is None:
                return []
            names = [col.name for col in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
