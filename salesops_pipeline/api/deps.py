"""Dependencies: API-key authentication (with strict parameters), the period; the pools.

The pool (:mod:`salesops_pipeline.api.pool`) is created in the app's lifespan, never at import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader
from pydantic import BeforeValidator

from salesops_pipeline.api import keys, queries
from salesops_pipeline.api.cache import ResponseCache
from salesops_pipeline.api.keylookup import KeyLookups
from salesops_pipeline.api.pool import Database
from salesops_pipeline.core.db.connect import WarehouseUnavailable
from salesops_pipeline.core.report import weeks
from salesops_pipeline.settings import Settings


# -- what the endpoints use ----------------------------------------------------------------------
# Taken from the app's state in the endpoint rather than as dependencies: FastAPI resolving a
# dependency costs tens of microseconds per request, more than a cached answer (api/cache.py).
def pool_of(request: Request) -> Database:
    db: Database | None = getattr(request.app.state, "db", None)
    if db is None:
        raise WarehouseUnavailable("the API is starting or stopping; no database pool yet")
    return db


def key_lookups_of(request: Request) -> KeyLookups:
    lookups: KeyLookups | None = getattr(request.app.state, "key_lookups", None)
    if lookups is None:
        raise WarehouseUnavailable("the API is starting or stopping; no database pool yet")
    return lookups


def cache_of(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.cache
    return cache


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# -- authentication ------------------------------------------------------------------------------
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False,
    description="Create one with `salesops api-key create --role viewer|admin --name NAME`.")


@dataclass(frozen=True)
class Caller:
    name: str
    role: keys.Role
    #: The database snapshot the key was checked in (see api/cache.py); None: do not cache.
    snapshot: tuple[str, object] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


#: Where the fast path (api/fastpath.py) leaves a key it has checked, so that a request it
#: passes on is not authenticated twice: ``(key, Caller)``.
AUTH_SCOPE_KEY = "salesops.caller"


async def check_key(request: Request, key: str | None) -> Caller:
    """Any valid, unrevoked key: 401 when missing or wrong. Checked on every request, on the
    event loop, in one query that also returns the snapshot the response cache is keyed by."""
    if not key:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header",
                            headers={"WWW-Authenticate": "X-API-Key"})
    checked = request.scope.get(AUTH_SCOPE_KEY)
    if checked is not None and checked[0] == key:
        caller: Caller = checked[1]
        return caller
    prefix = keys.key_prefix(key)
    row = await queries.api_key_by_prefix(key_lookups_of(request), prefix=prefix) \
        if prefix else None
    if row is None or row["revoked_at"] is not None or not keys.verify(key, row["key_hash"]):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked API key",
                            headers={"WWW-Authenticate": "X-API-Key"})
    fresh = "no-cache" in request.headers.get("cache-control", "")  # HTTP: do not reuse
    return Caller(name=row["name"], role=row["role"],
                  snapshot=None if fresh else (row["snapshot"], row["server_started_at"]))


# One dependency each (plus the header's), so FastAPI resolves as few as possible per request.
# Order: 401 (key), then 403 (role), then 422 (unknown or repeated parameter), then the
# parameters' own validation.
async def authenticate(request: Request,
                       key: Annotated[str | None, Depends(api_key_header)]) -> Caller:
    """A viewer or admin key, and only known query parameters."""
    caller = await check_key(request, key)
    check_query_names(request)
    return caller


async def require_admin(request: Request,
                        key: Annotated[str | None, Depends(api_key_header)]) -> Caller:
    """An admin key (403 for a viewer key), and only known query parameters."""
    caller = await check_key(request, key)
    if not caller.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"the API key {caller.name!r} has role viewer; this needs admin")
    check_query_names(request)
    return caller


ViewerDep = Annotated[Caller, Depends(authenticate)]
AdminDep = Annotated[Caller, Depends(require_admin)]


# -- strict parameter types ----------------------------------------------------------------------
# Pydantic's lax parsing would read "0" as the date 1970-01-01 and "1_000" or "1.0" as integers;
# parameters accept only what the schema says: YYYY-MM-DD dates and plain whole numbers.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"[+-]?[0-9]{1,20}")


def _iso_date(value: object) -> object:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("not an ISO date (YYYY-MM-DD)")
    return value


def _whole_number(value: object) -> object:
    if isinstance(value, str) and not _WHOLE.fullmatch(value):
        raise ValueError("not a whole number")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
WholeNumber = BeforeValidator(_whole_number)


def check_query_names(request: Request) -> None:
    """422 for a query parameter the endpoint does not take (a typo such as `start=` would
    otherwise silently give the default week) or one given more than once. Part of
    :func:`authenticate`, once the key is good, so a missing key is a 401 whatever the
    parameters."""
    route = request.scope.get("route")
    known = _query_names(route.dependant) if route is not None else set()
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name not in known:
            _invalid(name, None, f"unknown query parameter {name!r}; this endpoint takes: "
                                 + (", ".join(sorted(known)) or "none"))
        if name in seen:
            _invalid(name, None, f"query parameter {name!r} given more than once")
        seen.add(name)


def _query_names(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


# -- the report period ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: date
    end: date


def last_complete_week(today: date) -> Period:
    """Monday..Sunday of the ISO week before the one holding ``today``."""
    monday = weeks.previous_week(today)
    return Period(monday, weeks.week_end(monday))


async def period(
    request: Request,
    start_date: Annotated[IsoDate | None, Query(
        description="First day, inclusive (ISO date). Give both dates or neither; "
                    "neither means the last complete ISO week (Monday-Sunday).")] = None,
    end_date: Annotated[IsoDate | None, Query(
        description="Last day, inclusive (ISO date); not before start_date.")] = None,
) -> Period:
    if start_date is None and end_date is None:
        today = weeks.today_in(settings_of(request).timezone)
        return last_complete_week(today)
    if start_date is None or end_date is None:
        missing = "start_date" if start_date is None else "end_date"
        _invalid(missing, None, "give both start_date and end_date, or neither "
                                "(the last complete week)")
    assert start_date is not None and end_date is not None
    if start_date > end_date:
        _invalid("start_date", str(start_date),
                 f"start_date {start_date} is after end_date {end_date}")
    return Period(start_date, end_date)


def _invalid(field: str, value: object, message: str) -> None:
    raise RequestValidationError([{"type": "value_error", "loc": ("query", field),
                                   "msg": message, "input": value}])


PeriodDep = Annotated[Period, Depends(period)]
