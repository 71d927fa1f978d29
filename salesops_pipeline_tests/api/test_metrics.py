"""/metrics: every request counted by route template and status (cached ones too), latency
histogram, pool gauges, and the ages of the latest loaded import and of the report tables."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from salesops_pipeline.api.metrics import LATENCY_BUCKETS, UNMATCHED
from salesops_pipeline.api.pool import Database
from salesops_pipeline.settings import Settings
from salesops_pipeline_tests.api.builders import line, write_import, write_refresh, write_reports

WEEK = {"start_date": "2026-01-05", "end_date": "2026-01-11"}
SUMMARY = "/reports/weekly-summary"


def _scrape(client: TestClient) -> dict[str, list]:
    """The samples of one scrape by metric family name (the text format, parsed)."""
    r = client.get("/metrics", headers={"X-API-Key": ""})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


def _value(samples: list, name: str, **labels: str) -> float | None:
    found = [s.value for s in samples if s.name == name and s.labels == labels]
    assert len(found) <= 1
    return found[0] if found else None


def test_requests_counted_by_route_and_status_including_cached_answers(
        viewer: TestClient, sql) -> None:
    write_reports(sql, [line(date(2026, 1, 6), "Ada", "Laptop", "10.50")])
    first = viewer.get(SUMMARY, params=WEEK)
    second = viewer.get(SUMMARY, params=WEEK)
    assert first.status_code == second.status_code == 200
    assert second.headers["x-cache"] == "hit"  # answered by the fast path, before FastAPI
    assert viewer.get(SUMMARY, params=WEEK, headers={"X-API-Key": "wrong"}).status_code == 401
    assert viewer.get("/health").status_code == 200
    assert viewer.get("/no/such/page").status_code == 404

    families = _scrape(viewer)
    requests = families["salesops_api_requests"]
    total = "salesops_api_requests_total"
    assert _value(requests, total, method="GET", route=SUMMARY, status="200") == 2
    assert _value(requests, total, method="GET", route=SUMMARY, status="401") == 1
    assert _value(requests, total, method="GET", route="/health", status="200") == 1
    assert _value(requests, total, method="GET", route=UNMATCHED, status="404") == 1
    assert sum(s.value for s in requests if s.name == total) == 5  # /metrics not yet counted

    latency = families["salesops_api_request_duration_seconds"]
    name = "salesops_api_request_duration_seconds"
    assert _value(latency, name + "_count", route=SUMMARY) == 3
    bounds = {float(s.labels["le"]): s.value for s in latency
              if s.name == name + "_bucket" and s.labels["route"] == SUMMARY}
    assert sorted(bounds) == [*LATENCY_BUCKETS, float("inf")]
    counts = [bounds[b] for b in sorted(bounds)]
    assert counts == sorted(counts) and counts[-1] == 3  # cumulative, +Inf holds them all
    assert 0 < _value(latency, name + "_sum", route=SUMMARY) < 30

    again = _scrape(viewer)["salesops_api_requests"]
    assert _value(again, total, method="GET", route="/metrics", status="200") == 1
    assert _value(again, total, method="GET", route=SUMMARY, status="200") == 2


def test_route_label_is_the_template_not_the_raw_path(admin: TestClient) -> None:
    for import_id in (999_001, 999_002):
        admin.get(f"/imports/{import_id}/rejections")
    requests = _scrape(admin)["salesops_api_requests"]
    routes = {s.labels["route"] for s in requests if s.name == "salesops_api_requests_total"}
    assert routes == {"/imports/{import_id}/rejections"}
    counted = sum(s.value for s in requests if s.name == "salesops_api_requests_total")
    assert counted == 2


def test_pool_gauges_and_data_ages(client: TestClient, sql) -> None:
    now = datetime.now(UTC)
    write_import(sql, "old.xlsx", sha="1" * 64, started_at=now - timedelta(days=3))
    write_import(sql, "new.xlsx", sha="2" * 64, started_at=now - timedelta(hours=2))
    # A later import that did not load does not make the data any fresher.
    write_import(sql, "bad.xlsx", sha="3" * 64, status="failed", error="boom",
                 started_at=now - timedelta(minutes=1))
    write_refresh(sql, now - timedelta(minutes=10))
    families = _scrape(client)
    elapsed = (datetime.now(UTC) - now).total_seconds()

    import_age = families["salesops_import_age_seconds"][0].value
    report_age = families["salesops_report_age_seconds"][0].value
    assert 7200 <= import_age <= 7200 + elapsed + 1
    assert 600 <= report_age <= 600 + elapsed + 1
    assert families["salesops_api_database_up"][0].value == 1

    size = Settings().api_pool_size
    for pool in ("threads", "event_loop"):
        assert _value(families["salesops_api_db_pool_size"], "salesops_api_db_pool_size",
                      pool=pool) == size
        # Read after the age query returned its connection: nothing is in use.
        assert _value(families["salesops_api_db_pool_in_use"], "salesops_api_db_pool_in_use",
                      pool=pool) == 0


def test_ages_have_no_sample_on_an_empty_warehouse(client: TestClient) -> None:
    families = _scrape(client)
    assert families["salesops_import_age_seconds"] == []
    assert families["salesops_report_age_seconds"] == []
    assert families["salesops_api_database_up"][0].value == 1


def test_pool_in_use_counts_a_running_query(api_db: str) -> None:
    db = Database(api_db, size=2)
    try:
        worker = threading.Thread(target=db.fetch, args=("SELECT pg_sleep(0.6)",))
        worker.start()
        deadline = time.monotonic() + 5
        while db.in_use == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert db.in_use == 1
        worker.join()
        assert db.in_use == 0
    finally:
        db.close()
