"""Each asset check passes on clean data and fails, with the right severity and counts, on bad."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from dagster import AssetCheckSeverity

from salesops_pipeline_tests.ingest_support import checks_by_name
from salesops_pipeline_tests.workbooks import write_clean_workbook

RULES = ["mismatched_total", "nonpositive_units", "negative_amount", "missing_shipping_company",
         "quarantined_rows"]
INTEGRITY = ["no_duplicate_source_rows", "no_orphan_keys", "import_counts_match"]


def row(day: int = 4, price: str = "2.50", units: int = 2, total: str | None = None,
        shipper: str | None = "DHL", sold_at: object = None) -> dict[str, object]:
    return {"sold_at": sold_at or datetime(2026, 5, day, 9), "product": "A", "seller": "S",
            "unit_price": Decimal(price), "units": units,
            "total_price": Decimal(total) if total is not None else Decimal(price) * units,
            "shipping_company": shipper}



def test_all_checks_pass_on_clean_data(ingest) -> None:
    write_clean_workbook(ingest.folder / "ok.xlsx", [row(4), row(5), row(6, price="0.005",
                                                                        units=3, total="0.02")])
    per_file = checks_by_name(ingest.run("ok.xlsx"))
    for name in [*RULES, *INTEGRITY]:
        assert per_file[name].passed, (name, per_file[name].metadata)
        assert per_file[name].metadata["scope"].value == "ok.xlsx"
    whole = checks_by_name(ingest.refresh())
    for name in [*RULES, *INTEGRITY, "import_freshness", "reports_reconcile"]:
        assert whole[name].passed, name
    assert whole["no_orphan_keys"].metadata["scope"].value == "whole warehouse"


def test_rule_checks_fail_with_warn_counts_and_samples(ingest) -> None:
    rows = [row(4), row(4, total="5.02"), row(4, total="5.02"), row(5, units=0, shipper=None),
            row(5, price="-1", units=1), row(sold_at="someday")]
    write_clean_workbook(ingest.folder / "bad.xlsx", rows)
    checks = checks_by_name(ingest.run("bad.xlsx"))
    want = {"mismatched_total": 2, "nonpositive_units": 1, "negative_amount": 1,
            "missing_shipping_company": 1, "quarantined_rows": 1}
    for name, count in want.items():
        check = checks[name]
        assert not check.passed and check.severity == AssetCheckSeverity.WARN, name
        assert check.metadata["count"].value == count, name
        samples = check.metadata["samples"].value
        assert len(samples) == count and samples[0]["source_file"] == "bad.xlsx", name
    assert [s["source_row_number"] for s in checks["mismatched_total"].metadata[
        "samples"].value] == [3, 4]
    # Tolerance comes from configuration: 0.05 accepts the 2-cent differences.
    ingest.tolerance = "0.05"
    assert checks_by_name(ingest.refresh())["mismatched_total"].passed


def test_duplicate_source_rows_fail_as_error(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "d.xlsx", [row(4), row(5)])
    ingest.run("d.xlsx")
    sql("ALTER TABLE salesops.fact_sales_line DROP CONSTRAINT fact_sales_line_source_key")
    try:
        sql("INSERT INTO salesops.fact_sales_line (sold_at, product_id, seller_id, unit_price,"
            " units, total_price, source_file, source_sheet, source_row_number, import_id)"
            " SELECT sold_at, product_id, seller_id, unit_price, units, total_price,"
            " source_file, source_sheet, source_row_number, import_id"
            " FROM salesops.fact_sales_line LIMIT 1")
        checks = checks_by_name(ingest.refresh())
        dup = checks["no_duplicate_source_rows"]
        assert not dup.passed and dup.severity == AssetCheckSeverity.ERROR
        assert dup.metadata["count"].value == 1
        assert not checks["import_counts_match"].passed
    finally:
        sql("DELETE FROM salesops.fact_sales_line a USING salesops.fact_sales_line b"
            " WHERE a.source_file = b.source_file AND a.source_row_number = b.source_row_number"
            " AND a.sales_line_id > b.sales_line_id")
        sql("ALTER TABLE salesops.fact_sales_line ADD CONSTRAINT fact_sales_line_source_key"
            " UNIQUE (source_file, source_sheet, source_row_number, load_slot)")


def test_orphan_keys_fail_as_error(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "o.xlsx", [row(4)])
    ingest.run("o.xlsx")
    sql("SET session_replication_role = replica")  # bypass the FKs to plant an orphan
    sql("UPDATE salesops.fact_sales_line SET seller_id = 999999")
    sql("SET session_replication_role = origin")
    check = checks_by_name(ingest.refresh())["no_orphan_keys"]
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert check.metadata["count"].value == 1
    assert check.metadata["samples"].value[0]["no_seller"] is True or \
        check.metadata["samples"].value[0]["no_seller"] == "True"


def test_import_count_mismatch_fails(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "c.xlsx", [row(4), row(5)])
    ingest.run("c.xlsx")
    sql("UPDATE salesops.import_log SET rows_loaded = 1")
    check = checks_by_name(ingest.refresh())["import_counts_match"]
    assert not check.passed and check.metadata["count"].value == 1


def test_report_reconciliation_fails_when_reports_drift(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "r.xlsx", [row(4), row(12)])
    ingest.run("r.xlsx")
    assert checks_by_name(ingest.refresh())["reports_reconcile"].passed
    sql("UPDATE salesops.report_daily_sales SET revenue = revenue + 0.01 WHERE day = '2026-05-12'")
    sql("INSERT INTO salesops.report_dirty_day (day) VALUES ('2026-05-13')")  # week of the 11th
    check = checks_by_name(ingest.refresh())["reports_reconcile"]
    # The refresh rewrote only the 13th; the drifted 12th is in the refreshed week: caught.
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    assert check.metadata["mismatched_weeks"].value == 1


def test_freshness_fails_when_the_latest_import_is_old(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "f.xlsx", [row(4)])
    ingest.run("f.xlsx")
    sql("UPDATE salesops.import_log SET finished_at = now() - interval '30 days'")
    check = checks_by_name(ingest.refresh())["import_freshness"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["age_hours"].value > 700
