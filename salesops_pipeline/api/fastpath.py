"""The cache-read fast path: a repeated GET answered from the response cache without FastAPI.

Why: on two cores, FastAPI's per-request work (resolving seven dependencies, validating the
parameters) cost more CPU than the whole answer once it is cached (api/cache.py). This ASGI
middleware handles only the *plain* form of a request — known parameters, each once, canonical
values (``YYYY-MM-DD`` dates, plain decimal numbers without sign or leading zero, ``format``
json) — and only when the cache already holds the answer for the same resolved parameters at
the snapshot its authenticating query saw. It authenticates exactly like the endpoints (same
query, same checks). Anything else (no or bad key, a viewer key on an admin route, any other
spelling of a parameter, ``Cache-Control: no-cache``, a cache miss, a database error) goes on
to FastAPI untouched, which validates, answers and fills the cache; so the fast path can only
ever send bytes FastAPI produced for the same question, at the same snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.types import ASGIApp, Receive, Scope, Send

from salesops_pipeline.api import keys, queries
from salesops_pipeline.api.deps import AUTH_SCOPE_KEY, Caller, Period, last_complete_week
from salesops_pipeline.core.db.connect import WarehouseUnavailable

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"0|[1-9][0-9]{0,6}")
_PERIOD = frozenset({"start_date", "end_date"})
Params = dict[str, str]
KeyMaker = Callable[[Params, Any, Caller], Hashable | None]


def _int(params: Params, name: str, default: int, low: int, high: int) -> int | None:
    text = params.get(name)
    if text is None:
        return default
    if not _NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _name(params: Params, name: str) -> str | None | bool:
    """The name filter, None when absent, False when not in its plain form."""
    text = params.get(name)
    if text is None:
        return None
    return text if 1 <= len(text) <= 200 and "\x00" not in text else False


class CachedReads:
    """ASGI middleware in front of the FastAPI app (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, state: Any) -> None:
        self.app = app
        self.state = state  # the FastAPI app's state: key_lookups, cache, settings
        report = _PERIOD | {"format"}
        #: path → (its query parameters, takes a period, admin only, cache key maker)
        self.routes: dict[str, tuple[frozenset[str], bool, bool, KeyMaker]] = {
            "/reports/weekly-summary": (report, True, False, _report("weekly-summary")),
            "/reports/seller-ranking": (report, True, False, _report("seller-ranking")),
            "/reports/shipping-breakdown": (report, True, False, _report("shipping-breakdown")),
            "/reports/top-products": (report | {"limit"}, True, False, _top_products),
            "/reports/data-quality": (report, True, False, _data_quality),
            "/reports/lines": (report | {"seller", "product", "shipping_company", "limit",
                                         "offset"}, True, True, _lines),
            "/imports": (frozenset({"limit", "offset"}), False, True, _imports),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            route = self.routes.get(scope["path"])
            if route is not None and await self._answer(scope, send, *route):
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, send: Send, known: frozenset[str], has_period: bool,
                      admin_only: bool, make_key: KeyMaker) -> bool:
        """Send the cached answer and return True, or return False having sent nothing."""
        cache, lookups = self.state.cache, self.state.key_lookups
        if lookups is None or not len(cache):
            return False
        api_key = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                if api_key is not None:
                    return False
                api_key = value.decode("latin-1")
            elif name == b"cache-control" and b"no-cache" in value:
                return False  # the client asks for an answer computed now
        prefix = keys.key_prefix(api_key) if api_key else None
        params = _params(scope["query_string"], known)
        period = self._period(params) if params is not None and has_period else None
        if prefix is None or params is None or period is False:
            return False
        try:
            row = await queries.api_key_by_prefix(lookups, prefix=prefix)
        except WarehouseUnavailable:
            return False
        if row is None or row["revoked_at"] is not None \
                or not keys.verify(api_key, row["key_hash"]):
            return False
        caller = Caller(name=row["name"], role=row["role"],
                        snapshot=(row["snapshot"], row["server_started_at"]))
        scope[AUTH_SCOPE_KEY] = (api_key, caller)  # FastAPI need not ask the database again
        if admin_only and not caller.is_admin:
            return False
        key = make_key(params, period, caller)
        body = cache.get(caller.snapshot, key) if key is not None else None
        if body is None:
            return False
        cache.hits += 1
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"), (b"x-cache", b"hit")]})
        await send({"type": "http.response.body", "body": body})
        return True

    def _period(self, params: Params) -> Period | bool:
        """The period as the endpoints resolve it; False for anything but the plain form."""
        start, end = params.get("start_date"), params.get("end_date")
        if start is None and end is None:
            today = datetime.now(ZoneInfo(self.state.settings.timezone)).date()
            return last_complete_week(today)
        if start is None or end is None or not (_DATE.fullmatch(start) and _DATE.fullmatch(end)):
            return False
        try:
            period = Period(date.fromisoformat(start), date.fromisoformat(end))
        except ValueError:
            return False
        return period if period.start <= period.end else False


def _params(query_string: bytes, known: frozenset[str]) -> Params | None:
    """The parameters as Starlette parses them; None unless each is known and given once."""
    params: Params = {}
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name not in known or name in params:
            return None
        params[name] = value
    return params if params.get("format", "json") == "json" else None


# -- cache keys: exactly those the endpoints store their answers under ---------------------------

def _report(name: str) -> KeyMaker:
    return lambda params, period, caller: (name, period)


def _top_products(params: Params, period: Period, caller: Caller) -> Hashable | None:
    limit = _int(params, "limit", 10, 1, 1000)
    return None if limit is None else ("top-products", period, limit)


def _data_quality(params: Params, period: Period, caller: Caller) -> Hashable | None:
    # None: the configured tolerance. `tolerance`/`tol` are not plain parameters here, so a
    # request naming one goes on to FastAPI, which keys its answer by the tolerance.
    return ("data-quality", period, caller.is_admin, None)


def _lines(params: Params, period: Period, caller: Caller) -> Hashable | None:
    names = [_name(params, n) for n in ("seller", "product", "shipping_company")]
    limit = _int(params, "limit", 100, 1, 10_000)
    offset = _int(params, "offset", 0, 0, 1_000_000)
    if False in names or limit is None or offset is None:
        return None
    return ("lines", period, *names, limit, offset)


def _imports(params: Params, period: None, caller: Caller) -> Hashable | None:
    limit = _int(params, "limit", 50, 1, 1000)
    offset = _int(params, "offset", 0, 0, 1_000_000)
    return None if limit is None or offset is None else ("imports", limit, offset)
