"""Issue 24: the Dagster UI behind the front door, attacked from other web pages for real.

One ``salesops up`` for the module (daemon, webserver on its Unix socket, API, nginx), Debian's
chromium through Playwright, and the attacker's pages served by a plain ``http.server`` on
another port of 127.0.0.1 (same *site* as the door, so SameSite cookies do not help: the
same-origin rule must). Each attack carries a real ``launchRun`` mutation, which the last test
proves would launch a run when the admin sends it; after each attack the number of runs in
Dagster's storage is unchanged and nginx's access log shows the door's refusal.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from salesops_pipeline.core.db.pgcluster import LocalCluster
from salesops_pipeline_tests.browser.conftest import CHROMIUM_ARGS, launch_chromium
from salesops_pipeline_tests.pg import free_port
from salesops_pipeline_tests.reliability.harness import open_sql
from salesops_pipeline_tests.reliability.stack import Stack, salesops, wait_until, warehouse

reliability = pytest.mark.reliability
TIMEOUT_MS = 30_000
EVIL = "evil.test"
#: Launch the report refresh (a job without config), as the issue's withdraw_file launch did.
MUTATION = ('mutation { launchRun(executionParams: {selector: {repositoryLocationName: '
            '"salesops_pipeline.definitions", repositoryName: "__repository__", '
            'jobName: "refresh_reports"}}) { __typename '
            '... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }')
#: The rebinding attacker's host resolves to this machine; nothing else leaves it. Chromium's
#: own Local Network Access checks (a page from a public address may not call a loopback one)
#: are turned off: the door must hold on its own, in browsers without them too.
BROWSER_ARGS = [*(a for a in CHROMIUM_ARGS if not a.startswith("--host-resolver-rules")),
                f"--host-resolver-rules=MAP {EVIL} 127.0.0.1, MAP * ~NOTFOUND, "
                "EXCLUDE localhost, EXCLUDE 127.0.0.1",
                "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
                "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults"]


# ---- the stack, the attacker's server, the browser ---------------------------------------------


@pytest.fixture(scope="module")
def stack(pg_cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Stack]:
    url, dagster = warehouse(pg_cluster, "ui_door")
    running = Stack(tmp_path_factory.mktemp("door"), url, dagster)
    running.start(timeout=180)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def admin_key(stack: Stack) -> str:
    return stack.admin_headers["X-API-Key"]


@pytest.fixture(scope="module")
def attacker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Another origin on this machine (``http://127.0.0.1:<other port>``) and its folder."""
    folder = tmp_path_factory.mktemp("attacker")
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture(scope="module")
def door_browser(playwright: Playwright) -> Iterator[Browser]:
    with launch_chromium(playwright, BROWSER_ARGS) as browser:
        yield browser


@pytest.fixture
def context(door_browser: Browser) -> Iterator[BrowserContext]:
    ctx = door_browser.new_context()
    ctx.set_default_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


def log_in(context: BrowserContext, stack: Stack, key: str, path: str = "/") -> Page:
    """Open ``path`` on the door, get sent to the login form, log in with ``key``."""
    page = context.new_page()
    page.goto(stack.dagster + path)
    assert "/_salesops/login?next=" in page.url, page.url
    page.fill("input[name=key]", key)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


@pytest.fixture
def logged_in(context: BrowserContext, stack: Stack, admin_key: str) -> BrowserContext:
    """A browser context holding the admin's login cookie, as the operator's browser does."""
    page = log_in(context, stack, admin_key, "/runs")
    assert page.url.startswith(stack.dagster + "/runs"), (page.url, page.content())
    page.close()
    # nginx logs a websocket when it closes: let the UI page's own /graphql socket (101) reach
    # the log before a test starts reading it, so it is never taken for the attacker's.
    AccessLog(stack).settle()
    return context


# ---- what the door and Dagster saw --------------------------------------------------------------


def run_count(stack: Stack) -> int:
    with open_sql(stack.dagster_url) as sql:
        return sql("SELECT count(*) FROM runs")[0][0]


