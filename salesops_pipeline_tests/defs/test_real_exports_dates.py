"""Issue 20's US export, through the real ingest job into PostgreSQL: text dates month-first
(11/01/2026 2:05 PM) load in their month when the file decides, follow SALESOPS_DATE_ORDER or
the column map's [date_order] when it does not, and are never guessed; the import log and the
materialization metadata say which order was used and why.

Expected lines come from exports_dates.py's chosen values, never from SQL.
"""

from __future__ import annotations

from pathlib import Path

from salesops_pipeline_tests.exports import ExpectedLine
from salesops_pipeline_tests.exports_dates import STYLES, dated_lines, write_dated_csv
from salesops_pipeline_tests.ingest_support import DatedIngestor
from salesops_pipeline_tests.real_exports_support import (
    import_row,
    in_order,
    loaded_lines,
    quarantined,
    stage_metadata,
)


def _sheets(sql, name: str) -> list[dict]:
    ((sheets,),) = sql("SELECT sheets FROM salesops.import_log WHERE source_file = %s", (name,))
    return sheets


def test_a_us_export_loads_in_its_month(ingest, folder: Path, sql) -> None:
    """The issue's file: before, 11/01/2026 became 11 January and 11/13/2026 was quarantined."""
    lines = dated_lines(20, 40, range(1, 29))
    expected = write_dated_csv(folder / "us.csv", lines, "us-excel-12h")
    assert any(x.sold_at.day <= 12 and x.sold_at.day != 11 for x in expected)
    result = ingest.run("us.csv")
    assert loaded_lines(sql, "us.csv") == in_order(expected)
    assert all(x.sold_at.month == 11 for x in loaded_lines(sql, "us.csv"))
    log = import_row(sql, "us.csv")
    assert (log.status, log.rows_loaded, log.rows_rejected) == ("loaded", 40, 0)
    deciding = sum(x.sold_at.day > 12 for x in expected)
    first = next(x.sold_at for x in expected if x.sold_at.day > 12)
    reason = f"month-first: {deciding} values like {STYLES['us-excel-12h'](first).split()[0]!r}"
    assert [(t["date_order"], t["date_order_reason"]) for t in _sheets(sql, "us.csv")] == [
        ("mdy", reason)]
    assert stage_metadata(result)["date_order"] == reason
    messages = [e.user_message for e in ingest.instance.all_logs(result.run_id)]
    assert f"us.csv: date order {reason}" in messages  # the run log says it too


def _early(folder: Path, name: str) -> list[ExpectedLine]:
    """A US export of the first twelve days of November: nothing in it decides the order."""
    return write_dated_csv(folder / name, dated_lines(21, 30, range(1, 13)), "us-crm")


def test_an_undecided_export_is_quarantined_naming_the_setting(ingest, folder: Path,
                                                               sql) -> None:
    expected = _early(folder, "early.csv")
    result = ingest.run("early.csv")
    same = [x for x in expected if x.sold_at.day == 11]  # 11/11/2026 reads one way
    assert loaded_lines(sql, "early.csv") == in_order(same)
    log = import_row(sql, "early.csv")
    assert (log.rows_loaded, log.rows_rejected) == (len(same), len(expected) - len(same))
    rows = quarantined(sql, log.import_id)
    assert [row for _, row, _ in rows] == [x.row for x in expected if x.sold_at.day != 11]
    assert all(reasons[0].startswith("sold_at: ambiguous date ")
               and "SALESOPS_DATE_ORDER=dmy or mdy" in reasons[0] for _, _, reasons in rows)
    (table,) = _sheets(sql, "early.csv")
    assert table["date_order"] is None
    assert table["date_order_reason"].startswith(f"undecided: {len(rows)} values like ")
    assert stage_metadata(result)["date_order"] == table["date_order_reason"]


def test_the_setting_orders_an_undecided_export(db: str, folder: Path, sql, ingest) -> None:
    expected = _early(folder, "early.csv")
    us = DatedIngestor(db, folder, ingest.instance, date_order="mdy")
    result = us.run("early.csv")
    assert loaded_lines(sql, "early.csv") == in_order(expected)
    assert stage_metadata(result)["date_order"] == "month-first: SALESOPS_DATE_ORDER=mdy"


def test_the_column_map_orders_a_folder(db: str, folder: Path, sql, ingest,
                                        tmp_path: Path) -> None:
    (folder / "us").mkdir()
    expected = _early(folder / "us", "early.csv")
    column_map = tmp_path / "column_map.toml"
    column_map.write_text('[date_order]\n"us/*" = "mdy"\n', encoding="utf-8")
    mapped = DatedIngestor(db, folder, ingest.instance, date_order="dmy",
                           column_map_file=str(column_map))
    result = mapped.run("us/early.csv")
    assert loaded_lines(sql, "us/early.csv") == in_order(expected)
    assert stage_metadata(result)["date_order"] == (
        "month-first: column map date_order 'us/*' = \"mdy\"")
