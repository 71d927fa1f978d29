"""The API's own docs, /docs (Swagger UI) and /redoc, served whole from this machine.

Why: FastAPI's default pages load Swagger UI and ReDoc from a CDN, so offline they are blank.
The assets come from the pinned ``fastapi-offline`` package (Swagger UI 5.32.6, ReDoc 2.5.3,
copied from the npm packages ``swagger-ui-dist`` and ``redoc``); the pages are FastAPI's own
HTML pointed at them. Two things in the bundles would still reach out, so the pages turn them
off: Swagger UI's online validator badge (``validatorUrl`` null) and the ReDoc side menu's
Redocly logo, an image on a CDN (the pages' Content-Security-Policy allows nothing but this
server, so the browser never asks; the logo's ``onError`` hides it).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_DIR", "ASSETS_URL", "CONTENT_SECURITY_POLICY", "add_docs"]

#: Where the package keeps the Swagger UI and ReDoc bundles (and a favicon).
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
#: Where the app serves them.
ASSETS_URL = "/docs/assets"
#: Only this server: scripts, styles, the OpenAPI document, images; inline code is FastAPI's
#: page set-up and the bundles' own styles; ReDoc's search runs in a worker made from a blob.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:;"
    " connect-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'"
)
_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
#: Swagger UI's defaults otherwise send the OpenAPI document's URL to validator.swagger.io.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None}


def add_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve the assets and the two pages on ``app`` (created with ``docs_url=None`` and
    ``redoc_url=None``, so FastAPI's CDN pages are not there too).

    Example: ``app = FastAPI(docs_url=None, redoc_url=None); add_docs(app)``.
    """
    if app.docs_url or app.redoc_url:
        raise ValueError("create the FastAPI app with docs_url=None, redoc_url=None")
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    title = app.title

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=root + _openapi_url(app), title=f"{title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={**SWAGGER_UI_PARAMETERS, **(app.swagger_ui_parameters or {})})
        page.headers.update(_HEADERS)
        return page

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=root + _openapi_url(app), title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png", with_google_fonts=False)
        page.headers.update(_HEADERS)
        return page


def _openapi_url(app: FastAPI) -> str:
    if not app.openapi_url:
        raise ValueError("the docs pages need the app's OpenAPI document (openapi_url)")
    return app.openapi_url
