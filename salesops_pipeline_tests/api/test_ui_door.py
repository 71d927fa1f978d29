"""The front door's rules (api/ui_door.py) on their own: which requests need the door's own
origin, what counts as that origin, where a login may send the browser."""

from __future__ import annotations

import pytest

from salesops_pipeline.api.ui_door import (
    CROSS_ORIGIN,
    GRAPHQL_GET,
    DoorRequest,
    refusal,
    safe_next,
    same_origin,
)

DOOR = "http://127.0.0.1:3000"


def seen(method: str = "GET", uri: str = "/", *, path: str | None = None, origin: str = "",
         fetch_site: str = "", upgrade: str = "", host: str = "127.0.0.1:3000",
         proto: str = "http") -> DoorRequest:
    target, _, args = uri.partition("?")
    return DoorRequest(method=method, uri=uri, path=path or target, args=args, host=host,
                       proto=proto, origin=origin, fetch_site=fetch_site, upgrade=upgrade)


@pytest.mark.parametrize("request_", [
    seen("GET", "/runs"),
    seen("GET", "/assets/x", fetch_site="cross-site"),  # a link from elsewhere: reading is fine
    seen("HEAD", "/server_info"),
    seen("GET", "/graphql", fetch_site="same-origin"),  # the GraphiQL page executes nothing
    seen("POST", "/graphql", origin=DOOR),
    seen("POST", "/graphql", fetch_site="same-origin"),
    seen("POST", "/graphql", origin="null", fetch_site="same-origin"),
    seen("GET", "/graphql", origin=DOOR, upgrade="websocket"),
    seen("POST", "/report_asset_materialization/a", origin=DOOR),
    seen("POST", "/graphql", origin="https://ops.example.com", host="ops.example.com",
         proto="https"),
    seen("POST", "/graphql", origin="https://ops.example.com", host="ops.example.com:443",
         proto="https"),
], ids=repr)
def test_allowed_with_the_cookie(request_: DoorRequest) -> None:
    assert refusal(request_, by_header=False) is None


@pytest.mark.parametrize(("request_", "reason"), [
    (seen("GET", "/graphql?query=mutation%7BlaunchRun%7D"), GRAPHQL_GET),
    (seen("GET", "/graphql?query=x", origin=DOOR), GRAPHQL_GET),
    (seen("HEAD", "/graphql?query=x"), GRAPHQL_GET),
    (seen("GET", "/%67raphql?query=x", path="/graphql"), GRAPHQL_GET),  # nginx decoded it
    (seen("GET", "/%67raphql?query=x", path="/%67raphql"), GRAPHQL_GET),  # we decode it too
    (seen("POST", "/graphql"), CROSS_ORIGIN),  # no Origin, no Sec-Fetch-Site
    (seen("GET", "/graphql", fetch_site="cross-site"), CROSS_ORIGIN),  # any GraphQL request
    (seen("POST", "/graphql", origin="http://127.0.0.1:8080"), CROSS_ORIGIN),  # another port
    (seen("POST", "/graphql", origin="http://localhost:3000"), CROSS_ORIGIN),  # another host
    (seen("POST", "/graphql", origin="https://127.0.0.1:3000"), CROSS_ORIGIN),  # another scheme
    (seen("POST", "/graphql", origin="null"), CROSS_ORIGIN),
    (seen("POST", "/graphql", origin="null", fetch_site="same-site"), CROSS_ORIGIN),
    (seen("POST", "/graphql", fetch_site="same-site"), CROSS_ORIGIN),
    (seen("POST", "/graphql", origin="http://127.0.0.1:8080", fetch_site="same-origin"),
     CROSS_ORIGIN),  # a wrong Origin is never outweighed
    (seen("PUT", "/anything", fetch_site="cross-site"), CROSS_ORIGIN),
    (seen("GET", "/graphql", upgrade="websocket", origin="http://evil.test"), CROSS_ORIGIN),
    (seen("OPTIONS", "/graphql", origin="http://evil.test"), CROSS_ORIGIN),
    (seen("POST", "//graphql", path="/graphql", origin="http://evil.test"), CROSS_ORIGIN),
], ids=repr)
def test_refused_with_the_cookie(request_: DoorRequest, reason: str) -> None:
    assert refusal(request_, by_header=False) == reason


def test_the_api_key_header_skips_the_origin_rule_but_not_graphql_by_get() -> None:
    assert refusal(seen("POST", "/graphql", origin="http://evil.test"), by_header=True) is None
    assert refusal(seen("GET", "/graphql?query=x"), by_header=True) == GRAPHQL_GET


@pytest.mark.parametrize(("origin", "expected"), [
    (DOOR, True), (DOOR + "/", True), ("HTTP://127.0.0.1:3000", True),
    ("http://127.0.0.1", False), ("http://127.0.0.1:3000/path", False), ("garbage", False),
    ("http://127.0.0.1:99999", False),
])
def test_same_origin_compares_scheme_host_and_port(origin: str, expected: bool) -> None:
    assert same_origin(seen("POST", origin=origin)) is expected


@pytest.mark.parametrize(("value", "expected"), [
    ("/runs", "/runs"), ("/runs?status=failed#x", "/runs?status=failed#x"),
    ("/assets/a%2Fb", "/assets/a%2Fb"),
    (None, "/"), ("", "/"), ("runs", "/"), ("//evil.test/x", "/"), ("/\\evil.test", "/"),
    ("https://evil.test/", "/"), ("javascript:alert(1)", "/"), ("/\t/evil.test", "/"),
    ("/_salesops/logout", "/"), ("/ runs", "/"),
])
def test_next_is_a_path_on_the_door(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected
