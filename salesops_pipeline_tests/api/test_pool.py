"""The API's one connection pool: bounded, read-only sessions with the statement timeout, as
the read-only role once `salesops db init` made it; opened and closed with the app."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import psycopg
from fastapi.testclient import TestClient

from salesops_pipeline.api.db import fetch
from salesops_pipeline.api.main import create_app
from salesops_pipeline.core.db.roles import READER, ensure_reader
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.api.builders import line, write_reports

PERIOD = {"start_date": "2026-01-05", "end_date": "2026-01-11"}


def _api_backends(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity"
                            " WHERE application_name = 'salesops-api'").fetchone()[0]


def _on_pool(client: TestClient, query: str) -> dict:
    """One row of ``query`` run on a connection of the app's own pool, in the app's loop."""
    async def run() -> dict:
        async with client.app.state.pool.connection() as conn:
            return (await fetch(conn, query))[0]
    return client.portal.call(run)


def test_more_concurrent_requests_than_connections_are_all_answered(
        api_db: str, keys: dict[str, str], sql) -> None:
    """24 requests at once on a pool of 2: never more than 2 connections, every answer right."""
    write_reports(sql, [line(date(2026, 1, 6), "Ada", "Laptop", "10.50")])
    settings = Settings(DATABASE_URL=api_db, SALESOPS_API_POOL_SIZE=2,
                        SALESOPS_API_POOL_MIN_SIZE=0, SALESOPS_API_POOL_TIMEOUT_SECONDS=30)
    with TestClient(create_app(settings), headers={"X-API-Key": keys["viewer"]}) as client, \
            ThreadPoolExecutor(24) as executor, psycopg.connect(api_db) as locker:
        locker.execute("LOCK TABLE salesops.report_daily_sales IN ACCESS EXCLUSIVE MODE")
        answers = [executor.submit(client.get, "/reports/weekly-summary", params=PERIOD)
                   for _ in range(24)]
        deadline = time.monotonic() + 10
        while client.app.state.pool.get_stats().get("requests_waiting", 0) < 22:
            assert time.monotonic() < deadline, client.app.state.pool.get_stats()
            time.sleep(0.02)
        # The pool may still be opening its second connection when the queue is full: wait
        # for it, and never see more than two.
        while (backends := _api_backends(api_db)) < 2:
            assert time.monotonic() < deadline, backends
            time.sleep(0.02)
        assert backends == 2
        locker.rollback()
        bodies = [a.result() for a in answers]
    assert [b.status_code for b in bodies] == [200] * 24
    assert {b.json()["data"][0]["revenue"] for b in bodies} == {"10.50"}


def test_sessions_are_read_only_in_utc_with_the_statement_timeout(api_db: str) -> None:
    settings = Settings(DATABASE_URL=api_db, SALESOPS_API_STATEMENT_TIMEOUT_MS=1234)
    with TestClient(create_app(settings)) as client:
        row = _on_pool(client, "SELECT current_setting('statement_timeout') AS timeout,"
                               " current_setting('transaction_read_only') AS read_only,"
                               " current_setting('TimeZone') AS zone")
    assert row == {"timeout": "1234ms", "read_only": "on", "zone": "UTC"}


def test_pool_connects_as_the_read_only_role_and_closes_with_the_app(
        api_db: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_API_DATABASE_URL", raising=False)
    ensure_reader(api_db, tmp_path / "api-reader.password")
    settings = Settings(DATABASE_URL=api_db, SALESOPS_API_POOL_MIN_SIZE=3)
    with TestClient(create_app(settings)) as client:
        assert _on_pool(client, "SELECT current_user AS who") == {"who": READER}
        assert _api_backends(api_db) >= 1
    deadline = time.monotonic() + 5
    while _api_backends(api_db):  # every connection closed when the app stopped
        assert time.monotonic() < deadline
        time.sleep(0.05)
