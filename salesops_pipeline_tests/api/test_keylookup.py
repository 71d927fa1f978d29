"""Keys of concurrent requests are looked up together, each still getting its own answer."""

from __future__ import annotations

import asyncio

import pytest

from salesops_pipeline.api.apool import AsyncDatabase
from salesops_pipeline.api.keylookup import KeyLookups, SharedQuery
from salesops_pipeline.api.keys import create_key, key_prefix, revoke_key
from salesops_pipeline.core.db.connect import WarehouseUnavailable
from salesops_pipeline.core.db.pgcluster import free_port


def test_concurrent_lookups_share_a_query_and_get_their_own_rows(api_db: str) -> None:
    viewer = create_key(api_db, name="v", role="viewer")
    admin = create_key(api_db, name="a", role="admin")
    gone = create_key(api_db, name="gone", role="admin")
    revoke_key(api_db, "gone")
    prefixes = [key_prefix(k) for k in (viewer, admin, gone)] + ["sok_000000000000"]

    async def main() -> list[list[dict | None]]:
        db = AsyncDatabase(api_db, size=2)
        lookups = KeyLookups(db)
        queries = 0
        fetch = db.fetch

        async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal queries
            queries += 1
            return await fetch(*args, **kwargs)

        db.fetch = counting  # type: ignore[method-assign]
        try:
            rounds = [await asyncio.gather(*(lookups.get(p) for p in prefixes * 5))
                      for _ in range(3)]
        finally:
            db.close()
        assert queries == 3  # one query per round of 20 concurrent lookups
        return rounds

    for rows in asyncio.run(main()):
        for i, row in enumerate(rows):
            kind = i % 4
            if kind == 3:
                assert row is None
                continue
            assert row is not None
            assert row["name"] == ("v", "a", "gone")[kind]
            assert (row["revoked_at"] is not None) == (kind == 2)
            assert row["snapshot"] and row["server_started_at"]


def test_a_failed_lookup_fails_every_waiting_request() -> None:
    url = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/salesops"

    async def main() -> None:
        db = AsyncDatabase(url, size=1, connect_timeout_seconds=2)
        lookups = KeyLookups(db)
        results = await asyncio.gather(*(lookups.get("sok_0123456789ab") for _ in range(3)),
                                       return_exceptions=True)
        db.close()
        assert all(isinstance(r, WarehouseUnavailable) for r in results), results
        assert "secret" not in str(results[0])

    asyncio.run(main())


@pytest.mark.parametrize("size", [1, 3])
def test_pool_serves_more_lookups_than_connections(api_db: str, size: int) -> None:
    key = create_key(api_db, name="k", role="viewer")

    async def main() -> None:
        db = AsyncDatabase(api_db, size=size)
        rows = await asyncio.gather(*(db.fetch("SELECT pg_sleep(0.01), %(n)s AS n", {"n": n})
                                      for n in range(10)))
        assert [r[0]["n"] for r in rows] == list(range(10))
        assert (await KeyLookups(db).get(key_prefix(key)))["name"] == "k"
        db.close()

    asyncio.run(main())


def test_shared_query_runs_once_per_turn(api_db: str) -> None:
    async def main() -> None:
        db = AsyncDatabase(api_db, size=1)
        shared = SharedQuery(db, "SELECT clock_timestamp() AS t")
        first = await asyncio.gather(*(shared.get() for _ in range(5)))
        second = await shared.get()
        db.close()
        assert all(rows == first[0] for rows in first)  # one statement for the five
        assert second[0]["t"] > first[0][0]["t"]  # a later call: a later statement

    asyncio.run(main())