class AccessLog:
    """nginx's access log of the door, read from where the last look ended."""

    def __init__(self, stack: Stack) -> None:
        self.path = stack.root / "salesops" / "door" / "nginx-access.log"
        self.offset = self.path.stat().st_size

    def lines(self) -> list[str]:
        with self.path.open() as fh:
            fh.seek(self.offset)
            return fh.read().splitlines()

    def settle(self, quiet: float = 0.5, timeout: float = 10) -> None:
        """Wait until the log has not grown for ``quiet`` seconds."""
        size, still, deadline = -1, time.monotonic(), time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.path.stat().st_size
            if now != size:
                size, still = now, time.monotonic()
            elif time.monotonic() - still >= quiet:
                return
            time.sleep(0.05)

    def wait_for(self, fragment: str, count: int = 1) -> list[tuple[str, int]]:
        """The ``(request line, status)`` of the new requests containing ``fragment``."""
        def found() -> list[tuple[str, int]]:
            hits = [_entry(line) for line in self.lines() if fragment in line]
            return hits if len(hits) >= count else []
        return wait_until(found, f"{count} request(s) with {fragment!r} in {self.path}",
                          timeout=20)  # type: ignore[return-value]


def _entry(line: str) -> tuple[str, int]:
    request, rest = line.split('"', 2)[1:]
    return request, int(rest.split()[0])


def attack(context: BrowserContext, attacker: tuple[str, Path], name: str, html: str) -> Page:
    """Serve ``html`` as the attacker's page ``name`` and open it in the operator's browser."""
    base, folder = attacker
    (folder / name).write_text(html)
    page = context.new_page()
    page.goto(f"{base}/{name}")
    return page


def door_refused(stack: Stack, before: int, hits: list[tuple[str, int]], code: int,
                 record_happened) -> None:
    """Every request the attack made got ``code`` from the door, and no run was launched."""
    assert hits and all(status == code for _, status in hits), hits
    time.sleep(1)  # a run the mutation had launched would be in storage by now
    assert run_count(stack) == before
    seen = dict.fromkeys(f"{_short(request)} → {status}" for request, status in hits)
    record_happened(f"refused by the door: {'; '.join(seen)}; runs in Dagster's storage: "
                    f"{before} before, {run_count(stack)} after")


def _short(request: str) -> str:
    """``GET /graphql?query=mutation… HTTP/1.1`` → ``GET /graphql?query=…``."""
    method, target = request.split()[:2]
    path, query = target.partition("?")[::2]
    return f"{method} {path}" + ("?" + query.split("=", 1)[0] + "=…" if query else "")


# ---- attacks: another page in the operator's logged-in browser ----------------------------------


@reliability(case="a page of another origin loads `<img src=\"<door>/graphql?query=mutation "
                  "{launchRun…}\">` in the operator's logged-in browser")
def test_get_mutation_from_an_img_is_refused(stack: Stack, logged_in: BrowserContext,
                                             attacker, record_happened) -> None:
    before, log = run_count(stack), AccessLog(stack)
    src = f"{stack.dagster}/graphql?query={quote(MUTATION)}"
    attack(logged_in, attacker, "img.html", f'<!doctype html><img src="{src}">')
    door_refused(stack, before, log.wait_for("/graphql?query="), 403, record_happened)


@reliability(case="a page of another origin posts the launchRun mutation to the door with a form "
                  "(the operator logged in)")
def test_post_mutation_from_a_form_is_refused(stack: Stack, logged_in: BrowserContext,
                                              attacker, record_happened) -> None:
    before, log = run_count(stack), AccessLog(stack)
    body = json.dumps({"query": MUTATION, "x": ""})[:-2]  # text/plain: name=value is the JSON
    page = attack(logged_in, attacker, "form.html", f"""<!doctype html>
<form id="f" method="post" action="{stack.dagster}/graphql" enctype="text/plain">
<input name='{body}' value='"}}'></form>
<script>document.getElementById("f").submit();</script>""")
    hits = log.wait_for("POST /graphql")
    door_refused(stack, before, hits, 403, record_happened)
    assert "same origin" in page.content()  # the door's 403 page, not Dagster


@reliability(case="a page of another origin sends the launchRun mutation by `fetch` (no-cors, "
                  "credentials: include) and by a websocket (the operator logged in)")
