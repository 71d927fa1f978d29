"""`X-Content-Type-Options: nosniff` on every answer: every route and method, downloads,
errors, 304s and 500s (api/security_headers.py); the pages keep their Content-Security-Policy."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api.main import create_app
from salesops_pipeline_tests.api.builders import line, write_reports
from salesops_pipeline_tests.api.routes import GET_PATHS

SUMMARY = "/reports/weekly-summary"
WEEK = {"start_date": "2026-01-05", "end_date": "2026-01-11"}


def _nosniff(response) -> bool:
    return response.headers.get_list("x-content-type-options") == ["nosniff"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS"])
@pytest.mark.parametrize("path", GET_PATHS)
def test_every_route_and_method(admin: TestClient, path: str, method: str) -> None:
    r = admin.request(method, path)
    assert r.status_code < 500, r.text
    assert _nosniff(r), (method, path, r.headers)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloads(viewer: TestClient, fmt: str) -> None:
    r = viewer.get(SUMMARY, params={**WEEK, "format": fmt})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert _nosniff(r)


def test_errors_and_not_modified(client: TestClient, viewer: TestClient, sql) -> None:
    write_reports(sql, [line(date(2026, 1, 6), "Ada", "Laptop", "10.50")])
    tag = viewer.get(SUMMARY, params=WEEK).headers["etag"]
    answers = {
        304: viewer.get(SUMMARY, params=WEEK, headers={"If-None-Match": tag}),
        401: client.get(SUMMARY),
        403: viewer.get("/imports"),
        404: viewer.get("/no/such/page"),
        405: viewer.post(SUMMARY),
        422: viewer.get(SUMMARY, params={"start_date": "tomorrow"}),
    }
    for status, r in answers.items():
        assert r.status_code == status
        assert _nosniff(r), status


def test_database_unavailable(api_db: str) -> None:
    with TestClient(create_app()) as c:
        c.app.state.pool = None  # type: ignore[attr-defined]  # as before the pool opened
        for path in ("/health", SUMMARY):
            r = c.get(path, headers={"X-API-Key": "sok_000000000000_" + "a" * 43})
            assert r.status_code == 503 and _nosniff(r), path


def test_an_unhandled_exception(api_db: str) -> None:
    app = create_app()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom")
    assert r.status_code == 500 and r.text == "Internal Server Error"
    assert _nosniff(r)


@pytest.mark.parametrize("path", ["/", "/dashboard", "/dashboard/static/app.js", "/docs"])
def test_the_pages_keep_their_policy(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert "default-src" in r.headers["content-security-policy"]
    assert _nosniff(r)
