"""API keys (and health figures) of the requests arriving together, read in one query.

Why: every request needs one round trip to PostgreSQL (its key, and the snapshot the response
cache is keyed by). Under load many requests arrive in the same turn of the event loop; asking
for all their keys in one statement costs PostgreSQL one query instead of dozens, and the
waiting requests one wake-up. Each lookup still starts after its request arrived, so a key
revoked before a request is refused by that request. :class:`SharedQuery` does the same for a
query without parameters (`/health`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any

from salesops_pipeline.api.apool import AsyncDatabase
from salesops_pipeline.core.report.queries import Row

KEYS_SQL = (
    "SELECT key_prefix, name, role, key_hash, revoked_at,"
    " pg_current_snapshot()::text AS snapshot, pg_postmaster_start_time() AS server_started_at"
    " FROM salesops.api_key WHERE key_prefix = ANY(%(prefixes)s)")


class _Batches:
    """Collects the calls of one event-loop turn and answers them all from one query."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._pending: dict[Hashable, list[asyncio.Future[Any]]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def _ask(self, key: Hashable) -> Any:
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._flush)
        done: asyncio.Future[Any] = loop.create_future()
        self._pending.setdefault(key, []).append(done)
        return await done

    async def _query(self, keys: list[Hashable]) -> dict[Hashable, Any]:
        raise NotImplementedError

    def _flush(self) -> None:
        batch, self._pending = self._pending, {}
        task = asyncio.ensure_future(self._run(batch))
        self._running.add(task)  # keep a reference until it is done
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: dict[Hashable, list[asyncio.Future[Any]]]) -> None:
        try:
            found = await self._query(list(batch))
        except BaseException as exc:
            for waiting in batch.values():
                for done in waiting:
                    if not done.done():
                        done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for key, waiting in batch.items():
            for done in waiting:
                if not done.done():
                    done.set_result(found.get(key))


class KeyLookups(_Batches):
    """Key rows by prefix; the prefixes asked for in one event-loop turn share one query."""

    async def get(self, prefix: str) -> Row | None:
        """The key's row with the statement's snapshot and the server's start time."""
        row: Row | None = await self._ask(prefix)
        return row

    async def _query(self, keys: list[Hashable]) -> dict[Hashable, Any]:
        rows = await self.db.fetch(KEYS_SQL, {"prefixes": keys})
        return {row.pop("key_prefix"): row for row in rows}


class SharedQuery(_Batches):
    """A parameterless query run once for all callers of one event-loop turn."""

    def __init__(self, db: AsyncDatabase, query: str) -> None:
        super().__init__(db)
        self.query = query

    async def get(self) -> list[Row]:
        rows: list[Row] = await self._ask(None)
        return rows

    async def _query(self, keys: list[Hashable]) -> dict[Hashable, Any]:
        return {None: await self.db.fetch(self.query)}
