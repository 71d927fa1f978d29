"""Rule thresholds in real Dagster runs: an ERROR blocks the report refresh of its run, a WARN
does not. Expected counts and shares are worked out here with Decimal from the generated rows."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)

from salesops_pipeline.defs.checks import all_checks
from salesops_pipeline.defs.ingest import ingest_assets, sales_files
from salesops_pipeline.defs.reports import REPORT_ASSETS, sales_reports
from salesops_pipeline.defs.resources import QualityResource
from salesops_pipeline_tests.ingest_support import Ingestor, checks_by_name
from salesops_pipeline_tests.workbooks import write_clean_workbook

THRESHOLDS = "mismatched_total=warn>0,error>2%; quarantined_rows=error>5%"
TOLERANCE = Decimal("0.01")
CENT = Decimal("0.01")


@dataclass
class ThresholdIngestor(Ingestor):
    """The production jobs with SALESOPS_RULE_THRESHOLDS set."""

    thresholds: str = THRESHOLDS

    def resources(self) -> dict:
        return {**super().resources(),
                "quality_settings": QualityResource(price_tolerance=self.tolerance,
                                                    rule_thresholds=self.thresholds)}


@pytest.fixture
def ingest(db: str, folder: Path):
    with DagsterInstance.ephemeral() as instance:
        yield ThresholdIngestor(db, folder, instance)


def lines(n: int, mismatched: int, seed: int) -> list[dict[str, object]]:
    """``n`` lines in May 2026, of which ``mismatched`` (chosen at random) have a total 3 to 90
    cents off unit price × units; the rest are exact."""
    rnd = random.Random(seed)
    off = set(rnd.sample(range(n), mismatched))
    rows = []
    for i in range(n):
        price = Decimal(rnd.randint(100, 99_999)) / 100
        units = rnd.randint(1, 9)
        total = (price * units).quantize(CENT, rounding=ROUND_HALF_UP)
        if i in off:
            total += Decimal(rnd.randint(3, 90)) / 100
        rows.append({"sold_at": datetime(2026, 5, 1 + i % 28, 10), "product": f"P{i % 7}",
                     "seller": f"S{i % 3}", "unit_price": price, "units": units,
                     "total_price": total, "shipping_company": "DHL"})
    return rows


def mismatched(rows: list[dict[str, object]]) -> int:
    """The rule written out independently: |total − round(price × units, 2)| > tolerance."""
    return sum(1 for r in rows
               if abs(Decimal(r["total_price"]) - (Decimal(r["unit_price"]) * r["units"])
                      .quantize(CENT, rounding=ROUND_HALF_UP)) > TOLERANCE)


def share(count: int, of: int) -> Decimal:
    return Decimal(count) * 100 / of


def report_materializations(result: ExecuteInProcessResult) -> set[str]:
    keys = {e.asset_key for e in result.get_asset_materialization_events()}
    return {name for name in REPORT_ASSETS if AssetKey(name) in keys}


def drop(ingest: Ingestor, name: str, rows: list[dict[str, object]]) -> None:
    write_clean_workbook(ingest.folder / name, rows)


def test_over_the_error_share_blocks_the_report_refresh(ingest, sql) -> None:
    rows = lines(100, 3, seed=1)
    count = mismatched(rows)
    assert count == 3 and share(count, 100) > 2  # the planted lines break the rule, over 2 %
    drop(ingest, "bad.xlsx", rows)
    imported = ingest.run("bad.xlsx", raise_on_error=False)
    check = checks_by_name(imported)["mismatched_total"]
    assert not check.passed and check.severity == AssetCheckSeverity.ERROR
    meta = {k: v.value for k, v in check.metadata.items()}
    assert meta["lines_checked"] == 100 and meta["count"] == count
    assert meta["share"] == "3 %"
    assert meta["warn_threshold"] == "> 0" and meta["error_threshold"] == "> 2 %"
    assert meta["crossed"] == "error: 3 % > 2 % in bad.xlsx (3 of 100 lines)"
    assert meta["files"] == [{"source_file": "bad.xlsx", "lines": 100, "count": 3,
                              "share": "3 %"}]
    # The facts are loaded (checks look at loaded lines); the blocking ERROR fails the run.
    assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(100,)]
    assert not imported.success

    refreshed = ingest.refresh()
    assert checks_by_name(refreshed)["mismatched_total"].severity == AssetCheckSeverity.ERROR
    assert not refreshed.success
    assert report_materializations(refreshed) == set()
    assert sql("SELECT count(*) FROM salesops.report_daily_sales") == [(0,)]
    assert sql("SELECT count(*) FROM salesops.report_dirty_day")[0][0] > 0  # still to do


def test_under_the_error_share_warns_and_the_reports_refresh(ingest, sql) -> None:
    rows = lines(100, 2, seed=2)
    count = mismatched(rows)
    assert count == 2 and share(count, 100) == 2  # at the limit, not above it
    drop(ingest, "fine.xlsx", rows)
    check = checks_by_name(ingest.run("fine.xlsx"))["mismatched_total"]
    assert not check.passed and check.severity == AssetCheckSeverity.WARN
    assert check.metadata["crossed"].value == "warn: 2 > 0 in fine.xlsx (2 of 100 lines)"

    refreshed = ingest.refresh()
    assert refreshed.success
    assert checks_by_name(refreshed)["mismatched_total"].severity == AssetCheckSeverity.WARN
    assert report_materializations(refreshed) == set(REPORT_ASSETS)
    revenue = sum(Decimal(r["total_price"]) for r in rows)
    assert sql("SELECT sum(revenue), sum(line_count) FROM salesops.report_daily_sales") == [
        (revenue, 100)]
    assert sql("SELECT sum(mismatched_total_count) FROM salesops.report_daily_quality") == [
        (count,)]


def test_thresholds_judge_each_file_of_a_batch(ingest) -> None:
    """3 of 100 in one file is 3 % even when a clean file of 100 shares the run (1.5 % overall)."""
    drop(ingest, "a_bad.xlsx", lines(100, 3, seed=3))
    drop(ingest, "b_clean.xlsx", lines(100, 0, seed=4))
    check = checks_by_name(ingest.run_batch(["a_bad.xlsx", "b_clean.xlsx"]))["mismatched_total"]
    assert check.severity == AssetCheckSeverity.ERROR and not check.passed
    assert check.metadata["lines_checked"].value == 200
    assert check.metadata["share"].value == "1.5 %"
    assert check.metadata["crossed"].value.startswith("error: 3 % > 2 % in a_bad.xlsx")


def test_quarantined_share_over_its_error_threshold(ingest) -> None:
    """1 unreadable row among 10: 10 % of the file's rows > 5 %."""
    rows = lines(9, 0, seed=5) + [{**lines(1, 0, seed=6)[0], "sold_at": "not a date"}]
    drop(ingest, "q.xlsx", rows)
    check = checks_by_name(ingest.run("q.xlsx", raise_on_error=False))["quarantined_rows"]
    assert check.severity == AssetCheckSeverity.ERROR and not check.passed
    assert check.metadata["lines_checked"].value == 10 and check.metadata["count"].value == 1
    assert check.metadata["crossed"].value == "error: 10 % > 5 % in q.xlsx (1 of 10 lines)"


def test_an_error_blocks_the_reports_materialized_in_the_same_run(ingest) -> None:
    """materialize() of the ingest assets and the reports together, one file partition."""
    instance = ingest.instance
    drop(ingest, "same.xlsx", lines(50, 2, seed=7))  # 4 % > 2 %
    instance.add_dynamic_partitions(sales_files.name, ["same.xlsx"])
    result = materialize([*ingest_assets, sales_reports, *all_checks],
                         partition_key="same.xlsx", instance=instance,
                         resources=ingest.resources(), raise_on_error=False)
    evaluations = checks_by_name(result)
    assert evaluations["mismatched_total"].severity == AssetCheckSeverity.ERROR
    assert AssetKey("fact_sales_line") in {
        e.asset_key for e in result.get_asset_materialization_events()}
    assert report_materializations(result) == set()

    drop(ingest, "same.xlsx", lines(50, 1, seed=8))  # 2 %: warn only
    result = materialize([*ingest_assets, sales_reports, *all_checks],
                         partition_key="same.xlsx", instance=instance,
                         resources=ingest.resources(), raise_on_error=False)
    assert checks_by_name(result)["mismatched_total"].severity == AssetCheckSeverity.WARN
    assert report_materializations(result) == set(REPORT_ASSETS)
