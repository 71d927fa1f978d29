"""The ``as_of`` query parameter of the report endpoints: the figures as they stood at a moment.

Answered from the report history (core/report/history.py). A moment must name its offset
(``2026-11-09T08:00:00Z``, ``…+01:00``): a local time without one would be a guess.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Query
from fastapi.exceptions import RequestValidationError

AS_OF_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                 r"(Z|[+-][0-9]{2}:[0-9]{2})$")
_PATTERN = re.compile(AS_OF_PATTERN)


def _invalid(value: str, msg: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", "as_of"),
                                    "input": value, "msg": msg}])


async def as_of_moment(as_of: Annotated[str | None, Query(
        pattern=AS_OF_PATTERN, examples=["2026-11-09T08:00:00Z"],
        description="The figures as they stood at this moment (RFC 3339 with offset): what a "
                    "reader saw then, e.g. when a week was sent. History starts when the "
                    "server gained it (schema revision 0005).")] = None) -> datetime | None:
    """The moment asked for, or None for today's figures."""
    if as_of is None:
        return None
    if not _PATTERN.fullmatch(as_of):
        raise _invalid(as_of, "a moment with its offset, e.g. 2026-11-09T08:00:00Z")
    try:
        return datetime.fromisoformat(as_of)
    except ValueError as exc:
        raise _invalid(as_of, f"not a valid moment: {exc}") from exc
