"""The rules of the Dagster UI's front door, as pure functions (no database, no web framework).

nginx asks ``/ui-auth/check`` about every request to the UI (cli/door.conf) and passes the
original method, URI, Host, Origin, Sec-Fetch-Site and Upgrade. A request authenticated with the
login cookie may change state only from the door's own origin: a browser attaches the cookie to
requests that *other* pages make (an ``<img>``, a form, ``fetch(no-cors)``), and SameSite does
not help between two ports of one host (same site). ``X-API-Key`` needs no such rule: a page
cannot send it to another origin without a CORS preflight, which nothing here answers.

Example::

    seen = DoorRequest(method="POST", uri="/graphql", path="/graphql", host="127.0.0.1:3000",
                       proto="http", origin="http://evil.test", fetch_site="cross-site")
    assert refusal(seen, by_header=False) == CROSS_ORIGIN
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["COOKIE", "CROSS_ORIGIN", "DoorRequest", "GRAPHQL_GET", "VIEWER", "refusal",
           "safe_next", "same_origin"]

COOKIE = "salesops_ui"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GRAPHQL = "/graphql"
LOGIN = "/_salesops/login"
# Why a request was refused (the check's X-SalesOps-Refusal header; the 403 page explains each).
CROSS_ORIGIN = "cross-origin"
GRAPHQL_GET = "graphql-get"
VIEWER = "viewer"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class DoorRequest:
    """The original request as nginx saw it: ``uri`` is the raw request URI, ``path`` nginx's
    decoded and normalised path, ``args`` its query string."""

    method: str = "GET"
    uri: str = "/"
    path: str = "/"
    args: str = ""
    host: str = ""
    proto: str = "http"
    origin: str = ""
    fetch_site: str = ""
    upgrade: str = ""

    @property
    def websocket(self) -> bool:
        return self.upgrade.lower() == "websocket"

    @property
    def graphql(self) -> bool:
        """A request to Dagster's GraphQL endpoint, however its path is spelled."""
        raw = unquote(urlsplit(self.uri).path)
        return any(p == GRAPHQL or p.startswith(GRAPHQL + "/") for p in (self.path, raw))

    @property
    def changes_state(self) -> bool:
        """Anything that can change state: an unsafe method, GraphQL, a websocket."""
        return self.method.upper() not in SAFE_METHODS or self.graphql or self.websocket


def refusal(seen: DoorRequest, *, by_header: bool) -> str | None:
    """Why the door refuses ``seen`` whoever asks (None: the key decides). ``by_header``: the
    credentials came as ``X-API-Key`` (no origin rule) rather than the login cookie.

    GraphQL by GET with a query string (``<img src=/graphql?query=mutation…>``) is refused for
    everyone, unless it is the websocket upgrade; the bare ``GET /graphql`` (the GraphiQL page)
    executes nothing."""
    if seen.graphql and seen.method.upper() in ("GET", "HEAD") and not seen.websocket and (
            seen.args or urlsplit(seen.uri).query):
        return GRAPHQL_GET
    if not by_header and seen.changes_state and not same_origin(seen):
        return CROSS_ORIGIN
    return None


def same_origin(seen: DoorRequest) -> bool:
    """The request comes from the door's own pages: its ``Origin`` is ``proto://Host`` (the
    Host nginx already allowed), or, without an Origin (or ``Origin: null``, which a page under
    ``Referrer-Policy: no-referrer`` sends), ``Sec-Fetch-Site: same-origin``."""
    if seen.origin and seen.origin.strip().lower() != "null":
        return _origin(seen.origin) == _origin(f"{seen.proto}://{seen.host}") != ("", "", 0)
    return seen.fetch_site.lower() == "same-origin"


def safe_next(value: str | None) -> str:
    """Where to go after the login: a path on this door, never another site (no open redirect);
    anything else, and the login pages themselves, give ``/``."""
    if not value or any(ord(c) < 0x21 or c == "\\" for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    if parts.path.startswith("/_salesops/"):
        return "/"
    return value


def _origin(value: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        return ("", "", 0)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/"):
        return ("", "", 0)
    return (parts.scheme, parts.hostname, port)