def test_fetch_and_websocket_from_another_origin_are_refused(
        stack: Stack, logged_in: BrowserContext, attacker, record_happened) -> None:
    before, log = run_count(stack), AccessLog(stack)
    ws = stack.dagster.replace("http://", "ws://") + "/graphql"
    body = json.dumps(json.dumps({"query": MUTATION}))  # a JS string literal of the JSON
    page = attack(logged_in, attacker, "fetch.html", f"""<!doctype html><script>
window.done = Promise.all([
  fetch("{stack.dagster}/graphql", {{method: "POST", mode: "no-cors", credentials: "include",
        headers: {{"Content-Type": "text/plain"}}, body: {body}}})
    .then(() => "sent", () => "failed"),
  new Promise(done => {{
    const socket = new WebSocket("{ws}", "graphql-ws");
    socket.onopen = () => done("open"); socket.onerror = () => done("refused");
  }}),
]);
</script>""")
    assert page.evaluate("window.done") == ["sent", "refused"]
    hits = log.wait_for("/graphql HTTP", count=2)
    door_refused(stack, before, hits, 403, record_happened)


@reliability(case="DNS rebinding: a page at `http://evil.test:<door port>/` (evil.test resolving "
                  "to 127.0.0.1) posts the mutation and reads the UI with a foreign Host")
def test_dns_rebinding_is_refused_by_the_host_allowlist(
        stack: Stack, logged_in: BrowserContext, admin_key: str, record_happened) -> None:
    before, log = run_count(stack), AccessLog(stack)
    port = stack.dagster.rsplit(":", 1)[1]
    evil = f"http://{EVIL}:{port}"
    # The attacker served this page while evil.test still pointed at its own server; now the
    # name points here, so the page's "same-origin" requests reach the door with Host evil.test.
    logged_in.route(f"{evil}/", lambda route: route.fulfill(
        content_type="text/html", body="<!doctype html><title>cat pictures</title>"))
    page = logged_in.new_page()
    page.goto(f"{evil}/")
    statuses = page.evaluate(f"""Promise.all([
        fetch("/graphql", {{method: "POST", headers: {{"Content-Type": "application/json"}},
                           body: {json.dumps(json.dumps({"query": MUTATION}))}}}),
        fetch("/server_info"), fetch("/runs")].map(p => p.then(r => r.status)))""")
    assert statuses == [421, 421, 421]
    # Not even the admin's key opens the door under a foreign Host.
    answer = httpx.get(f"{stack.dagster}/server_info", headers={"Host": f"{EVIL}:{port}",
                                                               "X-API-Key": admin_key})
    assert answer.status_code == 421
    hits = log.wait_for(" HTTP/1.1\" 421", count=4)
    door_refused(stack, before, hits, 421, record_happened)


# ---- who may open the UI -------------------------------------------------------------------------


@reliability(case="a viewer's key opens the Dagster UI (X-API-Key, or the login form)")
def test_a_viewer_key_is_refused(stack: Stack, context: BrowserContext,
                                 record_happened) -> None:
    viewer = stack.api_key("viewer")
    answer = httpx.post(f"{stack.dagster}/graphql", json={"query": MUTATION},
                        headers={"X-API-Key": viewer})
    assert answer.status_code == 403 and "needs an admin key" in answer.text
    page = log_in(context, stack, viewer)
    assert "needs an admin key" in page.content() and "/_salesops/login" in page.url
    assert not any(c["name"] == "salesops_ui" for c in context.cookies())
    record_happened(f"X-API-Key: {answer.status_code} ('the Dagster UI needs an admin key'); "
                    "login form: 403, no cookie set")


@reliability(case="an admin key revoked while its login cookie is still in the browser")
def test_a_revoked_key_is_refused_at_once(stack: Stack, context: BrowserContext,
                                          record_happened) -> None:
    name = f"ops-{time.time_ns()}"
    out = salesops(["api-key", "create", "--role", "admin", "--name", name], stack.env)
    key = out.stdout.strip().splitlines()[-1]
    page = log_in(context, stack, key, "/runs")
    assert page.url.startswith(stack.dagster + "/runs")
    assert salesops(["api-key", "revoke", name], stack.env).returncode == 0
    page.goto(stack.dagster + "/runs")
    assert "/_salesops/login?next=%2Fruns" in page.url
    answer = httpx.get(f"{stack.dagster}/server_info", headers={"X-API-Key": key})
    assert answer.status_code == 401
    record_happened("next page: sent to the login (401); X-API-Key: 401")


