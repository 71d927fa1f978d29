"""`/ui-auth/*`: the Dagster UI's login and the check nginx makes before every UI request.

The front door (``salesops_pipeline/cli/door.conf``) sends each request to the UI through
``auth_request`` to ``/ui-auth/check``: 204 lets it through; 401 (no or a bad key) sends a page
navigation to the login; 403 (a viewer's key, a state-changing request from another origin,
GraphQL by GET) shows why. People log in at ``/_salesops/login`` (proxied here) with an admin
key; the browser then keeps a signed session of bounded lifetime (api/ui_session.py, never the
key itself) in an HttpOnly, SameSite=Strict cookie; the key behind it is looked up on every
request, so a revoked key is refused at once. Rules: api/ui_door.py.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from salesops_pipeline.api import keys, ui_session
from salesops_pipeline.api.deps import pool_of, settings_of
from salesops_pipeline.api.ui_door import (
    COOKIE,
    CROSS_ORIGIN,
    GRAPHQL_GET,
    LOGIN,
    VIEWER,
    DoorRequest,
    refusal,
    safe_next,
    same_origin,
)

router = APIRouter(prefix="/ui-auth", tags=["ui-auth"], include_in_schema=False)

REFUSAL_HEADER = "X-SalesOps-Refusal"
MAX_FORM_BYTES = 4096
#: The login pages run no script at all and post only to themselves.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make the form's Origin "null"
    "Cache-Control": "no-store",
}
REASONS = {
    VIEWER: "This key is a viewer's. The Dagster UI needs an admin key: viewers see the reports "
            "in the dashboard and the API only.",
    CROSS_ORIGIN: "Refused: a request that can change something must come from the Dagster UI's "
                  "own pages (same origin). Open the UI from its own address and try again.",
    GRAPHQL_GET: "Refused: GraphQL is accepted by POST (or the websocket) only, never by a plain "
                 "GET that any page could make.",
}
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@router.api_route("/check", methods=ALL_METHODS)
async def check(request: Request) -> Response:
    """nginx's ``auth_request``: 204 for an admin key (cookie or ``X-API-Key``) on a request the
    door allows, 401 without a valid key, 403 with the reason in ``X-SalesOps-Refusal``."""
    headers = request.headers
    header_key = headers.get("x-api-key")
    token = request.cookies.get(COOKIE)
    if not (header_key or token):
        return _answer(status.HTTP_401_UNAUTHORIZED)
    seen = DoorRequest(
        method=headers.get("x-original-method", "GET"), uri=headers.get("x-original-uri", "/"),
        path=headers.get("x-original-path", "/"), args=headers.get("x-original-args", ""),
        host=headers.get("x-original-host", ""), proto=headers.get("x-original-proto", "http"),
        origin=headers.get("origin", ""), fetch_site=headers.get("sec-fetch-site", ""),
        upgrade=headers.get("x-original-upgrade", ""))
    reason = refusal(seen, by_header=bool(header_key))
    if reason is not None:
        return _answer(status.HTTP_403_FORBIDDEN, reason)
    found = await (_active(request, header_key) if header_key else
                   _session(request, token or ""))
    if found is None:
        return _answer(status.HTTP_401_UNAUTHORIZED)
    if found.role != "admin":
        return _answer(status.HTTP_403_FORBIDDEN, VIEWER)
    return _answer(status.HTTP_204_NO_CONTENT)


@router.get("/unauthorized")
async def unauthorized(request: Request) -> Response:
    """Where nginx sends a 401: a page navigation goes to the login, keeping the path it asked
    for; anything else (the UI's own GraphQL calls, scripts) gets the 401."""
    wanted = safe_next(request.headers.get("x-original-uri"))
    fetch_mode = request.headers.get("sec-fetch-mode")
    navigates = fetch_mode == "navigate" or (
        fetch_mode is None and "text/html" in request.headers.get("accept", ""))
    if navigates:
        return RedirectResponse(f"{LOGIN}?next={quote(wanted, safe='')}",
                                status.HTTP_302_FOUND, headers={"Cache-Control": "no-store"})
    return Response("log in at /_salesops/login, or send an admin key as X-API-Key\n",
                    status.HTTP_401_UNAUTHORIZED, media_type="text/plain",
                    headers={"WWW-Authenticate": "X-API-Key"})


@router.get("/forbidden")
async def forbidden(request: Request) -> HTMLResponse:
    """Where nginx sends a 403: a page saying why."""
    reason = REASONS.get(request.headers.get(REFUSAL_HEADER.lower(), ""), "Refused.")
    return _page("Dagster UI: refused", f"<p>{html.escape(reason)}</p>"
                 f'<p><a href="{LOGIN}">Log in with another key</a></p>',
                 status.HTTP_403_FORBIDDEN)


@router.get("/login")
async def login_form(next: str | None = None) -> HTMLResponse:  # noqa: A002 - the query name
    """The login form (no script; the key goes in the POST body, never a URL)."""
    return _login_page(safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the key; an admin's opens a session (the login cookie), then back to ``next``.
    Only from the door's own page (Origin), so no other site can log a browser in with its own
    key."""
    if not same_origin(_door_request(request)):
        return _page("Dagster UI: refused", f"<p>{html.escape(REASONS[CROSS_ORIGIN])}</p>",
                     status.HTTP_403_FORBIDDEN)
    form = await _form(request)
    wanted = safe_next(form.get("next"))
    key = form.get("key", "").strip()
    found = await _active(request, key) if key else None
    if found is None:
        return _login_page(wanted, "Unknown, malformed or revoked key.",
                           status.HTTP_401_UNAUTHORIZED)
    if found.role != "admin":
        return _login_page(wanted, REASONS[VIEWER], status.HTTP_403_FORBIDDEN)
    response = RedirectResponse(wanted, status.HTTP_303_SEE_OTHER,
                                headers={"Cache-Control": "no-store"})
    hours = settings_of(request).ui_session_hours
    token = ui_session.issue(_secret(request), keys.key_prefix(key) or "", keys.key_hash(key),
                             hours=hours)
    response.set_cookie(COOKIE, token, max_age=int(hours * 3600), path="/", httponly=True,
                        samesite="strict", secure=_https(request))
    return response


@router.get("/logout")
async def logout_form() -> HTMLResponse:
    return _page("Dagster UI: log out", '<form method="post" action="/_salesops/logout">'
                 '<button type="submit">Log out</button></form>')


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Forget the login cookie (same origin only), then the login page."""
    if not same_origin(_door_request(request)):
        return _page("Dagster UI: refused", f"<p>{html.escape(REASONS[CROSS_ORIGIN])}</p>",
                     status.HTTP_403_FORBIDDEN)
    response = RedirectResponse(LOGIN, status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_https(request))
    return response


async def _active(request: Request, key: str) -> keys.ActiveKey | None:
    if keys.key_prefix(key) is None:
        return None  # malformed: no database work
    async with pool_of(request).connection() as conn:
        return await keys.active_key(conn, key)


async def _session(request: Request, token: str) -> keys.ActiveKey | None:
    """The key behind a login session, when the session is genuine, unexpired and its key
    still active (unchanged since the login)."""
    claim = ui_session.parse(token)
    if claim is None:
        return None
    async with pool_of(request).connection() as conn:
        found = await keys.session_key(conn, claim.prefix)
    if found is None or not ui_session.valid(_secret(request), claim, found[1]):
        return None
    return found[0]


def _secret(request: Request) -> bytes:
    """The session secret, read (or made) once per process."""
    state = request.app.state
    if getattr(state, "ui_session_secret", None) is None:
        state.ui_session_secret = ui_session.session_secret(settings_of(request))
    secret: bytes = state.ui_session_secret
    return secret


def _answer(code: int, reason: str | None = None) -> Response:
    return Response(status_code=code, headers={REFUSAL_HEADER: reason} if reason else None)


def _https(request: Request) -> bool:
    return request.headers.get("x-forwarded-proto", request.url.scheme) == "https"


def _door_request(request: Request) -> DoorRequest:
    return DoorRequest(method=request.method, host=request.headers.get("host", ""),
                       proto="https" if _https(request) else "http",
                       origin=request.headers.get("origin", ""),
                       fetch_site=request.headers.get("sec-fetch-site", ""))


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form's first value of each field (a body over 4 KiB counts as empty)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _login_page(wanted: str, error: str = "", code: int = status.HTTP_200_OK) -> HTMLResponse:
    message = f'<p role="alert"><strong>{html.escape(error)}</strong></p>' if error else ""
    return _page("Dagster UI: log in", f"""<h1>SalesOps: Dagster UI</h1>
<p>Log in with an admin API key (the one <code>make up</code> printed, kept in
<code>.salesops/api-admin.key</code>, or <code>salesops api-key create --role admin</code>).</p>
{message}<form method="post" action="{LOGIN}">
<input type="hidden" name="next" value="{html.escape(wanted)}">
<label>Admin API key <input type="password" name="key" autocomplete="current-password"
required autofocus></label>
<button type="submit">Log in</button>
</form>""", code)


def _page(title: str, body: str, code: int = status.HTTP_200_OK) -> HTMLResponse:
    document = (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
                f"<title>{html.escape(title)}</title></head><body>\n{body}\n</body></html>\n")
    return HTMLResponse(document, code, headers=PAGE_HEADERS)
