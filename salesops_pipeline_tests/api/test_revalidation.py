"""ETag / If-None-Match on the report endpoints: 304 until a report refresh, never across
queries or roles, never before the key is checked, and no tag where the answer is read from
the fact table or the import log.

The report refresh below is the real one (core/report/refresh.py) over fact lines written
straight into the warehouse; expected figures come from the lines, in Decimal.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.keys import revoke_key
from salesops_pipeline.api.revalidation import CACHE_CONTROL
from salesops_pipeline.core.db.connect import connect
from salesops_pipeline.core.report.refresh import refresh
from salesops_pipeline_tests.api.builders import line, write_facts, write_import

DAY = date(2026, 1, 5)
PERIOD = {"start_date": "2026-01-05", "end_date": "2026-01-11"}
REPORTS = ["/reports/weekly-summary", "/reports/seller-ranking", "/reports/top-products",
           "/reports/shipping-breakdown", "/reports/data-quality"]


def _refresh(url: str) -> None:
    with connect(url) as conn:
        refresh(conn, tolerance=Decimal("0.01"), full=True)


@pytest.fixture
def refreshed(api_db: str, sql) -> str:
    write_facts(sql, [line(DAY, "Ada", "Laptop", "10.50"), line(DAY, "Bob", "Mouse", "2.25",
                                                                row=3, source_file="b.xlsx")])
    _refresh(api_db)
    return api_db


def _tag(client: TestClient, path: str, params: dict | None = None, **headers: str) -> str:
    r = client.get(path, params=PERIOD if params is None else params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == CACHE_CONTROL
    assert r.headers["vary"] == "X-API-Key"
    tag = r.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 34
    return tag


@pytest.mark.parametrize("path", REPORTS)
def test_same_question_revalidates_to_304_without_a_body(viewer: TestClient, refreshed,
                                                         path: str) -> None:
    first = viewer.get(path, params=PERIOD)
    tag = first.headers["etag"]
    again = viewer.get(path, params=PERIOD, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert (again.headers["etag"], again.headers["cache-control"]) == (tag, CACHE_CONTROL)
    # If-None-Match lists, weak tags and * all match (RFC 9110 weak comparison).
    for given in (f'"other", {tag}', f"W/{tag}", "*"):
        assert viewer.get(path, params=PERIOD, headers={"If-None-Match": given}
                          ).status_code == 304, given
    assert viewer.get(path, params=PERIOD, headers={"If-None-Match": '"other"'}
                      ).json() == first.json()


def test_tag_changes_after_a_report_refresh_and_only_then(viewer: TestClient, refreshed,
                                                          sql) -> None:
    path = "/reports/weekly-summary"
    tag = _tag(viewer, path)
    # Writes that are not a report refresh leave the tag alone: an import not yet refreshed
    # (the report tables still hold the old figures), a new key, another database's commit.
    write_import(sql, "later.xlsx", sha="c" * 64)
    sql("INSERT INTO salesops.api_key (name, role, key_prefix, key_hash)"
        " VALUES ('other', 'viewer', 'sok_0000000000aa', repeat('0', 64))")
    assert _tag(viewer, path) == tag
    assert viewer.get(path, params=PERIOD, headers={"If-None-Match": tag}).status_code == 304

    write_facts(sql, [line(DAY, "Chen", "Dock", "100.00", shipping="UPS", row=9,
                           source_file="c.xlsx")])
    assert viewer.get(path, params=PERIOD, headers={"If-None-Match": tag}).status_code == 304
    _refresh(refreshed)
    r = viewer.get(path, params=PERIOD, headers={"If-None-Match": tag})
    assert r.status_code == 200
    assert r.json()["data"][0]["revenue"] == str(Decimal("10.50") + Decimal("2.25")
                                                 + Decimal("100.00"))
    new = r.headers["etag"]
    assert new != tag
    assert viewer.get(path, params=PERIOD, headers={"If-None-Match": new}).status_code == 304


def test_a_reset_and_a_new_first_refresh_give_a_new_tag(viewer: TestClient, refreshed,
                                                          sql) -> None:
    """A reset restarts refresh ids at 1: the refresh time still tells the two apart."""
    path = "/reports/seller-ranking"
    (refresh_id,), = sql("SELECT refresh_id FROM salesops.report_refresh")
    tag = _tag(viewer, path)
    sql("TRUNCATE salesops.report_refresh RESTART IDENTITY")
    _refresh(refreshed)
    assert sql("SELECT refresh_id FROM salesops.report_refresh") == [(refresh_id,)]
    assert _tag(viewer, path) != tag


def test_different_questions_have_different_tags(viewer: TestClient, admin: TestClient,
                                                 refreshed) -> None:
    top = "/reports/top-products"
    tags = [_tag(viewer, top), _tag(viewer, top, {**PERIOD, "limit": "1"}),
            _tag(viewer, top, {"start_date": "2026-01-05", "end_date": "2026-01-12"}),
            _tag(viewer, top, {**PERIOD, "format": "csv"}), _tag(viewer, top, {}),
            _tag(viewer, "/reports/seller-ranking"), _tag(admin, top)]
    assert len(set(tags)) == len(tags)
    # Admins see data-quality samples, viewers do not: a viewer's tag never revalidates an
    # admin's answer (and the other way round).
    quality = "/reports/data-quality"
    viewer_tag, admin_tag = _tag(viewer, quality), _tag(admin, quality)
    r = admin.get(quality, params=PERIOD, headers={"If-None-Match": viewer_tag})
    assert r.status_code == 200 and r.json()["samples"] == []
    r = viewer.get(quality, params=PERIOD, headers={"If-None-Match": admin_tag})
    assert r.status_code == 200 and r.json()["samples"] is None


def test_download_revalidates_too(viewer: TestClient, refreshed) -> None:
    params = {**PERIOD, "format": "csv"}
    first = viewer.get("/reports/seller-ranking", params=params)
    assert first.headers["content-type"].startswith("text/csv")
    again = viewer.get("/reports/seller-ranking", params=params,
                       headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


@pytest.mark.parametrize("path", REPORTS)
def test_the_key_is_checked_before_any_304(client: TestClient, keys: dict[str, str],
                                           refreshed, path: str) -> None:
    tag = _tag(client, path, **{"X-API-Key": keys["viewer"]})
    for key in (None, "", "nope", "sok_000000000000_" + "A" * 43, keys["viewer"][:-1] + "?"):
        headers = {"If-None-Match": tag} | ({} if key is None else {"X-API-Key": key})
        r = client.get(path, params=PERIOD, headers=headers)
        assert r.status_code == 401, key
        assert "etag" not in r.headers
    revoke_key(refreshed, "test-viewer")
    r = client.get(path, params=PERIOD, headers={"If-None-Match": tag,
                                                 "X-API-Key": keys["viewer"]})
    assert r.status_code == 401


def test_bad_parameters_are_422_even_with_a_matching_tag(viewer: TestClient, refreshed) -> None:
    tag = _tag(viewer, "/reports/top-products")
    for bad in ({"limit": "0"}, {"start": "2026-01-05"}, {"format": "yaml"}):
        r = viewer.get("/reports/top-products", params={**PERIOD, **bad},
                       headers={"If-None-Match": tag})
        assert r.status_code == 422, bad


def test_answers_read_from_facts_or_the_import_log_have_no_tag(admin: TestClient, refreshed,
                                                               sql) -> None:
    """They change with every import, refresh or not: always answered afresh."""
    for path, params in (("/reports/lines", PERIOD), ("/imports", {}),
                         ("/imports/1/rejections", {}),
                         ("/reports/data-quality", {**PERIOD, "tolerance": "0.05"})):
        r = admin.get(path, params=params, headers={"If-None-Match": "*"})
        assert r.status_code == 200, (path, r.text)
        assert "etag" not in r.headers and "cache-control" not in r.headers, path
    before = admin.get("/imports").json()["total"]
    write_import(sql, "later.xlsx", sha="c" * 64)
    assert admin.get("/imports").json()["total"] == before + 1
