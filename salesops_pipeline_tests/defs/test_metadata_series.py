"""Numbers Dagster can plot: each ingest materialization's counts are ints, the weekly report's
latest-week revenue is a float; every value against figures computed from the rows written."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dagster import FloatMetadataValue, IntMetadataValue, TextMetadataValue

from salesops_pipeline_tests.reliability.harness import sale
from salesops_pipeline_tests.workbooks import write_clean_workbook


def broken(day: int) -> dict[str, object]:
    """A row with a sale time and a product but no readable price: quarantined."""
    return {"sold_at": datetime(2025, 1, day, 11), "product": "Broken", "seller": "Ada",
            "unit_price": "n/a", "units": 1, "total_price": Decimal("1.00"),
            "shipping_company": "DHL"}


def total_row(lines: list[dict[str, object]]) -> dict[str, object]:
    return {"product": "Grand Total",
            "total_price": sum((r["total_price"] for r in lines), Decimal(0))}


FILES = {  # file → (its sales lines, its quarantined rows, its skipped rows)
    "a.xlsx": ([sale(6, "Desk", "Ada", "249.99", 2), sale(13, "Cable", "Grace", "3.10", 7)],
               [broken(14)], 1),
    "b.xlsx": ([sale(15, "Lamp", "Ada", "19.90", 4), sale(17, "Dock", "Linus", "120.05", 1),
                sale(9, "Mouse", "Grace", "24.95", 3)], [broken(16), broken(17)], 0),
}


def write_files(folder: Path) -> None:
    for name, (lines, bad, skipped) in FILES.items():
        write_clean_workbook(folder / name, [*lines, *bad, *([total_row(lines)] * skipped)])


def test_each_files_ingest_materializations_carry_its_counts_as_ints(ingest, folder) -> None:
    write_files(folder)
    result = ingest.run_batch(list(FILES))
    assert result.success
    for asset, loaded_name in (("raw_sales_rows", "rows_staged"),
                               ("fact_sales_line", "rows_loaded")):
        by_file = {m.partition: m.metadata for m in result.asset_materializations_for_node(asset)}
        assert set(by_file) == set(FILES), asset
        for name, (lines, bad, skipped) in FILES.items():
            meta = by_file[name]
            for key, expected in ((loaded_name, len(lines)), ("rows_rejected", len(bad)),
                                  ("rows_skipped", skipped),
                                  ("rows_read", len(lines) + len(bad))):
                assert isinstance(meta[key], IntMetadataValue), (asset, name, key, meta[key])
                assert meta[key].value == expected, (asset, name, key)
            assert isinstance(meta["duration_s"], FloatMetadataValue), (asset, name)
            assert isinstance(meta["rows_per_second"], IntMetadataValue), (asset, name)
        if asset == "fact_sales_line":
            for name, (lines, bad, _skipped) in FILES.items():
                meta = by_file[name]
                assert isinstance(meta["dagster/row_count"], IntMetadataValue)
                assert meta["dagster/row_count"].value == len(lines)
                days = {r["sold_at"].date() for r in lines}  # type: ignore[union-attr]
                # its sales days, and today: the quarantine counts on the day it is published
                assert isinstance(meta["days_touched"], IntMetadataValue)
                assert meta["days_touched"].value == len(days) + (1 if bad else 0)
                assert isinstance(meta["publish_duration_s"], FloatMetadataValue)


def test_the_weekly_summary_has_the_latest_weeks_revenue_as_a_float(ingest, folder) -> None:
    write_files(folder)
    assert ingest.run_batch(list(FILES)).success
    result = ingest.refresh()
    [summary] = [m for m in result.asset_materializations_for_node("sales_reports")
                 if m.asset_key.to_user_string() == "report_weekly_summary"]
    lines = [r for lines, _bad, _skipped in FILES.values() for r in lines]
    last = max(r["sold_at"].date() for r in lines)  # type: ignore[union-attr]
    week = last - timedelta(days=last.weekday())
    revenue = sum((r["total_price"] for r in lines  # type: ignore[misc]
                   if week <= r["sold_at"].date() < week + timedelta(days=7)), Decimal(0))
    assert (week, revenue) == (date(2025, 1, 13), Decimal("3.10") * 7 + Decimal("19.90") * 4
                               + Decimal("120.05"))
    meta = summary.metadata
    assert isinstance(meta["latest_week_revenue"], FloatMetadataValue)
    assert meta["latest_week_revenue"].value == float(revenue)
    assert isinstance(meta["latest_week_start"], TextMetadataValue)
    assert meta["latest_week_start"].value == week.isoformat()
    assert f"revenue {revenue:.2f}" in meta["latest_week"].value  # exact, in the Markdown
    assert isinstance(meta["dagster/row_count"], IntMetadataValue)
