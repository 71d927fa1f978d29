"""Real export shapes through the real ingest job into PostgreSQL: the source system's header as
a workbook and as CSV/TSV in every dialect seen, a workbook with a summary sheet in front of its
region sheets, a sheet with a partial header, and a header spelling added by a column map.

Expected lines come from the generators (salesops_pipeline_tests/exports*.py), never from SQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from salesops_pipeline_tests.exports import (
    ExpectedLine,
    write_plain_workbook,
    write_regional_workbook,
)
from salesops_pipeline_tests.exports_csv import QUOTED_SELLER, write_csv_export
from salesops_pipeline_tests.ingest_support import checks_by_name
from salesops_pipeline_tests.real_exports_support import (
    MappedIngestor,
    count,
    import_row,
    in_order,
    loaded_lines,
    stage_metadata,
    table_records,
)


def _loaded_exactly(sql, name: str, expected: list[ExpectedLine]) -> None:
    """Every expected line loaded, with its sheet and row, and nothing else; counts logged."""
    assert expected, "the generator wrote no line"
    assert loaded_lines(sql, name) == in_order(expected)
    log = import_row(sql, name)
    assert (log.status, log.rows_read, log.rows_loaded, log.rows_rejected, log.error) == (
        "loaded", len(expected), len(expected), 0, None)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_source_system_header_loads_every_line(ingest, folder: Path, sql, kind: str) -> None:
    if kind == "xlsx":
        out = write_plain_workbook(folder / "export.xlsx", seed=1, count=15)
    else:
        out = write_csv_export(folder / "export.csv", seed=1, dialect="utf8-comma", count=15)
    ingest.run(out.path.name)
    _loaded_exactly(sql, out.path.name, out.lines)
    assert {ln.sheet for ln in loaded_lines(sql, out.path.name)} == (
        {"Sales"} if kind == "xlsx" else {None})
    assert import_row(sql, out.path.name).rows_skipped == 0


@pytest.mark.parametrize(("dialect", "suffix"), [
    ("utf8-comma", "csv"),        # UTF-8 with BOM, CRLF, commas, "1,234.50", ISO times
    ("cp1252-semicolon", "csv"),  # Windows-1252, semicolons, "1.234,50", day-first times
    ("utf8-tab", "tsv"),          # tabs
])
def test_csv_dialects_load_exactly(ingest, folder: Path, sql, dialect: str,
                                   suffix: str) -> None:
    out = write_csv_export(folder / f"export.{suffix}", seed=23, dialect=dialect,  # type: ignore[arg-type]
                           count=12)
    data = out.path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == (dialect == "utf8-comma")
    assert (b"\r\n" in data) == (dialect == "utf8-comma")
    # A quoted line break: more physical lines than records, yet rows count records.
    assert data.count(b"\n") > len(out.lines) + 1
    ingest.run(out.path.name)
    _loaded_exactly(sql, out.path.name, out.lines)
    loaded = loaded_lines(sql, out.path.name)
    products = {ln.product for ln in loaded}
    assert {"Cable, 2 m", 'The "Pro" kit', "Gift box large", "Café crème"} <= products
    assert QUOTED_SELLER in {ln.seller for ln in loaded}
    after_break = next(ln.row for ln in out.lines if ln.product == "Gift box large") + 1
    assert after_break in {ln.row for ln in loaded}  # the row after a quoted line break


def test_identical_lines_on_two_rows_are_two_sales(ingest, folder: Path, sql) -> None:
    out = write_csv_export(folder / "twice.csv", seed=5, dialect="utf8-comma")

    def sale(line: ExpectedLine) -> tuple[object, ...]:
        return (line.sold_at, line.product, line.seller, line.shipping_company,
                line.unit_price, line.units, line.total_price)

    twins = [ln.row for ln in out.lines if sale(ln) == sale(out.lines[-1])]
    assert len(twins) == 2  # the generator's copy
    ingest.run(out.path.name)
    loaded = [ln for ln in loaded_lines(sql, out.path.name) if sale(ln) == sale(out.lines[-1])]
    assert [ln.row for ln in loaded] == twins
    assert count(sql, "fact_sales_line") == len(out.lines)


def test_region_sheets_behind_a_summary_load_as_one_import(ingest, folder: Path, sql) -> None:
    out = write_regional_workbook(folder / "regions.xlsx", seed=11)
    result = ingest.run(out.path.name)
    _loaded_exactly(sql, out.path.name, out.lines)
    assert {ln.sheet for ln in loaded_lines(sql, out.path.name)} == {"North", "South", "West"}
    assert count(sql, "import_log") == 1
    log = import_row(sql, out.path.name)
    assert [s["sheet"] for s in log.skipped_sheets or []] == out.skipped_sheets == ["Summary"]
    assert all(s["reason"] for s in log.skipped_sheets or [])
    meta = stage_metadata(result)
    assert [r["sheet"] for r in table_records(meta["sheets_skipped"])] == ["Summary"]
    for region in ("North", "South", "West"):
        assert repr(region) in meta["sheets_imported"]
    assert "Summary" not in meta["sheets_imported"]
    assert count(sql, "rejected_row") == 0  # the pivot's rows are neither sales nor errors


def test_a_sheet_with_a_partial_header_rejects_the_file(ingest, folder: Path, sql) -> None:
    out = write_regional_workbook(folder / "regions.xlsx", seed=11, partial_header="West")
    assert out.missing_columns == {"West": ("unit_price", "total_price")} and out.lines
    result = ingest.run(out.path.name)
    assert result.success  # recorded, not crashed
    log = import_row(sql, out.path.name)
    assert log.status == "rejected" and log.error is not None
    assert "sheet 'West'" in log.error
    for words in ("Unit Price (unit_price)", "Total Price (total_price)"):
        assert words in log.error
    assert "North" not in log.error and "South" not in log.error
    assert (log.rows_read, log.rows_loaded, log.rows_rejected) == (0, 0, 0)
    for table in ("fact_sales_line", "rejected_row", "skipped_row", "control_total",
                  "stage_sales_line"):
        assert count(sql, table) == 0, table
    check = checks_by_name(result)["file_is_readable_workbook"]
    assert check.passed is False and "West" in check.metadata["detail"].value


def _zeitpunkt_csv(path: Path) -> list[ExpectedLine]:
    """A CSV export whose Time column is headed "Zeitpunkt" (a spelling no built-in knows)."""
    out = write_csv_export(path, seed=31, dialect="utf8-comma", count=8)
    data = out.path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfTime,")
    out.path.write_bytes(data.replace(b"Time,", b"Zeitpunkt,", 1))
    return out.lines


def test_a_column_map_adds_a_header_spelling(ingest, folder: Path, sql, tmp_path: Path) -> None:
    lines = _zeitpunkt_csv(folder / "zeit.csv")
    ingest.run("zeit.csv")
    log = import_row(sql, "zeit.csv")
    assert log.status == "rejected" and log.error is not None
    assert "Time (sold_at)" in log.error and "'Zeitpunkt'" in log.error
    assert 'sold_at = ["Zeitpunkt"]' in log.error and "[columns]" in log.error
    assert count(sql, "fact_sales_line") == 0

    column_map = tmp_path / "column_map.toml"
    column_map.write_text('[columns]\nsold_at = ["Zeitpunkt"]\n', encoding="utf-8")
    mapped = MappedIngestor(ingest.database_url, folder, ingest.instance,
                            column_map_file=str(column_map))
    mapped.run("zeit.csv")  # the same bytes: the rejected version imports again
    _loaded_exactly(sql, "zeit.csv", lines)
    assert import_row(sql, "zeit.csv").import_id == log.import_id
