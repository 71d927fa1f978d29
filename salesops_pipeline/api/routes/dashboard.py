"""`/` and `/dashboard` (open): the analysts' page, and the static files it is made of.

The page itself holds no data, so it needs no key: it asks for one, keeps it in the browser's
session storage and calls the JSON endpoints with the `X-API-Key` header. Every file it needs
ships in ``api/dashboard/`` (plain JS, a vendored chart library, no build step, no CDN); only
the files listed here are served, so no path from a request ever reaches the file system.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.responses import Response

router = APIRouter(tags=["dashboard"], include_in_schema=False)

ASSETS = files("salesops_pipeline.api") / "dashboard"
#: The files the page is made of, by the name it asks for, with their media types.
STATIC_FILES = {
    "app.js": "text/javascript; charset=utf-8",
    "restatements.js": "text/javascript; charset=utf-8",
    "decimal.js": "text/javascript; charset=utf-8",
    "api.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "audit.js": "text/javascript; charset=utf-8",
    "state.js": "text/javascript; charset=utf-8",
    "drill.js": "text/javascript; charset=utf-8",
    "compare.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "chart.umd.min.js": "text/javascript; charset=utf-8",
}
#: Only this origin: scripts, styles, and the API calls; downloads are blob: URLs it makes.
#: (X-Content-Type-Options comes with every answer: api/security_headers.py.)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "connect-src 'self'; img-src 'self' data: blob:; "
                               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def _page() -> Response:
    body = (ASSETS / "index.html").read_bytes()
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})


@router.get("/")
async def root() -> Response:
    """The dashboard (also at /dashboard)."""
    return _page()


@router.get("/dashboard")
async def dashboard() -> Response:
    """The dashboard page: enter an API key, pick a period, read the reports."""
    return _page()


@router.get("/dashboard/static/{name}")
async def static_file(name: Annotated[str, Path(max_length=64)]) -> Response:
    """One of the page's own files; anything not in :data:`STATIC_FILES` is a 404."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dashboard file {name!r}")
    return Response((ASSETS / name).read_bytes(), media_type=media_type,
                    headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})
