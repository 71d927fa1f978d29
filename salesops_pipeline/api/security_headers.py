"""``X-Content-Type-Options: nosniff`` on every answer of the API, set in one place.

Without it a browser may guess that a JSON answer or a CSV download holding a seller's name
like ``<script>`` is HTML and run it. The middleware adds the header to every answer that
passes through the app's middleware (JSON, CSV/XLSX, the pages, errors, 304s, HEAD and
OPTIONS); a route's own value (none today) is kept. Starlette answers an unhandled exception
outside every middleware, so that 500 gets the header from :func:`internal_error`, the app's
handler for ``Exception``. The pages add their Content-Security-Policy themselves.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HEADERS", "SecurityHeaders", "internal_error"]

#: What every answer carries.
HEADERS = {"X-Content-Type-Options": "nosniff"}
_RAW = [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every HTTP answer that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _RAW if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    """The 500 of an unhandled exception (Starlette's own answer, with :data:`HEADERS`)."""
    return PlainTextResponse("Internal Server Error", status_code=500, headers=HEADERS)
