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

from salesops_pipeline.api.pool import LOST, PoolConfig, first_line
from salesops_pipeline.core.db.connect import WarehouseUnavailable

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


class AsyncDatabase(PoolConfig):
    """Up to ``size`` read-only connections, used from the event loop only (no locks needed)."""

    def __init__(self, url: str, **bounds: Any) -> None:
        super().__init__(url, **bounds)
        self._idle: list[Conn] = []
        self._slots = asyncio.Semaphore(self.size)
        self._closed = False
        self.in_use = 0  # queries holding a slot now (/metrics reads it)

    async def fetch(self, query: str, params: dict[str, Any] | Sequence[Any] | None = None
                    ) -> list[dict[str, Any]]:
        """Run one read-only statement with bound parameters; rows as dicts."""
        if self._slots.locked():
            try:
                await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
            except TimeoutError:
                raise self.busy() from None
        else:
            await self._slots.acquire()
        self.in_use += 1
        try:
            while True:
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                try:
                    rows = await self._run(conn, query, params)
                except psycopg2.errors.QueryCanceled:
                    self._put(conn)
                    raise self.timed_out() from None
                except LOST as exc:
                    conn.close()
                    if reused:  # an idle connection died (server restart): try the next one;
                        continue  # each is discarded, so this ends on a freshly made one
                    raise WarehouseUnavailable(
                        f"the database connection failed: {first_line(exc)}") from None
                except psycopg2.Error:
                    self._put(conn)  # a statement error leaves an autocommit connection usable
                    raise
                except BaseException:
                    conn.close()  # cancelled mid-query: the connection's state is unknown
                    raise
                self._put(conn)
                return rows
        finally:
            self.in_use -= 1
            self._slots.release()

    def close(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()

    async def _connect(self) -> Conn:
        if self._closed:
            raise WarehouseUnavailable("the API is stopping; no database connection")
        try:
            conn = psycopg2.connect(self.url, async_=1, **self.connect_kwargs())
        except LOST as exc:
            raise self.unreachable(exc) from None
        try:
            await asyncio.wait_for(_wait(conn), self.connect_timeout_seconds)
        except TimeoutError:
            conn.close()
            raise self.unreachable(f"timed out after {self.connect_timeout_seconds} s") from None
        except LOST as exc:
            conn.close()
            raise self.unreachable(exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

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
