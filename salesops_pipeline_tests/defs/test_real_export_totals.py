"""Subtotal and grand-total rows through the real ingest job: the lines load exactly, the total
rows and the note are skipped (counted), and the totals the file states are reconciled with the
lines loaded (salesops.control_total, the control_totals_match check).

Expected lines, skipped rows and control totals come from exports.write_subtotal_workbook (and,
for the sample `make up` writes, from the workbook's own cells), never from SQL.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from dagster import AssetCheckSeverity

from salesops_pipeline.core.extract.sample import write_sample_workbook
from salesops_pipeline_tests.exports import Export, write_subtotal_workbook
from salesops_pipeline_tests.ingest_support import checks_by_name
from salesops_pipeline_tests.real_exports_support import (
    control_totals,
    import_row,
    in_order,
    loaded_lines,
    quarantined,
    quarantined_rows_of_totals,
    skipped_rows,
    stage_metadata,
    table_records,
)

CHECK = "control_totals_match"


def _imported_as_expected(sql, out: Export) -> int:
    """Lines, skipped rows, quarantined rows and control totals as the generator says; the
    import's id."""
    name = out.path.name
    log = import_row(sql, name)
    assert log.status == "loaded" and log.error is None
    assert loaded_lines(sql, name) == in_order(out.lines)
    assert skipped_rows(sql, log.import_id) == in_order(out.skipped)
    assert [(sheet, row) for sheet, row, _ in quarantined(sql, log.import_id)] == [
        (q.sheet, q.row) for q in out.quarantined]
    assert control_totals(sql, log.import_id) == in_order(out.control_totals)
    assert (log.rows_read, log.rows_loaded, log.rows_rejected, log.rows_skipped) == (
        len(out.lines) + len(out.quarantined), len(out.lines), len(out.quarantined),
        len(out.skipped))
    return log.import_id


def test_subtotals_grand_total_and_note_reconcile(ingest, folder: Path, sql) -> None:
    out = write_subtotal_workbook(folder / "subtotals.xlsx", seed=7)
    assert [s.kind for s in out.skipped] == ["total"] * 4 + ["note"]
    assert all(t.difference == 0 for t in out.control_totals) and len(out.control_totals) == 4
    result = ingest.run(out.path.name)
    _imported_as_expected(sql, out)
    check = checks_by_name(result)[CHECK]
    assert check.passed is True
    assert (check.metadata["stated_totals"].value, check.metadata["mismatched"].value) == (4, 0)
    meta = stage_metadata(result)
    assert meta["rows_skipped"] == 5 and meta["control_totals_mismatched"] == 0
    assert [(r["row"], r["kind"]) for r in table_records(meta["skipped_sample"])] == [
        (s.row, s.kind) for s in out.skipped]
    detail = table_records(meta["control_totals_detail"])
    assert [(r["row"], Decimal(r["difference"])) for r in detail] == [
        (t.row, Decimal(0)) for t in out.control_totals]


def test_a_stated_total_that_disagrees_warns_and_loads(ingest, folder: Path, sql) -> None:
    out = write_subtotal_workbook(folder / "wrong.xlsx", seed=7, wrong_total="Grace Hopper Total",
                                  wrong_by=Decimal("0.01"))
    (wrong,) = [t for t in out.control_totals if t.difference]
    assert wrong.difference == Decimal("0.01")
    result = ingest.run(out.path.name)
    assert result.success  # a WARN check: the lines are still the file's lines
    _imported_as_expected(sql, out)
    check = checks_by_name(result)[CHECK]
    assert check.passed is False and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["mismatched"].value == 1
    first = table_records(check.metadata["totals"].value)[0]  # mismatched totals come first
    assert (first["file"], first["sheet"], first["row"]) == ("wrong.xlsx", "Sales", wrong.row)
    assert (Decimal(first["stated_total"]), Decimal(first["loaded_total"]),
            Decimal(first["difference"])) == (wrong.stated, wrong.loaded, wrong.difference)


def test_an_unreadable_line_is_quarantined_and_listed_by_its_totals(ingest, folder: Path,
                                                                    sql) -> None:
    out = write_subtotal_workbook(folder / "bad.xlsx", seed=7, unreadable_line=5)
    (bad,) = out.quarantined
    result = ingest.run(out.path.name)
    import_id = _imported_as_expected(sql, out)
    ((_, _, reasons),) = quarantined(sql, import_id)
    assert any(r.startswith(bad.column) for r in reasons), reasons
    group = next(t for t in out.control_totals if t.row > bad.row)
    grand = out.control_totals[-1]
    assert group.difference == grand.difference > 0  # the quarantined line's amount
    listed = quarantined_rows_of_totals(sql, import_id)
    assert listed == {t.row: ([bad.row] if t in (group, grand) else [])
                      for t in out.control_totals}
    check = checks_by_name(result)[CHECK]
    assert check.passed is False and check.metadata["mismatched"].value == 2
    records = table_records(check.metadata["totals"].value)
    assert {r["row"]: r["quarantined_rows"] for r in records[:2]} == {
        group.row: str(bad.row), grand.row: str(bad.row)}


def test_the_sample_workbook_reconciles(ingest, folder: Path, sql) -> None:
    rows = 300
    path = write_sample_workbook(folder / "sample.xlsx", rows=rows,
                                 start=datetime(2026, 3, 2))
    sheet = openpyxl.load_workbook(path)["Sales"]
    header_row = 4
    grand_row, note_row = header_row + rows + 1, header_row + rows + 3
    assert sheet.cell(grand_row, 1).value == "Grand Total"
    assert str(sheet.cell(note_row, 1).value).startswith("Exported from CRM")
    stated = Decimal(repr(sheet.cell(grand_row, 6).value))
    stated_units = Decimal(sheet.cell(grand_row, 5).value)

    result = ingest.run("sample.xlsx")
    log = import_row(sql, "sample.xlsx")
    assert (log.status, log.rows_read, log.rows_loaded, log.rows_rejected, log.rows_skipped) == (
        "loaded", rows, rows, 0, 2)
    assert [(s.row, s.kind) for s in skipped_rows(sql, log.import_id)] == [
        (grand_row, "total"), (note_row, "note")]
    ((sheet_name, row, got_stated, loaded, difference),) = [
        (t.sheet, t.row, t.stated, t.loaded, t.difference)
        for t in control_totals(sql, log.import_id)]
    assert (sheet_name, row, got_stated, loaded, difference) == (
        "Sales", grand_row, stated, stated, Decimal(0))
    assert sql("SELECT scope, stated_units, loaded_units, lines_loaded FROM"
               " salesops.control_total") == [("grand_total", stated_units, stated_units, rows)]
    assert sum((ln.total_price for ln in loaded_lines(sql, "sample.xlsx")), Decimal(0)) == stated
    assert checks_by_name(result)[CHECK].passed is True
