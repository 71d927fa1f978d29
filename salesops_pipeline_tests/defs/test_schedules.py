"""Weekly schedule: the right week, its reports and exports; nightly maintenance."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from dagster import build_schedule_context

from salesops_pipeline.defs.schedules import previous_week, weekly_reports_schedule
from salesops_pipeline_tests.defs.test_reports import generate
from salesops_pipeline_tests.workbooks import write_clean_workbook


@pytest.mark.parametrize(("tick", "week"), [
    (datetime(2026, 3, 9, 6, 0, tzinfo=UTC), date(2026, 3, 2)),     # Monday 06:00
    (datetime(2026, 3, 11, 6, 0, tzinfo=UTC), date(2026, 3, 2)),    # a late tick mid-week
    (datetime(2027, 1, 4, 6, 0, tzinfo=UTC), date(2026, 12, 28)),   # across the year boundary
])
def test_schedule_targets_the_previous_iso_week(tick: datetime, week: date) -> None:
    assert previous_week(tick.date()) == week
    request = weekly_reports_schedule(build_schedule_context(scheduled_execution_time=tick))
    ops = request.run_config["ops"]
    assert ops["sales_reports"]["config"]["weeks"] == [week.isoformat()]
    assert ops["weekly_report_export"]["config"]["week_start"] == week.isoformat()
    assert request.run_key == f"weekly:{week.isoformat()}"


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_weekly_job_exports_match_independent_figures(ingest, tmp_path: Path) -> None:
    rows = generate(21, 300, date(2026, 3, 2), 14)   # weeks of Mar 2 and Mar 9
    write_clean_workbook(ingest.folder / "w.xlsx", rows)
    ingest.run("w.xlsx")
    tick = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    request = weekly_reports_schedule(build_schedule_context(scheduled_execution_time=tick))
    result = ingest.run_job("weekly_reports", request.run_config)
    assert result.success
    folder = tmp_path / "exports" / "week-2026-03-02"
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        f"{n}_2026-03-02.{ext}" for n in ("weekly_summary", "seller_ranking", "top_products",
                                          "shipping_breakdown", "data_quality")
        for ext in ("csv", "xlsx")] + ["weekly_report_2026-03-02_to_2026-03-08.md",
                                      "weekly_report_2026-03-02_to_2026-03-08.xlsx"])
    week = [r for r in rows if r["sold_at"].date() < date(2026, 3, 9)]
    revenue = sum(r["total_price"] for r in week)
    summary = _csv(folder / "weekly_summary_2026-03-02.csv")
    assert summary == [{"week_start": "2026-03-02", "week_end": "2026-03-08",
                        "revenue": summary[0]["revenue"], "units": summary[0]["units"],
                        "line_count": str(len(week))}]
    assert Decimal(summary[0]["revenue"]) == revenue
    by_seller: dict[str, Decimal] = defaultdict(Decimal)
    for r in week:
        by_seller[r["seller"]] += r["total_price"]
    ranking = _csv(folder / "seller_ranking_2026-03-02.csv")
    assert {r["seller"]: Decimal(r["revenue"]) for r in ranking} == dict(by_seller)
    assert [r["seller"] for r in ranking] == sorted(by_seller, key=lambda s: -by_seller[s])
    # The XLSX holds the same rows as the CSV.
    sheet = openpyxl.load_workbook(folder / "seller_ranking_2026-03-02.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("rank", "seller", "revenue", "units", "line_count")
    assert [(v[1], Decimal(str(v[2]))) for v in values[1:]] == [
        (r["seller"], Decimal(r["revenue"])) for r in ranking]
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["reports_reconcile"] and checks["no_duplicate_source_rows"]


def test_nightly_maintenance_analyzes_and_prunes_old_runs(ingest, sql) -> None:
    write_clean_workbook(ingest.folder / "n.xlsx", generate(3, 5, date(2026, 3, 2), 3))
    old = ingest.run("n.xlsx")
    sql("INSERT INTO salesops.import_log (source_file, sha256, size_bytes, status, started_at,"
        " error) VALUES ('x.xlsx', %s, 1, 'failed', now() - interval '3 days', 'boom')"
        " RETURNING import_id", ("d" * 64,))
    result = ingest.run_job("nightly_maintenance", {"ops": {
        "analyze_warehouse": {"config": {"stale_staging_hours": 24}},
        "prune_run_history": {"config": {"history_days": 0}}}})
    assert result.success
    assert ingest.instance.get_run_by_id(old.run_id) is None
    assert ingest.instance.get_run_by_id(result.run_id) is not None
    analyzed = sql("SELECT last_analyze FROM pg_stat_user_tables"
                   " WHERE relname = 'fact_sales_line'")
    assert analyzed[0][0] is not None
