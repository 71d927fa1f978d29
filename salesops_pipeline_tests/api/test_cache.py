"""The response cache and its fast path never serve a stale or someone else's answer.

Every write below goes straight to the database (as a report refresh, an import or
`salesops api-key revoke` would) and must be seen by the very next request.
"""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.cache import ResponseCache
from salesops_pipeline.api.keys import revoke_key
from salesops_pipeline_tests.api.builders import (
    line,
    write_facts,
    write_import,
    write_quality,
    write_quality_sample,
    write_reports,
)

DAY = date(2026, 1, 5)
PERIOD = {"start_date": "2026-01-05", "end_date": "2026-01-11"}
REPORTS = ["/reports/weekly-summary", "/reports/seller-ranking", "/reports/top-products",
           "/reports/shipping-breakdown", "/reports/data-quality"]


def _twice(client: TestClient, path: str, **params) -> dict:
    """The answer, asked twice: the second time it must come from the cache, unchanged."""
    first = client.get(path, params=params)
    second = client.get(path, params=params)
    assert first.status_code == second.status_code == 200, first.text
    assert second.headers["x-cache"] == "hit"
    assert second.content == first.content
    assert second.headers["content-type"] == "application/json"
    return second.json()


@pytest.mark.parametrize("path", REPORTS)
def test_repeated_answer_is_cached_and_identical(viewer: TestClient, sql, path: str) -> None:
    write_reports(sql, [line(DAY, "Ada", "Laptop", "10.50")])
    write_quality(sql, DAY, mismatched_total_count=1)
    body = _twice(viewer, path, **PERIOD)
    fresh = viewer.get(path, params=PERIOD, headers={"Cache-Control": "no-cache"})
    assert fresh.headers["x-cache"] == "miss" and fresh.json() == body


def test_changed_report_figure_is_seen_on_the_next_request(viewer: TestClient, sql) -> None:
    write_reports(sql, [line(DAY, "Ada", "Laptop", "10.50")])
    assert _twice(viewer, "/reports/weekly-summary", **PERIOD)["data"][0]["revenue"] == "10.50"
    sql("UPDATE salesops.report_daily_sales SET revenue = 99.99")
    r = viewer.get("/reports/weekly-summary", params=PERIOD)
    assert r.headers["x-cache"] == "miss"
    assert r.json()["data"][0]["revenue"] == "99.99"
    sql("TRUNCATE salesops.report_daily_seller")
    assert viewer.get("/reports/seller-ranking", params=PERIOD).json()["data"] == []


def test_new_import_is_seen_on_the_next_request(admin: TestClient, sql) -> None:
    write_import(sql, "a.xlsx")
    assert _twice(admin, "/imports")["total"] == 1
    write_import(sql, "b.xlsx")
    assert admin.get("/imports").json()["total"] == 2


def test_revoked_key_is_refused_on_the_next_request(api_db: str, keys: dict[str, str],
                                                     viewer: TestClient, sql) -> None:
    write_reports(sql, [line(DAY, "Ada", "Laptop", "10.50")])
    _twice(viewer, "/reports/weekly-summary", **PERIOD)
    revoke_key(api_db, "test-viewer")
    assert viewer.get("/reports/weekly-summary", params=PERIOD).status_code == 401


def test_cached_admin_answers_are_not_served_to_viewers(
        keys: dict[str, str], admin: TestClient, sql) -> None:
    write_import(sql, "a.xlsx")
    write_quality(sql, DAY, mismatched_total_count=1)
    write_quality_sample(sql, DAY, "mismatched_total", 7, {"total": "1"})
    _twice(admin, "/imports")
    assert len(_twice(admin, "/reports/data-quality", **PERIOD)["samples"]) == 1
    as_viewer = {"X-API-Key": keys["viewer"]}
    assert admin.get("/imports", headers=as_viewer).status_code == 403
    quality = admin.get("/reports/data-quality", params=PERIOD, headers=as_viewer)
    assert quality.status_code == 200
    assert quality.json()["samples"] is None
    assert admin.get("/imports", headers={"X-API-Key": "sok_0123456789ab_" + "A" * 43}
                     ).status_code == 401
    assert admin.get("/imports", headers={"X-API-Key": ""}).status_code == 401


def test_other_spellings_still_validated_and_answered(viewer: TestClient, sql) -> None:
    write_reports(sql, [line(DAY, "Ada", "Laptop", "10.50"), line(DAY, "Bob", "Mouse", "1")])
    top = _twice(viewer, "/reports/top-products", limit="1", **PERIOD)
    assert viewer.get("/reports/top-products", params={"limit": "01", **PERIOD}).json() == top
    assert viewer.get("/reports/top-products",
                      params={"limit": "1", "format": "json", **PERIOD}).json() == top
    for bad in ({"limit": "0"}, {"limit": "1001"}, {"limit": "1", "start": "2026-01-05"},
                {"format": "yaml"}, {"start_date": "2026-01-12"}):
        r = viewer.get("/reports/top-products", params={**PERIOD, **bad})
        assert r.status_code == 422, (bad, r.text)
    twice = viewer.get("/reports/top-products?limit=1&limit=1&start_date=2026-01-05"
                       "&end_date=2026-01-11")
    assert twice.status_code == 422
    csv = viewer.get("/reports/top-products", params={"limit": "1", "format": "csv", **PERIOD})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")


def test_default_period_is_cached_under_the_resolved_week(viewer: TestClient) -> None:
    body = _twice(viewer, "/reports/weekly-summary")
    explicit = viewer.get("/reports/weekly-summary", params={
        "start_date": body["start_date"], "end_date": body["end_date"]})
    assert explicit.headers["x-cache"] == "hit"
    assert explicit.json() == body


def test_lines_filters_are_part_of_the_cache_key(admin: TestClient, sql) -> None:
    write_facts(sql, [line(DAY, "Ada", "Laptop", "10.50"),
                      line(DAY, "Bob", "Mouse", "1", row=3)])
    ada = _twice(admin, "/reports/lines", seller="Ada", **PERIOD)["data"]
    bob = _twice(admin, "/reports/lines", seller="Bob", **PERIOD)["data"]
    assert [x["seller"] for x in ada] == ["Ada"] and [x["seller"] for x in bob] == ["Bob"]
    assert len(_twice(admin, "/reports/lines", limit="1", **PERIOD)["data"]) == 1
    assert admin.get("/reports/lines", params={"seller": "A\x00", **PERIOD}).status_code == 422


def test_cache_bounds_entries_and_bytes_and_forgets_old_snapshots() -> None:
    cache = ResponseCache(max_entries=3, max_total_bytes=10)
    cache.put("s1", "a", b"1234")
    cache.put("s1", "b", b"1234")
    assert cache.get("s1", "a") == b"1234"  # a is now the most recently used
    cache.put("s1", "c", b"1234")  # 12 bytes > 10: b (least recently used) goes
    assert cache.get("s1", "b") is None and cache.get("s1", "a") == b"1234"
    assert cache.get("s2", "a") is None  # another snapshot never sees these answers
    cache.put("s2", "d", b"1")
    assert len(cache) == 1 and cache.get("s1", "a") is None
    cache.put(None, "e", b"1")  # no snapshot (Cache-Control: no-cache): not stored
    assert cache.get(None, "e") is None and len(cache) == 1
