"""HTTP revalidation of report answers: an ETag from the report-refresh state, 304 on a match.

The report tables change only in a report refresh (core/report/refresh.py), which records itself
in ``salesops.report_refresh`` in the same transaction and under one lock, so the latest
``refresh_id`` names what the report tables hold; a warehouse reset empties that table and
restarts its ids, and ``refreshed_at`` tells a new refresh 1 from an old one. The tag hashes that
state with everything else that shapes the answer: path and query string as sent, the resolved
period (no dates means "the last complete week", which moves on), the caller's role (admins see
data-quality samples) and the configured tolerance (the data-quality default). Writes elsewhere
on the server (Dagster's run storage, imports not yet refreshed) leave the tag alone.

The state is read with the request's key (api/keys.py, the same statement), before the answer is
computed, so a tag is never newer than its body: a refresh committing in between gives a newer
body under the older tag, which the next revalidation replaces.

Answers read from the fact table or the import log (``/reports/lines``, data-quality at a
requested tolerance, ``/imports``) get no tag: they change with every import, and the import
log has no version kept in commit order to derive one from.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from fastapi import Request

#: A browser or client may keep the answer but must ask again (If-None-Match) before reusing it;
#: private: answers depend on the API key, so no shared cache stores them.
CACHE_CONTROL = "private, max-age=0, must-revalidate"


def entity_tag(report_state: tuple[int, datetime] | None, request: Request,
               *parts: object) -> str:
    """The strong ETag of this request's answer at ``report_state`` (latest refresh id and
    time); ``parts``: what else the answer depends on (role, resolved period, settings)."""
    state = None if report_state is None else (report_state[0], report_state[1].isoformat())
    text = repr((state, request.url.path, request.url.query, *parts))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def headers(tag: str) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": "X-API-Key"}


def matches(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 If-None-Match: ``*`` or any listed tag equal to ``tag`` (weak comparison)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(given.strip().removeprefix("W/") == tag for given in if_none_match.split(","))
