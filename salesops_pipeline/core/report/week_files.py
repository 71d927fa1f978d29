"""Write one ISO week's reports as CSV and XLSX files: what the weekly job leaves for analysts.

The files carry exactly the rows the API returns for that week (same queries, same writers) and
appear all at once: they are written into a temporary folder that is then renamed into place.
Beside them: the weekly report workbook (a sheet per report) and its Markdown summary, which
compares the week with the one before (core/report/weekly_workbook.py).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg.rows import dict_row

from salesops_pipeline.core.db.connect import Connection
from salesops_pipeline.core.report import queries as q
from salesops_pipeline.core.report.render import to_csv, to_xlsx
from salesops_pipeline.core.report.rules import COUNT_COLUMNS
from salesops_pipeline.core.report.weekly_workbook import (
    WeeklyReport,
    summary_markdown,
    workbook_bytes,
)
from salesops_pipeline.core.report.weeks import iso_week, previous_week, week_end, week_start

TOP_PRODUCTS = 1000
COLUMNS = {
    "weekly_summary": ["week_start", "week_end", "revenue", "units", "line_count"],
    "seller_ranking": ["rank", "seller", "revenue", "units", "line_count"],
    "top_products": ["rank", "product", "revenue", "units"],
    "shipping_breakdown": ["shipping_company", "revenue", "line_count", "revenue_share"],
    "data_quality": ["week_start", "status", *COUNT_COLUMNS, "tolerance"],
}


class ConnectionFetcher:
    """The report queries' Fetcher over one warehouse connection."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def fetch(self, query: str, params: dict[str, Any] | None = None) -> list[q.Row]:
        with self._conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return cur.fetchall()


@dataclass(frozen=True)
class WeekExport:
    week_start: date
    folder: Path
    files: list[Path]
    row_counts: dict[str, int]
    workbook: Path
    """The weekly report workbook, ``weekly_report_<start>_to_<end>.xlsx``."""
    summary_file: Path
    summary: str
    """The Markdown summary (also in ``summary_file``): the e-mail body."""
    totals: dict[str, Any]
    """The week's revenue and units (Decimal) and line_count (int), as the summary shows them."""

    @property
    def week_end(self) -> date:
        """The Sunday: the last day of the week, inclusive."""
        return week_end(self.week_start)

    @property
    def iso_week(self) -> str:
        """The ISO week label, ``2026-W10``."""
        return iso_week(self.week_start)


def week_rows(db: q.Fetcher, start: date, tolerance: Decimal) -> dict[str, list[q.Row]]:
    """Every report of the week starting ``start`` (a Monday)."""
    end = week_end(start)
    counts = q.quality_counts(db, start=start, end=end, default_tolerance=tolerance)
    flagged = any(counts[c] for c in COUNT_COLUMNS)
    return {
        "weekly_summary": q.weekly_summary(db, start=start, end=end),
        "seller_ranking": q.seller_ranking(db, start=start, end=end),
        "top_products": q.top_products(db, start=start, end=end, limit=TOP_PRODUCTS),
        "shipping_breakdown": q.shipping_breakdown(db, start=start, end=end),
        "data_quality": [{"week_start": start, "status": "warn" if flagged else "ok", **counts}],
    }


def write_week_export(conn: Connection, *, day: date, export_dir: Path,
                      tolerance: Decimal) -> WeekExport:
    """Export the ISO week holding ``day`` into ``export_dir/week-YYYY-MM-DD/`` (replaced whole)."""
    start = week_start(day)
    db = ConnectionFetcher(conn)
    rows = week_rows(db, start, tolerance)
    before = previous_week(start)
    previous = q.weekly_summary(db, start=before, end=week_end(before))
    report = WeeklyReport(start, rows, COLUMNS, previous[0] if previous else None)
    summary = summary_markdown(report)
    export_dir.mkdir(parents=True, exist_ok=True)
    final = export_dir / f"week-{start.isoformat()}"
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=export_dir))
    try:
        for name, data in rows.items():
            stem = f"{name}_{start.isoformat()}"
            (staging / f"{stem}.csv").write_bytes(to_csv(data, COLUMNS[name]))
            (staging / f"{stem}.xlsx").write_bytes(to_xlsx(data, COLUMNS[name], name))
        (staging / f"{report.name}.xlsx").write_bytes(workbook_bytes(report))
        (staging / f"{report.name}.md").write_text(summary, encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = sorted(final.iterdir())
    return WeekExport(start, final, files, {k: len(v) for k, v in rows.items()},
                      final / f"{report.name}.xlsx", final / f"{report.name}.md", summary,
                      report.totals("this"))
