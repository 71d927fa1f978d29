"""Issue 16: /docs and /redoc render offline — their assets come from this server, nothing else.

The browser tests open the pages of a real API in chromium with every request off the machine
aborted and recorded; the others read the HTML and the Content-Security-Policy without a browser.
"""

from __future__ import annotations

import re
from importlib.resources import files

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from salesops_pipeline.api.main import create_app
from salesops_pipeline_tests.browser.conftest import LiveApi, PageLog

#: The one request the ReDoc bundle makes on its own: the Redocly logo of its side menu.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
PACKAGE_ASSETS = files("fastapi_offline") / "static"
#: The URLs a page names: attributes, and Swagger UI's ``url: '/openapi.json'`` set-up.
_PAGE_URL = re.compile(r"""\b(?:src=|href=|spec-url=|url: )["']([^"']+)["']""")
_LOCAL_SOURCES = {"'self'", "'unsafe-inline'", "data:", "blob:"}


def _operations(api: LiveApi) -> list[tuple[str, str, str]]:
    """(method, path, summary) of every operation the OpenAPI document declares."""
    spec = httpx.get(api.url("/openapi.json"), timeout=10).json()
    return sorted((method.upper(), path, op["summary"])
                  for path, ops in spec["paths"].items() for method, op in ops.items())


def test_swagger_ui_lists_every_endpoint(live_api: LiveApi, browser_page: Page,
                                         page_log: PageLog) -> None:
    """/docs shows the operations of the API, with every asset loaded from this server."""
    browser_page.goto(live_api.url("/docs"))
    paths = browser_page.locator(".opblock-summary-path")
    expect(paths.filter(has_text=re.compile(r"^/reports/weekly-summary$"))).to_be_visible()
    expect(browser_page.locator(".info .title")).to_contain_text("SalesOps reports API")
    shown = sorted(zip(browser_page.locator(".opblock-summary-method").all_inner_texts(),
                       paths.evaluate_all("nodes => nodes.map(n => n.dataset.path)"),
                       browser_page.locator(".opblock-summary-description").all_inner_texts(),
                       strict=True))
    operations = _operations(live_api)
    assert len(operations) >= 8 and ("GET", "/imports", "List Imports") in operations
    assert shown == operations
    assert page_log.external_requests == [] and page_log.blocked_by_csp == []
    assert page_log.errors == [] and page_log.console_errors == []


def test_redoc_renders_every_operation(live_api: LiveApi, browser_page: Page,
                                       page_log: PageLog) -> None:
    """/redoc shows the title and each operation; only the Redocly logo was ever wanted from
    outside, and the page's policy refused it before it was sent."""
    browser_page.goto(live_api.url("/redoc"))
    expect(browser_page.locator("h1")).to_contain_text("SalesOps reports API")
    expect(browser_page.get_by_text("/reports/weekly-summary", exact=True).first).to_be_attached()
    headings = browser_page.locator("h2").all_inner_texts()
    for _method, _path, summary in _operations(live_api):
        assert summary in headings
    assert page_log.external_requests == []
    assert set(page_log.blocked_by_csp) <= {REDOCLY_LOGO}
    assert page_log.errors == []
    assert all(REDOCLY_LOGO in line for line in page_log.console_errors)


def test_page_guard_aborts_and_records_external_requests(browser_page: Page,
                                                         page_log: PageLog) -> None:
    """The fixture itself: a request to another host is recorded and never answered."""
    with browser_page.expect_event("requestfailed") as failed:
        browser_page.set_content('<img src="https://salesops.invalid/probe.png">')
    assert failed.value.url == "https://salesops.invalid/probe.png"
    assert page_log.external_requests == ["https://salesops.invalid/probe.png"]
    page_log.external_requests.clear()  # seen: the teardown need not fail the test


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_name_only_this_server(path: str) -> None:
    """No URL of another host in the HTML; each asset it names is served, byte for byte the
    package's file; the policy allows no other host (the cache fast path lets it all through)."""
    client = TestClient(create_app())  # not started: these pages need no database
    page = client.get(path, headers={"X-API-Key": "not-a-key"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?:|//[a-z]", page.text, re.IGNORECASE), page.text
    urls = _PAGE_URL.findall(page.text)
    assert "/openapi.json" in urls and len(urls) >= 2
    for url in urls:
        served = client.get(url)
        assert served.status_code == 200, url
        name = url.rsplit("/", 1)[-1]
        if url != "/openapi.json":
            assert served.content == (PACKAGE_ASSETS / name).read_bytes(), url
    policy = dict(d.strip().split(" ", 1) for d in
                  page.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'"
    for directive, sources in policy.items():
        assert set(sources.split()) <= _LOCAL_SOURCES, directive
