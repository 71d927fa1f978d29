"""Write one ISO week's reports as CSV and XLSX files: what the weekly job leaves for analysts.

The files carry exactly the rows the API returns for that week (same queries, same writers) and
appear all at once: they are written into a temporary folder that is then renamed into place.
Beside them: the weekly report workbook (a sheet per report) and its Markdown summary, which
compares the week with the one before (core/report/weekly_workbook.py) and lists the
restatements recorded since the last weekly export (core/report/restatement_text.py).

The figures are read holding the report lock shared (no refresh commits meanwhile) at a moment
kept in ``WeekExport.figures_at``: ``as_of`` that moment gives the same figures, so
:func:`rebuild_workbook` makes the workbook of a past week again exactly as it was sent.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg.rows import dict_row

from salesops_pipeline.core.db.connect import Connection
from salesops_pipeline.core.report import history, restatements
from salesops_pipeline.core.report import queries as q
from salesops_pipeline.core.report.render import to_csv, to_xlsx
from salesops_pipeline.core.report.restatement_queries import restatements as restated_since
from salesops_pipeline.core.report.restatement_text import summary_section
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
    figures_at: datetime | None = None
    """The moment of the figures (``as_of``); None on a database before schema revision 0005."""

    @property
    def week_end(self) -> date:
        """The Sunday: the last day of the week, inclusive."""
        return week_end(self.week_start)

    @property
    def iso_week(self) -> str:
        """The ISO week label, ``2026-W10``."""
        return iso_week(self.week_start)


def week_rows(db: q.Fetcher, start: date, tolerance: Decimal,
              as_of: datetime | None = None) -> dict[str, list[q.Row]]:
    """Every report of the week starting ``start`` (a Monday), as of ``as_of`` (None: now)."""
    end = week_end(start)
    counts = q.quality_counts(db, start=start, end=end, default_tolerance=tolerance, as_of=as_of)
    flagged = any(counts[c] for c in COUNT_COLUMNS)
    return {
        "weekly_summary": q.weekly_summary(db, start=start, end=end, as_of=as_of),
        "seller_ranking": q.seller_ranking(db, start=start, end=end, as_of=as_of),
        "top_products": q.top_products(db, start=start, end=end, limit=TOP_PRODUCTS,
                                       as_of=as_of),
        "shipping_breakdown": q.shipping_breakdown(db, start=start, end=end, as_of=as_of),
        "data_quality": [{"week_start": start, "status": "warn" if flagged else "ok", **counts}],
    }


def week_report(db: q.Fetcher, start: date, tolerance: Decimal,
                as_of: datetime | None = None) -> WeeklyReport:
    """The weekly report of the week starting ``start``: its rows and the previous week's
    totals, as of ``as_of`` (None: now)."""
    rows = week_rows(db, start, tolerance, as_of)
    before = previous_week(start)
    previous = q.weekly_summary(db, start=before, end=week_end(before), as_of=as_of)
    return WeeklyReport(start, rows, COLUMNS, previous[0] if previous else None)


def rebuild_workbook(conn: Connection, *, day: date, tolerance: Decimal,
                     as_of: datetime) -> bytes:
    """The weekly report workbook of the week holding ``day`` as it was at ``as_of`` (for a sent
    week: its ``report_week_sent.figures_at``)."""
    return workbook_bytes(week_report(ConnectionFetcher(conn), week_start(day), tolerance, as_of))


def write_week_export(conn: Connection, *, day: date, export_dir: Path,
                      tolerance: Decimal) -> WeekExport:
    """Export the ISO week holding ``day`` into ``export_dir/week-YYYY-MM-DD/`` (replaced whole)."""
    start = week_start(day)
    db = ConnectionFetcher(conn)
    cur = conn.cursor()
    figures_at = history.hold_still(cur) if history.kept(cur) else None
    report = week_report(db, start, tolerance)
    rows = report.rows
    summary = summary_markdown(report)
    if figures_at is not None:  # the restatements since the last weekly export or e-mail
        summary += _restated(db, restatements.last_sent(cur))
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
                      report.totals("this"), figures_at)


def _restated(db: q.Fetcher, since: datetime | None) -> str:
    """The summary's section on the restatements recorded after ``since`` ('' when none)."""
    items = restated_since(db, start=date.min, end=date.max, since=since)
    return ("\n" + summary_section(items)) if items else ""
