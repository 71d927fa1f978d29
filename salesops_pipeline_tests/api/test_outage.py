"""PostgreSQL down → 503 within a bounded time; back up → 200 again, without a restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.api.main import create_app
from salesops_pipeline.core.db.pgcluster import LocalCluster, free_port, throwaway_cluster
from salesops_pipeline.core.db.schema import apply_schema, ensure_database
from salesops_pipeline.settings import Settings

PERIOD = {"start_date": "2026-01-01", "end_date": "2026-01-31"}


def _settings(url: str) -> Settings:
    return Settings(DATABASE_URL=url, SALESOPS_API_CONNECT_TIMEOUT_SECONDS=2,
                    SALESOPS_API_POOL_TIMEOUT_SECONDS=2)


def test_unreachable_database_is_503_quickly() -> None:
    url = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/salesops"
    with TestClient(create_app(_settings(url))) as client:  # starts without a database
        started = time.monotonic()
        health = client.get("/health")
        report = client.get("/reports/weekly-summary", params=PERIOD,
                            headers={"X-API-Key": "sok_0123456789ab_" + "A" * 43})
        assert time.monotonic() - started < 5
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["database"] == "unreachable"
    assert "secret" not in health.text  # the password never leaks
    assert report.status_code == 503
    assert report.headers["retry-after"] == "5"
    assert "cannot connect" in report.json()["detail"]


def test_query_over_the_statement_timeout_is_503(db: str) -> None:
    from salesops_pipeline.api.pool import Database, QueryTimeout

    pool = Database(db, size=1, statement_timeout_ms=200)
    try:
        with pytest.raises(QueryTimeout, match="longer than 200 ms"):
            pool.fetch("SELECT pg_sleep(2)")
        assert pool.fetch("SELECT 1 AS one") == [{"one": 1}]  # the connection is still good
    finally:
        pool.close()


def test_pool_exhaustion_is_503_not_a_hang(db: str) -> None:
    from salesops_pipeline.api.pool import Database
    from salesops_pipeline.core.db.connect import WarehouseUnavailable

    pool = Database(db, size=1, wait_seconds=0.3)
    busy = threading.Thread(target=pool.fetch, args=("SELECT pg_sleep(1.5)",))
    busy.start()
    time.sleep(0.3)
    try:
        with pytest.raises(WarehouseUnavailable, match="busy"):
            pool.fetch("SELECT 1")
    finally:
        busy.join()
        pool.close()


@pytest.fixture
def own_cluster() -> Iterator[LocalCluster]:
    """A throwaway cluster of this test's own (the session cluster is shared: never stopped)."""
    with throwaway_cluster("salesops-api-outage-") as cluster:
        yield cluster


def test_service_recovers_by_itself_when_postgres_returns(own_cluster: LocalCluster) -> None:
    url = own_cluster.url("salesops_outage")
    ensure_database(url)
    apply_schema(url)
    key = create_key(url, name="outage", role="viewer")
    with TestClient(create_app(_settings(url)), headers={"X-API-Key": key}) as client:
        pool = client.app.state.db
        warm = [threading.Thread(target=pool.fetch, args=("SELECT pg_sleep(0.3)",))
                for _ in range(4)]
        for t in warm:
            t.start()
        for t in warm:
            t.join()
        assert len(pool._pool._pool) == 4  # four idle connections, all about to die
        assert client.get("/reports/seller-ranking", params=PERIOD).status_code == 200
        own_cluster.stop()
        started = time.monotonic()
        assert client.get("/reports/seller-ranking", params=PERIOD).status_code == 503
        assert client.get("/health").status_code == 503
        assert time.monotonic() - started < 10
        own_cluster.start()
        own_cluster.wait_ready()
        assert client.get("/health").status_code == 200
        for _ in range(5):  # every stale pooled connection is replaced, none answers 503
            assert client.get("/reports/seller-ranking", params=PERIOD).status_code == 200
