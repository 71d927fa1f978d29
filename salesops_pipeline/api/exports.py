"""CSV and XLSX downloads of report rows as HTTP responses; the bytes come from
core/report/render.py, the same writer the weekly export uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fastapi import Response

from salesops_pipeline.core.report.render import (  # noqa: F401 - re-exported for the routes
    FIGURE_KINDS,
    FigureKind,
    cell_text,
    exact_float,
    to_csv,
    to_xlsx,
)

ExportFormat = Literal["json", "csv", "xlsx"]
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def export_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entry for the 200 answer's download formats (JSON is the response model)."""
    return {200: {"description": description, "content": {
        "text/csv": {"schema": {"type": "string"}},
        XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
    }}}


def download(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *,
             fmt: Literal["csv", "xlsx"], filename: str,
             kinds: Mapping[str, FigureKind] = FIGURE_KINDS) -> Response:
    """The rows as a CSV or XLSX attachment named ``filename.<fmt>`` (``kinds``: which columns
    are money and units)."""
    if fmt == "csv":
        body, media_type = to_csv(rows, columns, kinds), CSV_MEDIA_TYPE
    else:
        body, media_type = to_xlsx(rows, columns, filename.split("_")[0], kinds), XLSX_MEDIA_TYPE
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})