@reliability(case="no credentials: a page of the UI, a GraphQL request, the login's "
                  "`next=//evil.test/x`")
def test_no_credentials_go_to_the_login(stack: Stack, admin_key: str, record_happened) -> None:
    page = httpx.get(f"{stack.dagster}/runs?status=failed",
                     headers={"Accept": "text/html", "Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 302
    assert page.headers["location"] == "/_salesops/login?next=%2Fruns%3Fstatus%3Dfailed"
    graphql = httpx.post(f"{stack.dagster}/graphql", json={"query": "{ version }"})
    assert graphql.status_code == 401
    login = httpx.post(f"{stack.dagster}/_salesops/login", headers={"Origin": stack.dagster},
                       data={"key": admin_key, "next": "//evil.test/x"})
    assert login.status_code == 303 and login.headers["location"] == "/"
    foreign = httpx.post(f"{stack.dagster}/_salesops/login",
                         headers={"Origin": "http://127.0.0.1:1"}, data={"key": admin_key})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    record_happened("page: 302 to the login keeping the path; GraphQL: 401; next=//evil.test "
                    "→ /; a login posted from another origin: 403")


# ---- the operator's UI still works ---------------------------------------------------------------


def test_the_ui_works_after_an_admin_login(stack: Stack, context: BrowserContext,
                                           admin_key: str) -> None:
    """Chromium renders Dagster's app through the door; its GraphQL and websocket pass; a run
    launched from the page (same origin, the cookie) is in storage."""
    answers: list[tuple[str, int]] = []
    sockets: list[str] = []
    context.on("response", lambda r: answers.append((r.url, r.status))
               if "/graphql" in r.url else None)
    context.on("websocket", lambda ws: sockets.append(ws.url))
    page = log_in(context, stack, admin_key, "/jobs")
    page.get_by_text("refresh_reports").first.wait_for()
    wait_until(lambda: len(answers) >= 3, "the UI's GraphQL queries", timeout=30)
    assert answers and all(code == 200 for _, code in answers), answers
    cookie = next(c for c in context.cookies() if c["name"] == "salesops_ui")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    before = run_count(stack)
    result = page.evaluate("""query => fetch("/graphql", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({query})})
        .then(r => r.json())""", MUTATION)
    assert result["data"]["launchRun"]["__typename"] == "LaunchRunSuccess", result
    assert run_count(stack) == before + 1


def test_the_admin_key_header_reaches_graphql_and_the_websocket(stack: Stack,
                                                                admin_key: str) -> None:
    """Scripts send X-API-Key: a query and the launchRun mutation of the attacks succeed."""
    headers = {"X-API-Key": admin_key}
    version = httpx.post(f"{stack.dagster}/graphql", json={"query": "{ version }"},
                         headers=headers, timeout=30)
    assert version.status_code == 200 and version.json()["data"]["version"]
    before = run_count(stack)
    launched = httpx.post(f"{stack.dagster}/graphql", json={"query": MUTATION},
                          headers=headers, timeout=60).json()
    assert launched["data"]["launchRun"]["__typename"] == "LaunchRunSuccess", launched
    assert run_count(stack) == before + 1
    ws = stack.dagster.replace("http://", "ws://") + "/graphql"
    with ws_connect(ws, additional_headers=headers, subprotocols=["graphql-ws"]) as socket:
        assert socket.subprotocol == "graphql-ws"
    login = httpx.post(f"{stack.dagster}/_salesops/login", data={"key": admin_key},
                       headers={"Origin": stack.dagster}, timeout=30)
    assert login.status_code == 303, login.text
    session = login.cookies["salesops_ui"]
    assert session and admin_key not in session  # the cookie holds a session, not the key
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(ws, subprotocols=["graphql-ws"], origin="http://127.0.0.1:1",
                   additional_headers={"Cookie": f"salesops_ui={session}"})
    assert refused.value.response.status_code == 403
