"""Metadata a person reads in the Dagster UI: counts, timings and sample rows as tables.

Counts and timings are typed numbers (MetadataValue.int / float), never text, so Dagster plots
each of them over a file's materializations (the asset's Plots tab)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeAlias

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from salesops_pipeline.core.db.connect import Connection
from salesops_pipeline.core.extract.formats.sales_table import SkippedSheet
from salesops_pipeline.core.extract.rows.non_sales import SkippedRow
from salesops_pipeline.core.extract.rows.sales_line import RejectedRow
from salesops_pipeline.core.load import import_log
from salesops_pipeline.core.load.control_totals import ControlTotal
from salesops_pipeline.core.load.drift import FIXES, Drift
from salesops_pipeline.core.load.staging import StageResult
from salesops_pipeline.core.report.render import markdown_text
from salesops_pipeline.errors import ImportConflict

# A value of our metadata dicts: the kinds Dagster's `metadata=` takes as they are (part of its
# RawMetadataValue, which `dagster` does not export), so a dict[str, MetadataItem] type-checks.
MetadataItem: TypeAlias = MetadataValue | str | int | float | None


def _cell(value: object) -> str:
    """A Markdown table cell: at most 80 characters of the value, as inert Markdown."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return markdown_text(text[:80])


def rejections_markdown(rows: Sequence[RejectedRow]) -> str:
    if not rows:
        return "_no rejected rows_"
    lines = ["| row | reasons | raw values |", "|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r.source_row_number} | {_cell('; '.join(r.reasons))} | {_cell(r.raw)} |")
    return "\n".join(lines)


def count(value: int | None) -> MetadataValue:
    """A row count Dagster plots (None stays empty: a count never recorded is not 0)."""
    return MetadataValue.int(value) if value is not None else MetadataValue.null()


def seconds_value(seconds: float) -> MetadataValue:
    return MetadataValue.float(round(float(seconds), 3))


def import_metadata(conn: Connection, import_id: int) -> dict[str, object]:
    """The import log row of one import plus a sample of its quarantined rows."""
    cur = conn.cursor()
    row = import_log.summary(cur, import_id)
    if row is None:
        raise ImportConflict(f"import {import_id} is no longer in the import log (were the tables "
                             "reset meanwhile? `salesops db reset`); rerun the import")
    file, sha, status, read, loaded, rejected, skipped, seconds = row
    cur.execute("SELECT source_row_number, raw_values, reasons FROM salesops.rejected_row"
                " WHERE import_id = %s ORDER BY source_row_number LIMIT 20", (import_id,))
    sample = [RejectedRow(n, raw, tuple(reasons)) for n, raw, reasons in cur.fetchall()]
    seconds = float(seconds or 0)
    return {
        "file": file, "sha256": sha, "import_id": import_id, "status": status,
        "rows_read": count(read), "rows_loaded": count(loaded), "rows_rejected": count(rejected),
        "rows_skipped": count(skipped),
        "rejected_sample": MetadataValue.md(rejections_markdown(sample)),
        "duration_s": seconds_value(seconds),
        "rows_per_second": count(round(read / seconds) if read and seconds else 0),
    }


def _table(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[object]]) -> MetadataValue:
    """Rows as a Dagster table (values as text: exact decimals, no float rounding in the UI)."""
    names = [name for name, _ in columns]
    return MetadataValue.table(
        records=[TableRecord({n: (v if isinstance(v, int) and not isinstance(v, bool) else
                                  ("" if v is None else str(v))) for n, v in zip(names, r,
                                                                                  strict=True)})
                 for r in rows],
        schema=TableSchema(columns=[TableColumn(n, t) for n, t in columns]))


def skipped_rows_table(rows: Sequence[SkippedRow]) -> MetadataValue:
    return _table([("sheet", "string"), ("row", "int"), ("kind", "string"), ("reason", "string"),
                   ("values", "string")],
                  [(r.sheet, r.source_row_number, r.kind, r.reason, _cell(r.raw)) for r in rows])


