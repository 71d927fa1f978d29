"""`/imports` (admin): the import log and the quarantined rows of each import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, status

from salesops_pipeline.api import queries
from salesops_pipeline.api.db import Connection
from salesops_pipeline.api.deps import AdminDep, WholeNumber
from salesops_pipeline.api.routes import PROTECTED
from salesops_pipeline.api.routes.reports import respond
from salesops_pipeline.api.schemas import Imports, Message, Rejections

router = APIRouter(prefix="/imports", tags=["imports"], responses=PROTECTED)

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size (1-1000)"), WholeNumber]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip"), WholeNumber]


@router.get("", response_model=Imports)
async def list_imports(reader: AdminDep, request: Request,
                       limit: Limit = 50, offset: Offset = 0) -> Any:
    """Every file version the importer has seen, newest first. `status` is one of loaded,
    rejected, duplicate, superseded, failed, running, withdrawn."""
    async def compute(conn: Connection) -> Any:
        rows = await queries.imports(conn, limit=limit, offset=offset)
        return {"data": rows, "count": len(rows), "total": await queries.import_count(conn),
                "limit": limit, "offset": offset}
    # Every import changes the log (api/revalidation.py): answered afresh, no ETag.
    return await respond(reader, request, Imports, compute, revalidate=False)


@router.get("/{import_id}/rejections", response_model=Rejections,
            responses={404: {"model": Message, "description": "No import with this id"}})
async def rejections(
    reader: AdminDep, request: Request,
    import_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="`id` from GET /imports"),
                         WholeNumber],
    limit: Limit = 100, offset: Offset = 0,
) -> Any:
    """The quarantined rows of one import, by Excel row number, with every reason."""
    async def compute(conn: Connection) -> Any:
        if not await queries.import_exists(conn, import_id=import_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no import with id {import_id}")
        rows = await queries.rejections(conn, import_id=import_id, limit=limit, offset=offset)
        return {"import_id": import_id, "data": rows, "count": len(rows), "limit": limit,
                "offset": offset}
    return await respond(reader, request, Rejections, compute, revalidate=False)
