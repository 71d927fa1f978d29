"""The ``as_of`` query parameter of the report endpoints: the figures as they stood at a moment.

Answered from the report history (core/report/history.py). A moment is an RFC 3339 date-time
with its offset (``2026-11-09T08:00:00Z``, ``…+01:00``): a local time without one would be a
guess, so it is a 422, as is anything else that is not such a moment.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import WithJsonSchema

_MOMENT = re.compile(r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ](?P<time>[0-9]{2}:[0-9]{2}"
                     r"(:[0-9]{2})?)(?P<fraction>\.[0-9]+)?(?P<offset>[Zz]|[+-][0-9]{2}:[0-9]{2}"
                     r"(:[0-9]{2}(\.[0-9]+)?)?)")
Moment = Annotated[str | None, WithJsonSchema({
    "type": "string", "format": "date-time", "examples": ["2026-11-09T08:00:00Z"]})]


def parse_moment(text: str) -> datetime:
    """The moment ``text`` names (fractions past microseconds dropped); ValueError otherwise.

    >>> parse_moment("2026-11-09T08:00:00.1234567z").isoformat()
    '2026-11-09T08:00:00.123456+00:00'
    """
    match = _MOMENT.fullmatch(text)
    if not match:
        raise ValueError("a moment with its offset, e.g. 2026-11-09T08:00:00Z")
    offset = match["offset"]
    offset = "+00:00" if offset in ("Z", "z") else offset
    fraction = (match["fraction"] or "")[:7]
    return datetime.fromisoformat(f"{match['date']}T{match['time']}{fraction}{offset}")


async def as_of_moment(as_of: Annotated[Moment, Query(
        description="The figures as they stood at this moment (RFC 3339 date-time with its "
                    "offset): what a reader saw then, e.g. when a week was sent. History "
                    "starts when the server gained it (schema revision 0005).")] = None
                       ) -> datetime | None:
    """The moment asked for, or None for today's figures."""
    if as_of is None:
        return None
    try:
        return parse_moment(as_of)
    except ValueError as exc:
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "as_of"),
                                       "input": as_of, "msg": str(exc)}]) from exc
