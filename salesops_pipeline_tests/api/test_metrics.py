"""/metrics: every request counted by route template and status (304s too), latency histogram,
pool gauges, and the ages of the latest loaded import and of the report tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from salesops_pipeline.api.main import create_app
from salesops_pipeline.api.metrics import LATENCY_BUCKETS, UNMATCHED
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


def test_requests_counted_by_route_and_status_including_revalidated_answers(
        viewer: TestClient, sql) -> None:
    write_reports(sql, [line(date(2026, 1, 6), "Ada", "Laptop", "10.50")])
    first = viewer.get(SUMMARY, params=WEEK)
    second = viewer.get(SUMMARY, params=WEEK)
    assert first.status_code == second.status_code == 200
    same = viewer.get(SUMMARY, params=WEEK, headers={"If-None-Match": first.headers["etag"]})
    assert same.status_code == 304
    assert viewer.get(SUMMARY, params=WEEK, headers={"X-API-Key": "wrong"}).status_code == 401
    assert viewer.get("/health").status_code == 200
    assert viewer.get("/no/such/page").status_code == 404

    families = _scrape(viewer)
    requests = families["salesops_api_requests"]
    total = "salesops_api_requests_total"
    assert _value(requests, total, method="GET", route=SUMMARY, status="200") == 2
    assert _value(requests, total, method="GET", route=SUMMARY, status="304") == 1
    assert _value(requests, total, method="GET", route=SUMMARY, status="401") == 1
    assert _value(requests, total, method="GET", route="/health", status="200") == 1
    assert _value(requests, total, method="GET", route=UNMATCHED, status="404") == 1
    assert sum(s.value for s in requests if s.name == total) == 6  # /metrics not yet counted

    latency = families["salesops_api_request_duration_seconds"]
    name = "salesops_api_request_duration_seconds"
    assert _value(latency, name + "_count", route=SUMMARY) == 4
    bounds = {float(s.labels["le"]): s.value for s in latency
              if s.name == name + "_bucket" and s.labels["route"] == SUMMARY}
    assert sorted(bounds) == [*LATENCY_BUCKETS, float("inf")]
    counts = [bounds[b] for b in sorted(bounds)]
    assert counts == sorted(counts) and counts[-1] == 4  # cumulative, +Inf holds them all
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
    pool = client.app.state.pool  # let it open its minimum first: then none is "opening"
    _until(lambda: pool.get_stats()["pool_available"] == Settings().api_pool_min_size)
    families = _scrape(client)
    elapsed = (datetime.now(UTC) - now).total_seconds()

    import_age = families["salesops_import_age_seconds"][0].value
    report_age = families["salesops_report_age_seconds"][0].value
    assert 7200 <= import_age <= 7200 + elapsed + 1
    assert 600 <= report_age <= 600 + elapsed + 1
    assert families["salesops_api_database_up"][0].value == 1

    settings = Settings()
    pool = _gauges(families)
    assert pool["size"] == settings.api_pool_size == 32
    # Read after the age query returned its connection: every open one is idle.
    assert pool["in_use"] == pool["waiting"] == 0
    assert pool["open"] >= 1


def _gauges(families: dict[str, list]) -> dict[str, float | None]:
    """The pool gauges of one scrape: size, open, in_use, waiting (one sample each, no labels)."""
    found = {}
    for key in ("size", "open", "in_use", "waiting"):
        samples = families[f"salesops_api_db_pool_{key}"]
        assert [s.labels for s in samples] == [{}]
        found[key] = samples[0].value
    return found


def test_ages_have_no_sample_on_an_empty_warehouse(client: TestClient) -> None:
    families = _scrape(client)
    assert families["salesops_import_age_seconds"] == []
    assert families["salesops_report_age_seconds"] == []
    assert families["salesops_api_database_up"][0].value == 1


def test_pool_in_use_counts_running_requests(api_db: str, keys: dict[str, str]) -> None:
    """Three requests waiting on a locked report table hold three connections; a fourth
    waits for one (pool of 3); all four are answered once the lock is gone."""
    settings = Settings(DATABASE_URL=api_db, SALESOPS_API_POOL_SIZE=3,
                        SALESOPS_API_POOL_MIN_SIZE=3)
    with TestClient(create_app(settings), headers={"X-API-Key": keys["viewer"]}) as client, \
            ThreadPoolExecutor(4) as executor:
        _until(lambda: client.app.state.pool.get_stats()["pool_available"] == 3)
        assert _gauges(_scrape(client)) == {"size": 3, "open": 3, "in_use": 0, "waiting": 0}
        with psycopg.connect(api_db) as locker:
            locker.execute("LOCK TABLE salesops.report_daily_seller IN ACCESS EXCLUSIVE MODE")
            held = [executor.submit(client.get, "/reports/seller-ranking", params=WEEK)
                    for _ in range(3)]
            _until(lambda: client.app.state.pool.get_stats()["pool_available"] == 0)
            queued = executor.submit(client.get, "/reports/seller-ranking", params=WEEK)
            _until(lambda: client.app.state.pool.get_stats()["requests_waiting"] == 1)
            stats = client.app.state.pool.get_stats()
            families = text_string_to_metric_families(client.app.state.metrics.render(None)
                                                      .decode())
            locker.rollback()
        assert [f.result().status_code for f in [*held, queued]] == [200] * 4
    assert (stats["pool_size"], stats["pool_available"]) == (3, 0)
    gauges = {f.name: f.samples[0].value for f in families
              if f.name.startswith("salesops_api_db_pool_")}
    assert gauges == {"salesops_api_db_pool_size": 3, "salesops_api_db_pool_open": 3,
                      "salesops_api_db_pool_in_use": 3, "salesops_api_db_pool_waiting": 1}


def _until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
