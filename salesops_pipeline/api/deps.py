"""Dependencies: API-key authentication (with strict parameters) on a pooled connection; the
period.

The pool (:mod:`salesops_pipeline.api.db`) is opened in the app's lifespan, never at import.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader
from pydantic import BeforeValidator

from salesops_pipeline.api import keys
from salesops_pipeline.api.db import Connection, Pool
from salesops_pipeline.api.replica import check_lag
from salesops_pipeline.core.db.connect import WarehouseUnavailable
from salesops_pipeline.core.report import weeks
from salesops_pipeline.settings import Settings


def pool_of(request: Request) -> Pool:
    pool: Pool | None = getattr(request.app.state, "pool", None)
    if pool is None:
        raise WarehouseUnavailable("the API is starting or stopping; no database pool yet")
    return pool


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# -- authentication ------------------------------------------------------------------------------
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False,
    description="Create one with `salesops api-key create --role viewer|admin --name NAME`.")


@dataclass(frozen=True)
class Reader:
    """Who asks (the key's name and role), the report-refresh state when the key was checked,
    and the pooled connection the request reads with."""

    name: str
    role: keys.Role
    report_state: tuple[int, datetime] | None
    conn: Connection

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


_UNAUTHORIZED = {"WWW-Authenticate": "X-API-Key"}


class Authenticate:
    """The one key check, as a dependency: 401 when the key is missing, malformed, unknown,
    revoked or wrong; 403 when ``admin`` and the key is a viewer's; then 422 for an unknown or
    repeated query parameter (in that order; the parameters' own validation comes after). Gives
    the caller with a connection from the pool, held until the endpoint returns. A malformed
    key is refused before any database work."""

    def __init__(self, *, admin: bool) -> None:
        self.admin = admin

    async def __call__(self, request: Request,
                       key: Annotated[str | None, Depends(api_key_header)]
                       ) -> AsyncIterator[Reader]:
        if not key:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing X-API-Key header",
                                headers=_UNAUTHORIZED)
        if keys.key_prefix(key) is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked API key",
                                headers=_UNAUTHORIZED)
        async with pool_of(request).connection() as conn:
            found = await keys.active_key(conn, key)
            if found is None:
                raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked API key",
                                    headers=_UNAUTHORIZED)
            check_lag(found.replica_lag, settings_of(request).api_max_replica_lag_seconds)
            if self.admin and found.role != "admin":
                raise HTTPException(status.HTTP_403_FORBIDDEN, f"the API key {found.name!r} "
                                    f"has role {found.role}; this needs admin")
            check_query_names(request)
            yield Reader(found.name, found.role, found.report_state, conn)


#: A viewer or admin key; an admin key (403 for a viewer key).
ViewerDep = Annotated[Reader, Depends(Authenticate(admin=False), scope="function")]
AdminDep = Annotated[Reader, Depends(Authenticate(admin=True), scope="function")]


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
