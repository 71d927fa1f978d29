"""HEAD wherever GET works (same status and headers, no body, the same key check), OPTIONS on
every path (204 with Allow, no CORS), and a 405's Allow (api/methods.py)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from salesops_pipeline.api.main import create_app
from salesops_pipeline.api.methods import complete_allow
from salesops_pipeline_tests.api.builders import line, write_reports
from salesops_pipeline_tests.api.routes import GET_PATHS, schema_get_paths

ALLOW = "GET, HEAD, OPTIONS"
SUMMARY = "/reports/weekly-summary"
WEEK = {"start_date": "2026-01-05", "end_date": "2026-01-11"}
#: Headers that may differ between two answers to the same question: the body of /metrics
#: counts the GET before it.
VOLATILE = {"/metrics": {"content-length"}}


def _headers(response, path: str) -> list[tuple[str, str]]:
    skip = VOLATILE.get(path, set())
    return sorted((k.lower(), v) for k, v in response.headers.multi_items()
                  if k.lower() not in skip)


def test_the_paths_cover_every_get_operation_of_the_schema() -> None:
    assert set(schema_get_paths(create_app())) <= set(GET_PATHS)
    assert {"/health", "/", "/dashboard", "/docs", "/openapi.json"} <= set(GET_PATHS)


@pytest.mark.parametrize("path", [*GET_PATHS, "/reports/seller-ranking?format=csv",
                                  "/reports/top-products?format=xlsx"])
def test_head_answers_like_get_without_a_body(admin: TestClient, path: str) -> None:
    got = admin.get(path)
    head = admin.head(path)
    assert head.status_code == got.status_code, path
    assert _headers(head, path) == _headers(got, path)
    assert head.content == b""


@pytest.mark.parametrize("path", ["/reports/weekly-summary", "/imports", "/reports/lines"])
def test_head_checks_the_key_as_get_does(client: TestClient, viewer: TestClient,
                                         path: str) -> None:
    assert client.head(path).status_code == client.get(path).status_code == 401
    assert client.head(path, headers={"X-API-Key": "sok_nope"}).status_code == 401
    assert viewer.head(path).status_code == viewer.get(path).status_code


def test_head_revalidates_like_get(viewer: TestClient, sql) -> None:
    write_reports(sql, [line(date(2026, 1, 6), "Ada", "Laptop", "10.50")])
    got = viewer.get(SUMMARY, params=WEEK)
    head = viewer.head(SUMMARY, params=WEEK)
    assert head.status_code == 200
    assert head.headers["etag"] == got.headers["etag"]
    assert head.headers["content-length"] == str(len(got.content))
    again = viewer.head(SUMMARY, params=WEEK, headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == got.headers["etag"]


def test_the_app_itself_sends_no_body_after_a_head() -> None:
    """The test client drops a HEAD body itself; ask the ASGI app directly."""
    app = create_app()
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "HEAD", "scheme": "http", "path": "/dashboard", "raw_path": b"/dashboard",
             "root_path": "", "query_string": b"", "headers": [(b"host", b"test")],
             "client": ("127.0.0.1", 1), "server": ("test", 80)}
    asyncio.run(app(scope, receive, send))
    start, *body = sent
    assert start["status"] == 200
    assert int(dict(start["headers"])[b"content-length"]) > 0  # the GET's length
    assert [m["body"] for m in body] == [b""]
    assert scope["method"] == "HEAD"  # the server's scope is left as it was


#: The door's check answers every method itself (nginx asks it about the original request,
#: whatever its method), OPTIONS included: it is no resource to describe.
OPTIONS_PATHS = [path for path in GET_PATHS if path != "/ui-auth/check"]


@pytest.mark.parametrize("path", OPTIONS_PATHS)
def test_options_answers_204_with_allow_and_no_cors(client: TestClient, path: str) -> None:
    r = client.options(path, headers={"Origin": "https://evil.example",
                                      "Access-Control-Request-Method": "GET"})
    assert r.status_code == 204
    assert r.headers["allow"] == ALLOW
    assert r.content == b""
    assert not [k for k in r.headers if k.lower().startswith("access-control-")]


def test_unknown_paths_stay_404_for_every_method(client: TestClient) -> None:
    for method in ("GET", "HEAD", "OPTIONS", "POST"):
        assert client.request(method, "/no/such/page").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_405_lists_the_methods_of_the_path(admin: TestClient, method: str) -> None:
    for path in (SUMMARY, "/health", "/imports/1/rejections", "/docs/assets/swagger-ui.css"):
        r = admin.request(method, path)
        assert r.status_code == 405
        assert r.headers.get_list("allow") == [ALLOW]


def test_head_and_options_are_counted_by_route(viewer: TestClient) -> None:
    assert viewer.head("/health").status_code == 200
    assert viewer.head(SUMMARY, headers={"X-API-Key": ""}).status_code == 401
    assert viewer.options("/imports/7/rejections").status_code == 204
    assert viewer.head("/no/such/page").status_code == 404
    scrape = viewer.get("/metrics")
    samples = [s for f in text_string_to_metric_families(scrape.text) for s in f.samples
               if s.name == "salesops_api_requests_total"]
    counted = {(s.labels["method"], s.labels["route"], s.labels["status"]): s.value
               for s in samples}
    assert counted == {("HEAD", "/health", "200"): 1, ("HEAD", SUMMARY, "401"): 1,
                       ("OPTIONS", "/imports/{import_id}/rejections", "204"): 1,
                       ("HEAD", "unmatched", "404"): 1}


@pytest.mark.parametrize(("allow", "completed"), [
    ("GET", "GET, HEAD, OPTIONS"),
    ("POST, GET", "GET, HEAD, POST, OPTIONS"),
    ("HEAD, GET", "GET, HEAD, OPTIONS"),
    ("propfind,DELETE", "DELETE, OPTIONS, PROPFIND"),
    ("", "OPTIONS"),
])
def test_complete_allow(allow: str, completed: str) -> None:
    assert complete_allow(allow) == completed
