"""/health: open, database reachable, time of the latest import, age of the report tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from salesops_pipeline_tests.api.builders import write_import, write_refresh


def test_health_on_an_empty_warehouse(client: TestClient) -> None:
    body = client.get("/health").json()
    assert (body["status"], body["database"]) == ("ok", "reachable")
    assert body["latest_import_at"] is None
    assert body["reports_refreshed_at"] is None
    assert body["report_age_seconds"] is None


def test_health_reports_latest_import_and_report_age(client: TestClient, sql) -> None:
    now = datetime.now(UTC)
    write_import(sql, "a.xlsx", sha="1" * 64, started_at=now - timedelta(days=2))
    write_import(sql, "b.xlsx", sha="2" * 64, started_at=now - timedelta(hours=1))
    write_refresh(sql, now - timedelta(minutes=10))
    body = client.get("/health").json()
    assert body["status"] == "ok"
    latest = datetime.fromisoformat(body["latest_import_at"])
    assert abs(latest - (now - timedelta(hours=1))) < timedelta(seconds=1)
    assert 590 < body["report_age_seconds"] < 700
