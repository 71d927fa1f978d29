"""Browser fixtures: the API served for real, and a Chromium page that cannot reach the outside.

* ``live_api`` — ``uvicorn salesops_pipeline.api.main:app`` in a subprocess on a free port of
  127.0.0.1, against the test's (empty) warehouse, with one viewer and one admin key.
* ``browser_page`` — a page of a fresh browser context in Debian's chromium (``/usr/bin/chromium``,
  driven by Playwright; no browser is downloaded). Every request to a host other than
  127.0.0.1 / localhost is aborted and recorded in ``page_log.external_requests``; a test that
  let one be attempted fails at teardown even if it did not look.
* ``page_log`` — what the page did that a test may assert on: external requests (aborted), those
  its Content-Security-Policy refused before sending, uncaught JS errors, console errors.

Chromium: Debian's ``chromium`` package, installed by the ``browser`` fixture when it is missing
and the tests run as root (as PostgreSQL is); otherwise the test fails naming the package.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, Route

from salesops_pipeline.core.debian import ensure_package
from salesops_pipeline.errors import PackageMissing
from salesops_pipeline.settings import PROJECT_ROOT
from salesops_pipeline_tests.api.conftest import api_db, keys  # noqa: F401 - fixtures used here
from salesops_pipeline_tests.pg import free_port
from salesops_pipeline_tests.reliability.stack import base_env, kill_tree, wait_until

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and nothing of its own on the network (no QUIC, updates, sync, field trials); the
#: resolver knows no host but this machine, so even a request the route missed could not go out.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})  # urlsplit: [::1] → ::1
TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class LiveApi:
    """A running API: ``base_url`` (``http://127.0.0.1:PORT``, no trailing slash) and a key of
    each role to send as ``X-API-Key``."""

    base_url: str
    admin_key: str
    viewer_key: str
    database_url: str
    log: Path

    def url(self, path: str) -> str:
        """``base_url`` + ``path`` (``"/docs"``)."""
        return self.base_url + path


@dataclass
class PageLog:
    """What the page did, as URLs and texts, in order.

    ``external_requests``: requests to another host that the browser was about to send (the
    fixture aborted each). ``blocked_by_csp``: requests to another host that the page's own
    Content-Security-Policy refused, so the browser never sent them. ``errors``: uncaught JS
    exceptions. ``console_errors``: ``console.error`` lines and the browser's own (a resource
    that failed, a CSP violation).
    """

    external_requests: list[str] = field(default_factory=list)
    blocked_by_csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
def live_api(api_db: str, keys: dict[str, str], tmp_path: Path) -> Iterator[LiveApi]:  # noqa: F811
    """The API as ``salesops up`` runs it (uvicorn), on the empty warehouse of this test.

    It connects with the warehouse URL itself (SALESOPS_API_DATABASE_URL), so a developer's
    ``.salesops/`` cannot redirect it; data written to ``api_db`` before or during the test is
    what it serves.
    """
    port = free_port()
    log = tmp_path / "api.log"
    env = base_env(DATABASE_URL=api_db, SALESOPS_API_DATABASE_URL=api_db,
                   SALESOPS_HOME=tmp_path / "salesops", SALESOPS_API_POOL_SIZE="4")
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "salesops_pipeline.api.main:app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
            start_new_session=True)
    api = LiveApi(f"http://127.0.0.1:{port}", keys["admin"], keys["viewer"], api_db, log)
    try:
        wait_until(lambda: proc.poll() is not None
                   or httpx.get(api.url("/health"), timeout=2).status_code == 200,
                   "the API to answer /health", timeout=60, log=log)
        assert proc.poll() is None, f"the API exited ({proc.returncode}):\n{log.read_text()}"
        yield api
    finally:
        kill_tree(proc)


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's chromium, once per session (Playwright gives it a fresh user-data dir)."""
    with launch_chromium(playwright, CHROMIUM_ARGS) as browser:
        yield browser


@contextmanager
def launch_chromium(playwright: Playwright, args: list[str]) -> Iterator[Browser]:
    """Debian's chromium (installed when missing and we are root) with ``args``, headless, from
    the session's one Playwright driver (the ``playwright`` fixture of the root conftest)."""
    try:
        chromium = ensure_package("chromium", CHROMIUM)
    except PackageMissing as exc:
        pytest.fail(str(exc))
    browser = playwright.chromium.launch(executable_path=chromium, args=args, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def browser_page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    """A page in its own context (no cookies or storage shared between tests); requests off
    this machine are aborted and recorded in ``page_log``, and fail the test at teardown."""
    context = browser.new_context(locale="en-US")  # figures are grouped as the locale says
    context.set_default_timeout(TIMEOUT_MS)

    def local_only(route: Route, request: Request) -> None:
        if _is_local(request.url):
            route.continue_()
        else:
            page_log.external_requests.append(request.url)
            route.abort("blockedbyclient")

    def failed(request: Request) -> None:  # a CSP refusal never reaches the route
        if request.failure == "csp" and not _is_local(request.url):
            page_log.blocked_by_csp.append(request.url)

    context.route("**/*", local_only)
    page = context.new_page()
    page.on("requestfailed", failed)
    page.on("pageerror", lambda exc: page_log.errors.append(str(exc)))
    page.on("console", lambda msg: page_log.console_errors.append(msg.text)
            if msg.type == "error" else None)
    try:
        yield page
    finally:
        context.close()
    if page_log.external_requests:
        pytest.fail(f"the page tried to leave the machine: {page_log.external_requests}")


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOCAL_HOSTS
