"""API keys of the requests arriving together, looked up in one query.

Why: every request needs one round trip to PostgreSQL (its key, and the snapshot the response
cache is keyed by). Under load many requests arrive in the same turn of the event loop; asking
for all their keys in one statement costs PostgreSQL one query instead of dozens, and the
waiting requests one wake-up. Each lookup still starts after its request arrived, so a key
revoked before a request is refused by that request.
"""

from __future__ import annotations

import asyncio

from salesops_pipeline.api.apool import AsyncDatabase
from salesops_pipeline.core.report_queries import Row

KEYS_SQL = (
    "SELECT key_prefix, name, role, key_hash, revoked_at,"
    " pg_current_snapshot()::text AS snapshot, pg_postmaster_start_time() AS server_started_at"
    " FROM salesops.api_key WHERE key_prefix = ANY(%(prefixes)s)")


class KeyLookups:
    """Batches :meth:`get` calls made in one event-loop turn into one query."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self._pending: dict[str, list[asyncio.Future[Row | None]]] = {}
        self._running: set[asyncio.Task[None]] = set()

    async def get(self, prefix: str) -> Row | None:
        """The key's row with the statement's snapshot and the server's start time."""
        loop = asyncio.get_running_loop()
        if not self._pending:
            loop.call_soon(self._flush)
        done: asyncio.Future[Row | None] = loop.create_future()
        self._pending.setdefault(prefix, []).append(done)
        return await done

    def _flush(self) -> None:
        batch, self._pending = self._pending, {}
        task = asyncio.ensure_future(self._run(batch))
        self._running.add(task)  # keep a reference until it is done
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: dict[str, list[asyncio.Future[Row | None]]]) -> None:
        try:
            rows = await self.db.fetch(KEYS_SQL, {"prefixes": list(batch)})
        except BaseException as exc:
            for waiting in batch.values():
                for done in waiting:
                    if not done.done():
                        done.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        found = {row.pop("key_prefix"): row for row in rows}
        for prefix, waiting in batch.items():
            for done in waiting:
                if not done.done():
                    done.set_result(found.get(prefix))
