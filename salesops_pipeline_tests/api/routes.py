"""Every path a GET answers on the app, as a client would ask for it (for tests over all routes)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from salesops_pipeline.api.main import create_app

#: A value for each path parameter; the mount (the docs' assets) gets one of its files.
PATH_PARAMS = {"import_id": "1", "name": "app.js"}
MOUNTED_FILE = "swagger-ui.css"


def get_paths(app: FastAPI) -> list[str]:
    """Every GET route of ``app`` (in the OpenAPI document or not) and one file per mount.

    FastAPI keeps an included router's routes behind it: ``iter_route_contexts`` walks them."""
    paths = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            paths.append(f"{context.path}/{MOUNTED_FILE}")
        elif "GET" in (context.methods or ()) and context.path:
            paths.append(context.path.format(**PATH_PARAMS))
    return paths


def schema_get_paths(app: FastAPI) -> list[str]:
    """The GET operations of the OpenAPI document, parameters filled in."""
    return [path.format(**PATH_PARAMS) for path, item in app.openapi()["paths"].items()
            if "get" in item]


#: Built without a database (building the app touches none).
GET_PATHS = get_paths(create_app())
