"""A cache of serialized JSON answers that cannot serve stale figures.

Every request already runs one query to authenticate its key; that same query returns the
database *snapshot* it ran in (``pg_current_snapshot()``: which transactions are visible) and
the server's start time. Two statements with equal snapshots on the same server run see
exactly the same committed data in every table, so an answer computed at snapshot S may be
reused by any request whose authenticating query saw S again. Any commit anywhere changes the
snapshot of every later statement, so the first request after a write (new report figures,
an import, a revoked key) misses and reads the database: nothing to invalidate, no trigger,
no race. (A miss computes its answer in a later statement than the one that read S, so a
stored answer is never older than its key; at worst it is newer, which is not stale.)

Only successful JSON bodies are stored: at most :data:`MAX_ENTRIES` answers and
:data:`MAX_TOTAL_BYTES` in all, none over :data:`MAX_BODY_BYTES`, least recently used first
out; a new snapshot empties the cache.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from fastapi import Response
from pydantic import BaseModel

MAX_ENTRIES = 4096
MAX_BODY_BYTES = 1 << 20
MAX_TOTAL_BYTES = 64 << 20
JSON = "application/json"


class ResponseCache:
    """Serialized answers of one snapshot; used from the event loop only (no locks needed)."""

    def __init__(self, max_entries: int = MAX_ENTRIES,
                 max_total_bytes: int = MAX_TOTAL_BYTES) -> None:
        self.max_entries = max_entries
        self.max_total_bytes = max_total_bytes
        self.snapshot: Hashable | None = None
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, snapshot: Hashable | None, key: Hashable) -> bytes | None:
        if snapshot is None or snapshot != self.snapshot:
            return None
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def put(self, snapshot: Hashable | None, key: Hashable, body: bytes) -> None:
        if snapshot is None or self.max_entries <= 0 or len(body) > MAX_BODY_BYTES:
            return
        if snapshot != self.snapshot:
            # Requests in flight may still hold an older snapshot; only its answers are lost.
            self.snapshot = snapshot
            self._entries.clear()
            self._bytes = 0
        old = self._entries.pop(key, None)
        self._bytes += len(body) - (len(old) if old is not None else 0)
        self._entries[key] = body
        while len(self._entries) > self.max_entries or self._bytes > self.max_total_bytes:
            self._bytes -= len(self._entries.popitem(last=False)[1])

    def __len__(self) -> int:
        return len(self._entries)


async def cached_json(cache: ResponseCache, snapshot: Hashable | None, key: Hashable,
                      model: type[BaseModel], compute: Callable[[], Awaitable[Any]]
                      ) -> Response:
    """The cached body for ``key`` at ``snapshot``, else ``compute()`` validated by ``model``
    (the endpoint's documented response model) and stored. ``X-Cache`` says which."""
    body = cache.get(snapshot, key)
    if body is not None:
        cache.hits += 1
        return Response(body, media_type=JSON, headers={"X-Cache": "hit"})
    cache.misses += 1
    answer = await compute()
    if isinstance(answer, Response):  # a csv/xlsx download: never cached
        return answer
    body = model.model_validate(answer).model_dump_json().encode()
    cache.put(snapshot, key, body)
    return Response(body, media_type=JSON, headers={"X-Cache": "miss"})
