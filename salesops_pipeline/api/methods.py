"""HEAD wherever GET works, OPTIONS on every path, and a 405 whose ``Allow`` says so.

FastAPI routes answer only the methods they declare, so HEAD (what uptime monitors send) and
OPTIONS were a 405 everywhere. This ASGI middleware answers them once for the whole app, for
every route whenever it was registered, without touching the routes or the OpenAPI document,
and leaves the choice of route to the app's own routing:

- HEAD runs as the GET it stands for (the same key check, status and headers, ETag and 304
  included) and the body is dropped; a path without GET answers the GET's 405, an unknown path
  its 404. The GET runs on a copy of the scope: the server reads the method from its own scope
  to frame the answer (no body after a HEAD).
- OPTIONS goes to the app like any request; the route's 405 (raised before any key check)
  becomes a 204 with ``Allow``, without a body. No CORS is offered (no Access-Control-*
  headers) and no key is needed: it tells no more than a 405 does. An unknown path stays 404.
- Every 405's ``Allow`` also lists HEAD (where GET is) and OPTIONS.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAndOptions", "complete_allow"]

#: The order ``Allow`` lists methods in; others follow alphabetically.
ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def complete_allow(allow: str) -> str:
    """A route's ``Allow`` value with HEAD (where GET is) and OPTIONS, in :data:`ORDER`.

    Example: ``complete_allow("GET")`` is ``"GET, HEAD, OPTIONS"``.
    """
    methods = {m.strip().upper() for m in allow.split(",") if m.strip()} | {"OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    ordered = sorted(methods, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m))
    return ", ".join(ordered)


class HeadAndOptions:
    """ASGI middleware answering HEAD and OPTIONS for every route (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["method"] == "HEAD":
            await self._head_as_get(scope, receive, send)
        else:
            await self.app(scope, receive, _on_405(send, options=scope["method"] == "OPTIONS"))

    async def _head_as_get(self, scope: Scope, receive: Receive, send: Send) -> None:
        get = {**scope, "method": "GET"}
        send_allow = _on_405(send, options=False)

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start":
                await send_allow(message)
            elif not message.get("more_body", False):  # the last part of the body (or a file)
                await send({"type": "http.response.body", "body": b""})

        try:
            await self.app(get, receive, headers_only)
        finally:
            if "route" in get:  # the route the routing chose, for the metrics label
                scope["route"] = get["route"]


def _on_405(send: Send, *, options: bool) -> Send:
    """``send``, completing a 405's ``Allow``; for OPTIONS, the 405 becomes a bodiless 204."""
    answered = False

    async def send_allow(message: Message) -> None:
        nonlocal answered
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = list(message.get("headers", ()))
            allow = [v.decode("latin-1") for k, v in headers if k.lower() == b"allow"]
            if allow:
                kept = [(k, v) for k, v in headers if k.lower() != b"allow"]
                value = complete_allow(", ".join(allow)).encode("latin-1")
                if options:  # the 405's own headers (a JSON body's type and length) go too
                    answered = True
                    message = {"type": message["type"], "status": 204,
                               "headers": [(b"allow", value)]}
                else:
                    message = {**message, "headers": [*kept, (b"allow", value)]}
        elif answered and message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return send_allow