def skipped_sheets_table(sheets: Sequence[SkippedSheet]) -> MetadataValue:
    return _table([("sheet", "string"), ("reason", "string")],
                  [(s.sheet_name, s.reason) for s in sheets])


def control_totals_table(totals: Sequence[ControlTotal]) -> MetadataValue:
    return _table(
        [("file", "string"), ("sheet", "string"), ("row", "int"), ("label", "string"),
         ("scope", "string"), ("rows", "string"), ("stated_total", "string"),
         ("loaded_total", "string"), ("difference", "string"), ("stated_units", "string"),
         ("loaded_units", "string"), ("lines", "int"), ("quarantined_rows", "string")],
        [(t.source_file, t.sheet, t.source_row_number, t.label, t.scope,
          f"{t.first_row}-{t.last_row}", t.stated_total, t.loaded_total, t.difference,
          t.stated_units, t.loaded_units, t.lines_loaded,
          ", ".join(map(str, t.quarantined_rows))) for t in totals])


def date_order_text(staged: StageResult) -> str:
    """Each table's date order and why: "month-first: 55 values like '11/13/2026'", per sheet
    for workbooks ("'Jan': none needed; 'Feb': day-first: …")."""
    return "; ".join(t.date_order_reason if t.sheet is None else
                     f"{t.sheet!r}: {t.date_order_reason}" for t in staged.tables)


def drift_markdown(drift: Drift | None) -> str:
    """The header's changes, what it was compared with and how to fix each kind, as inert
    Markdown (header texts and file names come from the dropped files)."""
    if drift is None or not drift.references:
        return "_nothing to compare with: no earlier version of the file or of its folder_"
    compared = "; ".join(markdown_text(r.text()) for r in drift.references)
    if not drift.changed:
        return f"header unchanged against {compared}"
    lines = [f"compared with {compared}", ""]
    lines += [f"- {markdown_text(line)}" for line in drift.lines()]
    lines += ["", "How to fix at the source:"]
    lines += [f"- **{kind}**: {FIXES[kind]}" for kind in sorted({c.kind for c in drift.changes})]
    return "\n".join(lines)


def stage_metadata(staged: StageResult) -> dict[str, object]:
    """What staging of one file found: sheets, counts, samples of quarantined/skipped rows and
    the control totals, for the raw_sales_rows materialization."""
    rate = staged.rows_read / staged.seconds if staged.seconds else 0.0
    sheets = ", ".join(f"{t.sheet!r} (header row {t.header_row}, {t.rows_read:,} rows)"
                       if t.sheet is not None else f"header line {t.header_row}"
                       for t in staged.tables)
    mismatched = sum(not t.reconciles for t in staged.control_totals)
    return {
        "sheets_imported": sheets, "sheets_skipped": skipped_sheets_table(staged.skipped_sheets),
        "rows_read": count(staged.rows_read), "rows_staged": count(staged.rows_staged),
        "rows_rejected": count(staged.rows_rejected), "rows_skipped": count(staged.rows_skipped),
        "rejected_sample": MetadataValue.md(rejections_markdown(staged.sample_rejections)),
        "skipped_sample": skipped_rows_table(staged.sample_skipped),
        "control_totals": count(len(staged.control_totals)),
        "control_totals_mismatched": count(mismatched),
        "control_totals_detail": control_totals_table(staged.control_totals),
        "date_order": date_order_text(staged),
        "header_changes": count(len(staged.drift.changes) if staged.drift else 0),
        "drift": MetadataValue.md(drift_markdown(staged.drift)),
        "duration_s": seconds_value(staged.seconds), "rows_per_second": count(round(rate)),
        "parser_peak_rss_mb": count(round(staged.parser_peak_rss_mb)),
        "detail": sheets,
    }
