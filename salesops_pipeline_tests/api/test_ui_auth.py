"""`/ui-auth/*`: nginx's check before every Dagster UI request, and the login it relies on.

The headers are what the front door (cli/door.conf) sends; the door itself, with nginx and
chromium, is tested in reliability/test_ui_door.py."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from salesops_pipeline.api import ui_session
from salesops_pipeline.api.keys import create_key, key_hash, key_prefix, revoke_key

DOOR = "http://127.0.0.1:3000"
#: What nginx tells the check about a same-origin GraphQL POST of the UI.
UI_POST = {"X-Original-Method": "POST", "X-Original-URI": "/graphql",
           "X-Original-Path": "/graphql", "X-Original-Host": "127.0.0.1:3000",
           "X-Original-Proto": "http", "Origin": DOOR}
LOGIN_HEADERS = {"Host": "127.0.0.1:3000", "Origin": DOOR}


def check(client: TestClient, headers: dict[str, str], cookie: str | None = None):
    if cookie is not None:
        client.cookies.set("salesops_ui", cookie)
    return client.get("/ui-auth/check", headers=headers)


def session(client: TestClient, key: str) -> str:
    """Log in with ``key`` as the login form does; the session cookie it sets."""
    answer = client.post("/ui-auth/login", headers=LOGIN_HEADERS, follow_redirects=False,
                         data={"key": key})
    assert answer.status_code == 303, answer.text
    token = answer.cookies["salesops_ui"]
    client.cookies.clear()
    return token


def test_an_admin_key_passes_as_header_or_cookie(client: TestClient,
                                                 keys: dict[str, str]) -> None:
    assert check(client, {**UI_POST, "X-API-Key": keys["admin"]}).status_code == 204
    assert check(client, UI_POST, cookie=session(client, keys["admin"])).status_code == 204


@pytest.mark.parametrize("key", [None, "", "sok_nonsense", "sok_0123456789ab_" + "A" * 43])
def test_no_or_a_bad_key_is_401(client: TestClient, keys: dict[str, str],
                                key: str | None) -> None:
    headers = UI_POST if key is None else {**UI_POST, "X-API-Key": key}
    assert check(client, headers).status_code == 401


def test_a_viewer_is_403_with_its_reason(client: TestClient, keys: dict[str, str]) -> None:
    answer = check(client, {**UI_POST, "X-API-Key": keys["viewer"]})
    assert answer.status_code == 403 and answer.headers["X-SalesOps-Refusal"] == "viewer"
    page = client.get("/ui-auth/forbidden", headers={"X-SalesOps-Refusal": "viewer"})
    assert page.status_code == 403 and "needs an admin key" in page.text


def test_a_revoked_key_is_refused_at_the_next_request(client: TestClient, api_db: str) -> None:
    key = create_key(api_db, name="ops", role="admin")
    token = session(client, key)
    assert check(client, UI_POST, cookie=token).status_code == 204
    revoke_key(api_db, "ops")
    assert check(client, UI_POST, cookie=token).status_code == 401


def test_a_cross_origin_post_with_the_cookie_is_403(client: TestClient,
                                                    keys: dict[str, str]) -> None:
    foreign = {**UI_POST, "Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-site"}
    token = session(client, keys["admin"])
    answer = check(client, foreign, cookie=token)
    assert answer.status_code == 403 and answer.headers["X-SalesOps-Refusal"] == "cross-origin"
    assert check(client, {**foreign, "X-API-Key": keys["admin"]}).status_code == 204
    # An empty header is no header: the cookie still decides, and with it the origin rule.
    assert check(client, {**foreign, "X-API-Key": ""}, cookie=token).status_code == 403


def test_an_unauthorized_page_navigation_goes_to_the_login(client: TestClient) -> None:
    page = client.get("/ui-auth/unauthorized", follow_redirects=False,
                      headers={"X-Original-URI": "/runs?x=1", "Sec-Fetch-Mode": "navigate"})
    assert page.status_code == 302
    assert page.headers["location"] == "/_salesops/login?next=%2Fruns%3Fx%3D1"
    call = client.get("/ui-auth/unauthorized", headers={"Sec-Fetch-Mode": "cors"})
    assert call.status_code == 401


def test_the_login_page_runs_no_script(client: TestClient) -> None:
    page = client.get("/ui-auth/login", params={"next": "//evil.test"})
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp
    assert "<script" not in page.text and 'name="next" value="/"' in page.text


def test_an_admin_login_sets_a_strict_http_only_cookie(client: TestClient,
                                                       keys: dict[str, str]) -> None:
    answer = client.post("/ui-auth/login", headers=LOGIN_HEADERS, follow_redirects=False,
                         data={"key": keys["admin"], "next": "/runs"})
    assert answer.status_code == 303 and answer.headers["location"] == "/runs"
    cookie = answer.headers["set-cookie"]
    for part in ("HttpOnly", "SameSite=strict", "Path=/", "Max-Age=43200"):
        assert part in cookie
    assert "Secure" not in cookie
    https = client.post("/ui-auth/login", follow_redirects=False,
                        headers={"Host": "ops.example.com", "Origin": "https://ops.example.com",
                                 "X-Forwarded-Proto": "https"}, data={"key": keys["admin"]})
    assert https.status_code == 303 and "Secure" in https.headers["set-cookie"]


@pytest.mark.parametrize(("role", "code"), [("viewer", 403), ("bad", 401)])
def test_a_login_with_another_key_sets_no_cookie(client: TestClient, keys: dict[str, str],
                                                 role: str, code: int) -> None:
    answer = client.post("/ui-auth/login", headers=LOGIN_HEADERS,
                         data={"key": keys.get(role, "sok_nonsense")})
    assert answer.status_code == code and "set-cookie" not in answer.headers


def test_a_login_from_another_origin_is_refused(client: TestClient,
                                                keys: dict[str, str]) -> None:
    for origin in ("http://127.0.0.1:8080", "null", ""):
        answer = client.post("/ui-auth/login", data={"key": keys["admin"]},
                             headers={"Host": "127.0.0.1:3000", "Origin": origin})
        assert answer.status_code == 403 and "set-cookie" not in answer.headers


def test_logout_forgets_the_cookie_same_origin_only(client: TestClient) -> None:
    assert client.post("/ui-auth/logout", headers={"Host": "127.0.0.1:3000",
                                                   "Origin": "http://evil.test"}).status_code == 403
    answer = client.post("/ui-auth/logout", headers=LOGIN_HEADERS, follow_redirects=False)
    assert answer.status_code == 303 and 'salesops_ui=""' in answer.headers["set-cookie"]


def test_the_cookie_holds_a_session_never_the_key(client: TestClient,
                                                  keys: dict[str, str]) -> None:
    """Every port of the host sees the cookie: it must not be the admin key, and the key itself
    is no session."""
    token = session(client, keys["admin"])
    secret_part = keys["admin"].rsplit("_", 1)[1]
    assert secret_part not in token and keys["admin"] not in token
    assert check(client, UI_POST, cookie=keys["admin"]).status_code == 401


def test_a_forged_expired_or_foreign_session_is_refused(client: TestClient,
                                                        keys: dict[str, str]) -> None:
    token = session(client, keys["admin"])
    version, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    prefix, hashed = key_prefix(keys["admin"]) or "", key_hash(keys["admin"])
    secret = client.app.state.ui_session_secret
    for bad in (f"{version}.{payload}.{flipped}",  # signature changed
                ui_session.issue(secret, prefix, hashed, hours=1, now=time.time() - 7200),
                ui_session.issue(b"another secret", prefix, hashed, hours=1),
                ui_session.issue(secret, prefix, key_hash("sok_x"), hours=1),  # not its hash
                "s1.e30.", "nonsense", "s1." + "A" * 600):
        assert check(client, UI_POST, cookie=bad).status_code == 401, bad
    assert check(client, UI_POST, cookie=token).status_code == 204


def test_the_session_secret_is_made_once_and_kept_private(tmp_path, monkeypatch) -> None:
    from salesops_pipeline.settings import Settings

    monkeypatch.setenv("SALESOPS_HOME", str(tmp_path))
    monkeypatch.delenv("SALESOPS_UI_SESSION_SECRET", raising=False)
    first = ui_session.session_secret(Settings())
    assert ui_session.session_secret(Settings()) == first and len(first) >= 32
    assert (tmp_path / "ui-session.secret").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("SALESOPS_UI_SESSION_SECRET", "shared-by-every-api-process")
    assert ui_session.session_secret(Settings()) == b"shared-by-every-api-process"
