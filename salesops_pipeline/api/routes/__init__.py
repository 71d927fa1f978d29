"""One router per resource: reports (+ the audit-trail lines), imports, health."""

from __future__ import annotations

from typing import Any

from salesops_pipeline.api.schemas import Message

#: Error answers every key-protected operation may give (documented so /docs is complete).
PROTECTED: dict[int | str, dict[str, Any]] = {
    401: {"model": Message, "description": "No X-API-Key header, or an invalid/revoked key"},
    403: {"model": Message, "description": "The key's role may not use this endpoint"},
    503: {"model": Message, "description": "Database unreachable, busy or too slow; retry"},
}
