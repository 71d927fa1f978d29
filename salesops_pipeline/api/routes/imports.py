"""`/imports` (admin): the import log, one import, its quarantined rows, and its feedback page
(Markdown for whoever produces the export: core/report/feedback.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from salesops_pipeline.api import queries
from salesops_pipeline.api.db import Connection
from salesops_pipeline.api.deps import AdminDep, WholeNumber
from salesops_pipeline.api.routes import PROTECTED
from salesops_pipeline.api.routes.reports import respond
from salesops_pipeline.api.schemas import ImportDetail, Imports, Message, Rejections
from salesops_pipeline.core.extract.rows.non_sales import SkippedRow
from salesops_pipeline.core.load.control_totals import ControlTotal
from salesops_pipeline.core.load.drift import Drift
from salesops_pipeline.core.report.feedback import (
    ROWS_SHOWN,
    ImportFacts,
    QuarantinedRow,
    feedback_page,
)

router = APIRouter(prefix="/imports", tags=["imports"], responses=PROTECTED)

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size (1-1000)"), WholeNumber]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip"), WholeNumber]
ImportId = Annotated[int, Path(ge=1, le=2**63 - 1, description="`id` from GET /imports"),
                     WholeNumber]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Message, "description": "No import with this id"}}
MARKDOWN = "text/markdown; charset=utf-8"


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


async def _detail(conn: Connection, import_id: int) -> dict[str, Any]:
    found = await queries.import_detail(conn, import_id=import_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no import with id {import_id}")
    return found


@router.get("/{import_id}", response_model=ImportDetail, responses=NOT_FOUND)
async def one_import(reader: AdminDep, request: Request, import_id: ImportId) -> Any:
    """One import as /imports lists it, with the tables it read (header, date order, decimal
    separator, columns) and the sheets it skipped."""
    async def compute(conn: Connection) -> Any:
        return await _detail(conn, import_id)
    return await respond(reader, request, ImportDetail, compute, revalidate=False)


@router.get("/{import_id}/feedback", response_class=Response, responses=NOT_FOUND | {
    200: {"content": {"text/markdown": {"schema": {"type": "string"}}},
          "description": "The feedback page (Markdown)"}})
async def feedback(reader: AdminDep, import_id: ImportId) -> Response:
    """A page of Markdown to forward to whoever produces the export: what was loaded, what was
    quarantined and why (the first 50 rows), what was skipped, the control totals, how the
    header changed, and how to fix each kind of problem at the source."""
    row = await _detail(reader.conn, import_id)
    quarantined, skipped, totals = await queries.feedback_rows(
        reader.conn, import_id=import_id, limit=ROWS_SHOWN)
    facts = ImportFacts(
        import_id, row["source_file"], row["sha256"], row["status"], row["rows_read"],
        row["rows_loaded"], row["rows_rejected"], row["rows_skipped"], row["error"],
        row["imported_at"], row["finished_at"], row["sheets"], row["skipped_sheets"],
        Drift.from_json(row["drift"]))
    page = feedback_page(facts, [QuarantinedRow(**r) for r in quarantined],
                         [SkippedRow(**r) for r in skipped], [ControlTotal(**t) for t in totals])
    return Response(page, media_type=MARKDOWN, headers={
        "Content-Disposition": f'inline; filename="import-{import_id}-feedback.md"'})


@router.get("/{import_id}/rejections", response_model=Rejections, responses=NOT_FOUND)
async def rejections(
    reader: AdminDep, request: Request, import_id: ImportId,
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
