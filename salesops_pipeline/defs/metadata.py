"""Metadata a person reads in the Dagster UI: counts, timings and sample rows as markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence

import psycopg2.extensions
from dagster import MetadataValue

from salesops_pipeline.core.rows import RejectedRow


def _cell(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", " ")[:80]


def rejections_markdown(rows: Sequence[RejectedRow]) -> str:
    if not rows:
        return "_no rejected rows_"
    lines = ["| row | reasons | raw values |", "|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r.source_row_number} | {_cell('; '.join(r.reasons))} | {_cell(r.raw)} |")
    return "\n".join(lines)


def import_metadata(conn: psycopg2.extensions.connection, import_id: int) -> dict[str, object]:
    """The import log row of one import plus a sample of its quarantined rows."""
    cur = conn.cursor()
    cur.execute(
        "SELECT source_file, sha256, status, rows_read, rows_loaded, rows_rejected,"
        " extract(epoch FROM coalesce(finished_at, now()) - started_at)"
        " FROM salesops.import_log WHERE import_id = %s", (import_id,))
    file, sha, status, read, loaded, rejected, seconds = cur.fetchone()
    cur.execute("SELECT source_row_number, raw_values, reasons FROM salesops.rejected_row"
                " WHERE import_id = %s ORDER BY source_row_number LIMIT 20", (import_id,))
    sample = [RejectedRow(n, raw, tuple(reasons)) for n, raw, reasons in cur.fetchall()]
    seconds = float(seconds or 0)
    return {
        "file": file, "sha256": sha, "import_id": import_id, "status": status,
        "rows_read": read, "rows_loaded": loaded, "rows_rejected": rejected,
        "rejected_sample": MetadataValue.md(rejections_markdown(sample)),
        "duration_s": round(seconds, 3),
        "rows_per_second": round(read / seconds) if seconds else 0,
    }
