"""PostgreSQL down → 503 within a bounded time; back up → 200 again, without a restart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.keys import create_key
from salesops_pipeline.api.main import create_app
from salesops_pipeline.core.db.migrations import upgrade
from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline.core.db.schema import ensure_database
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.pg import free_port, throwaway_cluster

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


@contextmanager
def _locked(url: str, table: str) -> Iterator[None]:
    """``table`` locked against readers until the block ends: the API's query on it waits."""
    with psycopg.connect(url) as conn:
        conn.execute(f"LOCK TABLE salesops.{table} IN ACCESS EXCLUSIVE MODE")
        yield
        conn.rollback()


def test_query_over_the_statement_timeout_is_503(api_db: str, keys: dict[str, str]) -> None:
    settings = Settings(DATABASE_URL=api_db, SALESOPS_API_STATEMENT_TIMEOUT_MS=200)
    with TestClient(create_app(settings), headers={"X-API-Key": keys["viewer"]}) as client:
        with _locked(api_db, "report_daily_seller"):
            started = time.monotonic()
            slow = client.get("/reports/seller-ranking", params=PERIOD)
            took = time.monotonic() - started
        assert slow.status_code == 503, slow.text
        assert slow.headers["retry-after"] == "5"
        assert slow.json()["detail"] == ("the query took longer than 200 ms and was cancelled; "
                                         "narrow the period or the filters")
        assert took < 2
        assert client.get("/reports/seller-ranking", params=PERIOD).status_code == 200


def test_pool_exhaustion_is_503_not_a_hang(api_db: str, keys: dict[str, str]) -> None:
    settings = Settings(DATABASE_URL=api_db, SALESOPS_API_POOL_SIZE=1,
                        SALESOPS_API_POOL_TIMEOUT_SECONDS=0.5)
    with TestClient(create_app(settings), headers={"X-API-Key": keys["viewer"]}) as client, \
            ThreadPoolExecutor(1) as executor:
        with _locked(api_db, "report_daily_seller"):
            waiting = executor.submit(client.get, "/reports/seller-ranking", params=PERIOD)
            _wait_for(lambda: _waiting_on_lock(api_db) == 1)  # holding the only connection
            started = time.monotonic()
            busy = client.get("/reports/shipping-breakdown", params=PERIOD)
            took = time.monotonic() - started
        assert waiting.result().status_code == 200  # answered once the lock was gone
    assert busy.status_code == 503
    assert busy.json()["detail"] == ("all 1 database connections stayed busy for 0.5 s;"
                                     " try again shortly")
    assert 0.5 <= took < 3


def _waiting_on_lock(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name ="
                            " 'salesops-api' AND wait_event_type = 'Lock'").fetchone()[0]


def _wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def own_cluster() -> Iterator[LocalCluster]:
    """A throwaway cluster of this test's own (the session cluster is shared: never stopped)."""
    with throwaway_cluster("salesops-api-outage-") as cluster:
        yield cluster


def test_service_recovers_by_itself_when_postgres_returns(own_cluster: LocalCluster) -> None:
    url = own_cluster.url("salesops_outage")
    ensure_database(url)
    upgrade(url)
    key = create_key(url, name="outage", role="viewer")
    with TestClient(create_app(_settings(url)), headers={"X-API-Key": key}) as client, \
            ThreadPoolExecutor(4) as executor:
        with _locked(url, "report_daily_seller"):  # four requests at once: four connections
            held = [executor.submit(client.get, "/reports/seller-ranking", params=PERIOD)
                    for _ in range(4)]
            _wait_for(lambda: _waiting_on_lock(url) == 4)
        assert [r.result().status_code for r in held] == [200] * 4
        stats = client.app.state.pool.get_stats()
        assert stats["pool_available"] == stats["pool_size"] >= 4  # idle, all about to die
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
